"""The CRM rollout checklist: template, item rules, progress, sign-off, recurring maintenance.

Readiness score (shown on the page): the share of pre-implementation items that
are closed (done or not applicable), minus 5 points per blocked item and 2 per
overdue item anywhere in the project, bounded to 0..100.

Measured items: a template item whose state the portal knows (a budget plan approved, an import that
succeeded, every active user signed in) follows that state instead of being ticked by hand: it is done
while the state holds and open again when it stops holding (``MEASURED``). Closing it by hand as not
applicable stays possible.

Recurrence: completing a recurring maintenance item records who and when, and
adds the next occurrence (same title, due ``recurrence_months`` after the
completion date, expiry moved on for certifications); the completed one stays
as history.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, can, require
from crm.core.versions import load_for_edit
from crm.core.errors import ConflictError, NotFound, ValidationError
from crm.core.i18n import N_, Codes, _, label, label_list, ngettext, number
from db.models import BudgetPlan, ChecklistItem, ImportBatch, PhaseSignoff, User
from db.types import utcnow
from crm.webhooks import events as webhooks

# Codes are stored; the labels are marked here and shown with ``label(PHASES, code)``.
PHASES = Codes("rollout phase", {"pre_implementation": N_("Pre-implementation"), "rollout": N_("Rollout"),
                                 "maintenance": N_("Maintenance")})
CATEGORIES = Codes("checklist category", {"technical": N_("Technical"), "human": N_("Human"), "data": N_("Data"),
                                          "vendor": N_("Vendor"), "maintenance": N_("Maintenance")})
STATUSES = Codes("checklist status", {"todo": N_("To do"), "in_progress": N_("In progress"),
                                      "blocked": N_("Blocked"), "done": N_("Done"),
                                      "not_applicable": N_("Not applicable")})
CLOSED = ("done", "not_applicable")
EDITABLE = ("title", "description", "category", "owner_id", "start_on", "due_on", "status", "blocked_reason",
            "notes", "evidence", "expires_on", "recurrence_months")

# (key, phase, category, title, days from project start to due). The titles are stored as data in English;
# the page shows them with _(title), so a template title appears translated and a title typed by a user as is.
TEMPLATE: list[tuple[str, str, str, str, int]] = [
    ("data_evaluation", "pre_implementation", "data", N_("Evaluate the data available and its quality"), 14),
    ("systems_evaluation", "pre_implementation", "technical",
     N_("Evaluate existing systems' technology and integration effort"), 21),
    ("migration_plan", "pre_implementation", "data",
     N_("Plan data cleaning and migration from departmental sources"), 28),
    ("executive_sponsor", "pre_implementation", "human", N_("Name the executive sponsor"), 7),
    ("stakeholders", "pre_implementation", "human", N_("List stakeholders and their expectations"), 14),
    ("training_plan", "pre_implementation", "human", N_("Plan training and motivation for staff"), 35),
    ("vendor_requirements", "pre_implementation", "vendor", N_("Vendor and technology requirements agreed"), 30),
    ("timeline", "pre_implementation", "technical", N_("Timeline agreed"), 21),
    ("budget_approved", "pre_implementation", "vendor", N_("Budget approved (see the Budget page)"), 42),
    ("pilot", "rollout", "technical", N_("Pilot with one department"), 70),
    ("migration_run", "rollout", "data", N_("Migrate and clean the departmental data"), 84),
    ("train_staff", "rollout", "human", N_("Train every department's staff"), 98),
    ("go_live", "rollout", "technical", N_("Go live for all departments"), 112),
]
# Template items the portal measures: key -> (what the item follows, the rule), shown translated by the page.
MEASURED: dict[str, tuple[str, str]] = {
    "budget_approved": (N_("follows the budget plan"),
                        N_("Done while an approved budget plan exists for this year.")),
    "migration_run": (N_("follows the imports"), N_("Done once an import has succeeded (and was not undone).")),
    "train_staff": (N_("follows sign-ins"), N_("Done once every active user has signed in.")),
}
# (key, title, category, months between occurrences, is a certification with expiry)
MAINTENANCE: list[tuple[str, str, str, int, bool]] = [
    ("upgrade", N_("Apply platform and library upgrades"), "technical", 3, False),
    ("certification", N_("Renew the security certification"), "vendor", 12, True),
    ("backup_review", N_("Review backups and test a restore"), "maintenance", 1, False),
    ("access_review", N_("Review user access and roles"), "maintenance", 3, False),
]


@dataclass(frozen=True)
class ItemView:
    id: int
    phase: str
    category: str
    title: str
    description: str | None
    owner_id: int | None
    owner: str | None
    start_on: dt.date | None
    due_on: dt.date | None
    status: str
    blocked_reason: str | None
    notes: str | None
    evidence: str | None
    completed_by: str | None
    completed_at: dt.datetime | None
    recurrence_months: int | None
    expires_on: dt.date | None
    overdue: bool
    version: int
    measured_by: tuple[str, str] | None = None  # MEASURED (what it follows, the rule; msgids) or None: by hand


@dataclass(frozen=True)
class SignOffState:
    """Whether the actor may sign a phase off now and, when not, why (in words)."""

    phase: str
    available: bool
    reason: str | None


@dataclass(frozen=True)
class PhaseProgress:
    phase: str
    total: int
    closed: int
    blocked: int
    overdue: int
    percent: int
    signed_off: bool
    signed_by: str | None
    signed_at: dt.datetime | None


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _plan_approved(session: Session, year: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(BudgetPlan).where(
        BudgetPlan.fiscal_year == year, BudgetPlan.status == "approved", BudgetPlan.superseded.is_(False))))


def _import_succeeded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(ImportBatch).where(
        ImportBatch.reverted_at.is_(None), (ImportBatch.status == "done") | ImportBatch.status.is_(None))))


def _everyone_signed_in(session: Session) -> bool:
    active = session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0
    never = session.scalar(select(func.count()).select_from(User).where(
        User.active.is_(True), User.last_login_at.is_(None))) or 0
    return active > 0 and never == 0


def _measure(session: Session, today: dt.date) -> dict[str, bool]:
    """The state each measured item follows, read once per call."""
    return {"budget_approved": _plan_approved(session, today.year), "migration_run": _import_succeeded(session),
            "train_staff": _everyone_signed_in(session)}


def _status(item: ChecklistItem, measured: dict[str, bool]) -> str:
    """The status shown and counted: a measured item is done while its state holds, open again when not."""
    key = item.template_key
    if key not in measured or item.status == "not_applicable":
        return item.status
    if measured[key]:
        return "done"
    return "todo" if item.status == "done" else item.status


def _view(session: Session, item: ChecklistItem, today: dt.date,
          measured: dict[str, bool] | None = None) -> ItemView:
    measured = _measure(session, today) if measured is None else measured
    status = _status(item, measured)
    is_measured = item.template_key in measured
    owner = session.get(User, item.owner_id) if item.owner_id else None
    done_by = session.get(User, item.completed_by_id) if item.completed_by_id else None
    return ItemView(
        id=item.id, phase=item.phase, category=item.category, title=item.title, description=item.description,
        owner_id=item.owner_id, owner=owner.full_name if owner else None, start_on=item.start_on,
        due_on=item.due_on, status=status, blocked_reason=item.blocked_reason, notes=item.notes,
        evidence=item.evidence, completed_by=None if is_measured else (done_by.full_name if done_by else None),
        completed_at=None if is_measured else item.completed_at, recurrence_months=item.recurrence_months,
        expires_on=item.expires_on, overdue=bool(item.due_on and item.due_on < today and status not in CLOSED),
        version=item.version, measured_by=MEASURED.get(item.template_key or ""),
    )


def start_project(actor: Actor, *, start: dt.date | None = None, session: Session) -> int:
    """Copy the current checklist template (``crm.settings.templates``) into the checklist (each item once).

    The checklist keeps its own copy: a later template change only reaches projects started after it.
    """
    require(actor, "checklist.write")
    from crm.settings.templates import template_rows
    start = _today(start)
    existing = set(session.scalars(select(ChecklistItem.template_key).where(ChecklistItem.template_key.is_not(None))))
    owners: dict[str, int | None] = {}
    created = 0
    for order, t in enumerate(template_rows(session)):
        if t.key in existing:
            continue
        if t.owner_department and t.owner_department not in owners:
            owners[t.owner_department] = _department_owner(session, t.owner_department)
        owner_id = owners.get(t.owner_department) if t.owner_department else None
        if t.recurrence_months is None:
            days = t.days or 0
            session.add(ChecklistItem(phase=t.phase, category=t.category, title=t.title, template_key=t.key,
                                      start_on=start + dt.timedelta(days=max(0, days - 14)), owner_id=owner_id,
                                      due_on=start + dt.timedelta(days=days), status="todo", sort_order=order))
        else:
            due = start + dt.timedelta(days=t.days if t.days is not None else 120 + 30 * t.recurrence_months)
            session.add(ChecklistItem(phase=t.phase, category=t.category, title=t.title, template_key=t.key,
                                      start_on=due - dt.timedelta(days=14), due_on=due, status="todo",
                                      owner_id=owner_id, recurrence_months=t.recurrence_months,
                                      expires_on=due if t.certification else None, sort_order=order))
        created += 1
    session.flush()
    if created:
        audit.record(session, actor, "create", "checklist", None, detail=f"project started: {created} items")
    return created


def _department_owner(session: Session, department: str) -> int | None:
    """The default owner of a department's items: its first active manager, else staff before an admin."""
    from db.models import Department
    return session.scalar(select(User.id).join(Department, User.department_id == Department.id)
                          .where(Department.code == department, User.active.is_(True))
                          .order_by(User.role != "manager", User.role == "admin", User.id).limit(1))


