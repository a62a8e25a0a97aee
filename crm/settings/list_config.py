"""The ``lists`` section of the configuration file: every managed list's values, in order, with labels and state."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.core.access import Actor
from crm.core.errors import ValidationError
from crm.core.i18n import LANGUAGES, _
from crm.settings import list_admin
from crm.settings.config_file import Section, register
from crm.settings.lists import LISTS, MANAGED, Value, add_value, values
from db.models import ListValue


def _list_codes(session: Session, codes: tuple[str, ...]) -> list[str]:
    """The given built-in lists, then every other list that has values (a custom field's)."""
    stored = sorted(set(session.scalars(select(ListValue.list_code).distinct())) - set(LISTS))
    return [*codes, *stored] if codes == MANAGED else list(codes)


def export_values(session: Session, list_code: str) -> list[dict[str, Any]]:
    """A list as plain data: code, the labels an admin gave (none for an unchanged built-in value), state."""
    return [{"code": v.code, "labels": dict(v.labels), "active": v.active}
            for v in values(session, list_code, include_inactive=True, include_in_use=False)]


def export_lists(session: Session, codes: tuple[str, ...] = MANAGED) -> dict[str, Any]:
    return {code: export_values(session, code) for code in _list_codes(session, codes)}


def _problems(data: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(data, dict):
        return {"lists": _("The lists must be a mapping of list names to their values.")}
    for code, items in data.items():
        if code not in allowed and not str(code).startswith("custom:"):
            errors[str(code)] = _("“{name}” is not a list this version knows.").format(name=code)
            continue
        if not isinstance(items, list) or not all(isinstance(i, dict) and str(i.get("code") or "").strip()
                                                  for i in items):
            errors[str(code)] = _("Each value of “{name}” needs a code.").format(name=code)
            continue
        codes = [str(i["code"]) for i in items]
        if len(set(codes)) != len(codes):
            errors[str(code)] = _("“{name}” has a value twice.").format(name=code)
        for item in items:
            labels = item.get("labels") or {}
            if not isinstance(labels, dict) or set(labels) - set(LANGUAGES):
                errors[str(code)] = _("Labels are given per language: {languages}.").format(
                    languages=", ".join(LANGUAGES))
    return errors


def _current(session: Session, code: str) -> dict[str, Value]:
    return {v.code: v for v in values(session, code, include_inactive=True, include_in_use=False)}


def list_changes(session: Session, data: Any, allowed: tuple[str, ...] = MANAGED) -> list[str]:
    """What importing ``data`` would change, in words (values missing from the file are kept)."""
    errors = _problems(data, allowed)
    if errors:
        raise ValidationError(errors)
    out: list[str] = []
    for code, items in data.items():
        current = _current(session, code)
        name = _(LISTS[code].title) if code in LISTS else code
        for item in items:
            v = current.get(str(item["code"]))
            labels = {k: str(t) for k, t in (item.get("labels") or {}).items() if str(t).strip()}
            shown = labels.get("en") or str(item["code"])
            if v is None:
                out.append(_("{list}: add “{value}”").format(list=name, value=shown))
                continue
            if labels and labels != v.labels:
                out.append(_("{list}: rename “{old}” to “{new}”").format(list=name, old=v.label, new=shown))
            if bool(item.get("active", True)) != v.active:
                out.append((_("{list}: offer “{value}” again") if item.get("active", True)
                            else _("{list}: deactivate “{value}”")).format(list=name, value=v.label))
        order = [str(i["code"]) for i in items]
        kept = [c for c in current if c in order]
        if kept != [c for c in order if c in current]:
            out.append(_("{list}: new order").format(list=name))
    return out


def apply_lists(actor: Actor, data: Any, session: Session, allowed: tuple[str, ...] = MANAGED) -> None:
    """Apply ``data``: add the new values, rename, (de)activate and reorder (each step audited)."""
    list_changes(session, data, allowed)
    for code, items in data.items():
        current = _current(session, code)
        for item in items:
            value_code = str(item["code"])
            labels = {k: str(t) for k, t in (item.get("labels") or {}).items() if str(t).strip()}
            active = bool(item.get("active", True))
            v = current.get(value_code)
            if v is None:
                add_value(actor, code, labels or {"en": value_code}, code=value_code, session=session)
                if not active:
                    list_admin.set_active(actor, code, value_code, False, session=session)
                continue
            if labels.get("en") and labels != v.labels:
                list_admin.rename_value(actor, code, value_code, labels, session=session)
            if active != v.active:
                list_admin.set_active(actor, code, value_code, active, session=session)
        every = [v.code for v in values(session, code, include_inactive=True)]
        order = [str(i["code"]) for i in items]
        wanted = order + [c for c in every if c not in order]
        if wanted != every:
            list_admin.reorder_values(actor, code, wanted, session=session)


register(Section("lists", export_lists, list_changes, apply_lists, order=10))
