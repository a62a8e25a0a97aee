"""Import customers from other systems' files, account for every row, revert an import; export customers.

Outcomes per row: imported, possible duplicate (imported, but its e-mail or
phone is an existing customer's under a clearly different name: the user
decides), updated, duplicate (with the customer or row it matches), rejected
(row number and every reason), blank. Matches: same e-mail (case-insensitive),
same phone (normalised), or a very similar name at the same company
(rapidfuzz); within the file and against the database.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.customers.contact_rules import clean_customer_fields, refresh_search_keys, search_keys
from crm.customers.service import _customer_rows, _write_audit_rows, _write_customers
from crm.core.errors import CRMError, NotFound, ValidationError
from crm.core.i18n import N_, Codes, _
from crm.core.spreadsheet import csv_bytes, restore_cell, xlsx_bytes
from crm.core.text import SimilarNames, fold
from db.models import AuditEvent, Consent, Customer, CustomerToken, ImportBatch, ImportRow, Interaction, Receipt
from db.bulk import fast_sqlite_writes, gc_paused, insert_rows, reserve_ids
from db.types import utcnow

FIELDS = ("name", "company", "email", "phone", "country", "city", "address", "status", "segment",
          "acquisition_source", "notes")
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "fullname", "customer", "customer name", "contact", "contact name", "nama",
             "име", "نام"),
    "company": ("company", "organisation", "organization", "org", "firm", "business", "account", "perusahaan",
                "фирма", "компания", "کمپنی"),
    "email": ("email", "e-mail", "e mail", "mail", "email address", "e-mail address", "електронна поща"),
    "phone": ("phone", "telephone", "tel", "mobile", "phone number", "telepon", "телефон", "فون"),
    "country": ("country", "country code", "negara", "държава"),
    "city": ("city", "town", "kota", "град"),
    "address": ("address", "street", "alamat", "адрес"),
    "status": ("status", "type", "customer status"),
    "segment": ("segment", "group", "customer group"),
    "acquisition_source": ("acquisition source", "source", "lead source", "channel"),
    "notes": ("notes", "note", "comment", "comments", "remarks"),
}
# What to do with a row that matches an existing customer.
ON_DUPLICATE = Codes("duplicate handling", {"skip": N_("Skip it"), "update": N_("Update the customer"),
                                            "create": N_("Create a new customer anyway")})
# What happened to a row of the file (the report's outcome codes).
OUTCOMES = Codes("import outcome", {"imported": N_("Imported"),
                                   "possible_duplicate": N_("Possible duplicate"), "updated": N_("Updated"),
                                   "duplicate": N_("Duplicate"), "rejected": N_("Rejected"), "blank": N_("Blank")})
FUZZY_THRESHOLD = 90
# Names that agree at least this much (rapidfuzz token set ratio of the folded names, 0-100) are one person's;
# below it, a shared e-mail or phone only makes a possible duplicate. No transliteration is assumed.
NAME_AGREES_THRESHOLD = 75
# Why a row is a duplicate of an existing customer, by the field that matched.
_SAME_AS = {"email": N_("same e-mail as existing customer #{id} ({name})"),
            "phone": N_("same phone as existing customer #{id} ({name})"),
            "company": N_("very similar name at the same company as existing customer #{id} ({name})"),
            "name": N_("same name as existing customer #{id} ({name})")}
# Why a row is only possibly one: the e-mail or phone matched, the names differ.
_POSSIBLY_SAME_AS = {
    "email": N_("same e-mail as existing customer #{id} ({name}), but a different name ({row_name})"),
    "phone": N_("same phone as existing customer #{id} ({name}), but a different name ({row_name})")}
CHUNK = 2000
EXPORT_COLUMNS = ["name", "company", "email", "phone", "country", "city", "address", "status", "segment",
                  "acquisition_source", "notes"]


class ImportFileError(CRMError):
    """The file cannot be read at all."""


@dataclass
class RowResult:
    row: int
    outcome: str
    customer_id: int | None = None
    reasons: str = ""
    name: str = ""


@dataclass
class ImportReport:
    batch_id: int | None
    filename: str
    rows: list[RowResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in OUTCOMES}
        for r in self.rows:
            out[r.outcome] += 1
        return out

    def as_csv(self) -> bytes:
        return csv_bytes(["row", "outcome", "customer_id", "name", "reasons"],
                         ([r.row, r.outcome, r.customer_id or "", r.name, r.reasons] for r in self.rows))


# ------------------------------------------------------------------ reading


class Table(NamedTuple):
    """An uploaded file as read: its header row and the rows below it (cells as text)."""

    headers: list[str]
    rows: list[list[str]]


def read_table(data: bytes, filename: str) -> Table:
    """Headers and rows of a CSV (UTF-8 with or without BOM, comma/semicolon/tab) or Excel file."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_excel(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. Save it as 'CSV UTF-8' (or Excel) and try again."))
    if "\x00" in text:
        raise ImportFileError(_("The file looks binary, not CSV. Upload a CSV or an Excel (.xlsx) file."))
    sample = text[:8192]
    first_line = sample.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ImportFileError(_("The file has no header row."))
    headers = [h.strip() for h in rows[0]]
    return Table(headers, [[restore_cell(c) for c in r] for r in rows[1:]])


