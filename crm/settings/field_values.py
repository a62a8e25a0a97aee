"""Custom field values: validated with the record's built-in fields, saved with it, read in one query, filtered in SQL.

The record's own service calls these inside its transaction (its ``require`` and its audit cover them):

    clean, errors = validate_values(session, "customers", raw)       # every error at once, keyed by code
    set_values(session, "customers", customer.id, clean)             # after the record has its id
    values_of(session, "customers", [ids])                           # {id: {code: value}}
    stmt.where(record_filter(field, Customer.id, any_of=["north"]))  # a list filter, through an index
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from crm.core.i18n import _
from crm.settings.field_types import FieldDef, clean_value, from_storage, is_empty, storage_rows
from crm.settings.fields import list_fields
from db.models import CustomField, CustomValue

__all__ = ["validate_values", "values_of", "set_values", "delete_values", "record_filter"]


def validate_values(session: Session, entity: str, raw: dict[str, Any], *, partial: bool = False,
                    current: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """(clean values by code, error message by code) for the entity's active custom fields.

    Every problem is reported at once, with messages like the built-in fields'. Without ``partial`` a
    required field missing from ``raw`` is an error (a create form); with it only the codes given are
    checked (an edit of a few fields). ``current`` (the record's stored values) keeps a choice that has
    since been deactivated acceptable. Codes of unknown or inactive fields are an error under ``fields``.
    """
    fields = {f.code: f for f in list_fields(session, entity)}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        errors["fields"] = _("Unknown fields: {fields}.").format(fields=", ".join(unknown))
    for code, f in fields.items():
        if code not in raw and partial:
            continue
        value, error = clean_value(f, raw.get(code), current=(current or {}).get(code))
        if error:
            errors[code] = error
        elif f.required and is_empty(value):
            errors[code] = _("{field} is required.").format(field=f.label)
        else:
            clean[code] = value
    return clean, errors


def _fields(session: Session, entity: str) -> dict[int, FieldDef]:
    return {f.id: f for f in list_fields(session, entity, include_inactive=True)}


# the values of some records (every list, profile and API read): built once, in Core
_values = CustomValue.__table__
_VALUES = (select(_values.c.record_id, _values.c.field_id, _values.c.value_text, _values.c.value_long,
                  _values.c.value_number, _values.c.value_date)
           .where(_values.c.record_id.in_(bindparam("ids", expanding=True)),
                  _values.c.field_id.in_(bindparam("fields", expanding=True)))
           .order_by(_values.c.id))


def values_of(session: Session, entity: str, record_ids: Iterable[int], *,
              include_inactive: bool = False) -> dict[int, dict[str, Any]]:
    """{record id: {code: value}} of the records' custom field values, in one query.

    Every asked-for record is in the answer (``{}`` when it has none); active fields only unless asked; a
    field without a value is absent from its record's dict (a multiple choice without one too).
    """
    ids = list(dict.fromkeys(record_ids))
    out: dict[int, dict[str, Any]] = {rid: {} for rid in ids}
    fields = {fid: f for fid, f in _fields(session, entity).items() if include_inactive or f.active}
    if not ids or not fields:
        return out
    stored: dict[tuple[int, int], list[Any]] = {}
    for start in range(0, len(ids), 10_000):
        rows = session.execute(_VALUES, {"ids": ids[start:start + 10_000], "fields": list(fields)})
        for rid, fid, text, long, number, date in rows:
            f = fields[fid]
            value = {"value_text": text, "value_long": long, "value_number": number, "value_date": date}[f.column]
            stored.setdefault((rid, fid), []).append(value)
    for (rid, fid), values in stored.items():
        f = fields[fid]
        out[rid][f.code] = from_storage(f, values)
    return out


def set_values(session: Session, entity: str, record_id: int, clean: dict[str, Any]) -> None:
    """Store clean values (from ``validate_values``) on one record: each code given replaces the field's value
    (an empty value removes it); codes not given are left as they are. No audit: the caller's record audit
    includes the values (``field_types.plain`` makes them JSON-friendly)."""
    by_code = {f.code: f for f in _fields(session, entity).values()}
    targets = [by_code[code] for code in clean if code in by_code]
    if not targets:
        return
    session.execute(delete(CustomValue).where(CustomValue.record_id == record_id,
                                              CustomValue.field_id.in_([f.id for f in targets])))
    rows = [{"field_id": f.id, "record_id": record_id, **row} for f in targets for row in storage_rows(f, clean[f.code])]
    if rows:
        session.execute(insert(CustomValue), rows)


def delete_values(session: Session, entity: str, record_ids: Iterable[int]) -> int:
    """Remove every custom value (active and inactive fields) of the records, e.g. on erasure; returns rows removed."""
    ids = list(record_ids)
    field_ids = select(CustomField.id).where(CustomField.entity == entity)
    removed = 0
    for start in range(0, len(ids), 10_000):
        result = session.execute(delete(CustomValue).where(CustomValue.record_id.in_(ids[start:start + 10_000]),
                                                           CustomValue.field_id.in_(field_ids)))
        removed += result.rowcount or 0  # type: ignore[attr-defined]
    return removed


def _stored(f: FieldDef, value: Any) -> Any:
    """A filter value in its column's form (choice codes as they are; yes/no as 1/0)."""
    if f.type == "yes_no":
        return Decimal(1 if value else 0)
    if f.column == "value_number" and not isinstance(value, Decimal):
        return Decimal(str(value))
    if f.column == "value_date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def record_filter(f: FieldDef, record_id: Any, *, equals: Any = None, any_of: Iterable[Any] | None = None,
                  at_least: Any = None, at_most: Any = None, contains: str | None = None,
                  empty: bool | None = None) -> ColumnElement[bool]:
    """A condition on ``record_id`` (e.g. ``Customer.id``) keeping the records whose value of ``f`` matches.

    ``equals`` one value, ``any_of`` several (a multiple choice matches when any chosen value is among them),
    ``at_least`` / ``at_most`` a range (numbers, money, dates), ``contains`` a piece of text (case-insensitive,
    not indexed), ``empty`` True for records without a value (False: with one). The conditions given combine
    with AND. Values are Python values as ``values_of`` gives them (choice codes, Decimal, date, bool).
    The subquery runs on the index (field_id, value, record_id), so it stays fast at a million records.
    """
    column = CustomValue.__table__.c[f.column]
    base = select(CustomValue.record_id).where(CustomValue.field_id == f.id)
    conditions: list[ColumnElement[bool]] = []
    if empty is not None:
        has = record_id.in_(base)
        conditions.append(~has if empty else has)
    matches = []
    if equals is not None:
        matches.append(column == _stored(f, equals))
    if any_of is not None:
        matches.append(column.in_([_stored(f, v) for v in any_of]))
    if at_least is not None:
        matches.append(column >= _stored(f, at_least))
    if at_most is not None:
        matches.append(column <= _stored(f, at_most))
    if contains:
        matches.append(column.ilike("%" + contains.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\"))
    if f.type == "multi_choice" or len(matches) <= 1:
        conditions.extend(record_id.in_(base.where(m)) for m in matches)
    else:
        conditions.append(record_id.in_(base.where(*matches)))
    if not conditions:
        return record_id.is_not(None)
    out = conditions[0]
    for c in conditions[1:]:
        out = out & c
    return out
