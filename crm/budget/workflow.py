"""Budget plan workflow: submit, approve, return, and new drafts from a plan (scenario copies, revisions)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm.budget.codes import ACTUALS, EDITABLE, QUARTERS, PLAN_STATUSES, ZERO
from crm.budget.locking import check_version
from crm.budget.plans import load_plan
from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ConflictError, ValidationError
from crm.core.i18n import N_, _, label
from db.models import BudgetGoal, BudgetLine, BudgetPlan
from db.types import utcnow
from crm.webhooks import events as webhooks


def _transition(actor: Actor, plan: BudgetPlan, expected_version: int | None, session: Session,
                allowed_from: tuple[str, ...], to: str, action: str, comment: str | None = None) -> None:
    if plan.superseded:
        raise ValidationError({"plan": _("This revision is superseded; open the newest revision.")})
    check_version(plan, expected_version, session)
    if plan.status not in allowed_from:
        refusals = {
            "submitted": N_("Only a draft or returned plan can be submitted (this plan's status: {status})."),
            "approved": N_("Only a submitted plan can be approved (this plan's status: {status})."),
            "returned": N_("Only a submitted plan can be returned (this plan's status: {status})."),
        }
        message = refusals.get(action, N_("This plan cannot be changed in its status ({status})."))
        raise ValidationError({"status": _(message).format(status=label(PLAN_STATUSES, plan.status))})
    before = plan.status
    plan.status = to
    if to == "submitted":
        plan.submitted_at = utcnow()
    else:
        plan.decided_by_id = actor.user_id
        plan.decided_at = utcnow()
        plan.decision_comment = comment
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(_("The plan was changed by someone else; reload it and try again.")) from exc
    audit.record(session, actor, action, "budget_plan", plan.id, before={"status": before},
                 after={"status": to}, detail=comment)


def submit_plan(actor: Actor, plan_id: int, expected_version: int | None, *, session: Session) -> int:
    require(actor, "budget.write")
    plan = load_plan(session, plan_id)
    if not plan.lines:
        raise ValidationError({"lines": _("Add at least one budget line before submitting.")})
    _transition(actor, plan, expected_version, session, EDITABLE, "submitted", "submitted")
    return plan.version


def approve_plan(actor: Actor, plan_id: int, expected_version: int | None, comment: str = "", *,
                 session: Session) -> int:
    require(actor, "budget.approve")
    plan = load_plan(session, plan_id)
    _transition(actor, plan, expected_version, session, ("submitted",), "approved", "approved",
                (comment or "").strip() or None)
    webhooks.emit(session, webhooks.PLAN_APPROVED, {
        "plan_id": plan.id, "version": plan.version, "fiscal_year": plan.fiscal_year, "name": plan.name,
        "scenario": plan.scenario, "revision": plan.revision, "status": plan.status, "ceiling": plan.ceiling,
        "currency": plan.currency, "decided_by_id": plan.decided_by_id, "decided_at": plan.decided_at,
        "comment": plan.decision_comment})
    return plan.version


def return_plan(actor: Actor, plan_id: int, expected_version: int | None, comment: str, *,
                session: Session) -> int:
    require(actor, "budget.approve")
    plan = load_plan(session, plan_id)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the plan is returned, so the officer knows what to change.")})
    _transition(actor, plan, expected_version, session, ("submitted",), "returned", "returned",
                comment.strip())
    return plan.version


def _copy_into(src: BudgetPlan, dst: BudgetPlan, session: Session) -> None:
    goal_map: dict[int, BudgetGoal] = {}
    for g in src.goals:
        ng = BudgetGoal(title=g.title, kpi=g.kpi, unit=g.unit, baseline=g.baseline,
                        baseline_measured_at=g.baseline_measured_at, target=g.target, deadline=g.deadline)
        dst.goals.append(ng)
        goal_map[g.id] = ng
    session.flush()
    for line in src.lines:
        nl = BudgetLine(category=line.category, description=line.description,
                        goal_id=goal_map[line.goal_id].id if line.goal_id in goal_map else None,
                        **{c: getattr(line, c) for c in QUARTERS + ACTUALS})
        dst.lines.append(nl)


def copy_plan(actor: Actor, plan_id: int, *, scenario: str, name: str | None = None,
              session: Session) -> int:
    """A new draft scenario with the same goals and lines (actuals are not copied)."""
    require(actor, "budget.write")
    src = load_plan(session, plan_id)
    if not (scenario or "").strip():
        raise ValidationError({"scenario": _("The copy needs a scenario name.")})
    dup = session.scalar(select(func.count()).select_from(BudgetPlan).where(
        BudgetPlan.fiscal_year == src.fiscal_year, BudgetPlan.scenario == scenario.strip(),
        BudgetPlan.superseded.is_(False)))
    if dup:
        raise ValidationError({"scenario": _("Fiscal year {year} already has a scenario named '{scenario}'.")
                               .format(year=src.fiscal_year, scenario=scenario.strip())})
    dst = BudgetPlan(fiscal_year=src.fiscal_year, scenario=scenario.strip(),
                     name=(name or f"{src.name} ({scenario.strip()})").strip(), status="draft",
                     ceiling=src.ceiling, currency=src.currency, revision=1, copied_from_id=src.id,
                     created_by_id=actor.user_id, categories=src.categories)
    session.add(dst)
    session.flush()
    _copy_into(src, dst, session)
    for line in dst.lines:
        for a in ACTUALS:
            setattr(line, a, ZERO)
    session.flush()
    audit.record(session, actor, "copy", "budget_plan", dst.id, detail=f"copied from plan {src.id}")
    return dst.id


def new_revision(actor: Actor, plan_id: int, *, session: Session) -> int:
    """Copy an approved (or returned) plan into a new draft revision; the old one is kept, superseded."""
    require(actor, "budget.write")
    src = load_plan(session, plan_id)
    if src.superseded:
        raise ValidationError({"plan": _("Revision {revision} is already superseded; "
                                         "open the newest revision instead.").format(revision=src.revision)})
    if src.status not in ("approved", "returned"):
        raise ValidationError({"plan": _("Only an approved or returned plan needs a new revision; "
                                         "a draft can be edited directly.")})
    dst = BudgetPlan(fiscal_year=src.fiscal_year, scenario=src.scenario, name=src.name, status="draft",
                     ceiling=src.ceiling, currency=src.currency, revision=src.revision + 1,
                     previous_revision_id=src.id, copied_from_id=src.copied_from_id,
                     created_by_id=actor.user_id, categories=src.categories)
    session.add(dst)
    src.superseded = True
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(_("The plan was changed by someone else; reload it and try again.")) from exc
    _copy_into(src, dst, session)
    session.flush()
    audit.record(session, actor, "new_revision", "budget_plan", dst.id,
                 detail=f"revision {dst.revision} of plan {src.id}")
    return dst.id
