"""Goal-based budget planning: plans, goals, lines, workflow, revisions, comparisons, export.

Capabilities: budget.read (managers, sponsors, budget officers, admin), budget.write
(budget officers), budget.approve (sponsors). Every service checks its capability first.
Plans in status draft/returned are editable; submitted waits for a sponsor; approved is
locked (actual spend may still be recorded) and changes need ``new_revision``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from crm.core import audit
from crm.core.access import Actor, require
from crm.budget.kpis import MEASURABLE, measure_kpi
from crm.core.errors import ConflictError, NotFound, ValidationError
from crm.core.i18n import N_, Codes, _, label, money
from crm.core.i18n import datetime as format_datetime
from db.models import AuditEvent, BudgetGoal, BudgetLine, BudgetPlan, User
from db.types import utcnow

CATEGORIES = ("marketing", "products", "customer_service", "maintenance", "training")
KPIS = MEASURABLE + ("custom",)
QUARTERS = ("q1", "q2", "q3", "q4")
ACTUALS = tuple(f"actual_{q}" for q in QUARTERS)
EDITABLE = ("draft", "returned")
ZERO = Decimal("0")

# Labels shown for the stored codes (shown with ``label(CATEGORY_LABELS, code)``).
CATEGORY_LABELS = Codes("budget category", {
    "marketing": N_("Marketing"),
    "products": N_("Products"),
    "customer_service": N_("Customer service"),
    "maintenance": N_("Maintenance"),
    "training": N_("Training"),
})
KPI_LABELS = Codes("goal KPI", {
    "new_customers": N_("New customers"),
    "retention_rate": N_("Retention rate (%)"),
    "nps": N_("NPS"),
    "repeat_revenue": N_("Revenue from repeat customers"),
    "support_response": N_("Support response (hours)"),
    "custom": N_("Custom (not measured)"),
})
# A budget plan's workflow status (not a customer's status: see crm.customers.contact_rules.CUSTOMER_STATUSES).
PLAN_STATUSES = Codes("plan status", {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "returned": N_("Returned"),
})
QUARTER_LABELS = Codes("quarter", {"q1": N_("Q1"), "q2": N_("Q2"), "q3": N_("Q3"), "q4": N_("Q4")})
AMOUNT_LABELS = Codes("budget amount", {
    "q1": N_("Plan Q1"), "q2": N_("Plan Q2"), "q3": N_("Plan Q3"), "q4": N_("Plan Q4"),
    "actual_q1": N_("Actual Q1"), "actual_q2": N_("Actual Q2"), "actual_q3": N_("Actual Q3"),
    "actual_q4": N_("Actual Q4"),
})


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


# ---------------------------------------------------------------- helpers


def _plan(session: Session, plan_id: int) -> BudgetPlan:
    plan = session.get(BudgetPlan, plan_id)
    if plan is None:
        raise NotFound(_("Budget plan {id} does not exist.").format(id=plan_id))
    return plan


def _check_version(plan: BudgetPlan, expected_version: int | None, session: Session) -> None:
    if expected_version is not None and plan.version != expected_version:
        last = session.execute(
            select(func.coalesce(User.full_name, AuditEvent.username), AuditEvent.at)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(AuditEvent.entity == "budget_plan", AuditEvent.entity_id == str(plan.id))
            .order_by(AuditEvent.id.desc()).limit(1)
        ).first()
        if last is not None and last[0]:
            raise ConflictError(
                _("Plan '{name}' was changed by {who} at {when} UTC after you opened it; nothing was saved. "
                  "Reload the plan and apply your changes again.").format(
                    name=plan.name, who=last[0], when=format_datetime(last[1], "short"))
            )
        if last is not None:
            raise ConflictError(
                _("Plan '{name}' was changed by someone else at {when} UTC after you opened it; nothing was "
                  "saved. Reload the plan and apply your changes again.").format(
                    name=plan.name, when=format_datetime(last[1], "short"))
            )
        raise ConflictError(
            _("Plan '{name}' was changed by someone else after you opened it; nothing was saved. "
              "Reload the plan and apply your changes again.").format(name=plan.name)
        )


def _require_editable(plan: BudgetPlan) -> None:
    if plan.superseded:
        raise ValidationError({"plan": _("Plan '{name}' revision {revision} has been superseded by a newer "
                                         "revision and can no longer be changed.").format(
                                             name=plan.name, revision=plan.revision)})
    if plan.status == "approved":
        raise ValidationError({"plan": _("Plan '{name}' is approved and locked. "
                                         "Create a new revision to change it.").format(name=plan.name)})
    if plan.status == "submitted":
        raise ValidationError({"plan": _("Plan '{name}' is waiting for a sponsor's decision and cannot be "
                                         "changed until it is returned.").format(name=plan.name)})


def _bump(plan: BudgetPlan, session: Session) -> None:
    """Raise the plan's version now (UPDATE ... WHERE version = loaded), so a concurrent
    writer of the same plan is refused instead of silently overwriting."""
    name = plan.name  # read before the flush: after a failed flush the session cannot load attributes
    flag_modified(plan, "name")
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(
            _("Plan '{name}' was changed by someone else while you were saving; nothing was saved. "
              "Reload the plan and apply your changes again.").format(name=name)
        ) from exc


def _money(value: Any) -> Decimal | None:
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


def _line_dict(line: BudgetLine, goal_titles: dict[int, str]) -> dict[str, Any]:
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


def _measure_window(end: dt.date) -> tuple[dt.date, dt.date]:
    return end - dt.timedelta(days=364), end


def goal_progress(baseline: Decimal | None, target: Decimal, current: Decimal | None) -> float | None:
    """(current - baseline) / (target - baseline); None when it cannot be computed."""
    if baseline is None or current is None or target == baseline:
        return None
    return float((current - baseline) / (target - baseline))


# ---------------------------------------------------------------- reading


def list_plans(actor: Actor, *, session: Session, include_superseded: bool = True) -> list[PlanSummary]:
    require(actor, "budget.read")
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


def get_plan(actor: Actor, plan_id: int, *, session: Session, today: dt.date | None = None,
             measure: bool = True) -> PlanView:
    require(actor, "budget.read")
    plan = _plan(session, plan_id)
    today = today or dt.date.today()
    titles = {g.id: g.title for g in plan.goals}
    lines = [_line_dict(line, titles) for line in plan.lines]
    cost = {g.id: ZERO for g in plan.goals}
    for line in lines:
        if line["goal_id"] in cost:
            cost[line["goal_id"]] += line["planned"]
    goals = []
    for g in plan.goals:
        current = None
        if measure and g.kpi in MEASURABLE:
            end = min(today, g.deadline) if g.deadline else today
            current = measure_kpi(g.kpi, *_measure_window(end), session=session)
        goals.append(GoalView(g.id, g.title, g.kpi, g.unit, g.baseline, g.target, g.deadline, current,
                              goal_progress(g.baseline, g.target, current), cost[g.id]))
    decided_by = session.scalar(select(User.full_name).where(User.id == plan.decided_by_id)) \
        if plan.decided_by_id else None
    return PlanView(plan.id, plan.fiscal_year, plan.scenario, plan.name, plan.status, plan.revision,
                    plan.superseded, plan.ceiling, plan.currency, plan.version, plan.decision_comment,
                    decided_by, plan.previous_revision_id, plan.copied_from_id, goals, lines)


def revisions(actor: Actor, plan_id: int, *, session: Session) -> list[PlanSummary]:
    """Every revision of the plan's lineage, newest first."""
    require(actor, "budget.read")
    plan = _plan(session, plan_id)
    chain = [plan]
    seen = {plan.id}
    while chain[-1].previous_revision_id and chain[-1].previous_revision_id not in seen:
        chain.append(_plan(session, chain[-1].previous_revision_id))
        seen.add(chain[-1].id)
    newer = plan
    while True:
        nxt = session.scalar(select(BudgetPlan).where(BudgetPlan.previous_revision_id == newer.id))
        if nxt is None or nxt.id in seen:
            break
        chain.insert(0, nxt)
        seen.add(nxt.id)
        newer = nxt
    by_id = {p.id: p for p in list_plans(actor, session=session)}
    return [by_id[p.id] for p in chain]


