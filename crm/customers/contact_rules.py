"""Contact data rules shared by forms and imports: validation and normalisation.

``clean_customer_fields`` validates every field at once and returns the
normalised values, or raises ``ValidationError`` with one message per field.
Search keys and tokens are refreshed with ``refresh_search_keys``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from crm.core.errors import ValidationError
from crm.core.i18n import N_, Codes, _, label
from crm.core.text import digits, fold, search_tokens
from db.models import Customer, CustomerToken

# A customer's status (shown with ``label(CUSTOMER_STATUSES, code)``).
CUSTOMER_STATUSES = Codes("customer status", {"prospect": N_("Prospect"), "customer": N_("Customer"),
                                              "former": N_("Former customer")})
STATUSES = tuple(CUSTOMER_STATUSES)
FIELDS = ("name", "company", "email", "phone", "address", "city", "country", "language", "status",
          "segment", "acquisition_source", "owner_id", "notes")
MAX_LENGTHS = {"name": 200, "company": 200, "email": 254, "city": 120, "segment": 60,
               "acquisition_source": 60}
# A customer's fields, as forms, errors and the import name them.
CUSTOMER_FIELDS = Codes("customer field", {
    "name": N_("Name"), "company": N_("Company"), "email": N_("E-mail"), "phone": N_("Phone"),
    "country": N_("Country"), "city": N_("City"), "address": N_("Address"), "status": N_("Status"),
    "segment": N_("Segment"), "acquisition_source": N_("Acquisition source"), "language": N_("Language"),
    "notes": N_("Notes")})


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_EMAIL = re.compile(rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+[a-z]{{2,63}})", re.IGNORECASE)


def plain_email(value: str) -> str | None:
    """The normalised form of a plain ASCII address, or None to let email-validator decide.

    Most addresses in an import are plain (dot-atom local part, letters-digits-hyphens domain,
    alphabetic top-level domain); for those email-validator's answer is the address with the
    domain in lower case, and checking them here is 30x faster. Anything else (quoted or
    internationalised parts, special-use domains, overlong parts) goes to the library. A test
    compares both on thousands of addresses.
    """
    match = _PLAIN_EMAIL.fullmatch(value)
    if match is None or len(value) > 254 or len(match.group(1)) > 64:
        return None
    domain = match.group(2).lower()
    if any(part[2:4] == "--" for part in domain.split(".")):  # IDNA-reserved (xn--...): the library knows
        return None
    if any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES):
        return None
    return f"{match.group(1)}@{domain}"


def normalize_email(value: str | None) -> tuple[str | None, str | None]:
    """(normalised email or None, error message or None). No DNS look-ups."""
    value = (value or "").strip()
    if not value:
        return None, None
    plain = plain_email(value)
    if plain is not None:
        return plain, None
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, _("E-mail '{value}' is not valid: {reason}").format(value=value, reason=exc)
    return info.normalized, None


_INTERNATIONAL_PHONE = re.compile(r"\+[1-9][0-9 ().-]{1,40}")


@functools.lru_cache(maxsize=None)
def _calling_code_rules(code: int) -> tuple[re.Pattern[str] | None, frozenset[int]]:
    """(national prefix pattern, national number lengths libphonenumber calls possible) for a calling code."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code))
    prefix = metadata.national_prefix_for_parsing if metadata else None
    possible = frozenset(n for n in range(2, 18) if phonenumbers.is_possible_number(
        phonenumbers.PhoneNumber(country_code=code, national_number=int("1" + "0" * (n - 1)))))
    return (re.compile(prefix) if prefix else None), possible


