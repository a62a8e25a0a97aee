"""/api/v1/survey-answers: record one customer's survey answer (the same service as the Surveys page)."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.auth import Key
from api.common import Id, Input, Short, Text
from api.errors import responses
from crm.insights.surveys import record_survey

router = APIRouter(prefix="/v1/survey-answers", tags=["survey answers"])


class SurveyAnswerIn(Input):
    customer_id: Id
    score: int = Field(ge=-1000, le=1000, description="How likely to recommend us, 0 to 10")
    reason_first: Short | None = Field(None, description="Why they chose us first")
    reason_again: Short | None = Field(None, description="Why they chose us again")
    comment: Text | None = None
    answered_on: dt.date | None = Field(None, description="Default: today")


class Created(BaseModel):
    id: int


@router.post("", response_model=Created, status_code=201, responses=responses(403, 404),
             summary="Record a survey answer")
async def create(body: SurveyAnswerIn, call: Key) -> Response:
    return await call.answer(lambda who, session: Created(id=record_survey(
        who.actor, body.customer_id, score=body.score, reason_first=body.reason_first, reason_again=body.reason_again,
        comment=body.comment, answered_on=body.answered_on, session=session)), status=201)