def category_totals(view: PlanView, *, actual: bool = False) -> dict[str, Decimal]:
    out = {c: ZERO for c in CATEGORIES}
    for line in view.lines:
        out[line["category"]] = out.get(line["category"], ZERO) + line["actual" if actual else "planned"]
    return out


def compare_plans(actor: Actor, plan_a: int, plan_b: int, *, session: Session) -> pd.DataFrame:
    """Planned totals of two plans per category (and per line description), with the difference."""
    require(actor, "budget.read")
    a = get_plan(actor, plan_a, session=session, measure=False)
    b = get_plan(actor, plan_b, session=session, measure=False)
    rows: list[dict[str, Any]] = []
    ta, tb = category_totals(a), category_totals(b)
    for c in CATEGORIES:
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


def last_year_actuals(actor: Actor, fiscal_year: int, *, session: Session) -> dict[str, Decimal] | None:
    """Actual spend per category of the approved, current plan of ``fiscal_year`` (None if none)."""
    require(actor, "budget.read")
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


def vs_last_year(actor: Actor, plan_id: int, *, session: Session) -> pd.DataFrame:
    """This plan per category next to last fiscal year's actual spending."""
    require(actor, "budget.read")
    view = get_plan(actor, plan_id, session=session, measure=False)
    last = last_year_actuals(actor, view.fiscal_year - 1, session=session)
    planned = category_totals(view)
    rows = []
    for c in CATEGORIES:
        prev = last[c] if last is not None else None
        rows.append({"category": c, "plan": planned[c], "last_year_actual": prev,
                     "change": planned[c] - prev if prev is not None else None,
                     "change_pct": float((planned[c] - prev) / prev * 100) if prev else None})
    return pd.DataFrame(rows)


