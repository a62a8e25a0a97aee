"""/api/v1/interactions: what was logged (cursor paging, in the order logged) and logging a contact, feedback
included. The same service as the Interactions page: written under the key user's own department."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api import cursor
from api.auth import Key
from api.custom import CUSTOM_IN, CUSTOM_OUT, FILTER_HELP, query_filters
from api.common import DEFAULT_LIMIT, Id, Input, Limit, Page, Short, Text, page_of, plain, utc
from api.errors import responses
from crm.accounts.api_keys import KeyCaller
from crm.core.database import Session
from crm.interactions.service import InteractionFilters, interactions_after, log_interaction

router = APIRouter(prefix="/v1/interactions", tags=["interactions"])
# channels, feedback kinds and departments are managed lists (administrators add values): any code filters
Code = Annotated[str, Query(min_length=1, max_length=60, description="A code of the managed list")]


class InteractionOut(BaseModel):
    id: int
    customer_id: int
    customer: str
    occurred_at: dt.datetime
    department: str
    user: str | None
    channel: str
    direction: str
    subject: str
    notes: str | None
    outcome: str | None
    follow_up_on: dt.date | None
    follow_up_done: bool
    feedback_kind: str | None
    tags: list[str]
    custom: dict[str, Any] = CUSTOM_OUT


class InteractionIn(Input):
    customer_id: Id
    channel: Short = Field(description="A code of the managed list of channels (built in: call, email, meeting, "
                                       "chat, visit, support_ticket)")
    subject: Short
    direction: Short = Field("inbound", description="inbound or outbound")
    notes: Text | None = None
    outcome: Text | None = None
    follow_up_on: dt.date | None = None
    feedback_kind: Short | None = Field(None, description="A code of the managed list of feedback kinds (built in: "
                                                          "feature_request, complaint, praise)")
    tags: list[Short] = Field(default_factory=list, max_length=50, description="Feedback topics (with a kind)")
    occurred_at: dt.datetime | None = Field(None, description="Default: now; without a zone: UTC")
    custom: dict[str, Any] | None = CUSTOM_IN


@router.get("", response_model=Page[InteractionOut], responses=responses(404, 422),
            summary="Interactions in the order they were logged (cursor paging)", description=FILTER_HELP)
async def list_(request: Request, call: Key, customer_id: Id | None = None, channel: Code | None = None,
                feedback_kind: Code | None = None, department: Code | None = None,
                cursor_: str | None = Query(None, alias="cursor", max_length=100),
                limit: Limit = DEFAULT_LIMIT) -> Response:
    def work(who: KeyCaller, session: Session) -> Page[InteractionOut]:
        filters = InteractionFilters(customer_id=customer_id, channel=channel, feedback_kind=feedback_kind,
                                     department=department,
                                     custom=query_filters(request, who.actor, "interactions", session=session))
        found = interactions_after(who.actor, filters, after=cursor.decode(cursor_), limit=limit, session=session)
        return page_of(found, InteractionOut)
    return await call.answer(work)


@router.post("", response_model=InteractionOut, status_code=201, responses=responses(403, 404, 422),
             summary="Log an interaction (feedback: feedback_kind and tags)")
async def create(body: InteractionIn, call: Key) -> Response:
    fields = body.model_dump(exclude={"customer_id"})
    fields["occurred_at"] = utc(fields["occurred_at"])
    return await call.answer(lambda who, session: InteractionOut.model_validate(plain(
        log_interaction(who.actor, body.customer_id, session=session, **fields))), status=201)
