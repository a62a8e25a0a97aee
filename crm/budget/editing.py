"""Editing a budget plan: its goals, its lines (by line id, each line pointing at its goal by id) and actual spend."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from crm.budget.codes import ACTUALS, AMOUNT_LABELS, KPI_LABELS, KPIS, QUARTERS, ZERO, category_label
from crm.budget.kpis import MEASURABLE, measure_kpi, measure_window
from crm.budget.locking import bump_version, check_version, confirm_unchanged, require_editable
from crm.budget.plans import line_dict, load_plan, parse_money, plan_categories
from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ValidationError
from crm.core.i18n import _, label, money
from db.models import BudgetGoal, BudgetLine
from db.types import utcnow

LINE_FIELDS = ("category", "description", "goal_id", *QUARTERS, *ACTUALS)


@dataclass(frozen=True)
class LinesSaved:
    """What ``save_lines`` did: the plan's version afterwards and how many lines were added, changed or deleted."""
    version: int
    changed: int


def _is_missing(value: Any) -> bool:
    return value is None or value != value or (isinstance(value, str) and not value.strip())


def save_goals(actor: Actor, plan_id: int, expected_version: int | None, goals: list[dict[str, Any]],
               *, session: Session, today: dt.date | None = None) -> int:
    """Replace the plan's goals with ``goals`` (dicts with optional id). Titles are unique within the
    plan. Lines of removed goals become unjustified. Baselines left empty are measured from CRM data now."""
    require(actor, "budget.write")
    plan = load_plan(session, plan_id)
    require_editable(plan)
    check_version(plan, expected_version, session)
    today = today or dt.date.today()
    errors: dict[str, str] = {}
    existing = {g.id: g for g in plan.goals}
    clean: list[dict[str, Any]] = []
    seen_titles: set[str] = set()
    for i, row in enumerate(goals, start=1):
        problems = []
        title = str(row.get("title") or "").strip()
        kpi = str(row.get("kpi") or "").strip()
        if not title:
            problems.append(_("the goal needs a title"))
        elif title.casefold() in seen_titles:
            problems.append(_("another goal of this plan is already titled '{title}'").format(title=title))
        seen_titles.add(title.casefold())
        if kpi not in KPIS:
            problems.append(_("the KPI must be one of: {choices}").format(
                choices=", ".join(label(KPI_LABELS, k) for k in KPIS)))
        target = parse_money(row.get("target")) if row.get("target") not in (None, "") else None
        if target is None:
            problems.append(_("the target must be a number"))
        baseline = row.get("baseline")
        baseline = None if baseline in (None, "") or (isinstance(baseline, float) and baseline != baseline) \
            else parse_money(baseline)
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
    bump_version(plan, session)
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
            g.baseline = measure_kpi(c["kpi"], *measure_window(today), session=session)
            g.baseline_measured_at = utcnow()
    session.flush()
    audit.record(session, actor, "save_goals", "budget_plan", plan.id, detail=f"{len(clean)} goals")
    return plan.version