def list_items(actor: Actor, *, phase: str | None = None, today: dt.date | None = None,
               session: Session) -> list[ItemView]:
    require(actor, "checklist.read")
    stmt = select(ChecklistItem).order_by(ChecklistItem.phase, ChecklistItem.sort_order, ChecklistItem.id)
    if phase:
        stmt = stmt.where(ChecklistItem.phase == phase)
    today = _today(today)
    measured = _measure(session, today)
    return [_view(session, i, today, measured) for i in session.scalars(stmt)]


def _validate(changes: dict[str, Any], item: ChecklistItem, session: Session) -> dict[str, str]:
    errors: dict[str, str] = {}
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        errors["fields"] = _("Unknown fields: {fields}.").format(fields=", ".join(sorted(unknown)))
    status = changes.get("status", item.status)
    if status not in STATUSES:
        errors["status"] = _("Status must be one of: {values}.").format(values=label_list(STATUSES))
    if "category" in changes and changes["category"] != item.category:
        from crm.settings.lists import values
        offered = values(session, "checklist_categories")
        if changes["category"] not in {v.code for v in offered}:
            errors["category"] = _("Category must be one of: {values}.").format(
                values=", ".join(v.label for v in offered))
    if "title" in changes and not (changes["title"] or "").strip():
        errors["title"] = _("Title is required.")
    reason = changes.get("blocked_reason", item.blocked_reason)
    if status == "blocked" and not (reason or "").strip():
        errors["blocked_reason"] = _("Say what blocks the item.")
    notes = changes.get("notes", item.notes)
    if status == "not_applicable" and not (notes or "").strip():
        errors["notes"] = _("Explain in the notes why the item does not apply.")
    start, due = changes.get("start_on", item.start_on), changes.get("due_on", item.due_on)
    if start and due and start > due:
        errors["due_on"] = _("The due date is before the start date.")
    months = changes.get("recurrence_months", item.recurrence_months)
    if months is not None and (not isinstance(months, int) or months < 1 or months > 60):
        errors["recurrence_months"] = _("Recurrence must be between 1 and 60 months.")
    return errors


