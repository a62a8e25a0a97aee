"""Administering a list of values: rename, reorder, deactivate, merge, delete (admins, audited)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import NotFound, ValidationError
from crm.core.i18n import _, ngettext, number
from crm.settings.lists import (
    LISTS, MANAGED, Value, _ensure_referenced, clean_labels, column_of, label_errors, table_of, usage, values,
)
from db.models import ListValue


@dataclass(frozen=True)
class ListSummary:
    """A managed list on the admin page: its code, title and values (inactive ones too)."""

    code: str
    title: str
    values: list[Value]
    mergeable: bool = True


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved: records per "table.column"."""

    source: str
    target: str
    moved: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.moved.values())


def managed_lists(actor: Actor, *, codes: tuple[str, ...] = MANAGED, session: Session) -> list[ListSummary]:
    """The lists an admin manages, each with every value in order."""
    require(actor, "settings.manage")
    return [ListSummary(code, LISTS[code].title, values(session, code, include_inactive=True), LISTS[code].mergeable)
            for code in codes]


def _value(session: Session, list_code: str, code: str) -> Value:
    for v in values(session, list_code, include_inactive=True):
        if v.code == code:
            return v
    raise NotFound(_("“{value}” is not in this list.").format(value=code))


def _row(session: Session, list_code: str, v: Value) -> ListValue:
    """The ``list_values`` row of a value, made (same labels, position, state) for a built-in or in-use one."""
    if v.id is not None:
        row = session.get(ListValue, v.id)
        if row is not None:
            return row
    row = ListValue(list_code=list_code, code=v.code, labels=dict(v.labels), position=v.position, active=v.active)
    session.add(row)
    session.flush()
    return row


def _state(v: Value | ListValue) -> dict[str, object]:
    return {"code": v.code, "labels": dict(v.labels or {}), "position": v.position, "active": v.active}


def rename_value(actor: Actor, list_code: str, code: str, labels: dict[str, str], *, session: Session) -> Value:
    """Give a value new labels (the English one required; a label another value has is refused)."""
    require(actor, "settings.manage")
    current = _value(session, list_code, code)
    clean = clean_labels(labels)
    errors = label_errors(values(session, list_code, include_inactive=True), clean, skip=code)
    if errors:
        raise ValidationError(errors)
    return _change(session, actor, list_code, current, labels=clean)


def _change(session: Session, actor: Actor, list_code: str, current: Value, **changes: object) -> Value:
    """Set ``changes`` on the value's row (made when the value is a built-in one), audited before and after."""
    row = _row(session, list_code, current)
    before = _state(current)
    for name, value in changes.items():
        setattr(row, name, value)
    session.flush()
    audit.record(session, actor, "update", "list_value", row.id, before={"list": list_code, **before},
                 after={"list": list_code, **_state(row)})
    return _value(session, list_code, current.code)


def reorder_values(actor: Actor, list_code: str, codes: list[str], *, session: Session) -> list[Value]:
    """Put the list's values in the order of ``codes`` (every value of the list, once)."""
    require(actor, "settings.manage")
    current = values(session, list_code, include_inactive=True)
    if sorted(codes) != sorted(v.code for v in current):
        raise ValidationError({"order": _("Give every value of the list once: {values}.").format(
            values=", ".join(v.label for v in current))})
    by_code = {v.code: v for v in current}
    before = [v.code for v in current]
    for position, code in enumerate(codes, start=1):
        v = by_code[code]
        if v.position != position or v.id is None:
            _row(session, list_code, v).position = position
    session.flush()
    audit.record(session, actor, "update", "list_order", list_code, before={"order": before},
                 after={"order": list(codes)})
    return values(session, list_code, include_inactive=True)


def set_active(actor: Actor, list_code: str, code: str, active: bool, *, session: Session) -> Value:
    """Deactivate a value (records keep it, forms stop offering it) or offer it again."""
    require(actor, "settings.manage")
    current = _value(session, list_code, code)
    if not active and len([v for v in values(session, list_code) if v.code != code]) == 0:
        raise ValidationError({"active": _("A list needs at least one active value.")})
    return _change(session, actor, list_code, current, active=active)