def _check_line(row: dict[str, Any], goal_ids: set[int],
                categories: dict[str, dict[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """A line's values cleaned, and what is wrong with them (in words a user reads)."""
    problems: list[str] = []
    for key in row:
        if key not in LINE_FIELDS:
            problems.append(_("{column} cannot be changed here").format(column=label(AMOUNT_LABELS, key)))
    category = str(row.get("category") or "").strip()
    if category not in categories:
        choices = ", ".join(category_label(categories, c) for c in categories)
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
        value = parse_money(row.get(col))
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
    if not _is_missing(row.get("goal_id")):
        try:
            goal_id = int(row["goal_id"])
        except (TypeError, ValueError):
            goal_id = -1
        if goal_id not in goal_ids:
            problems.append(_("the goal does not belong to this plan"))
    return {"category": category, "description": description, "goal_id": goal_id, **amounts}, problems


def save_lines(actor: Actor, plan_id: int, expected_version: int | None, *,
               changed: dict[int, dict[str, Any]] | None = None, added: list[dict[str, Any]] | None = None,
               deleted: Iterable[int] | None = None, session: Session) -> LinesSaved:
    """Validate and apply all line changes at once, or none.

    ``changed`` maps a line id to the fields that change; ``added`` holds new lines (no id);
    ``deleted`` lists line ids. A line's goal is its ``goal_id`` (None: the line serves no goal).
    Errors are keyed "row N", N being the line's place in the plan (lines ordered by id, new ones after).
    Nothing is written, and the version stays, when no line actually changes.
    """
    require(actor, "budget.write")
    plan = load_plan(session, plan_id)
    require_editable(plan)
    check_version(plan, expected_version, session)
    goal_ids = {g.id for g in plan.goals}
    existing = {line.id: line for line in plan.lines}
    place = {lid: pos for pos, lid in enumerate(existing, start=1)}
    changed = {int(lid): dict(values) for lid, values in (changed or {}).items()}
    gone = {int(lid) for lid in (deleted or [])}
    errors: dict[str, str] = {}
    for lid in sorted((set(changed) | gone) - set(existing)):
        errors[f"line {lid}"] = _("Line {id} does not belong to this plan.").format(id=lid)
    rows: list[tuple[int, int | None, dict[str, Any]]] = []  # (row number, line id, values)
    for lid, line in existing.items():
        if lid in gone:
            continue
        current = line_dict(line, {})
        row = {k: current[k] for k in LINE_FIELDS}
        row.update(changed.get(lid, {}))
        rows.append((place[lid], lid, row))
    for k, values in enumerate(added or []):
        row = {key: value for key, value in values.items() if key != "id"}
        rows.append((len(existing) + k + 1, None, row))
    clean: list[tuple[int | None, dict[str, Any]]] = []
    for n, lid, row in rows:
        values, problems = _check_line(row, goal_ids, plan_categories(plan))
        if problems:
            errors[f"row {n}"] = _("Row {n}: {problems}.").format(n=n, problems="; ".join(problems))
        clean.append((lid, values))
    if errors:
        raise ValidationError(errors)
    total = sum((values[q] for _lid, values in clean for q in QUARTERS), ZERO)
    if plan.ceiling is not None and total > plan.ceiling:
        errors["total"] = _("The planned total {total} exceeds the plan's ceiling {ceiling} by {excess}.").format(
            total=money(total), ceiling=money(plan.ceiling), excess=money(total - plan.ceiling))
    if errors:
        raise ValidationError(errors)
    edits = [(lid, values) for lid, values in clean
             if lid is None or any(getattr(existing[lid], k) != v for k, v in values.items())]
    count = len(edits) + len(gone)
    if not count:
        confirm_unchanged(plan, expected_version, session)
        return LinesSaved(plan.version, 0)
    before = sum((line_dict(line, {})["planned"] for line in plan.lines), ZERO)
    lines_before = len(plan.lines)
    bump_version(plan, session)
    for lid in gone:
        plan.lines.remove(existing[lid])
    for lid, values in edits:
        line = existing[lid] if lid is not None else None
        if line is None:
            line = BudgetLine()
            plan.lines.append(line)
        for key, value in values.items():
            setattr(line, key, value)
    session.flush()
    audit.record(session, actor, "save_lines", "budget_plan", plan.id,
                 before={"lines": lines_before, "planned": str(before)},
                 after={"lines": len(clean), "planned": str(total)})
    return LinesSaved(plan.version, count)


def record_actuals(actor: Actor, plan_id: int, expected_version: int | None,
                   actuals: dict[int, dict[str, Any]], *, session: Session) -> int:
    """Record actual spend per line and quarter; allowed on approved plans (spending follows approval)."""
    require(actor, "budget.write")
    plan = load_plan(session, plan_id)
    if plan.superseded:
        raise ValidationError({"plan": _("This revision is superseded; record actuals on the newest one.")})
    check_version(plan, expected_version, session)
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
            value = parse_money(raw)
            if value is None or value < 0:
                problems.append(_("{column} must be a non-negative number").format(column=label(AMOUNT_LABELS, col)))
            else:
                clean.setdefault(lid, {})[col] = value
        if problems:
            errors[f"row {order[lid]}"] = _("Row {n}: {problems}.").format(n=order[lid], problems="; ".join(problems))
    if errors:
        raise ValidationError(errors)
    bump_version(plan, session)
    for lid, values in clean.items():
        for col, value in values.items():
            setattr(lines[lid], col, value)
    session.flush()
    audit.record(session, actor, "record_actuals", "budget_plan", plan.id, detail=f"{len(clean)} lines")
    return plan.version