def update_item(actor: Actor, item_id: int, changes: dict[str, Any], expected_version: int, *,
                session: Session) -> ItemView:
    """Change an item; status rules are enforced and completing a recurring item schedules the next."""
    require(actor, "checklist.write")
    item = load_for_edit(session, ChecklistItem, item_id, expected_version,
                         missing=_("That checklist item no longer exists."),
                         changed=_("Someone changed this item while you were editing it. Reload and try again."))
    errors = _validate(changes, item, session)
    if (item.template_key in MEASURED and changes.get("status") == "done"
            and not _measure(session, dt.date.today())[item.template_key]):
        follows, rule = MEASURED[item.template_key]
        errors["status"] = _("“{title}” {follows} and cannot be ticked by hand. {rule}").format(
            title=_(item.title), follows=_(follows), rule=_(rule))
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(item)
    was_closed = item.status in CLOSED
    for key, value in changes.items():
        setattr(item, key, value.strip() if isinstance(value, str) else value)
    if item.status != "blocked":
        item.blocked_reason = None
    if item.status in CLOSED and not was_closed:
        item.completed_by_id = actor.user_id
        item.completed_at = utcnow()
    elif item.status not in CLOSED:
        item.completed_by_id = None
        item.completed_at = None
    session.flush()
    b, a = audit.diff(before, audit.snapshot(item))
    audit.record(session, actor, "update", "checklist_item", item.id, before=b, after=a)
    if item.status == "done" and not was_closed and item.recurrence_months:
        _schedule_next(session, actor, item)
    return _view(session, item, dt.date.today())


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last_day = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31,
                30, 31, 30, 31][month - 1]
    return dt.date(year, month, min(day.day, last_day))


