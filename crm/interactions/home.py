"""What each person needs first when they open the portal."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.core.access import Actor, can
from crm.budget.plans import PLAN_STATUSES
from crm.rollout.checklist import PHASES
from crm.core.i18n import N_
from db.models import BudgetPlan, ChecklistItem, Customer, Department, Interaction, PhaseSignoff



@dataclass(frozen=True)
class FollowUp:
    interaction_id: int
    customer_id: int
    customer_name: str
    subject: str
    due_on: dt.date
    overdue: bool


@dataclass
class HomeSummary:
    greeting_name: str
    follow_ups: list[FollowUp] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # English labels (N_), translated where shown
    rollout: list[dict[str, object]] = field(default_factory=list)
    plans: list[dict[str, object]] = field(default_factory=list)  # column names: English (N_), renamed where shown


def summary(actor: Actor, *, session: Session, today: dt.date | None = None) -> HomeSummary:
    today = today or dt.date.today()
    out = HomeSummary(greeting_name=actor.full_name)
    if actor.user_id is not None:
        out.follow_ups = my_follow_ups(actor, session=session, today=today, limit=10)
    if can(actor, "customers.read"):
        active = Customer.archived_at.is_(None)
        rows = session.execute(
            select(Customer.status, func.count()).where(active).group_by(Customer.status)
        ).all()
        by_status = {status: n for status, n in rows}
        out.counts[N_("Customers")] = by_status.get("customer", 0)
        out.counts[N_("Prospects")] = by_status.get("prospect", 0)
        since = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(), tzinfo=dt.timezone.utc)
        dept_id = session.scalar(select(Department.id).where(Department.code == actor.department))
        out.counts[N_("Interactions by my department, last 30 days")] = session.scalar(
            select(func.count()).select_from(Interaction).where(
                Interaction.department_id == dept_id, Interaction.occurred_at >= since
            )
        ) or 0
        out.counts[N_("Open follow-ups for me")] = len(out.follow_ups)
    if actor.role == "sponsor" or can(actor, "checklist.signoff"):
        out.rollout = rollout_progress(session=session)
    if can(actor, "budget.write") or can(actor, "budget.approve"):
        out.plans = [
            {N_("Plan"): p.name, N_("Fiscal year"): p.fiscal_year, N_("Scenario"): p.scenario,
             N_("Revision"): p.revision, N_("Status"): PLAN_STATUSES.get(p.status, p.status)}
            for p in session.scalars(
                select(BudgetPlan).where(BudgetPlan.superseded.is_(False))
                .order_by(BudgetPlan.fiscal_year.desc(), BudgetPlan.id)
            )
        ]
    return out


def my_follow_ups(actor: Actor, *, session: Session, today: dt.date, limit: int = 50) -> list[FollowUp]:
    rows = session.execute(
        select(Interaction.id, Interaction.customer_id, Customer.name, Interaction.subject,
               Interaction.follow_up_on)
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(
            Interaction.follow_up_user_id == actor.user_id,
            Interaction.follow_up_done_at.is_(None),
            Interaction.follow_up_on.is_not(None),
        )
        .order_by(Interaction.follow_up_on)
        .limit(limit)
    ).all()
    return [FollowUp(i, c, n, s, d, d < today) for i, c, n, s, d in rows]


def rollout_progress(*, session: Session) -> list[dict[str, object]]:
    rows = session.execute(
        select(ChecklistItem.phase, ChecklistItem.status, func.count())
        .group_by(ChecklistItem.phase, ChecklistItem.status)
    ).all()
    phases: dict[str, dict[str, int]] = {}
    for phase, status, n in rows:
        phases.setdefault(phase, {})[status] = n
    signed = set(session.scalars(select(PhaseSignoff.phase).where(PhaseSignoff.revoked_at.is_(None))))
    out = []
    for phase, counts in phases.items():
        total = sum(counts.values())
        closed = counts.get("done", 0) + counts.get("not_applicable", 0)
        out.append({N_("Phase"): PHASES.get(phase, phase.replace("_", " ").capitalize()), N_("Items"): total,
                    N_("Done"): closed, N_("Blocked"): counts.get("blocked", 0),
                    N_("Progress %"): round(100 * closed / total) if total else 0,
                    N_("Signed off"): phase in signed})
    return out