def variance(actor: Actor, plan_id: int, *, session: Session) -> pd.DataFrame:
    """Plan vs actual per line and quarter; variance = plan - actual (negative = over-spend)."""
    require(actor, "budget.read")
    view = get_plan(actor, plan_id, session=session, measure=False)
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


# ---------------------------------------------------------------- writing


def create_plan(actor: Actor, *, fiscal_year: int, name: str, scenario: str = "Base",
                ceiling: Any = None, currency: str = "USD", session: Session) -> int:
    require(actor, "budget.write")
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("The plan needs a name.")
    if not isinstance(fiscal_year, int) or not 2000 <= fiscal_year <= 2100:
        errors["fiscal_year"] = _("The fiscal year must be a year between {first} and {last}.").format(
            first=2000, last=2100)
    ceil = None
    if ceiling not in (None, ""):
        ceil = _money(ceiling)
        if ceil is None or ceil < 0:
            errors["ceiling"] = _("The ceiling must be a non-negative amount.")
    if errors:
        raise ValidationError(errors)
    plan = BudgetPlan(fiscal_year=fiscal_year, name=name.strip(), scenario=(scenario or "Base").strip(),
                      ceiling=ceil, currency=currency, status="draft", revision=1,
                      created_by_id=actor.user_id)
    session.add(plan)
    session.flush()
    audit.record(session, actor, "create", "budget_plan", plan.id, after=audit.snapshot(plan))
    return plan.id


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
    src = _plan(session, plan_id)
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
                     created_by_id=actor.user_id)
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
    src = _plan(session, plan_id)
    if src.superseded:
        raise ValidationError({"plan": _("Revision {revision} is already superseded; "
                                         "open the newest revision instead.").format(revision=src.revision)})
    if src.status not in ("approved", "returned"):
        raise ValidationError({"plan": _("Only an approved or returned plan needs a new revision; "
                                         "a draft can be edited directly.")})
    dst = BudgetPlan(fiscal_year=src.fiscal_year, scenario=src.scenario, name=src.name, status="draft",
                     ceiling=src.ceiling, currency=src.currency, revision=src.revision + 1,
                     previous_revision_id=src.id, copied_from_id=src.copied_from_id,
                     created_by_id=actor.user_id)
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