def _schedule_next(session: Session, actor: Actor, item: ChecklistItem) -> None:
    done_on = (item.completed_at or utcnow()).date()
    due = _add_months(done_on, item.recurrence_months or 1)
    nxt = ChecklistItem(
        phase=item.phase, category=item.category, title=item.title, description=item.description,
        owner_id=item.owner_id, start_on=due - dt.timedelta(days=14), due_on=due, status="todo",
        recurrence_months=item.recurrence_months,
        expires_on=_add_months(item.expires_on, item.recurrence_months or 1) if item.expires_on else None,
        template_key=None, sort_order=item.sort_order,
    )
    session.add(nxt)
    session.flush()
    audit.record(session, actor, "create", "checklist_item", nxt.id,
                 after={"title": nxt.title, "due_on": due.isoformat()}, detail=f"next occurrence of #{item.id}")


def add_item(actor: Actor, data: dict[str, Any], *, session: Session) -> ItemView:
    require(actor, "checklist.write")
    errors: dict[str, str] = {}
    if data.get("phase") not in PHASES:
        errors["phase"] = _("Phase must be one of: {values}.").format(values=label_list(PHASES))
    probe = ChecklistItem(status="todo", category="")
    errors.update(_validate({k: v for k, v in data.items() if k != "phase"}, probe, session))
    if not (data.get("title") or "").strip():
        errors["title"] = _("Title is required.")
    if errors:
        raise ValidationError(errors)
    item = ChecklistItem(phase=data["phase"], **{k: v for k, v in data.items() if k in EDITABLE})
    item.status = item.status or "todo"
    item.sort_order = (session.scalar(select(func.max(ChecklistItem.sort_order))) or 0) + 1
    session.add(item)
    session.flush()
    audit.record(session, actor, "create", "checklist_item", item.id, after=audit.snapshot(item))
    return _view(session, item, dt.date.today())


# ------------------------------------------------------------- progress --


def _active_signoffs(session: Session) -> dict[str, PhaseSignoff]:
    return {s.phase: s for s in session.scalars(select(PhaseSignoff).where(PhaseSignoff.revoked_at.is_(None)))}


def phase_progress(actor: Actor, *, today: dt.date | None = None, session: Session) -> list[PhaseProgress]:
    require(actor, "checklist.read")
    return _progress(session, _today(today))


def phase_figures(session: Session, *, today: dt.date | None = None) -> list[PhaseProgress]:
    """Progress of every phase for a caller that has checked its own capability (Home)."""
    return _progress(session, _today(today))


def _progress(session: Session, today: dt.date) -> list[PhaseProgress]:
    signoffs = _active_signoffs(session)
    measured = _measure(session, today)
    out = []
    for phase in PHASES:
        items = list(session.scalars(select(ChecklistItem).where(ChecklistItem.phase == phase)))
        statuses = [_status(i, measured) for i in items]
        total = len(items)
        closed = sum(s in CLOSED for s in statuses)
        blocked = sum(s == "blocked" for s in statuses)
        overdue = sum(bool(i.due_on and i.due_on < today and s not in CLOSED) for i, s in zip(items, statuses))
        s = signoffs.get(phase)
        signer = session.get(User, s.signed_by_id) if s else None
        out.append(PhaseProgress(phase, total, closed, blocked, overdue,
                                 round(100 * closed / total) if total else 0, s is not None,
                                 signer.full_name if signer else None, s.signed_at if s else None))
    return out


def readiness_score(actor: Actor, *, today: dt.date | None = None, session: Session) -> int:
    """Closed share of pre-implementation items, -5 per blocked and -2 per overdue item, in 0..100."""
    require(actor, "checklist.read")
    progress = _progress(session, _today(today))
    pre = next(p for p in progress if p.phase == "pre_implementation")
    if not pre.total:
        return 0
    blocked = sum(p.blocked for p in progress)
    overdue = sum(p.overdue for p in progress)
    return max(0, min(100, round(100 * pre.closed / pre.total) - 5 * blocked - 2 * overdue))


def due_soon(actor: Actor, days: int, *, today: dt.date | None = None, session: Session) -> list[ItemView]:
    """Open items (and certifications expiring) within the next ``days`` days."""
    require(actor, "checklist.read")
    today = _today(today)
    horizon = today + dt.timedelta(days=days)
    stmt = select(ChecklistItem).where(
        ((ChecklistItem.due_on <= horizon) | (ChecklistItem.expires_on <= horizon)),
    ).order_by(ChecklistItem.due_on)
    measured = _measure(session, today)
    views = [_view(session, i, today, measured) for i in session.scalars(stmt)]
    return [v for v in views if v.status not in CLOSED]


