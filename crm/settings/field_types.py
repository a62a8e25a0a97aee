"""Custom field types: the definition a service returns, how each type reads a value and how it is stored.

A value in Python is, per type: text / long_text / email / url / choice -> ``str`` (a choice stores the
code of its managed list's value), number / money -> ``Decimal``, date -> ``datetime.date``,
yes_no -> ``bool``, multi_choice -> ``list[str]`` of codes (in the list's order). ``None`` (or ``[]``) is
empty, and an empty value has no row in ``custom_values``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from crm.core.i18n import LANGUAGES, N_, Codes, _, get_language
from crm.core.i18n import date as format_date
from crm.core.i18n import number as format_number
from crm.core.text import fold
from crm.customers.contact_rules import plain_email
from crm.importing.cleaning import AmbiguousDate, CleaningError, clean_text, parse_amount, parse_date

ENTITIES = Codes("custom field entity", {"customers": N_("Customers"), "interactions": N_("Interactions")})
TYPES = Codes("custom field type", {
    "text": N_("Text"), "long_text": N_("Long text"), "number": N_("Number"), "money": N_("Money"),
    "date": N_("Date"), "yes_no": N_("Yes/no"), "choice": N_("Choice"), "multi_choice": N_("Multiple choice"),
    "email": N_("E-mail"), "url": N_("Web address (URL)")})
CHOICE_TYPES = frozenset({"choice", "multi_choice"})
TEXT_LIMIT = 500  # text, e-mail, URL (indexed column)
LONG_TEXT_LIMIT = 10_000
# Which column of custom_values holds each type.
COLUMN = {"text": "value_text", "email": "value_text", "url": "value_text", "choice": "value_text",
          "multi_choice": "value_text", "long_text": "value_long", "number": "value_number",
          "money": "value_number", "yes_no": "value_number", "date": "value_date"}
_YES = {"yes", "y", "true", "1", "ya", "да", "ہاں", "on", "x"}
_NO = {"no", "n", "false", "0", "tidak", "не", "نہیں", "off"}


@dataclass(frozen=True)
class Choice:
    """One value a choice field offers (or once offered: ``active`` False)."""

    code: str
    labels: dict[str, str]
    active: bool

    @property
    def label(self) -> str:
        return self.labels.get(get_language()) or self.labels.get("en") or self.code


@dataclass(frozen=True)
class FieldDef:
    """A custom field as services and pages use it.

    ``code`` is the key of its value in ``validate_values`` / ``values_of`` / ``set_values`` dicts and of its
    error in a ``ValidationError``; ``choices`` (choice types only) are its list's values in order, inactive
    ones included (``offered`` gives the active ones).
    """

    id: int
    entity: str
    code: str
    labels: dict[str, str]
    help: dict[str, str]
    type: str
    required: bool
    options: dict[str, Any]
    position: int
    active: bool
    version: int
    choices: tuple[Choice, ...] = field(default=())

    @property
    def label(self) -> str:
        """The label in the current language (English when it has none)."""
        return self.labels.get(get_language()) or self.labels.get("en") or self.code

    @property
    def help_text(self) -> str:
        """The help text in the current language (English when it has none; '' without help)."""
        return self.help.get(get_language()) or self.help.get("en") or ""

    @property
    def list_code(self) -> str | None:
        """The managed list of a choice field (``custom:<code>``), else None."""
        return self.options.get("list_code") if self.type in CHOICE_TYPES else None

    @property
    def column(self) -> str:
        """The ``custom_values`` column holding this field's values."""
        return COLUMN[self.type]

    @property
    def offered(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.active)

    def choice_label(self, code: str) -> str:
        """The label of a stored choice code (the code itself when the list no longer has it)."""
        return next((c.label for c in self.choices if c.code == code), code)


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset)):
        return not any(not is_empty(v) for v in value)
    return False


def clean_value(f: FieldDef, raw: Any, *, decimal_mark: str | None = None,
                current: Any = None) -> tuple[Any, str | None]:
    """(the value in its Python form or None when empty, error message or None) for one field.

    Accepts what a form widget gives (``date``, ``bool``, numbers, lists) and what a person types or a file
    holds (strings in any common format). ``current`` (the record's stored value) stays acceptable even when
    its choice has been deactivated since. ``required`` is checked by the caller (``validate_values``).
    """
    if is_empty(raw):
        return ([] if f.type == "multi_choice" else None), None
    try:
        return _READERS[f.type](f, raw, decimal_mark, current), None
    except CleaningError as exc:
        return None, exc.message


