"""Budget plan results and reads (plans, goals with measured progress, lines, comparisons) and plan creation.

Capabilities: budget.read (managers, sponsors, budget officers, admin), budget.write
(budget officers), budget.approve (sponsors). Every service checks its capability first.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.budget.codes import ACTUALS, CATEGORIES, EDITABLE, QUARTERS, ZERO, builtin_categories
from crm.budget.kpis import MEASURABLE, measure_kpi, measure_window
from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import NotFound, ValidationError
from crm.core.i18n import _, get_currency
from db.models import BudgetLine, BudgetPlan, User

# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class PlanSummary:
    id: int
    fiscal_year: int
    scenario: str
    name: str
    status: str
    revision: int
    superseded: bool
    ceiling: Decimal | None
    planned: Decimal
    version: int


@dataclass(frozen=True)
class GoalView:
    id: int
    title: str
    kpi: str
    unit: str | None
    baseline: Decimal | None
    target: Decimal
    deadline: dt.date | None
    current: Decimal | None
    progress: float | None  # 0.0 .. (can exceed 1.0 or be negative)
    cost: Decimal


@dataclass
class PlanView:
    id: int
    fiscal_year: int
    scenario: str
    name: str
    status: str
    revision: int
    superseded: bool
    ceiling: Decimal | None
    currency: str
    version: int
    decision_comment: str | None
    decided_by: str | None
    previous_revision_id: int | None
    copied_from_id: int | None
    goals: list[GoalView] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # one dict per line, ordered by id
    # the plan's categories (code -> label per language), copied from the template when the plan was made
    categories: dict[str, dict[str, str]] = field(default_factory=builtin_categories)

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE and not self.superseded

    @property
    def planned_total(self) -> Decimal:
        return sum((line["planned"] for line in self.lines), ZERO)

    @property
    def actual_total(self) -> Decimal:
        return sum((line["actual"] for line in self.lines), ZERO)

    @property
    def unjustified(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["goal_id"] is None]


# ---------------------------------------------------------------- helpers shared by the budget modules


def load_plan(session: Session, plan_id: int) -> BudgetPlan:
    """The stored plan, or ``NotFound`` (no access check: callers have made theirs)."""
    plan = session.get(BudgetPlan, plan_id)
    if plan is None:
        raise NotFound(_("Budget plan {id} does not exist.").format(id=plan_id))
    return plan


def parse_money(value: Any) -> Decimal | None:
    """An amount rounded to cents; empty is 0; ``None`` when it is not a finite number."""
    if value is None or (isinstance(value, float) and value != value):
        return ZERO
    if isinstance(value, str) and not value.strip():
        return ZERO
    try:
        out = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not out.is_finite():
        return None
    return out.quantize(Decimal("0.01"))


def line_dict(line: BudgetLine, goal_titles: dict[int, str]) -> dict[str, Any]:
    """One stored line with its goal's title and its planned, actual and variance totals."""
    planned = sum((getattr(line, q) or ZERO for q in QUARTERS), ZERO)
    actual = sum((getattr(line, a) or ZERO for a in ACTUALS), ZERO)
    out: dict[str, Any] = {
        "id": line.id, "category": line.category, "description": line.description,
        "goal_id": line.goal_id, "goal": goal_titles.get(line.goal_id) if line.goal_id else None,
    }
    for col in QUARTERS + ACTUALS:
        out[col] = getattr(line, col) or ZERO
    out["planned"] = planned
    out["actual"] = actual
    out["variance"] = planned - actual
    return out


def goal_progress(baseline: Decimal | None, target: Decimal, current: Decimal | None) -> float | None:
    """(current - baseline) / (target - baseline); None when it cannot be computed."""
    if baseline is None or current is None or target == baseline:
        return None
    return float((current - baseline) / (target - baseline))


def plan_view(session: Session, plan: BudgetPlan, *, today: dt.date | None = None,
              measure: bool = True) -> PlanView:
    """The plan as read by the services below (no access check: callers have made theirs)."""
    today = today or dt.date.today()
    titles = {g.id: g.title for g in plan.goals}
    lines = [line_dict(line, titles) for line in plan.lines]
    cost = {g.id: ZERO for g in plan.goals}
    for line in lines:
        if line["goal_id"] in cost:
            cost[line["goal_id"]] += line["planned"]
    goals = []
    for g in plan.goals:
        current = None
        if measure and g.kpi in MEASURABLE:
            end = min(today, g.deadline) if g.deadline else today
            current = measure_kpi(g.kpi, *measure_window(end), session=session)
        goals.append(GoalView(g.id, g.title, g.kpi, g.unit, g.baseline, g.target, g.deadline, current,
                              goal_progress(g.baseline, g.target, current), cost[g.id]))
    decided_by = session.scalar(select(User.full_name).where(User.id == plan.decided_by_id)) \
        if plan.decided_by_id else None
    return PlanView(plan.id, plan.fiscal_year, plan.scenario, plan.name, plan.status, plan.revision,
                    plan.superseded, plan.ceiling, plan.currency, plan.version, plan.decision_comment,
                    decided_by, plan.previous_revision_id, plan.copied_from_id, goals, lines,
                    plan_categories(plan))