# ------------------------------------------------------------- sign-off --


def sign_off(actor: Actor, phase: str, comment: str | None = None, *, session: Session) -> dt.datetime:
    """A sponsor signs off a phase once every item in it is done or not applicable."""
    require(actor, "checklist.signoff")
    if phase not in PHASES:
        raise ValidationError({"phase": _("Phase must be one of: {values}.").format(values=label_list(PHASES))})
    if phase in _active_signoffs(session):
        raise ConflictError(_("{phase} is already signed off.").format(phase=label(PHASES, phase)))
    items = list(session.scalars(select(ChecklistItem).where(ChecklistItem.phase == phase)))
    problem = _why_not_ready(session, phase, items)
    if problem:
        raise ValidationError({"phase": problem})
    signoff = PhaseSignoff(phase=phase, signed_by_id=actor.user_id, signed_at=utcnow(),
                           comment=(comment or "").strip() or None)
    session.add(signoff)
    session.flush()
    audit.record(session, actor, "sign_off", "phase", phase,
                 after={"signed_by": actor.full_name, "signed_at": signoff.signed_at.isoformat(),
                        "comment": signoff.comment})
    webhooks.emit(session, webhooks.PHASE_SIGNED_OFF, {"phase": phase, "signoff_id": signoff.id,
                                                       "signed_by_id": actor.user_id, "signed_at": signoff.signed_at,
                                                       "comment": signoff.comment, "items": len(items)})
    return signoff.signed_at


def _why_not_ready(session: Session, phase: str, items: list[ChecklistItem]) -> str | None:
    """Why the phase cannot be signed off yet (no items, items still open), or None when it can."""
    if not items:
        return _("{phase} has no items to sign off.").format(phase=label(PHASES, phase))
    measured = _measure(session, dt.date.today())
    still_open = [(i, s) for i in items if (s := _status(i, measured)) not in CLOSED]
    if not still_open:
        return None
    titles = "; ".join(f"{_(i.title)} ({label(STATUSES, s).lower()})" for i, s in still_open[:8])
    n = len(still_open)
    if n > 8:
        return ngettext("{phase} cannot be signed off: {n} item is still open: {titles} and {more} more.",
                        "{phase} cannot be signed off: {n} items are still open: {titles} and {more} more.",
                        n).format(phase=label(PHASES, phase), n=number(n), titles=titles, more=number(n - 8))
    return ngettext("{phase} cannot be signed off: {n} item is still open: {titles}.",
                    "{phase} cannot be signed off: {n} items are still open: {titles}.",
                    n).format(phase=label(PHASES, phase), n=number(n), titles=titles)


def sign_off_states(actor: Actor, *, session: Session) -> dict[str, SignOffState]:
    """For each phase not signed off: may the actor sign it off now, and if not, why (shown by the button)."""
    require(actor, "checklist.read")
    signed = _active_signoffs(session)
    allowed = can(actor, "checklist.signoff")
    out = {}
    for phase in PHASES:
        if phase in signed:
            continue
        if not allowed:
            out[phase] = SignOffState(phase, False, _("Your role cannot sign off phases: a sponsor signs them off."))
            continue
        items = list(session.scalars(select(ChecklistItem).where(ChecklistItem.phase == phase)))
        reason = _why_not_ready(session, phase, items)
        out[phase] = SignOffState(phase, reason is None, reason)
    return out


def revoke_sign_off(actor: Actor, phase: str, reason: str, *, session: Session) -> dt.datetime:
    """Only a sponsor undoes a sign-off, and must say why."""
    require(actor, "checklist.revoke_signoff")
    signoff = _active_signoffs(session).get(phase)
    if signoff is None:
        raise NotFound(_("{phase} is not signed off.").format(phase=label(PHASES, phase)))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for undoing the sign-off.")})
    signoff.revoked_by_id = actor.user_id
    signoff.revoked_at = utcnow()
    signoff.revoke_reason = reason.strip()
    session.flush()
    audit.record(session, actor, "revoke_sign_off", "phase", phase,
                 before={"signed_at": signoff.signed_at.isoformat()},
                 after={"revoked_by": actor.full_name, "reason": signoff.revoke_reason})
    return signoff.revoked_at


def budget_approved(actor: Actor, *, year: int | None = None, session: Session) -> bool:
    """Whether an approved budget plan exists for the fiscal year (links the template item to the Budget page)."""
    require(actor, "checklist.read")
    return _plan_approved(session, year or dt.date.today().year)