def _text(f: FieldDef, raw: Any, _mark: str | None, _current: Any) -> str:
    text = clean_text(str(raw), multiline=f.type == "long_text") or ""
    limit = LONG_TEXT_LIMIT if f.type == "long_text" else TEXT_LIMIT
    if len(text) > limit:
        raise CleaningError(_("{field} is longer than {limit} characters.").format(field=f.label, limit=limit))
    return text


def _email(f: FieldDef, raw: Any, _mark: str | None, _current: Any) -> str:
    value = str(raw).strip()
    plain = plain_email(value)
    if plain is not None:
        return plain
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise CleaningError(_("{field} '{value}' is not a valid e-mail address: {reason}").format(
            field=f.label, value=value, reason=exc)) from None


def _url(f: FieldDef, raw: Any, _mark: str | None, _current: Any) -> str:
    value = str(raw).strip()
    candidate = value if "://" in value else "https://" + value
    try:
        parts = urlsplit(candidate)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if (parts is None or parts.scheme.lower() not in {"http", "https"} or not host
            or ("." not in host and host != "localhost") or any(ch.isspace() for ch in candidate)):
        raise CleaningError(_("{field} '{value}' is not a web address; write it like https://example.com.").format(
            field=f.label, value=value))
    if len(candidate) > TEXT_LIMIT:
        raise CleaningError(_("{field} is longer than {limit} characters.").format(field=f.label, limit=TEXT_LIMIT))
    return candidate


def _decimal(f: FieldDef, raw: Any, mark: str | None) -> Decimal:
    if isinstance(raw, bool):
        raise CleaningError(_("{field}: '{value}' is not a number.").format(field=f.label, value=raw))
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    try:
        amount = parse_amount(str(raw), decimal_mark=mark)
    except CleaningError:
        raise CleaningError(_("{field}: '{value}' is not a number; write it like 1234.56 or 1.234,56.").format(
            field=f.label, value=str(raw).strip())) from None
    if amount is None:
        raise CleaningError(_("{field}: '{value}' is not a number.").format(field=f.label, value=raw))
    return amount


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _number(f: FieldDef, raw: Any, mark: str | None, _current: Any) -> Decimal:
    value = _decimal(f, raw, mark)
    decimals = f.options.get("decimals")
    if decimals is not None and _places(value) > int(decimals):
        raise CleaningError(_("{field} allows at most {decimals} decimal places ('{value}').").format(
            field=f.label, decimals=int(decimals), value=raw))
    low, high = f.options.get("min"), f.options.get("max")
    if low is not None and value < Decimal(str(low)):
        raise CleaningError(_("{field} must be at least {min} ('{value}').").format(field=f.label, min=low, value=raw))
    if high is not None and value > Decimal(str(high)):
        raise CleaningError(_("{field} must be at most {max} ('{value}').").format(field=f.label, max=high, value=raw))
    if abs(value) >= Decimal("1e14"):
        raise CleaningError(_("{field}: '{value}' is too large.").format(field=f.label, value=raw))
    return value.normalize() if _places(value) else value.quantize(Decimal(1))


def _money(f: FieldDef, raw: Any, mark: str | None, _current: Any) -> Decimal:
    value = _decimal(f, raw, mark)
    if _places(value) > 2:
        raise CleaningError(_("{field}: '{value}' has more than two decimal places.").format(field=f.label, value=raw))
    if abs(value) >= Decimal("1e12"):
        raise CleaningError(_("{field}: '{value}' is too large.").format(field=f.label, value=raw))
    return value.quantize(Decimal("0.01"))