def save_goals(actor: Actor, plan_id: int, expected_version: int | None, goals: list[dict[str, Any]],
               *, session: Session, today: dt.date | None = None) -> int:
    """Replace the plan's goals with ``goals`` (dicts with optional id). Lines of removed goals
    become unjustified. Baselines left empty are measured from CRM data now."""
    require(actor, "budget.write")
    plan = _plan(session, plan_id)
    _require_editable(plan)
    _check_version(plan, expected_version, session)
    today = today or dt.date.today()
    errors: dict[str, str] = {}
    existing = {g.id: g for g in plan.goals}
    clean: list[dict[str, Any]] = []
    for i, row in enumerate(goals, start=1):
        problems = []
        title = str(row.get("title") or "").strip()
        kpi = str(row.get("kpi") or "").strip()
        if not title:
            problems.append(_("the goal needs a title"))
        if kpi not in KPIS:
            problems.append(_("the KPI must be one of: {choices}").format(
                choices=", ".join(label(KPI_LABELS, k) for k in KPIS)))
        target = _money(row.get("target")) if row.get("target") not in (None, "") else None
        if target is None:
            problems.append(_("the target must be a number"))
        baseline = row.get("baseline")
        baseline = None if baseline in (None, "") or (isinstance(baseline, float) and baseline != baseline) \
            else _money(baseline)
        deadline = row.get("deadline")
        if isinstance(deadline, dt.datetime):
            deadline = deadline.date()
        if deadline is not None and not isinstance(deadline, dt.date):
            try:
                deadline = dt.date.fromisoformat(str(deadline))
            except ValueError:
                problems.append(_("the deadline must be a date"))
        gid = row.get("id")
        if gid is not None and gid == gid and int(gid) not in existing:
            problems.append(_("this goal does not belong to the plan"))
        if problems:
            errors[f"goal {i}"] = _("Goal {n}: {problems}.").format(n=i, problems="; ".join(problems))
        clean.append({"id": int(gid) if gid is not None and gid == gid else None, "title": title,
                      "kpi": kpi, "target": target, "baseline": baseline, "deadline": deadline,
                      "unit": row.get("unit") or None})
    if errors:
        raise ValidationError(errors)
    _bump(plan, session)
    keep = {c["id"] for c in clean if c["id"]}
    for gid, g in existing.items():
        if gid not in keep:
            for line in plan.lines:
                if line.goal_id == gid:
                    line.goal_id = None
            plan.goals.remove(g)
    for c in clean:
        g = existing.get(c["id"]) if c["id"] else None
        if g is None:
            g = BudgetGoal(title=c["title"], kpi=c["kpi"], target=c["target"])
            plan.goals.append(g)
        g.title, g.kpi, g.target, g.deadline, g.unit = c["title"], c["kpi"], c["target"], c["deadline"], c["unit"]
        if c["baseline"] is not None:
            g.baseline = c["baseline"]
        elif g.baseline is None and c["kpi"] in MEASURABLE:
            g.baseline = measure_kpi(c["kpi"], *_measure_window(today), session=session)
            g.baseline_measured_at = utcnow()
    session.flush()
    audit.record(session, actor, "save_goals", "budget_plan", plan.id, detail=f"{len(clean)} goals")
    return plan.version


def _rows_from_edits(plan: BudgetPlan, titles: dict[int, str], edited_rows: dict | None,
                     added_rows: list | None, deleted_rows: list | None) -> list[dict[str, Any]]:
    current = [_line_dict(line, titles) for line in plan.lines]
    deleted = {int(i) for i in (deleted_rows or [])}
    rows = []
    for pos, line in enumerate(current):
        if pos in deleted:
            continue
        row = dict(line)
        row["_row"] = pos + 1
        changes = (edited_rows or {}).get(pos, (edited_rows or {}).get(str(pos), {}))
        row.update(changes)
        if "goal" in changes:
            row.pop("goal_id", None)
        rows.append(row)
    for k, added in enumerate(added_rows or []):
        row = dict(added)
        row.pop("id", None)
        row["_row"] = len(current) + k + 1
        rows.append(row)
    return rows