def delete_value(actor: Actor, list_code: str, code: str, *, session: Session) -> str:
    """Delete a value nobody uses; a built-in value or one still in use is refused (deactivate or merge it)."""
    require(actor, "settings.manage")
    current = _value(session, list_code, code)
    if current.builtin:
        raise ValidationError({"code": _("“{value}” is built in: deactivate it instead.").format(
            value=current.label)})
    used = usage(session, list_code, code)
    if used:
        n = sum(used.values())
        raise ValidationError({"code": ngettext(
            "“{value}” is still used by {n} record: deactivate it, or merge it into another value.",
            "“{value}” is still used by {n} records: deactivate it, or merge it into another value.",
            n).format(value=current.label, n=number(n))})
    if current.id is not None:
        session.execute(delete(ListValue).where(ListValue.id == current.id))
    audit.record(session, actor, "delete", "list_value", current.id, before={"list": list_code, **_state(current)})
    return code


def merge_values(actor: Actor, list_code: str, source: str, target: str, *, session: Session) -> MergeResult:
    """Move every record holding ``source`` to ``target`` in one transaction; ``source`` leaves the list.

    A built-in ``source`` stays, inactive. Audited with the number of records moved per table.
    """
    require(actor, "settings.manage")
    spec = LISTS.get(list_code)
    errors: dict[str, str] = {}
    if spec is None or not spec.mergeable:
        errors["list"] = _("Values of this list cannot be merged: deactivate the one you no longer want.")
    if source == target:
        errors["target"] = _("Choose two different values.")
    if errors:
        raise ValidationError(errors)
    assert spec is not None
    src, dst = _value(session, list_code, source), _value(session, list_code, target)
    old: object = source
    new: object = target
    if spec.by_id:
        table = table_of(spec.by_id)
        old = session.execute(select(table.c.id).where(table.c.code == source)).scalar()
        new = _ensure_referenced(session, spec, target, dst.label_in("en"))
    moved: dict[str, int] = {}
    if old is not None:
        for path in spec.stored_in:
            col = column_of(path)
            n = session.execute(update(col.table).where(col == old).values({col.name: new})).rowcount or 0
            if n:
                moved[path] = int(n)
        for path, sums in spec.keyed:
            n = _merge_keyed(session, path, sums, old, new)
            if n:
                moved[path] = n
    before = {"list": list_code, "source": _state(src), "target": _state(dst)}
    if src.builtin:
        _row(session, list_code, src).active = False
    elif src.id is not None:
        session.execute(delete(ListValue).where(ListValue.id == src.id))
    session.flush()
    audit.record(session, actor, "merge", "list_value", dst.id or target, before=before,
                 after={"list": list_code, "source": source, "target": target, "moved": moved})
    return MergeResult(source, target, moved)


def _merge_keyed(session: Session, path: str, sums: tuple[str, ...], old: object, new: object) -> int:
    """Move a summary table's rows keyed by ``old`` to ``new``, adding up into rows that already exist."""
    col = column_of(path)
    table = col.table
    keys = [c for c in table.primary_key.columns if c.name != col.name]
    moved = 0
    for row in session.execute(select(table).where(col == old)).mappings().all():
        match = and_(col == new, *[k == row[k.name] for k in keys])
        existing = session.execute(select(table).where(match)).mappings().first()
        if existing is None:
            session.execute(update(table).where(col == old, *[k == row[k.name] for k in keys])
                            .values({col.name: new}))
        else:
            session.execute(update(table).where(match).values({s: existing[s] + row[s] for s in sums}))
            session.execute(delete(table).where(col == old, *[k == row[k.name] for k in keys]))
        moved += 1
    return moved


def list_titles() -> dict[str, str]:
    """Every built-in list's code and (untranslated) title."""
    return {code: spec.title for code, spec in LISTS.items()}