def _date(f: FieldDef, raw: Any, _mark: str | None, _current: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        value = parse_date(str(raw))
    except AmbiguousDate:
        raise CleaningError(_("{field}: '{value}' could be day/month or month/day; write it like 1997-01-31.").format(
            field=f.label, value=str(raw).strip())) from None
    except CleaningError as exc:
        raise CleaningError(f"{f.label}: {exc.message}") from None
    if value is None:
        raise CleaningError(_("{field}: '{value}' is not a date.").format(field=f.label, value=raw))
    return value


def _yes_no(f: FieldDef, raw: Any, _mark: str | None, _current: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = fold(str(raw))
    if text in _YES or text == fold(_("Yes")):
        return True
    if text in _NO or text == fold(_("No")):
        return False
    raise CleaningError(_("{field}: '{value}' is neither yes nor no.").format(field=f.label, value=raw))


def _find_choice(f: FieldDef, raw: Any, current: Any) -> str:
    text = str(raw).strip()
    key = fold(text)
    kept = set(current) if isinstance(current, (list, tuple, set)) else {current}
    for choice in f.choices:
        if choice.code == text or key in {fold(v) for v in choice.labels.values() if v}:
            if choice.active or choice.code in kept:
                return choice.code
            raise CleaningError(_("{field}: '{value}' is no longer offered.").format(field=f.label, value=text))
    offered = ", ".join(c.label for c in f.offered)
    raise CleaningError(_("{field}: '{value}' is not one of the choices ({choices}).").format(
        field=f.label, value=text, choices=offered))


def _choice(f: FieldDef, raw: Any, _mark: str | None, current: Any) -> str:
    if isinstance(raw, (list, tuple, set)):
        items = [r for r in raw if not is_empty(r)]
        if len(items) > 1:
            raise CleaningError(_("{field} takes one choice only.").format(field=f.label))
        raw = items[0]
    return _find_choice(f, raw, current)


def _multi_choice(f: FieldDef, raw: Any, _mark: str | None, current: Any) -> list[str]:
    items = raw if isinstance(raw, (list, tuple, set)) else str(raw).replace(";", ",").split(",")
    codes: set[str] = set()
    problems: list[str] = []
    for item in items:
        if is_empty(item):
            continue
        try:
            codes.add(_find_choice(f, item, current))
        except CleaningError as exc:
            problems.append(exc.message)
    if problems:
        raise CleaningError(" ".join(problems))
    return [c.code for c in f.choices if c.code in codes]


_READERS = {"text": _text, "long_text": _text, "email": _email, "url": _url, "number": _number,
            "money": _money, "date": _date, "yes_no": _yes_no, "choice": _choice, "multi_choice": _multi_choice}


def storage_rows(f: FieldDef, value: Any) -> list[dict[str, Any]]:
    """The ``custom_values`` column values holding a clean value (no row when empty)."""
    if is_empty(value):
        return []
    if f.type == "multi_choice":
        return [{"value_text": code} for code in value]
    if f.type == "yes_no":
        return [{"value_number": Decimal(1 if value else 0)}]
    return [{f.column: value}]


def from_storage(f: FieldDef, stored: list[Any]) -> Any:
    """The Python value of a field from its stored column values (one per row)."""
    if f.type == "multi_choice":
        order = {c.code: i for i, c in enumerate(f.choices)}
        return sorted(set(stored), key=lambda code: (order.get(code, len(order)), code))
    if not stored:
        return None
    value = stored[0]
    if f.type == "yes_no":
        return bool(value)
    if f.type == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if f.type == "number":
        number = Decimal(value)
        return number.normalize() if _places(number) else number.quantize(Decimal(1))
    return value


def as_text(f: FieldDef, value: Any) -> str:
    """A value written out plainly (codes for choices, ISO dates, '.' decimal mark): read back by ``clean_value``."""
    if is_empty(value):
        return ""
    if f.type == "multi_choice":
        return ", ".join(value)
    if f.type == "yes_no":
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        try:
            return format(value.normalize(), "f")
        except InvalidOperation:
            return str(value)
    return str(value)


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values JSON-friendly (Decimal -> str, date -> ISO), for the audit trail and subject access files."""
    out: dict[str, Any] = {}
    for code, value in values.items():
        if isinstance(value, Decimal):
            out[code] = format(value, "f")
        elif isinstance(value, dt.date):
            out[code] = value.isoformat()
        else:
            out[code] = value
    return out


def shown(f: FieldDef, value: Any) -> str:
    """A value as a person reads it, in the current language ('' when empty): labels of choices, yes/no words,
    numbers, amounts and dates in the language's format."""
    if is_empty(value):
        return ""
    if f.type == "multi_choice":
        return ", ".join(f.choice_label(code) for code in value)
    if f.type == "choice":
        return f.choice_label(value)
    if f.type == "yes_no":
        return _("Yes") if value else _("No")
    if f.type == "money":
        return format_number(value, 2)
    if f.type == "number":
        return format_number(value, int(f.options.get("decimals", _places(Decimal(value)))))
    if f.type == "date":
        return format_date(value)
    return str(value)


def choices_from_lines(text: str) -> list[dict[str, str]]:
    """Choices typed one per line, each "English | Indonesian | Bulgarian | Urdu" (only English needed)."""
    out = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        labels = {lang: part for lang, part in zip(LANGUAGES, parts) if part}
        if labels:
            out.append(labels)
    return out
