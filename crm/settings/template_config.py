"""The ``templates`` section of the configuration file: the checklist template and the budget categories."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crm.core.access import Actor
from crm.core.errors import ValidationError
from crm.core.i18n import _
from crm.settings.config_file import Section, register
from crm.settings.list_config import apply_lists, export_lists, list_changes
from crm.settings.templates import (
    FIELDS, add_template_item, template_rows, update_template_item,
)

TEMPLATE_LISTS = ("budget_categories", "checklist_categories")
ITEM_FIELDS = ("key", *FIELDS)


def export_templates(session: Session) -> dict[str, Any]:
    items = [{f: getattr(t, f) for f in ITEM_FIELDS} for t in template_rows(session, include_inactive=True)]
    return {"checklist": items, "lists": export_lists(session, TEMPLATE_LISTS)}


def _split(data: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if not isinstance(data, dict) or set(data) - {"checklist", "lists"}:
        raise ValidationError({"templates": _("The templates must hold “checklist” and “lists”.")})
    items = data.get("checklist") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("key") for i in items):
        raise ValidationError({"checklist": _("Each checklist template item needs a key.")})
    return items, data.get("lists") or {}


def template_changes(session: Session, data: Any) -> list[str]:
    """What importing ``data`` would change, in words (items missing from the file are kept)."""
    items, lists = _split(data)
    out = list_changes(session, lists, TEMPLATE_LISTS)
    current = {t.key: t for t in template_rows(session, include_inactive=True)}
    for item in items:
        t = current.get(str(item["key"]))
        if t is None:
            out.append(_("Checklist template: add “{title}”").format(title=item.get("title") or item["key"]))
            continue
        changed = [f for f in FIELDS if f in item and f != "position" and item[f] != getattr(t, f)]
        if changed:
            out.append(_("Checklist template: change “{title}” ({fields})").format(
                title=t.title, fields=", ".join(changed)))
    return out


def apply_templates(actor: Actor, data: Any, session: Session) -> None:
    """Apply ``data``: new template items added, changed ones updated (each audited), then the lists."""
    items, lists = _split(data)
    template_changes(session, data)
    apply_lists(actor, lists, session, TEMPLATE_LISTS)
    current = {t.key: t for t in template_rows(session, include_inactive=True)}
    for item in items:
        t = current.get(str(item["key"]))
        fields = {f: item[f] for f in FIELDS if f in item}
        if t is None:
            made = add_template_item(actor, {k: v for k, v in fields.items() if k != "active"},
                                     key=str(item["key"]), session=session)
            if fields.get("active") is False:
                update_template_item(actor, made.id, {"active": False}, session=session)
            continue
        changed = {f: v for f, v in fields.items() if v != getattr(t, f)}
        if changed:
            update_template_item(actor, t.id, changed, session=session)


register(Section("templates", export_templates, template_changes, apply_templates, order=30))
