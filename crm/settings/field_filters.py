"""Filters on custom fields for record lists: what a user chose, checked against the fields, turned into SQL.

A list service takes ``FieldFilter``s with its other filters and adds ``conditions(...)`` to its query; saved
views keep them as ``params()`` dicts, and the API reads ``custom.<code>=value`` query parameters with
``from_query``. Per type: choice and multiple choice pick values (``any_of``), yes/no ``equals``, number,
money and date a range (``at_least`` / ``at_most``), text types ``contains``; every type ``empty``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from crm.core.errors import ValidationError
from crm.core.i18n import _
from crm.settings.field_types import CHOICE_TYPES, FieldDef, clean_value
from crm.settings.field_values import record_filter
from crm.settings.fields import list_fields

RANGE_TYPES = frozenset({"number", "money", "date"})
TEXT_TYPES = frozenset({"text", "long_text", "email", "url"})
_KEYS = ("any_of", "equals", "at_least", "at_most", "contains", "empty")


@dataclass(frozen=True)
class FieldFilter:
    """One custom field's filter: the conditions given combine with AND (see ``record_filter``).

    Values may be written as a person or a file writes them (``clean_value`` reads them): ``"North"`` or
    ``"north"``, ``"1.500,00"``, ``"2027-03-31"``, ``"yes"``.
    """

    code: str
    any_of: tuple[Any, ...] = ()
    equals: Any = None
    at_least: Any = None
    at_most: Any = None
    contains: str | None = None
    empty: bool | None = None

    def params(self) -> dict[str, Any]:
        """JSON-friendly form (for saved views): the code and the conditions given, as text."""
        out: dict[str, Any] = {"code": self.code}
        if self.any_of:
            out["any_of"] = [str(v) for v in self.any_of]
        for key in ("equals", "at_least", "at_most"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value if isinstance(value, bool) else str(value)
        if self.contains:
            out["contains"] = self.contains
        if self.empty is not None:
            out["empty"] = bool(self.empty)
        return out

    @classmethod
    def from_params(cls, data: dict[str, Any]) -> "FieldFilter":
        return cls(code=str(data.get("code") or ""), any_of=tuple(data.get("any_of") or ()),
                   equals=data.get("equals"), at_least=data.get("at_least"), at_most=data.get("at_most"),
                   contains=data.get("contains") or None, empty=data.get("empty"))

    @property
    def given(self) -> bool:
        return bool(self.any_of or self.contains) or any(
            v is not None for v in (self.equals, self.at_least, self.at_most, self.empty))


def from_query(f: FieldDef, raw: str) -> FieldFilter:
    """A filter from one query parameter's text: choices comma-separated (any of), yes/no a word, a range as
    ``from..to`` (either end may be left out) or one value, text a piece to look for; ``(empty)`` for none."""
    raw = raw.strip()
    if raw in ("(empty)", "(none)"):
        return FieldFilter(f.code, empty=True)
    if f.type in CHOICE_TYPES:
        return FieldFilter(f.code, any_of=tuple(v.strip() for v in raw.split(",") if v.strip()))
    if f.type == "yes_no":
        return FieldFilter(f.code, equals=raw)
    if f.type in RANGE_TYPES:
        low, dots, high = raw.partition("..")
        if not dots:
            return FieldFilter(f.code, at_least=raw, at_most=raw)
        return FieldFilter(f.code, at_least=low.strip() or None, at_most=high.strip() or None)
    return FieldFilter(f.code, contains=raw)


def _clean(f: FieldDef, raw: Any, errors: dict[str, str]) -> Any:
    if raw is None:
        return None
    value, error = clean_value(f, raw, current=raw)
    if error:
        errors[f.code] = error
    return value


def conditions(session: Session, entity: str, filters: tuple[FieldFilter, ...] | list[FieldFilter],
               record_id: Any) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``record_id`` for these filters (active fields of ``entity``).

    ValidationError (every problem at once, keyed by field code) for an unknown field or a value the field
    cannot hold; a filter with nothing given adds nothing.
    """
    given = [flt for flt in filters if flt.given]
    if not given:
        return []
    fields = {f.code: f for f in list_fields(session, entity)}
    errors: dict[str, str] = {}
    out: list[ColumnElement[bool]] = []
    for flt in given:
        f = fields.get(flt.code)
        if f is None:
            errors[flt.code or "custom"] = _("There is no custom field '{code}' to filter by.").format(code=flt.code)
            continue
        kwargs: dict[str, Any] = {}
        if flt.any_of:
            codes: list[str] = []
            for raw in flt.any_of:
                value = _clean(f, [raw] if f.type == "multi_choice" else raw, errors)
                codes.extend(value if isinstance(value, list) else [value] if value is not None else [])
            kwargs["any_of"] = codes
        for key in ("equals", "at_least", "at_most"):
            value = _clean(f, getattr(flt, key), errors)
            if value is not None:
                kwargs[key] = value
        if flt.contains:
            kwargs["contains"] = flt.contains
        if flt.empty is not None:
            kwargs["empty"] = bool(flt.empty)
        out.append(record_filter(f, record_id, **kwargs))
    if errors:
        raise ValidationError(errors)
    return out
