"""What each person needs first when they open the portal."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.core.access import Actor, can, require
from crm.interactions.service import FollowUpRow, _open_follow_ups
from crm.rollout.checklist import phase_figures
from db.models import BudgetPlan, Customer, Department, Interaction



@dataclass(frozen=True)
class HomeCounts:
    customers: int
    prospects: int
    department_interactions: int  # by the actor's department in the last 30 days
    open_follow_ups: int  # every open follow-up assigned to the actor (Home lists the first few)


@dataclass(frozen=True)
class PhaseRow:
    phase: str  # a PHASES code (crm.rollout.checklist)
    items: int
    done: int  # done or not applicable
    blocked: int
    progress: int  # percent
    signed_off: bool


@dataclass(frozen=True)
class PlanRow:
    name: str
    fiscal_year: int
    scenario: str
    revision: int
    status: str  # a PLAN_STATUSES code


@dataclass
class HomeSummary:
    greeting_name: str
    follow_ups: list[FollowUpRow] = field(default_factory=list)  # the first HOME_FOLLOW_UPS, overdue first
    counts: HomeCounts | None = None  # None: the actor may not read customers
    rollout: list[PhaseRow] = field(default_factory=list)
    plans: list[PlanRow] = field(default_factory=list)


HOME_FOLLOW_UPS = 10  # Home lists this many; the count says how many are open in all


def summary(actor: Actor, *, session: Session, today: dt.date | None = None) -> HomeSummary:
    require(actor, "home.read")
    today = today or dt.date.today()
    out = HomeSummary(greeting_name=actor.full_name)
    open_follow_ups = 0
    if actor.user_id is not None:
        mine = _open_follow_ups(session, actor.user_id, today=today, limit=HOME_FOLLOW_UPS)
        out.follow_ups, open_follow_ups = mine.rows, mine.total
    if can(actor, "customers.read"):
        active = Customer.archived_at.is_(None)
        rows = session.execute(
            select(Customer.status, func.count()).where(active).group_by(Customer.status)
        ).all()
        by_status = {status: n for status, n in rows}
        since = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(), tzinfo=dt.timezone.utc)
        dept_id = session.scalar(select(Department.id).where(Department.code == actor.department))
        department_interactions = session.scalar(
            select(func.count()).select_from(Interaction).where(
                Interaction.department_id == dept_id, Interaction.occurred_at >= since
            )
        ) or 0
        out.counts = HomeCounts(customers=by_status.get("customer", 0), prospects=by_status.get("prospect", 0),
                                department_interactions=department_interactions,
                                open_follow_ups=open_follow_ups)
    if can(actor, "checklist.signoff"):
        out.rollout = _rollout_progress(session=session)
    if can(actor, "budget.write") or can(actor, "budget.approve"):
        out.plans = [
            PlanRow(p.name, p.fiscal_year, p.scenario, p.revision, p.status)
            for p in session.scalars(
                select(BudgetPlan).where(BudgetPlan.superseded.is_(False))
                .order_by(BudgetPlan.fiscal_year.desc(), BudgetPlan.id)
            )
        ]
    return out


def _rollout_progress(*, session: Session) -> list[PhaseRow]:
    """Phase progress as the Checklist page counts it (measured items follow their state)."""
    return [PhaseRow(phase=p.phase, items=p.total, done=p.closed, blocked=p.blocked, progress=p.percent,
                     signed_off=p.signed_off)
            for p in phase_figures(session) if p.total]
