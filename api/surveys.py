"""/api/v1/survey-answers: record one customer's survey answer (the same service as the Surveys page)."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.auth import caller
from api.common import Id, Input, Short, Text
from api.errors import responses
from crm.accounts.api_keys import KeyCaller
from crm.core.database import session_scope
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
def create(body: SurveyAnswerIn, who: KeyCaller = Depends(caller)) -> Created:
    with session_scope() as session:
        return Created(id=record_survey(who.actor, body.customer_id, score=body.score, reason_first=body.reason_first,
                                        reason_again=body.reason_again, comment=body.comment,
                                        answered_on=body.answered_on, session=session))