def save_lines(actor: Actor, plan_id: int, expected_version: int | None,
               rows: list[dict[str, Any]] | None = None, *, edited_rows: dict | None = None,
               added_rows: list | None = None, deleted_rows: list | None = None,
               session: Session) -> int:
    """Validate and apply all line changes at once, or none. Returns the new plan version.

    Either ``rows`` (the full list of lines; dicts with optional ``id``; lines missing from the
    list are deleted) or the ``st.data_editor`` edits (positions refer to the lines ordered by id).
    A line's goal is given as ``goal_id`` or ``goal`` (its title). Errors are keyed "row N".
    """
    require(actor, "budget.write")
    plan = _plan(session, plan_id)
    _require_editable(plan)
    _check_version(plan, expected_version, session)
    titles = {g.id: g.title for g in plan.goals}
    by_title = {g.title: g.id for g in plan.goals}
    if rows is None:
        rows = _rows_from_edits(plan, titles, edited_rows, added_rows, deleted_rows)
    existing = {line.id: line for line in plan.lines}
    errors: dict[str, str] = {}
    clean: list[dict[str, Any]] = []
    for i, row in enumerate(rows, start=1):
        n = row.get("_row", i)
        problems: list[str] = []
        category = str(row.get("category") or "").strip()
        if category not in CATEGORIES:
            choices = ", ".join(label(CATEGORY_LABELS, c) for c in CATEGORIES)
            if category:
                problems.append(_("the category must be one of: {choices} (not '{value}')").format(
                    choices=choices, value=category))
            else:
                problems.append(_("the category must be one of: {choices}").format(choices=choices))
        description = str(row.get("description") or "").strip()
        if not description:
            problems.append(_("the description is empty"))
        elif len(description) > 300:
            problems.append(_("the description is longer than {n} characters").format(n=300))
        amounts: dict[str, Decimal] = {}
        for col in QUARTERS + ACTUALS:
            value = _money(row.get(col))
            column = label(AMOUNT_LABELS, col)
            if value is None:
                problems.append(_("{column} must be a number").format(column=column))
            elif value < 0:
                problems.append(_("{column} must not be negative").format(column=column))
            elif value >= Decimal("1e12"):
                problems.append(_("{column} is too large").format(column=column))
            else:
                amounts[col] = value
        goal_id: int | None = None
        if "goal_id" in row and row["goal_id"] is not None and row["goal_id"] == row["goal_id"]:
            try:
                goal_id = int(row["goal_id"])
            except (TypeError, ValueError):
                goal_id = -1
            if goal_id not in titles:
                problems.append(_("the goal does not belong to this plan"))
        elif row.get("goal") not in (None, ""):
            goal_id = by_title.get(str(row["goal"]))
            if goal_id is None:
                problems.append(_("there is no goal '{goal}' in this plan").format(goal=row["goal"]))
        line_id = row.get("id")
        if line_id is not None and line_id == line_id:
            line_id = int(line_id)
            if line_id not in existing:
                problems.append(_("this line does not belong to the plan"))
        else:
            line_id = None
        if problems:
            errors[f"row {n}"] = _("Row {n}: {problems}.").format(n=n, problems="; ".join(problems))
        clean.append({"id": line_id, "category": category, "description": description,
                      "goal_id": goal_id, **amounts})
    if not errors and plan.ceiling is not None:
        total = sum((c[q] for c in clean for q in QUARTERS), ZERO)
        if total > plan.ceiling:
            errors["total"] = _("The planned total {total} exceeds the plan's ceiling {ceiling} by {excess}.").format(
                total=money(total, plan.currency), ceiling=money(plan.ceiling, plan.currency),
                excess=money(total - plan.ceiling, plan.currency))
    if errors:
        raise ValidationError(errors)
    before = [_line_dict(line, titles) for line in plan.lines]
    _bump(plan, session)
    keep = {c["id"] for c in clean if c["id"]}
    for lid, line in existing.items():
        if lid not in keep:
            plan.lines.remove(line)
    for c in clean:
        line = existing.get(c["id"]) if c["id"] else None
        if line is None:
            line = BudgetLine()
            plan.lines.append(line)
        for key, value in c.items():
            if key != "id":
                setattr(line, key, value)
    session.flush()
    audit.record(session, actor, "save_lines", "budget_plan", plan.id,
                 before={"lines": len(before), "planned": str(sum((b["planned"] for b in before), ZERO))},
                 after={"lines": len(clean), "planned": str(sum((c[q] for c in clean for q in QUARTERS), ZERO))})
    return plan.version


