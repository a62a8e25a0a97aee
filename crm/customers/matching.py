"""Which existing customer a row of a customer file is: matched by e-mail, phone, or a very similar name at the
same company (rapidfuzz), against the database (``KnownCustomers``) and within the file (``FileIndex``).

An e-mail or phone match counts when the names agree too; shared only with a clearly different name it makes a
possible duplicate (created all the same, reported for the user to decide). Used by the customer import's
writer (``crm.importing.customers``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.core.i18n import N_
from crm.core.text import SimilarNames
from db.models import Customer

FUZZY_THRESHOLD = 90
# Names that agree at least this much (rapidfuzz token set ratio of the folded names, 0-100) are one person's;
# below it, a shared e-mail or phone only makes a possible duplicate. No transliteration is assumed.
NAME_AGREES_THRESHOLD = 75
# Why a row is a duplicate of an existing customer, by the field that matched.
SAME_AS = {"email": N_("same e-mail as existing customer #{id} ({name})"),
           "phone": N_("same phone as existing customer #{id} ({name})"),
           "company": N_("very similar name at the same company as existing customer #{id} ({name})"),
           "name": N_("same name as existing customer #{id} ({name})")}
# Why a row is only possibly one: the e-mail or phone matched, the names differ.
POSSIBLY_SAME_AS = {
    "email": N_("same e-mail as existing customer #{id} ({name}), but a different name ({row_name})"),
    "phone": N_("same phone as existing customer #{id} ({name}), but a different name ({row_name})")}


@dataclass
class Candidate:
    """A row of the file that passed validation: its number, the customer's fields and their search keys."""

    row: int
    values: dict[str, Any]
    keys: dict[str, Any]
    external_id: str | None = None  # the customer's id in the file's source system


@dataclass(frozen=True)
class Match:
    """The existing customer a row matches, by which field; ``possible``: only the e-mail or phone agrees."""

    customer_id: int
    field: str  # email, phone, company (very similar name there), name
    possible: bool = False


class KnownCustomers:
    """Existing customers that rows of the file may match, by e-mail, phone, or similar name at the same company.

    Each company's customers are read once per import: the customers this import creates are
    matched through the file index (``FileIndex``) instead of being read back chunk after chunk.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_company: dict[str, SimilarNames] = {}

    def matches(self, cands: list[Candidate]) -> dict[int, Match]:
        """Row -> the existing customer it matches.

        An e-mail or phone match counts when the names agree too; a very similar name at the same
        company, or the same name without any contact details, counts alone. An e-mail or phone
        shared only with customers of clearly different names is a possible duplicate.
        """
        by_email = self._customers_by(Customer.email_key, {c.keys["email_key"] for c in cands})
        by_phone = self._customers_by(Customer.phone_digits, {c.keys["phone_digits"] for c in cands})
        self._read_companies({c.keys["company_key"] for c in cands if c.keys["company_key"]} - self.by_company.keys())
        no_contact = {c.keys["name_key"] for c in cands if not _has_contact(c.keys)}
        by_name = self._first_ids(Customer.name_key, no_contact, Customer.company_key.is_(None),
                                  Customer.email_key.is_(None), Customer.phone_digits.is_(None))
        found: dict[int, Match] = {}
        for c in cands:
            k = c.keys
            shared = [("email", cid, name) for cid, name in by_email.get(k["email_key"], ())] + \
                     [("phone", cid, name) for cid, name in by_phone.get(k["phone_digits"], ())]
            match = next((Match(cid, f) for f, cid, name in shared if _names_agree(name, k["name_key"])), None)
            if match is None and k["company_key"] in self.by_company:
                cid = self.by_company[k["company_key"]].find(k["name_key"], FUZZY_THRESHOLD)
                match = Match(cid, "company") if cid is not None else None
            if match is None and not _has_contact(k) and k["name_key"] in by_name:
                match = Match(by_name[k["name_key"]], "name")
            if match is None and shared:
                match = Match(shared[0][1], shared[0][0], possible=True)
            if match is not None:
                found[c.row] = match
        return found

    def names(self, ids: set[int]) -> dict[int, str]:
        """Customer id -> name, for the report."""
        if not ids:
            return {}
        return dict(self.session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all())

    def _customers_by(self, column: Any, values: set[Any]) -> dict[Any, list[tuple[int, str]]]:
        """Value -> the customers (not erased) with that value in ``column``, oldest first, with their folded names."""
        values.discard(None)
        out: dict[Any, list[tuple[int, str]]] = {}
        if values:
            for cid, key, name in self.session.execute(select(Customer.id, column, Customer.name_key).where(
                    column.in_(values), Customer.erased_at.is_(None))):
                out.setdefault(key, []).append((cid, name))  # no ORDER BY: it can lead PostgreSQL to scan by id
        for found in out.values():
            found.sort()
        return out

    def _first_ids(self, column: Any, values: set[Any], *conditions: Any) -> dict[Any, int]:
        """Value -> the first customer (not erased) with that value in ``column``."""
        values.discard(None)
        out: dict[Any, int] = {}
        if values:
            for cid, key in self.session.execute(select(Customer.id, column).where(
                    column.in_(values), Customer.erased_at.is_(None), *conditions)):
                out[key] = min(cid, out.get(key, cid))  # no ORDER BY: it can lead PostgreSQL to scan by id
        return out

    def _read_companies(self, companies: set[str]) -> None:
        for company in companies:
            self.by_company[company] = SimilarNames()
        if companies:
            found = self.session.execute(select(Customer.id, Customer.company_key, Customer.name_key).where(
                Customer.company_key.in_(companies), Customer.erased_at.is_(None))).all()
            for cid, company, name in sorted(found):  # the oldest customer first, as a match
                self.by_company[company].add(name, cid)


def _names_agree(a: str | None, b: str | None) -> bool:
    """Folded names of one person (small typos, word order, a missing word); not a transliteration."""
    from rapidfuzz import fuzz

    return fuzz.token_set_ratio(a or "", b or "") >= NAME_AGREES_THRESHOLD


def _has_contact(keys: dict[str, Any]) -> bool:
    return bool(keys["email_key"] or keys["phone_digits"] or keys["company_key"])


class FileIndex:
    """Rows already seen in this file, to catch duplicates within it."""

    def __init__(self) -> None:
        self.email: dict[str, int] = {}
        self.phone: dict[str, int] = {}
        self.company: dict[str, SimilarNames] = {}

    def match(self, keys: dict[str, Any]) -> tuple[int, str] | None:
        if keys["email_key"] and keys["email_key"] in self.email:
            return self.email[keys["email_key"]], N_("same e-mail as row {row} of this file")
        if keys["phone_digits"] and keys["phone_digits"] in self.phone:
            return self.phone[keys["phone_digits"]], N_("same phone as row {row} of this file")
        at_company = self.company.get(keys["company_key"] or "")
        row = at_company.find(keys["name_key"], FUZZY_THRESHOLD) if at_company else None
        if row is not None:
            return row, N_("very similar name at the same company as row {row} of this file")
        return None

    def add(self, row: int, keys: dict[str, Any]) -> None:
        if keys["email_key"]:
            self.email.setdefault(keys["email_key"], row)
        if keys["phone_digits"]:
            self.phone.setdefault(keys["phone_digits"], row)
        if keys["company_key"]:
            self.company.setdefault(keys["company_key"], SimilarNames()).add(keys["name_key"], row)
