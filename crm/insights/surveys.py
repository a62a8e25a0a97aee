"""Survey answers: why customers chose us first and again, and how likely they are to recommend us.

Answers are typed here one by one (``record_survey``); files of answers come in through the Import page and
the command line (``crm.importing.surveys``).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import NotFound, ValidationError
from crm.core.i18n import N_, _, number
from crm.customers.service import search_page
from db.models import Customer, SurveyResponse
from db.types import utcnow

REASON_TOO_LONG = {
    "reason_first": N_("The reason they chose us first is longer than {n} characters."),
    "reason_again": N_("The reason they chose us again is longer than {n} characters."),
}


def _check(values: dict[str, Any], session: Session) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    out: dict[str, Any] = {}
    try:
        cid = int(str(values.get("customer_id") or "").strip())
        if session.get(Customer, cid) is None:
            problems.append(_("Customer #{id} does not exist.").format(id=cid))
        out["customer_id"] = cid
    except ValueError:
        problems.append(_("The customer number is missing or not a number."))
    try:
        score = int(str(values.get("score") if values.get("score") is not None else "").strip())
        if not 0 <= score <= 10:
            raise ValueError
        out["score"] = score
    except ValueError:
        problems.append(_("The score must be a whole number from 0 to 10."))
    for key in ("reason_first", "reason_again"):
        text = " ".join(str(values.get(key) or "").split())
        if len(text) > 120:
            problems.append(_(REASON_TOO_LONG[key]).format(n=number(120)))
        out[key] = text or None
    out["comment"] = (str(values.get("comment") or "").strip() or None)
    answered = values.get("answered_on")
    if answered in (None, ""):
        out["answered_at"] = utcnow()
    else:
        try:
            day = answered if isinstance(answered, dt.date) else dt.date.fromisoformat(str(answered).strip()[:10])
            out["answered_at"] = dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc)
            if day > dt.date.today():
                problems.append(_("The answer date is in the future."))
        except ValueError:
            problems.append(_("The answer date must look like {example}.").format(example="2026-03-31"))
    return out, problems


def segment_and_country(session: Session, customer_ids: Iterable[int]) -> dict[int, dict[str, str | None]]:
    """Each customer's segment and country, as copied onto their survey answers."""
    ids = list(customer_ids)
    return {cid: {"segment": segment, "country": country} for cid, segment, country in session.execute(
        select(Customer.id, Customer.segment, Customer.country).where(Customer.id.in_(ids)))}


def record_survey(actor: Actor, customer_id: int, *, score: Any, reason_first: str | None = None,
                  reason_again: str | None = None, comment: str | None = None,
                  answered_on: dt.date | None = None, session: Session) -> int:
    require(actor, "surveys.write")
    try:
        cid = int(str(customer_id).strip())
    except ValueError:
        cid = None  # reported by _check with the other problems
    if cid is not None and session.get(Customer, cid) is None:
        raise NotFound(_("Customer #{id} does not exist.").format(id=cid))
    values, problems = _check({"customer_id": customer_id, "score": score, "reason_first": reason_first,
                               "reason_again": reason_again, "comment": comment, "answered_on": answered_on}, session)
    if problems:
        raise ValidationError({str(i): p for i, p in enumerate(problems)})
    groups = segment_and_country(session, [values["customer_id"]])[values["customer_id"]]
    answer = SurveyResponse(**values, **groups, source="form", recorded_by_id=actor.user_id)
    session.add(answer)
    session.flush()
    audit.record(session, actor, "create", "survey_response", answer.id,
                 after={"customer_id": customer_id, "score": values["score"]})
    return answer.id


def find_customers(actor: Actor, query: str, *, session: Session) -> list[tuple[int, str]]:
    """Customers to pick for a survey answer (uses the customer search)."""
    require(actor, "surveys.write")
    page = search_page(session, actor, query, page_size=20)
    return [(r.id, f"{r.name} — {r.company or r.country or ''} (#{r.id})") for r in page.rows]
