"""/api/v1/checklist and /api/v1/budget-plans: the rollout checklist and the budget plans, read only."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from api import cursor
from api.auth import Key
from api.common import DEFAULT_LIMIT, Id, Limit, Money, Page, page_of, plain
from api.errors import responses
from crm.accounts.api_keys import KeyCaller
from crm.budget import plans
from crm.core.database import Session
from crm.core.i18n import _
from crm.core.keyset import Slice
from crm.rollout import checklist

router = APIRouter(prefix="/v1", tags=["checklist and budget plans"])
Phase = Literal[tuple(checklist.PHASES)]  # type: ignore[valid-type]


class ChecklistItemOut(BaseModel):
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
    measured_by: str | None = Field(description="The portal ticks this item itself and reopens it when its state "
                                                "stops holding (the rule, in the request's language); null: by hand")


class PhaseOut(BaseModel):
    phase: str
    total: int
    closed: int
    blocked: int
    overdue: int
    percent: int
    signed_off: bool
    signed_by: str | None
    signed_at: dt.datetime | None


class PlanSummaryOut(BaseModel):
    id: int
    fiscal_year: int
    scenario: str
    name: str
    status: str
    revision: int
    superseded: bool
    ceiling: Money | None
    planned: Money
    version: int


class GoalOut(BaseModel):
    id: int
    title: str
    kpi: str
    unit: str | None
    baseline: Money | None
    target: Money
    deadline: dt.date | None
    current: Money | None
    progress: float | None
    cost: Money


class LineOut(BaseModel):
    id: int
    category: str
    description: str | None
    goal_id: int | None
    goal: str | None
    planned: Money
    actual: Money
    variance: Money
    quarters: dict[str, Money]


class PlanOut(BaseModel):
    id: int
    fiscal_year: int
    scenario: str
    name: str
    status: str
    revision: int
    superseded: bool
    ceiling: Money | None
    currency: str
    version: int
    decision_comment: str | None
    decided_by: str | None
    previous_revision_id: int | None
    copied_from_id: int | None
    goals: list[GoalOut]
    lines: list[LineOut]


def _after(rows: list, after: int | None, limit: int) -> Slice:
    """A keyset slice of a short list the service returns whole (a checklist, the plans), in id order."""
    rest = sorted((r for r in rows if after is None or r.id > after), key=lambda r: r.id)
    page = rest[:limit]
    return Slice(page, page[-1].id if len(rest) > limit else None)


@router.get("/checklist/items", response_model=Page[ChecklistItemOut], responses=responses(403),
            summary="Rollout checklist items (by id, cursor paging)")
async def checklist_items(call: Key, phase: Phase | None = None,
                          cursor_: str | None = Query(None, alias="cursor", max_length=100),
                          limit: Limit = DEFAULT_LIMIT) -> Response:
    def work(who: KeyCaller, session: Session) -> Page[ChecklistItemOut]:
        found = _after(checklist.list_items(who.actor, phase=phase, session=session), cursor.decode(cursor_), limit)
        return Page[ChecklistItemOut](items=[_item(view) for view in found.rows],
                                      next_cursor=cursor.encode(found.next_after), has_more=found.has_more)
    return await call.answer(work)


def _item(view: checklist.ItemView) -> ChecklistItemOut:
    rule = view.measured_by
    return ChecklistItemOut.model_validate({**plain(view), "measured_by": _(rule[1]) if rule else None})


@router.get("/checklist/phases", response_model=list[PhaseOut], responses=responses(403),
            summary="Progress and sign-off of each rollout phase")
async def checklist_phases(call: Key) -> Response:
    return await call.answer(lambda who, session: [
        PhaseOut.model_validate(plain(p)) for p in checklist.phase_progress(who.actor, session=session)])


@router.get("/budget-plans", response_model=Page[PlanSummaryOut], responses=responses(403),
            summary="Budget plans (by id, cursor paging)")
async def budget_plans(call: Key, cursor_: str | None = Query(None, alias="cursor", max_length=100),
                       limit: Limit = DEFAULT_LIMIT) -> Response:
    return await call.answer(lambda who, session: page_of(_after(
        plans.list_plans(who.actor, session=session), cursor.decode(cursor_), limit), PlanSummaryOut))


@router.get("/budget-plans/{plan_id}", response_model=PlanOut, responses=responses(403, 404),
            summary="One budget plan with its goals and lines")
async def budget_plan(plan_id: Id, call: Key) -> Response:
    return await call.answer(lambda who, session: _plan(plans.get_plan(who.actor, plan_id, session=session)))


def _plan(view: plans.PlanView) -> PlanOut:
    data = plain(view)
    data["lines"] = [{**{k: line[k] for k in ("id", "category", "description", "goal_id", "goal", "planned",
                                               "actual", "variance")},
                      "quarters": {k: v for k, v in line.items() if k.startswith(("q", "actual_"))}}
                     for line in data["lines"]]
    return PlanOut.model_validate(data)