def record_actuals(actor: Actor, plan_id: int, expected_version: int | None,
                   actuals: dict[int, dict[str, Any]], *, session: Session) -> int:
    """Record actual spend per line and quarter; allowed on approved plans (spending follows approval)."""
    require(actor, "budget.write")
    plan = _plan(session, plan_id)
    if plan.superseded:
        raise ValidationError({"plan": _("This revision is superseded; record actuals on the newest one.")})
    _check_version(plan, expected_version, session)
    lines = {line.id: line for line in plan.lines}
    errors: dict[str, str] = {}
    clean: dict[int, dict[str, Decimal]] = {}
    order = {lid: pos for pos, lid in enumerate(lines, start=1)}
    for lid, values in actuals.items():
        lid = int(lid)
        if lid not in lines:
            errors[f"line {lid}"] = _("Line {id} does not belong to this plan.").format(id=lid)
            continue
        problems = []
        for col, raw in values.items():
            if col not in ACTUALS:
                problems.append(_("{column} cannot be changed here").format(column=label(AMOUNT_LABELS, col)))
                continue
            value = _money(raw)
            if value is None or value < 0:
                problems.append(_("{column} must be a non-negative number").format(column=label(AMOUNT_LABELS, col)))
            else:
                clean.setdefault(lid, {})[col] = value
        if problems:
            errors[f"row {order[lid]}"] = _("Row {n}: {problems}.").format(n=order[lid], problems="; ".join(problems))
    if errors:
        raise ValidationError(errors)
    _bump(plan, session)
    for lid, values in clean.items():
        for col, value in values.items():
            setattr(lines[lid], col, value)
    session.flush()
    audit.record(session, actor, "record_actuals", "budget_plan", plan.id, detail=f"{len(clean)} lines")
    return plan.version


def _transition(actor: Actor, plan: BudgetPlan, expected_version: int | None, session: Session,
                allowed_from: tuple[str, ...], to: str, action: str, comment: str | None = None) -> None:
    if plan.superseded:
        raise ValidationError({"plan": _("This revision is superseded; open the newest revision.")})
    _check_version(plan, expected_version, session)
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
    plan = _plan(session, plan_id)
    if not plan.lines:
        raise ValidationError({"lines": _("Add at least one budget line before submitting.")})
    _transition(actor, plan, expected_version, session, EDITABLE, "submitted", "submitted")
    return plan.version


def approve_plan(actor: Actor, plan_id: int, expected_version: int | None, comment: str = "", *,
                 session: Session) -> int:
    require(actor, "budget.approve")
    plan = _plan(session, plan_id)
    _transition(actor, plan, expected_version, session, ("submitted",), "approved", "approved",
                (comment or "").strip() or None)
    return plan.version


def return_plan(actor: Actor, plan_id: int, expected_version: int | None, comment: str, *,
                session: Session) -> int:
    require(actor, "budget.approve")
    plan = _plan(session, plan_id)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the plan is returned, so the officer knows what to change.")})
    _transition(actor, plan, expected_version, session, ("submitted",), "returned", "returned",
                comment.strip())
    return plan.version


# ---------------------------------------------------------------- export

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_rows(actor: Actor, plan_id: int, *, session: Session) -> list[dict[str, Any]]:
    require(actor, "budget.read")
    view = get_plan(actor, plan_id, session=session, measure=False)
    out = []
    for line in view.lines:
        row = {"plan": view.name, "fiscal_year": view.fiscal_year, "scenario": view.scenario,
               "revision": view.revision, "status": view.status, "category": line["category"],
               "description": line["description"], "goal": line["goal"] or ""}
        for col in QUARTERS + ACTUALS:
            row[col] = line[col]
        row.update(planned=line["planned"], actual=line["actual"], variance=line["variance"])
        out.append({k: neutralise(v) for k, v in row.items()})
    return out


EXPORT_COLUMNS = ["plan", "fiscal_year", "scenario", "revision", "status", "category", "description",
                  "goal", *QUARTERS, *ACTUALS, "planned", "actual", "variance"]


def export_csv(actor: Actor, plan_id: int, *, session: Session) -> bytes:
    rows = export_rows(actor, plan_id, session=session)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.2f}" if isinstance(v, Decimal) else v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8-sig")


