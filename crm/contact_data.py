"""Contact data rules shared by forms and imports: validation and normalisation.

``clean_customer_fields`` validates every field at once and returns the
normalised values, or raises ``ValidationError`` with one message per field.
Search keys and tokens are refreshed with ``refresh_search_keys``.
"""
from __future__ import annotations

from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from crm.errors import ValidationError
from crm.text import digits, fold, search_tokens
from db.models import Customer, CustomerToken

STATUSES = ("prospect", "customer", "former")
FIELDS = ("name", "company", "email", "phone", "address", "city", "country", "language", "status",
          "segment", "acquisition_source", "owner_id", "notes")
MAX_LENGTHS = {"name": 200, "company": 200, "email": 254, "city": 120, "segment": 60,
               "acquisition_source": 60}


def normalize_email(value: str | None) -> tuple[str | None, str | None]:
    """(normalised email or None, error message or None). No DNS look-ups."""
    value = (value or "").strip()
    if not value:
        return None, None
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, f"E-mail '{value}' is not valid: {exc}"
    return info.normalized, None


def normalize_phone(value: str | None, country: str | None = None) -> tuple[str | None, str | None]:
    """(E.164 phone or None, error or None). National numbers need the country."""
    value = (value or "").strip()
    if not value:
        return None, None
    region = (country or "").upper() or None
    candidate = value
    if region is None and not value.startswith("+") and not value.startswith("00"):
        return None, f"Phone '{value}' needs a country code (e.g. +62...) or a country."
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None, f"Phone '{value}' is not a phone number."
    if not phonenumbers.is_possible_number(parsed):
        return None, f"Phone '{value}' has the wrong number of digits."
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def normalize_country(value: str | None) -> tuple[str | None, str | None]:
    value = (value or "").strip().upper()
    if not value:
        return None, None
    if len(value) != 2 or not value.isalpha():
        return None, f"Country '{value}' must be a two-letter ISO code such as ID, BG or PK."
    if value not in phonenumbers.SUPPORTED_REGIONS:
        return None, f"Country '{value}' is not a known country code."
    return value, None


def clean_customer_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate and normalise customer fields; every problem is reported at once.

    With ``partial`` only the given keys are checked (for edits of a few fields).
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = set(data) - set(FIELDS)
    if unknown:
        errors["fields"] = f"Unknown fields: {', '.join(sorted(unknown))}."

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
                errors[key] = f"{key.replace('_', ' ').capitalize()} is longer than {limit} characters."
    if ("name" in data or not partial) and not out.get("name"):
        errors["name"] = "Name is required."

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
            errors["status"] = f"Status '{status}' is not allowed; use prospect, customer or former."
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
