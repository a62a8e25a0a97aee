"""Custom fields in imports: one mappable field per active custom field, its cells cleaned by the field's type,
its values written with the record (created at once, updated when they differ) and restored by a revert."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from crm.importing.cleaning import CleaningError
from crm.importing.kinds import Field
from crm.settings.field_types import FieldDef, clean_value, is_empty, plain, storage_rows
from crm.settings.field_values import set_values, values_of
from crm.settings.fields import list_fields
from db.models import CustomValue

PREFIX = "custom."


def import_fields(session: Session, entity: str) -> tuple[Field, ...]:
    """A ``Field`` per active custom field of ``entity``: named ``custom.<code>``, recognised by its label in any
    language or its code."""
    out = []
    for f in list_fields(session, entity):
        aliases = tuple(dict.fromkeys([*(v for v in f.labels.values() if v), f.code]))
        out.append(Field(PREFIX + f.code, f.label, type="custom", aliases=aliases, custom=f))
    return tuple(out)


def clean_cell(f: FieldDef, cell: str, decimal_mark: str | None) -> Any:
    """The value of one cell (None when empty), or CleaningError naming what is wrong."""
    value, error = clean_value(f, cell, decimal_mark=decimal_mark)
    if error:
        raise CleaningError(error)
    return None if is_empty(value) else value


def custom_of(values: dict[str, Any]) -> dict[str, Any]:
    """The custom values a cleaned row gives, by field code (empty cells give nothing: they never clear)."""
    return {k[len(PREFIX):]: v for k, v in values.items() if k.startswith(PREFIX) and not is_empty(v)}


def write_new(session: Session, entity: str, values: list[tuple[int, dict[str, Any]]]) -> None:
    """The custom values of records just created (record id, values by code), inserted at once."""
    by_code = {f.code: f for f in list_fields(session, entity)}
    rows = [{"field_id": by_code[code].id, "record_id": rid, **row}
            for rid, custom in values for code, value in custom.items() if code in by_code
            for row in storage_rows(by_code[code], value)]
    if rows:
        session.execute(insert(CustomValue), rows)


def changes(session: Session, entity: str, record_id: int, custom: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the custom values that ``custom`` would change on a record, JSON-friendly."""
    if not custom:
        return {}, {}
    old = plain(values_of(session, entity, [record_id])[record_id])
    new = plain(custom)
    keys = [k for k in new if old.get(k) != new[k]]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def apply(session: Session, entity: str, record_id: int, custom: dict[str, Any], keys: Any) -> None:
    """Store the values of ``keys`` from ``custom`` on a record."""
    set_values(session, entity, record_id, {k: custom[k] for k in keys})


def restore(session: Session, entity: str, record_id: int, before: dict[str, Any]) -> None:
    """Put back the custom values an update replaced (as ``changes`` gave them: None for no value)."""
    fields = {f.code: f for f in list_fields(session, entity, include_inactive=True)}
    clean: dict[str, Any] = {}
    for code, value in before.items():
        if code in fields:
            clean[code] = clean_value(fields[code], value, current=value)[0]
    set_values(session, entity, record_id, clean)


def missing_required(session: Session, entity: str, state: dict[str, Any], row: int) -> str:
    """What a row creating a record lacks of the required custom fields ('' when nothing), as a reason."""
    from crm.core.i18n import _

    if "required_custom" not in state:
        state["required_custom"] = [f for f in list_fields(session, entity) if f.required]
    given = state.get("custom_rows", {}).get(row, {})
    return "; ".join(_("{field} is required.").format(field=f.label) for f in state["required_custom"]
                     if is_empty(given.get(f.code)))
