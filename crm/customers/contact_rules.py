"""Contact data rules shared by forms and imports: validation, normalisation, search keys and tokens.

``clean_customer_fields`` validates every field at once and returns the
normalised values, or raises ``ValidationError`` with one message per field.
Phones are read by ``crm.customers.phones``. Search keys and tokens are
refreshed with ``refresh_search_keys``.
"""
from __future__ import annotations

import re
from typing import Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from crm.core.errors import ValidationError
from crm.core.i18n import N_, Codes, _, label
from crm.core.text import digits, fold, folded_words, words
from crm.customers.phones import national_digits, normalize_phone
from crm.importing.cleaning import CleaningError, clean_text, country_code
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
    domain in lower case, and no full validation is needed. Anything else (quoted or
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


def normalize_country(value: str | None) -> tuple[str | None, str | None]:
    """(ISO alpha-2 code or None, error message or None) for a country written as a code or a name.

    Anything ``country_code`` reads: "id", "IDN", "Indonesia", "България", "پاکستان"...
    """
    try:
        return country_code(value), None
    except CleaningError:
        return None, _("Country '{value}' is neither a country name nor an ISO code such as ID, BG or PK.").format(
            value=clean_text(value))


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
        return None if value is None else clean_text(str(value), multiline=key in {"notes", "address"})

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


def search_tokens(name: str | None, company: str | None, email: str | None, phone: str | None) -> set[str]:
    """Everything the search box should find a customer by, as prefix-searchable tokens."""
    return search_tokens_of_keys(search_keys(name, company, email, phone), phone)


# Tokens of the e-mail and phone start with this mark: the search of someone who may not see contact details
# never reaches them (a query cannot contain it), so typing growing prefixes tells nothing about them.
CONTACT_MARK = "\x1f"


def search_tokens_of_keys(keys: dict[str, Any], phone: str | None) -> set[str]:
    """``search_tokens`` from a customer's ``search_keys`` (already folded) and stored phone.

    The words of the name and company; then, marked with ``CONTACT_MARK``, the e-mail and the words
    before its @, the phone's digits and its national number (found when typed without the country code).
    """
    tokens: set[str] = set(folded_words(f"{keys['name_key'] or ''} {keys['company_key'] or ''}"))
    contact: set[str] = set()
    email_key = keys["email_key"]
    if email_key:
        contact.add(email_key)
        contact.update(words(email_key.split("@", 1)[0]))
    phone_digits = keys["phone_digits"]
    if phone_digits:
        contact.add(phone_digits)
        national = national_digits(phone)
        if national:
            contact.add(national)
    return {t[:120] for t in tokens if t} | {(CONTACT_MARK + t)[:120] for t in contact if t}


def refresh_search_keys(customer: Customer, *, session: Session) -> None:
    """Recompute a customer's folded keys and search tokens (call after any contact change)."""
    for key, value in search_keys(customer.name, customer.company, customer.email, customer.phone).items():
        setattr(customer, key, value)
    session.flush()
    session.execute(delete(CustomerToken).where(CustomerToken.customer_id == customer.id))
    tokens = search_tokens(customer.name, customer.company, customer.email, customer.phone)
    if tokens:
        session.execute(insert(CustomerToken), [{"token": t, "customer_id": customer.id} for t in tokens])