def plan_categories(plan: BudgetPlan) -> dict[str, dict[str, str]]:
    """The categories a plan uses: its own copy of the template's, or the built-in ones for older plans."""
    if not plan.categories:
        return builtin_categories()
    return {str(c["code"]): dict(c.get("labels") or {}) for c in plan.categories}


def template_categories(session: Session) -> list[dict[str, Any]]:
    """The current template's active budget categories, in order, as a new plan copies them."""
    from crm.core.i18n import LANGUAGES
    from crm.settings.lists import values
    return [{"code": v.code, "labels": {lang: v.label_in(lang) for lang in LANGUAGES}}
            for v in values(session, "budget_categories")]


def _summaries(session: Session, *, include_superseded: bool = True) -> list[PlanSummary]:
    planned = (BudgetLine.q1 + BudgetLine.q2 + BudgetLine.q3 + BudgetLine.q4)
    totals = dict(session.execute(
        select(BudgetLine.plan_id, func.coalesce(func.sum(planned), 0)).group_by(BudgetLine.plan_id)
    ).all())
    query = select(BudgetPlan).order_by(BudgetPlan.fiscal_year.desc(), BudgetPlan.scenario,
                                        BudgetPlan.revision.desc())
    if not include_superseded:
        query = query.where(BudgetPlan.superseded.is_(False))
    return [
        PlanSummary(p.id, p.fiscal_year, p.scenario, p.name, p.status, p.revision, p.superseded,
                    p.ceiling, Decimal(totals.get(p.id, 0)), p.version)
        for p in session.scalars(query)
    ]


def _last_year_actuals(session: Session, fiscal_year: int) -> dict[str, Decimal] | None:
    plan_id = session.scalar(
        select(BudgetPlan.id).where(BudgetPlan.fiscal_year == fiscal_year,
                                    BudgetPlan.status == "approved", BudgetPlan.superseded.is_(False))
        .order_by(BudgetPlan.scenario == "Base", BudgetPlan.id).limit(1)
    )
    if plan_id is None:
        return None
    actual = BudgetLine.actual_q1 + BudgetLine.actual_q2 + BudgetLine.actual_q3 + BudgetLine.actual_q4
    out = {c: ZERO for c in CATEGORIES}
    for cat, total in session.execute(
        select(BudgetLine.category, func.coalesce(func.sum(actual), 0))
        .where(BudgetLine.plan_id == plan_id).group_by(BudgetLine.category)
    ):
        out[cat] = Decimal(total)
    return out


def category_totals(view: PlanView, *, actual: bool = False) -> dict[str, Decimal]:
    out = {c: ZERO for c in view.categories}
    for line in view.lines:
        out[line["category"]] = out.get(line["category"], ZERO) + line["actual" if actual else "planned"]
    return out


# ---------------------------------------------------------------- reading


def list_plans(actor: Actor, *, session: Session, include_superseded: bool = True) -> list[PlanSummary]:
    require(actor, "budget.read")
    return _summaries(session, include_superseded=include_superseded)


def get_plan(actor: Actor, plan_id: int, *, session: Session, today: dt.date | None = None,
             measure: bool = True) -> PlanView:
    require(actor, "budget.read")
    return plan_view(session, load_plan(session, plan_id), today=today, measure=measure)


def revisions(actor: Actor, plan_id: int, *, session: Session) -> list[PlanSummary]:
    """Every revision of the plan's lineage, newest first."""
    require(actor, "budget.read")
    plan = load_plan(session, plan_id)
    chain = [plan]
    seen = {plan.id}
    while chain[-1].previous_revision_id and chain[-1].previous_revision_id not in seen:
        chain.append(load_plan(session, chain[-1].previous_revision_id))
        seen.add(chain[-1].id)
    newer = plan
    while True:
        nxt = session.scalar(select(BudgetPlan).where(BudgetPlan.previous_revision_id == newer.id))
        if nxt is None or nxt.id in seen:
            break
        chain.insert(0, nxt)
        seen.add(nxt.id)
        newer = nxt
    by_id = {p.id: p for p in _summaries(session)}
    return [by_id[p.id] for p in chain]


