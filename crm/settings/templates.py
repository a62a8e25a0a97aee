"""The rollout checklist template a new project starts from (admins edit it; a running checklist never changes).

Seeded from the built-in template (``crm.rollout.checklist.TEMPLATE`` and ``MAINTENANCE``) the first time it
is read. The budget categories are the managed list ``budget_categories`` (``crm.settings.lists``); a new plan
copies them (``crm.budget.plans.create_plan``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import NotFound, ValidationError
from crm.core.i18n import _, label_list
from crm.settings.lists import code_for, values
from db.models import ChecklistTemplateItem

FIELDS = ("phase", "category", "title", "days", "recurrence_months", "certification", "owner_department",
          "position", "active")


@dataclass(frozen=True)
class TemplateItem:
    """One item of the checklist template."""

    id: int
    key: str
    phase: str
    category: str
    title: str
    days: int | None
    recurrence_months: int | None
    certification: bool
    owner_department: str | None
    position: int
    active: bool
    version: int


def _view(row: ChecklistTemplateItem) -> TemplateItem:
    return TemplateItem(row.id, row.key, row.phase, row.category, row.title, row.days, row.recurrence_months,
                        bool(row.certification), row.owner_department, row.position, bool(row.active), row.version)


def seed_template(session: Session) -> None:
    """Fill the template from the built-in one when it is empty (no audit: nobody changed anything)."""
    if session.scalar(select(func.count()).select_from(ChecklistTemplateItem)):
        return
    from crm.rollout.checklist import MAINTENANCE, TEMPLATE
    position = 0
    for key, phase, category, title, days in TEMPLATE:
        position += 1
        session.add(ChecklistTemplateItem(key=key, phase=phase, category=category, title=title, days=days,
                                          certification=False, position=position, active=True))
    for key, title, category, months, cert in MAINTENANCE:
        position += 1
        session.add(ChecklistTemplateItem(key=key, phase="maintenance", category=category, title=title,
                                          recurrence_months=months, certification=cert, position=position,
                                          active=True))
    session.flush()


def template_rows(session: Session, *, include_inactive: bool = False) -> list[TemplateItem]:
    """The template's items in order (seeded first when empty); for services that checked their capability."""
    seed_template(session)
    stmt = select(ChecklistTemplateItem).order_by(ChecklistTemplateItem.position, ChecklistTemplateItem.id)
    if not include_inactive:
        stmt = stmt.where(ChecklistTemplateItem.active.is_(True))
    return [_view(r) for r in session.scalars(stmt)]


def checklist_template(actor: Actor, *, session: Session) -> list[TemplateItem]:
    """Every item of the checklist template, inactive ones too."""
    require(actor, "settings.manage")
    return template_rows(session, include_inactive=True)


def _check(session: Session, data: dict[str, Any]) -> dict[str, str]:
    from crm.rollout.checklist import PHASES
    errors: dict[str, str] = {}
    unknown = set(data) - set(FIELDS)
    if unknown:
        errors["fields"] = _("Unknown fields: {fields}.").format(fields=", ".join(sorted(unknown)))
    if "phase" in data and data["phase"] not in PHASES:
        errors["phase"] = _("Phase must be one of: {values}.").format(values=label_list(PHASES))
    if "category" in data:
        cats = values(session, "checklist_categories")
        if data["category"] not in {v.code for v in cats}:
            errors["category"] = _("Category must be one of: {values}.").format(
                values=", ".join(v.label for v in cats))
    if "title" in data and not str(data["title"] or "").strip():
        errors["title"] = _("Title is required.")
    if "title" in data and len(str(data["title"] or "")) > 300:
        errors["title"] = _("A title has at most {n} characters.").format(n=300)
    days = data.get("days")
    if days is not None and (not isinstance(days, int) or not 0 <= days <= 3650):
        errors["days"] = _("Days from the project start must be between 0 and 3650.")
    months = data.get("recurrence_months")
    if months is not None and (not isinstance(months, int) or not 1 <= months <= 60):
        errors["recurrence_months"] = _("Recurrence must be between 1 and 60 months.")
    dept = data.get("owner_department")
    if dept and dept not in {v.code for v in values(session, "departments")}:
        errors["owner_department"] = _("Choose one of the departments.")
    return errors


def add_template_item(actor: Actor, data: dict[str, Any], *, key: str | None = None,
                      session: Session) -> TemplateItem:
    """Add an item at the end of the template (``key``: kept as given, when free); every problem at once."""
    require(actor, "settings.manage")
    seed_template(session)
    data = {"phase": data.get("phase"), "category": data.get("category"), "title": data.get("title"), **data}
    errors = _check(session, data)
    if data.get("phase") == "maintenance" and data.get("recurrence_months") is None \
            and "recurrence_months" not in errors:
        errors["recurrence_months"] = _("A maintenance item needs a recurrence in months.")
    if errors:
        raise ValidationError(errors)
    base = (key or code_for(str(data["title"])))[:50] or "item"
    taken = set(session.scalars(select(ChecklistTemplateItem.key)))
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    position = (session.scalar(select(func.max(ChecklistTemplateItem.position))) or 0) + 1
    row = ChecklistTemplateItem(key=key, phase=data["phase"], category=data["category"],
                                title=" ".join(str(data["title"]).split()), days=data.get("days"),
                                recurrence_months=data.get("recurrence_months"),
                                certification=bool(data.get("certification")),
                                owner_department=data.get("owner_department") or None,
                                position=data.get("position") or position, active=True)
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "checklist_template_item", row.id, after=audit.snapshot(row))
    return _view(row)


def update_template_item(actor: Actor, item_id: int, changes: dict[str, Any], *, session: Session) -> TemplateItem:
    """Change a template item (a running checklist keeps its own copy; only new projects see the change)."""
    require(actor, "settings.manage")
    row = session.get(ChecklistTemplateItem, item_id)
    if row is None:
        raise NotFound(_("That template item no longer exists."))
    errors = _check(session, changes)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(row)
    for key, value in changes.items():
        if key == "title":
            value = " ".join(str(value).split())
        if key == "owner_department":
            value = value or None
        setattr(row, key, value)
    session.flush()
    audit.record(session, actor, "update", "checklist_template_item", row.id, before=before,
                 after=audit.snapshot(row))
    return _view(row)