def _read_excel(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise ImportFileError(_("The Excel file cannot be read ({error}).").format(error=type(exc).__name__))
    sheet = workbook.worksheets[0]
    values = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    if not values:
        raise ImportFileError(_("The first sheet of the Excel file is empty."))
    return Table([h.strip() for h in values[0]], [[restore_cell(c) for c in r] for r in values[1:]])


def _header_key(header: str) -> str:
    return " ".join(fold(header).replace("_", " ").replace(".", " ").split())


def auto_mapping(headers: list[str]) -> dict[str, int]:
    """Field -> column index for the usual headers (any case, stray spaces, a few languages)."""
    mapping: dict[str, int] = {}
    keys = [_header_key(h) for h in headers]
    for field_name, aliases in ALIASES.items():
        for index, key in enumerate(keys):
            if key in {fold(a) for a in aliases} and index not in mapping.values():
                mapping[field_name] = index
                break
    return mapping


# ----------------------------------------------------------------- matching


@dataclass
class _Candidate:
    row: int
    values: dict[str, Any]
    keys: dict[str, Any]


@dataclass(frozen=True)
class _Match:
    """The existing customer a row matches, by which field; ``possible``: only the e-mail or phone agrees."""

    customer_id: int
    field: str  # email, phone, company (very similar name there), name
    possible: bool = False


class _KnownCustomers:
    """Existing customers that rows of the file may match, by e-mail, phone, or similar name at the same company.

    Each company's customers are read once per import: the customers this import creates are
    matched through the file index (``_FileIndex``) instead of being read back chunk after chunk.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_company: dict[str, SimilarNames] = {}

    def matches(self, cands: list[_Candidate]) -> dict[int, _Match]:
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
        found: dict[int, _Match] = {}
        for c in cands:
            k = c.keys
            shared = [("email", cid, name) for cid, name in by_email.get(k["email_key"], ())] + \
                     [("phone", cid, name) for cid, name in by_phone.get(k["phone_digits"], ())]
            match = next((_Match(cid, f) for f, cid, name in shared if _names_agree(name, k["name_key"])), None)
            if match is None and k["company_key"] in self.by_company:
                cid = self.by_company[k["company_key"]].find(k["name_key"], FUZZY_THRESHOLD)
                match = _Match(cid, "company") if cid is not None else None
            if match is None and not _has_contact(k) and k["name_key"] in by_name:
                match = _Match(by_name[k["name_key"]], "name")
            if match is None and shared:
                match = _Match(shared[0][1], shared[0][0], possible=True)
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


class _FileIndex:
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


# -------------------------------------------------------------------- import


def run_import(
    actor: Actor,
    filename: str,
    data: bytes,
    *,
    table: Table | None = None,
    mapping: dict[str, int] | None = None,
    on_duplicate: str = "skip",
    progress: Callable[[float], None] | None = None,
    session: Session,
) -> ImportReport:
    """Validate and import every row of the file in one transaction; the report accounts for each row.

    ``table`` is the file already read by ``read_table`` (the Import page reads an upload once);
    without it the file is read here.
    """
    require(actor, "data.import")
    if on_duplicate not in ON_DUPLICATE:
        raise ValidationError({"on_duplicate": _("For duplicates choose skip, update or create.")})
    headers, rows = table if table is not None else read_table(data, filename)
    mapping = auto_mapping(headers) if mapping is None else mapping
    if "name" not in mapping:
        raise ValidationError({"mapping": _("Choose the column that holds the customer's name.")})
    bad = [f for f, i in mapping.items() if f not in FIELDS or not 0 <= i < len(headers)]
    if bad:
        raise ValidationError({"mapping": _("Unknown columns mapped: {columns}.").format(columns=", ".join(bad))})
    batch = ImportBatch(kind="customers", filename=filename[:300], user_id=actor.user_id, source=actor.source)
    session.add(batch)
    session.flush()
    report = ImportReport(batch_id=batch.id, filename=filename)
    seen = _FileIndex()
    known = _KnownCustomers(session)
    now = utcnow()
    total = max(1, len(rows))
    # a bigger page cache (each new customer updates a dozen indexes), no garbage collection passes
    with fast_sqlite_writes(session), gc_paused():
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            candidates = _checked_rows(chunk, start + 2, mapping, seen, on_duplicate, report)  # the header is row 1
            matches = known.matches(candidates) if on_duplicate != "create" else {}
            names = known.names({m.customer_id for m in matches.values()})
            to_create: list[_Candidate] = []
            flagged: dict[int, str] = {}  # row -> why it may be an existing customer (created all the same)
            for cand in candidates:
                match = matches.get(cand.row)
                if match is None:
                    to_create.append(cand)
                elif match.possible:  # the user decides: created, and reported beside the customer it may be
                    to_create.append(cand)
                    flagged[cand.row] = _(_POSSIBLY_SAME_AS[match.field]).format(
                        id=match.customer_id, name=names.get(match.customer_id, "?"), row_name=cand.values["name"])
                elif on_duplicate == "skip":
                    report.rows.append(RowResult(cand.row, "duplicate", match.customer_id, _(_SAME_AS[match.field])
                                                 .format(id=match.customer_id, name=names.get(match.customer_id, "?")),
                                                 cand.values["name"]))
                else:
                    _update_existing(session, actor, match.customer_id, cand, batch.id, report)
            _create(session, actor, to_create, batch.id, now, report, flagged)
            if progress:
                progress(min(1.0, (start + len(chunk)) / total))
    report.rows.sort(key=lambda r: r.row)
    kept = [(batch.id, r.row, r.outcome, r.customer_id, r.reasons or None) for r in report.rows if r.outcome != "updated"]
    insert_rows(session, ImportRow.__table__, ["batch_id", "row_number", "outcome", "customer_id", "reasons"],
                kept or [(batch.id, 0, "blank", None, "empty file")])  # updated rows were written with their "before"
    batch.counts = report.counts
    audit.record(session, actor, "import", "import_batch", batch.id, after=report.counts,
                 detail=f"{filename}: {report.counts}")
    return report


def _checked_rows(chunk: list[list[str]], first_row: int, mapping: dict[str, int], seen: _FileIndex,
                  on_duplicate: str, report: ImportReport) -> list[_Candidate]:
    """Rows of the chunk that passed validation and are not duplicates within the file; the others are reported."""
    candidates: list[_Candidate] = []
    for row_no, raw in enumerate(chunk, start=first_row):
        values = {f: (raw[i].strip() if i < len(raw) else "") for f, i in mapping.items()}
        if not any(values.values()):
            report.rows.append(RowResult(row_no, "blank"))
            continue
        try:
            clean = clean_customer_fields({k: v or None for k, v in values.items()})
        except ValidationError as exc:
            report.rows.append(RowResult(row_no, "rejected", reasons="; ".join(exc.errors.values()),
                                         name=values.get("name", "")))
            continue
        keys = search_keys(clean.get("name"), clean.get("company"), clean.get("email"), clean.get("phone"))
        dup = seen.match(keys)
        if dup and on_duplicate != "create":
            report.rows.append(RowResult(row_no, "duplicate", reasons=_(dup[1]).format(row=dup[0]),
                                         name=clean["name"]))
            continue
        seen.add(row_no, keys)
        candidates.append(_Candidate(row_no, clean, keys))
    return candidates


def _create(session: Session, actor: Actor, cands: list[_Candidate], batch_id: int, now: Any,
            report: ImportReport, flagged: dict[int, str]) -> None:
    """The new customers of a chunk, written as a typed customer is, many at once, each with its audit row;
    ``flagged`` rows (row -> reason) are reported as possible duplicates."""
    if not cands:
        return
    ids = reserve_ids(session, Customer.__table__, len(cands))
    _write_customers(session, [
        _customer_rows(actor, cid, cand.values, now=now, keys=cand.keys, import_batch_id=batch_id, source="import",
                       detail=f"import batch {batch_id}") for cid, cand in zip(ids, cands)])
    report.rows.extend(RowResult(cand.row, "possible_duplicate" if cand.row in flagged else "imported", cid,
                                 flagged.get(cand.row, ""), cand.values["name"]) for cid, cand in zip(ids, cands))


def _update_existing(session: Session, actor: Actor, customer_id: int, cand: _Candidate, batch_id: int,
                     report: ImportReport) -> None:
    customer = session.get(Customer, customer_id)
    before = audit.snapshot(customer)
    changes = {k: v for k, v in cand.values.items() if v not in (None, "") and getattr(customer, k) != v}
    for key, value in changes.items():
        setattr(customer, key, value)
    if changes:
        customer.updated_at = utcnow()
        customer.updated_by_id = actor.user_id
        session.flush()
        refresh_search_keys(customer, session=session)
        b, a = audit.diff(before, audit.snapshot(customer))
        audit.record(session, actor, "update", "customer", customer.id, before=b, after=a,
                     detail=f"import batch {batch_id}")
    session.add(ImportRow(batch_id=batch_id, row_number=cand.row, outcome="updated", customer_id=customer_id,
                          reasons=None if changes else _("no change"), before=before))
    report.rows.append(RowResult(cand.row, "updated", customer_id, "" if changes else _("no change"),
                                 cand.values["name"]))


def revert_import(actor: Actor, batch_id: int, *, session: Session) -> dict[str, int]:
    """Remove what the import created and restore what it updated; audited."""
    require(actor, "data.import")
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(_("That import does not exist."))
    if batch.reverted_at is not None:
        raise ValidationError({"batch": _("This import was already reverted.")})
    created = list(session.scalars(select(Customer.id).where(Customer.import_batch_id == batch_id)))
    kept: list[int] = []
    if created:
        used = set(session.scalars(select(Interaction.customer_id).where(Interaction.customer_id.in_(created))))
        used |= set(session.scalars(select(Receipt.customer_id).where(Receipt.customer_id.in_(created))))
        kept = sorted(used)
        removable = [c for c in created if c not in used]
        for chunk in range(0, len(removable), 500):
            ids = removable[chunk:chunk + 500]
            session.execute(delete(CustomerToken).where(CustomerToken.customer_id.in_(ids)))
            session.execute(delete(Consent).where(Consent.customer_id.in_(ids)))
            session.execute(delete(ImportRow).where(ImportRow.customer_id.in_(ids), ImportRow.batch_id == batch_id))
            session.execute(delete(Customer).where(Customer.id.in_(ids)))
            # their audit rows keep who did what and when, without the personal data (as after an erasure)
            session.execute(update(AuditEvent).where(AuditEvent.entity == "customer",
                                                     AuditEvent.entity_id.in_([str(i) for i in ids]))
                            .values(before=None, after=None))
        now = utcnow()
        for cid in kept:  # someone already worked with them: archive instead of deleting history
            customer = session.get(Customer, cid)
            customer.archived_at = now
        session.flush()
        event = {"at": now, "user_id": actor.user_id, "username": actor.username, "entity": "customer",
                 "source": actor.source, "detail": f"import batch {batch_id} reverted"}
        _write_audit_rows(session, [
            *({**event, "action": "delete", "entity_id": str(cid), "before": None, "after": None} for cid in removable),
            *({**event, "action": "archive", "entity_id": str(cid), "before": {"archived_at": None},
               "after": {"archived_at": now.isoformat()}} for cid in kept)])
    restored = 0
    for row in session.scalars(select(ImportRow).where(ImportRow.batch_id == batch_id, ImportRow.outcome == "updated")):
        customer = session.get(Customer, row.customer_id) if row.customer_id else None
        if customer is None or not row.before:
            continue
        for key in ("name", "company", "email", "phone", "country", "city", "address", "status", "segment",
                    "acquisition_source", "notes"):
            setattr(customer, key, row.before.get(key))
        customer.updated_at = utcnow()
        customer.updated_by_id = actor.user_id
        session.flush()
        refresh_search_keys(customer, session=session)
        restored += 1
    batch.reverted_at = utcnow()
    batch.reverted_by_id = actor.user_id
    result = {"removed": len(created) - len(kept), "archived": len(kept), "restored": restored}
    audit.record(session, actor, "revert_import", "import_batch", batch_id, after=result)
    return result


@dataclass(frozen=True)
class PastImport:
    """One earlier import: its file, where it was started from, its outcome counts, and whether it was reverted."""

    id: int
    created_at: dt.datetime
    filename: str
    source: str  # where it was started: "page", "cli"...
    counts: dict[str, int]  # rows per ``OUTCOMES`` code
    reverted_at: dt.datetime | None


def list_batches(actor: Actor, *, limit: int = 50, session: Session) -> list[PastImport]:
    """The latest imports, newest first."""
    require(actor, "data.import")
    return [PastImport(b.id, b.created_at, b.filename, b.source, dict(b.counts or {}), b.reverted_at)
            for b in session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit))]


# -------------------------------------------------------------------- export


@dataclass(frozen=True)
class CustomerExport:
    """One export of the customers: the same rows, as a CSV file or as an Excel workbook."""

    rows: list[list[str]]
    left_out: int  # customers left out of a third-party export for lack of consent

    @property
    def included(self) -> int:
        return len(self.rows)

    def csv(self) -> bytes:
        return csv_bytes(EXPORT_COLUMNS, self.rows)

    def xlsx(self) -> bytes:
        return xlsx_bytes("Customers", EXPORT_COLUMNS, self.rows)


def export_customers(actor: Actor, *, third_party: bool = False, include_archived: bool = False,
                     session: Session) -> CustomerExport:
    """The customers to export (formula-safe as files); for a third party only those who consented. Audited once."""
    require(actor, "data.export")
    stmt = select(Customer).where(Customer.erased_at.is_(None)).order_by(Customer.id)
    if not include_archived:
        stmt = stmt.where(Customer.archived_at.is_(None))
    rows: list[list[str]] = []
    left_out = 0
    for customer in session.scalars(stmt.execution_options(yield_per=2000)):
        if third_party and not customer.consent_third_party:
            left_out += 1
            continue
        rows.append([getattr(customer, c) or "" for c in EXPORT_COLUMNS])
    audit.record(session, actor, "export", "customers", None,
                 detail=f"{'third-party ' if third_party else ''}export: {len(rows)} customers, {left_out} left out "
                        "for lack of consent" if third_party else f"export: {len(rows)} customers")
    return CustomerExport(rows, left_out)