def export_xlsx(actor: Actor, plan_id: int, *, session: Session) -> bytes:
    from openpyxl import Workbook

    rows = export_rows(actor, plan_id, session=session)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Budget")[:31]
    ws.append(EXPORT_COLUMNS)
    for row in rows:
        ws.append([float(row[c]) if isinstance(row[c], Decimal) else row[c] for c in EXPORT_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- home / demo


def seed_demo(*, session: Session, today: dt.date | None = None) -> None:
    """Last year's approved plan with actuals; this year's draft with goals and lines."""
    if session.scalar(select(func.count()).select_from(BudgetPlan)):
        return
    today = today or dt.date.today()
    year = today.year
    officer = session.scalar(select(User.id).where(User.username == "budget"))
    sponsor = session.scalar(select(User.id).where(User.username == "sponsor"))
    last = BudgetPlan(fiscal_year=year - 1, scenario="Base", name=f"CRM budget {year - 1}", status="approved",
                      ceiling=Decimal("250000"), revision=1, created_by_id=officer, decided_by_id=sponsor,
                      decided_at=utcnow(), submitted_at=utcnow(), decision_comment="Approved as proposed.")
    session.add(last)
    session.flush()
    last_lines = [
        ("marketing", "Trade fair stands", (15000, 5000, 15000, 5000), (16200, 4800, 17100, 5300)),
        ("marketing", "Online campaigns", (8000, 8000, 8000, 8000), (7600, 8400, 9100, 8800)),
        ("products", "Sample kits", (6000, 4000, 4000, 6000), (5800, 4100, 3900, 6300)),
        ("customer_service", "Call centre overtime", (5000, 5000, 5000, 7000), (5400, 5200, 4800, 7600)),
        ("maintenance", "CRM licences and hosting", (9000, 9000, 9000, 9000), (9000, 9000, 9000, 9000)),
        ("training", "Sales training days", (4000, 2000, 0, 4000), (3900, 2100, 0, 3600)),
    ]
    for cat, desc, plan_q, act_q in last_lines:
        last.lines.append(BudgetLine(category=cat, description=desc,
                                     **{q: Decimal(v) for q, v in zip(QUARTERS, plan_q)},
                                     **{a: Decimal(v) for a, v in zip(ACTUALS, act_q)}))
    plan = BudgetPlan(fiscal_year=year, scenario="Base", name=f"CRM budget {year}", status="draft",
                      ceiling=Decimal("260000"), revision=1, created_by_id=officer)
    session.add(plan)
    session.flush()
    deadline = dt.date(year, 12, 31)
    goals = [
        ("Win 120 new customers", "new_customers", "customers", Decimal("120")),
        ("Raise retention to 70 %", "retention_rate", "%", Decimal("70")),
        ("Lift NPS to 40", "nps", "points", Decimal("40")),
        ("Cut support response to 24 h", "support_response", "hours", Decimal("24")),
    ]
    window = _measure_window(today - dt.timedelta(days=60))
    made = []
    for title, kpi, unit, target in goals:
        baseline = measure_kpi(kpi, *window, session=session)
        if kpi == "new_customers" and baseline:  # a growth goal: a quarter more than the last 12 months
            target = (Decimal(baseline) * Decimal("1.25")).quantize(Decimal("1"))
            title = f"Win {target} new customers in a year"
        g = BudgetGoal(title=title, kpi=kpi, unit=unit, target=target, deadline=deadline,
                       baseline=baseline, baseline_measured_at=utcnow())
        plan.goals.append(g)
        made.append(g)
    session.flush()
    new_c, retention, nps, support = (g.id for g in made)
    quarter_now = (today.month - 1) // 3  # quarters already under way get a few actuals
    this_lines = [
        ("marketing", "Referral programme", new_c, (6000, 6000, 6000, 6000), (7400, 0, 0, 0)),
        ("marketing", "Trade fair stands", new_c, (12000, 3000, 12000, 3000), (11800, 0, 0, 0)),
        ("customer_service", "Loyalty calls to lapsed customers", retention, (4000, 4000, 4000, 4000), (3900, 0, 0, 0)),
        ("products", "Survey follow-up fixes", nps, (5000, 5000, 3000, 3000), (5600, 0, 0, 0)),
        ("customer_service", "Second-level support shift", support, (7000, 7000, 7000, 7000), (6800, 0, 0, 0)),
        ("training", "Support tooling training", support, (3000, 0, 3000, 0), (2800, 0, 0, 0)),
        ("maintenance", "CRM licences and hosting", None, (9500, 9500, 9500, 9500), (9500, 0, 0, 0)),
    ]
    for cat, desc, goal_id, plan_q, act_q in this_lines:
        acts = [v if i <= quarter_now else 0 for i, v in enumerate(act_q)]
        if quarter_now >= 1:
            acts[1] = int(plan_q[1] * (1.15 if cat == "marketing" else 0.95))
        plan.lines.append(BudgetLine(category=cat, description=desc, goal_id=goal_id,
                                     **{q: Decimal(v) for q, v in zip(QUARTERS, plan_q)},
                                     **{a: Decimal(v) for a, v in zip(ACTUALS, acts)}))
    session.flush()