def international_phone(value: str) -> str | None:
    """The E.164 form of a plainly written international number ("+62 812-3456 7890"), or None to
    let libphonenumber decide.

    Imports are mostly such numbers; for them libphonenumber's answer is "+", the calling code and
    the national number, when the number has a possible length and nothing that could be a national
    prefix or an Italian leading zero, and working that out here is about 10x faster than a full
    parse. Anything else (letters, extensions, a national prefix, an unknown code, an impossible
    length) goes to the library. A test compares both on thousands of numbers.
    """
    if _INTERNATIONAL_PHONE.fullmatch(value) is None or not value[-1].isdigit():
        return None
    number = digits(value)
    for size in (1, 2, 3):
        code = int(number[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = number[size:]
    if not national or national[0] == "0":
        return None
    prefix, possible = _calling_code_rules(code)
    if len(national) not in possible or (prefix is not None and prefix.match(national)):
        return None
    return f"+{number}"


_NATIONAL_PHONE = re.compile(r"[0-9(][0-9 ().-]{1,40}")


@dataclass(frozen=True)
class _RegionRules:
    """What libphonenumber consults to read a nationally written number of one region."""

    calling_code: str
    international_prefix: re.Pattern[str] | None
    national_prefix: str
    national_number: re.Pattern[str]
    lengths: tuple[int, ...]
    local_lengths: frozenset[int]

    def keeps_length(self, number: str) -> bool:
        """libphonenumber's length test gives neither too short, nor local-only, nor an invalid length."""
        n = len(number)
        if n in self.local_lengths or n < self.lengths[0]:
            return False
        return n == self.lengths[0] or n > self.lengths[-1] or n in self.lengths[1:]


@functools.lru_cache(maxsize=None)
def _region_rules(region: str) -> _RegionRules | None:
    """The rules of regions whose national prefix is plain digits ("0", "1", "8"), else None (the library decides)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix_transform_rule:
        return None
    prefix = metadata.national_prefix_for_parsing or ""
    general = metadata.general_desc
    if (prefix and not prefix.isdigit()) or not general.national_number_pattern or not general.possible_length:
        return None
    idd = metadata.international_prefix
    return _RegionRules(str(metadata.country_code), re.compile(idd) if idd else None, prefix,
                        re.compile(general.national_number_pattern), tuple(general.possible_length),
                        frozenset(general.possible_length_local_only))


def national_phone(value: str, region: str) -> str | None:
    """The E.164 form of a number written nationally ("0812-3456-7890" in ID), or None to let libphonenumber decide.

    Follows libphonenumber's reading for the usual case: no international dialling prefix or
    calling code in front, a national prefix of plain digits that is dropped when the rest still
    looks like a number of the region, and no leading zero left. About 10x faster than a full parse;
    a test compares both on thousands of numbers of every region.
    """
    if _NATIONAL_PHONE.fullmatch(value) is None or not value[-1].isdigit():
        return None
    rules = _region_rules(region)
    number = digits(value)
    if rules is None or len(number) < 3 or number.startswith(rules.calling_code):
        return None
    if rules.international_prefix is not None and rules.international_prefix.match(number):
        return None
    if rules.national_prefix and number.startswith(rules.national_prefix):
        rest = number[len(rules.national_prefix):]
        if rules.national_number.fullmatch(rest) or not rules.national_number.fullmatch(number):
            if rules.keeps_length(rest):
                number = rest
    if number[0] == "0":
        return None
    return international_phone(f"+{rules.calling_code}{number}")


def normalize_phone(value: str | None, country: str | None = None) -> tuple[str | None, str | None]:
    """(E.164 phone or None, error or None). National numbers need the country."""
    value = (value or "").strip()
    if not value:
        return None, None
    region = (country or "").upper() or None
    candidate = value
    if region is None and not value.startswith("+") and not value.startswith("00"):
        return None, _("Phone '{value}' needs a country code (e.g. +62...) or a country.").format(value=value)
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    fast = international_phone(candidate) if candidate.startswith("+") else national_phone(candidate, region or "")
    if fast is not None:
        return fast, None
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None, _("Phone '{value}' is not a phone number.").format(value=value)
    if not phonenumbers.is_possible_number(parsed):
        return None, _("Phone '{value}' has the wrong number of digits.").format(value=value)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def normalize_country(value: str | None) -> tuple[str | None, str | None]:
    value = (value or "").strip().upper()
    if not value:
        return None, None
    if len(value) != 2 or not value.isalpha():
        return None, _("Country '{value}' must be a two-letter ISO code such as ID, BG or PK.").format(value=value)
    if value not in phonenumbers.SUPPORTED_REGIONS:
        return None, _("Country '{value}' is not a known country code.").format(value=value)
    return value, None


def clean_customer_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate and normalise customer fields; every problem is reported at once.

    With ``partial`` only the given keys are checked (for edits of a few fields).
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = set(data) - set(FIELDS)
    if unknown:
        errors["fields"] = _("Unknown fields: {fields}.").format(fields=", ".join(sorted(unknown)))

    def text(key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        value = " ".join(str(value).split()) if key not in {"notes", "address"} else str(value).strip()
        return value or None

    for key in ("name", "company", "address", "city", "language", "segment", "acquisition_source", "notes"):
        if key in data or (not partial and key == "name"):
            out[key] = text(key)
            limit = MAX_LENGTHS.get(key)
            if limit and out[key] and len(out[key]) > limit:
                errors[key] = _("{field} is longer than {limit} characters.").format(
                    field=label(CUSTOMER_FIELDS, key), limit=limit)
    if ("name" in data or not partial) and not out.get("name"):
        errors["name"] = _("Name is required.")

    if "country" in data:
        out["country"], err = normalize_country(data.get("country"))
        if err:
            errors["country"] = err
    if "email" in data:
        out["email"], err = normalize_email(data.get("email"))
        if err:
            errors["email"] = err
    if "phone" in data:
        out["phone"], err = normalize_phone(data.get("phone"), out.get("country") or data.get("country"))
        if err:
            errors["phone"] = err
    if "status" in data or not partial:
        status = (data.get("status") or "prospect").strip().lower()
        if status not in STATUSES:
            errors["status"] = _("Status '{status}' is not allowed; use prospect, customer or former.").format(
                status=status)
        out["status"] = status
    if "owner_id" in data:
        out["owner_id"] = data.get("owner_id") or None
    if errors:
        raise ValidationError(errors)
    return out


def search_keys(name: str | None, company: str | None, email: str | None, phone: str | None) -> dict[str, Any]:
    return {
        "name_key": fold(name),
        "company_key": fold(company) or None,
        "email_key": fold(email) or None,
        "phone_digits": digits(phone) or None,
    }


def refresh_search_keys(customer: Customer, *, session: Session) -> None:
    """Recompute a customer's folded keys and search tokens (call after any contact change)."""
    for key, value in search_keys(customer.name, customer.company, customer.email, customer.phone).items():
        setattr(customer, key, value)
    session.flush()
    session.execute(delete(CustomerToken).where(CustomerToken.customer_id == customer.id))
    tokens = search_tokens(customer.name, customer.company, customer.email, customer.phone)
    if tokens:
        session.execute(insert(CustomerToken), [{"token": t, "customer_id": customer.id} for t in tokens])
