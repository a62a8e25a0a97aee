"""Requirements register and stakeholders of the CRM project."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.settings.lists import is_offered
from crm.core.versions import load_for_edit
from crm.core.errors import ValidationError
from crm.core.i18n import N_, Codes, _, label_list
from crm.core.spreadsheet import csv_bytes
from crm.accounts.users import department_id
from db.models import BudgetLine, ChecklistItem, Department, Requirement, Stakeholder, User

# Codes are stored; the labels are marked here and shown with ``label(KINDS, code)``.
KINDS = Codes("requirement kind", {"functional": N_("Functional"), "technology": N_("Technology"),
                                   "vendor": N_("Vendor"), "operational": N_("Operational")})
# MoSCoW priorities
PRIORITIES = Codes("requirement priority", {"must": N_("Must"), "should": N_("Should"), "could": N_("Could"),
                                            "wont": N_("Won't")})
REQ_STATUSES = Codes("requirement status", {"proposed": N_("Proposed"), "agreed": N_("Agreed"),
                                            "in_progress": N_("In progress"), "met": N_("Met"),
                                            "dropped": N_("Dropped")})
INFLUENCE = Codes("stakeholder influence", {"low": N_("Low"), "medium": N_("Medium"), "high": N_("High")})
REQ_FIELDS = ("kind", "title", "description", "priority", "status", "owner_id", "company_goal",
              "estimated_cost", "checklist_item_id", "budget_line_id")


@dataclass(frozen=True)
class RequirementView:
    id: int
    kind: str
    title: str
    description: str | None
    priority: str
    status: str
    owner_id: int | None
    owner: str | None
    company_goal: str | None
    estimated_cost: Decimal | None
    checklist_item_id: int | None
    checklist_item: str | None
    budget_line_id: int | None
    budget_line: str | None
    version: int


def _clean(data: dict[str, Any], session: Session, current: Requirement | None = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = set(data) - set(REQ_FIELDS)
    if unknown:
        errors["fields"] = _("Unknown fields: {fields}.").format(fields=", ".join(sorted(unknown)))
    for key in ("title", "description", "company_goal"):
        if key in data:
            out[key] = " ".join(str(data[key] or "").split()) if key == "title" else (str(data[key] or "").strip() or None)
    if (current is None or "title" in data) and not out.get("title"):
        errors["title"] = _("Title is required.")
    for key, allowed, message in (("kind", KINDS, N_("Kind must be one of: {values}.")),
                                  ("priority", PRIORITIES, N_("Priority must be one of: {values}.")),
                                  ("status", REQ_STATUSES, N_("Status must be one of: {values}."))):
        if key in data or current is None:
            value = data.get(key) or {"kind": None, "priority": "should", "status": "proposed"}[key]
            if value not in allowed:
                errors[key] = _(message).format(values=label_list(allowed))
            out[key] = value
    if "estimated_cost" in data:
        raw = data["estimated_cost"]
        if raw in (None, ""):
            out["estimated_cost"] = None
        else:
            try:
                cost = Decimal(str(raw))
                if cost < 0:
                    raise InvalidOperation
                out["estimated_cost"] = cost
            except (InvalidOperation, ValueError):
                errors["estimated_cost"] = _("Estimated cost must be a non-negative amount.")
    for key, model, missing in (("owner_id", User, N_("The linked owner does not exist.")),
                                ("checklist_item_id", ChecklistItem, N_("The linked checklist item does not exist.")),
                                ("budget_line_id", BudgetLine, N_("The linked budget line does not exist."))):
        if key in data:
            value = data[key] or None
            if value is not None and session.get(model, value) is None:
                errors[key] = _(missing)  # a pick on the form: reported with the other field errors
            out[key] = value
    if errors:
        raise ValidationError(errors)
    return out


def _view(session: Session, r: Requirement) -> RequirementView:
    owner = session.get(User, r.owner_id) if r.owner_id else None
    item = session.get(ChecklistItem, r.checklist_item_id) if r.checklist_item_id else None
    line = session.get(BudgetLine, r.budget_line_id) if r.budget_line_id else None
    return RequirementView(r.id, r.kind, r.title, r.description, r.priority, r.status, r.owner_id,
                           owner.full_name if owner else None, r.company_goal, r.estimated_cost,
                           r.checklist_item_id, item.title if item else None, r.budget_line_id,
                           line.description if line else None, r.version)


def add_requirement(actor: Actor, data: dict[str, Any], *, session: Session) -> RequirementView:
    require(actor, "checklist.write")
    req = Requirement(**_clean(data, session))
    session.add(req)
    session.flush()
    audit.record(session, actor, "create", "requirement", req.id, after=audit.snapshot(req))
    return _view(session, req)


def update_requirement(actor: Actor, req_id: int, changes: dict[str, Any], expected_version: int, *,
                       session: Session) -> RequirementView:
    require(actor, "checklist.write")
    req = load_for_edit(session, Requirement, req_id, expected_version,
                        missing=_("That requirement no longer exists."),
                        changed=_("Someone changed this requirement while you were editing it. Reload and try again."))
    clean = _clean(changes, session, current=req)
    before = audit.snapshot(req)
    for key, value in clean.items():
        setattr(req, key, value)
    session.flush()
    b, a = audit.diff(before, audit.snapshot(req))
    if a:
        audit.record(session, actor, "update", "requirement", req.id, before=b, after=a)
    return _view(session, req)


def list_requirements(actor: Actor, *, kind: str | None = None, priority: str | None = None,
                      status: str | None = None, session: Session) -> list[RequirementView]:
    require(actor, "checklist.read")
    return _requirements(session, kind=kind, priority=priority, status=status)


def _requirements(session: Session, *, kind: str | None = None, priority: str | None = None,
                  status: str | None = None) -> list[RequirementView]:
    stmt = select(Requirement).order_by(Requirement.kind, Requirement.priority, Requirement.id)
    if kind:
        stmt = stmt.where(Requirement.kind == kind)
    if priority:
        stmt = stmt.where(Requirement.priority == priority)
    if status:
        stmt = stmt.where(Requirement.status == status)
    return [_view(session, r) for r in session.scalars(stmt)]


def export_requirements_csv(actor: Actor, *, kind: str | None = None, priority: str | None = None,
                            status: str | None = None, session: Session) -> bytes:
    """The requirements (filtered as ``list_requirements``) as a CSV file."""
    require(actor, "checklist.read")
    rows = _requirements(session, kind=kind, priority=priority, status=status)
    headers = ["id", "kind", "title", "description", "priority", "status", "owner", "company_goal",
               "estimated_cost", "checklist_item", "budget_line"]
    dicts = (asdict(r) for r in rows)
    return csv_bytes(headers, ([None if d[h] is None else str(d[h]) for h in headers] for d in dicts))


# ---------------------------------------------------------- stakeholders --


@dataclass(frozen=True)
class StakeholderView:
    id: int
    name: str
    department: str | None  # code
    title: str | None
    expectations: str | None
    needs: str | None
    influence: str
    consulted: bool
    consulted_on: Any


def add_stakeholder(actor: Actor, data: dict[str, Any], *, session: Session) -> StakeholderView:
    require(actor, "checklist.write")
    errors: dict[str, str] = {}
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors["name"] = _("Name is required.")
    influence = data.get("influence") or "medium"
    if influence not in INFLUENCE:
        errors["influence"] = _("Influence must be low, medium or high.")
    dept = data.get("department")
    if dept and not is_offered(session, "departments", dept):
        errors["department"] = _("Choose a known department.")
    if data.get("consulted") and not data.get("consulted_on"):
        errors["consulted_on"] = _("Give the date the stakeholder was consulted.")
    if errors:
        raise ValidationError(errors)
    s = Stakeholder(name=name, department_id=department_id(dept, session=session) if dept else None,
                    title=data.get("title") or None, expectations=data.get("expectations") or None,
                    needs=data.get("needs") or None, influence=influence,
                    consulted=bool(data.get("consulted")), consulted_on=data.get("consulted_on"))
    session.add(s)
    session.flush()
    audit.record(session, actor, "create", "stakeholder", s.id, after=audit.snapshot(s))
    return _stakeholders(session, only_id=s.id)[0]


def list_stakeholders(actor: Actor, *, session: Session) -> list[StakeholderView]:
    require(actor, "checklist.read")
    return _stakeholders(session)


def _stakeholders(session: Session, *, only_id: int | None = None) -> list[StakeholderView]:
    stmt = select(Stakeholder, Department.code).outerjoin(Department, Department.id == Stakeholder.department_id)
    if only_id:
        stmt = stmt.where(Stakeholder.id == only_id)
    return [StakeholderView(s.id, s.name, d, s.title, s.expectations, s.needs, s.influence, s.consulted,
                            s.consulted_on)
            for s, d in session.execute(stmt.order_by(Stakeholder.influence, Stakeholder.name))]