def comparison(a: PlanView, b: PlanView) -> pd.DataFrame:
    """Planned totals of two plans already read, per category (and per line description), with the difference."""
    rows: list[dict[str, Any]] = []
    ta, tb = category_totals(a), category_totals(b)
    for c in dict.fromkeys([*ta, *tb]):
        ta.setdefault(c, ZERO)
        tb.setdefault(c, ZERO)
        rows.append({"level": "category", "category": c, "line": "", "a": ta[c], "b": tb[c],
                     "difference": tb[c] - ta[c]})
    keyed: dict[tuple[str, str], list[Decimal]] = {}
    for idx, view in enumerate((a, b)):
        for line in view.lines:
            slot = keyed.setdefault((line["category"], line["description"]), [ZERO, ZERO])
            slot[idx] += line["planned"]
    for (c, desc), (va, vb) in sorted(keyed.items()):
        rows.append({"level": "line", "category": c, "line": desc, "a": va, "b": vb, "difference": vb - va})
    rows.append({"level": "total", "category": "", "line": "", "a": a.planned_total, "b": b.planned_total,
                 "difference": b.planned_total - a.planned_total})
    return pd.DataFrame(rows)


def compare_plans(actor: Actor, plan_a: int, plan_b: int, *, session: Session) -> pd.DataFrame:
    """Planned totals of two plans per category (and per line description), with the difference."""
    require(actor, "budget.read")
    return comparison(plan_view(session, load_plan(session, plan_a), measure=False),
                      plan_view(session, load_plan(session, plan_b), measure=False))


def last_year_actuals(actor: Actor, fiscal_year: int, *, session: Session) -> dict[str, Decimal] | None:
    """Actual spend per category of the approved, current plan of ``fiscal_year`` (None if none)."""
    require(actor, "budget.read")
    return _last_year_actuals(session, fiscal_year)


def versus_last_year(view: PlanView, last: dict[str, Decimal] | None) -> pd.DataFrame:
    """A plan already read, per category, next to last year's actual spending (``last_year_actuals``)."""
    planned = category_totals(view)
    rows = []
    for c in planned:
        prev = last.get(c, ZERO) if last is not None else None
        rows.append({"category": c, "plan": planned[c], "last_year_actual": prev,
                     "change": planned[c] - prev if prev is not None else None,
                     "change_pct": float((planned[c] - prev) / prev * 100) if prev else None})
    return pd.DataFrame(rows)


def vs_last_year(actor: Actor, plan_id: int, *, session: Session) -> pd.DataFrame:
    """This plan per category next to last fiscal year's actual spending."""
    require(actor, "budget.read")
    view = plan_view(session, load_plan(session, plan_id), measure=False)
    return versus_last_year(view, _last_year_actuals(session, view.fiscal_year - 1))


def line_variance(view: PlanView) -> pd.DataFrame:
    """Plan vs actual of a plan already read, per line and quarter; variance = plan - actual."""
    rows = []
    for line in view.lines:
        for q in QUARTERS:
            planned, actual = line[q], line[f"actual_{q}"]
            rows.append({"line_id": line["id"], "category": line["category"],
                         "description": line["description"], "goal": line["goal"],
                         "quarter": q.upper(), "plan": planned, "actual": actual,
                         "variance": planned - actual, "over_spend": actual > planned})
    return pd.DataFrame(rows, columns=["line_id", "category", "description", "goal", "quarter", "plan",
                                       "actual", "variance", "over_spend"])


def variance(actor: Actor, plan_id: int, *, session: Session) -> pd.DataFrame:
    """Plan vs actual per line and quarter; variance = plan - actual (negative = over-spend)."""
    require(actor, "budget.read")
    return line_variance(plan_view(session, load_plan(session, plan_id), measure=False))


# ---------------------------------------------------------------- creating


def create_plan(actor: Actor, *, fiscal_year: int, name: str, scenario: str = "Base",
                ceiling: Any = None, currency: str | None = None, session: Session) -> int:
    require(actor, "budget.write")
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("The plan needs a name.")
    if not isinstance(fiscal_year, int) or not 2000 <= fiscal_year <= 2100:
        errors["fiscal_year"] = _("The fiscal year must be a year between {first} and {last}.").format(
            first=2000, last=2100)
    ceil = None
    if ceiling not in (None, ""):
        ceil = parse_money(ceiling)
        if ceil is None or ceil < 0:
            errors["ceiling"] = _("The ceiling must be a non-negative amount.")
    if errors:
        raise ValidationError(errors)
    plan = BudgetPlan(fiscal_year=fiscal_year, name=name.strip(), scenario=(scenario or "Base").strip(),
                      ceiling=ceil, currency=currency or get_currency(), status="draft", revision=1,
                      created_by_id=actor.user_id, categories=template_categories(session))
    session.add(plan)
    session.flush()
    audit.record(session, actor, "create", "budget_plan", plan.id, after=audit.snapshot(plan))
    return plan.id
