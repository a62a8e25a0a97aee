"""KPI measurement from CRM data for budget goals.

``measure_kpi(kpi, start, end, *, session)`` returns the KPI over [start, end]
(dates inclusive) or ``None`` when it cannot be measured (unknown KPI, no data).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db.models import Customer, Interaction, Receipt, SurveyResponse

MEASURABLE = ("new_customers", "retention_rate", "nps", "repeat_revenue", "support_response")


def measure_window(end: dt.date) -> tuple[dt.date, dt.date]:
    """The year ending on ``end`` (both days included): the window a goal's KPI is measured over."""
    return end - dt.timedelta(days=364), end


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    utc = dt.timezone.utc
    return (dt.datetime.combine(start, dt.time(), tzinfo=utc),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=utc))


def measure_kpi(kpi: str, start: dt.date, end: dt.date, *, session: Session) -> Decimal | None:
    lo, hi = _bounds(start, end)
    if kpi == "new_customers":
        n = session.scalar(select(func.count()).select_from(Customer).where(
            Customer.created_at >= lo, Customer.created_at < hi, Customer.merged_into_id.is_(None)))
        return Decimal(n or 0)
    if kpi == "nps":
        total, promoters, detractors = session.execute(select(
            func.count(),
            func.coalesce(func.sum(case((SurveyResponse.score >= 9, 1), else_=0)), 0),
            func.coalesce(func.sum(case((SurveyResponse.score <= 6, 1), else_=0)), 0),
        ).where(SurveyResponse.answered_at >= lo, SurveyResponse.answered_at < hi)).one()
        if not total:
            return None
        return (Decimal(100) * (Decimal(promoters) - Decimal(detractors)) / Decimal(total)).quantize(Decimal("0.01"))
    if kpi == "retention_rate":
        length = hi - lo
        prev = select(Receipt.customer_id).where(
            Receipt.purchased_at >= lo - length, Receipt.purchased_at < lo).distinct().subquery()
        base = session.scalar(select(func.count()).select_from(prev))
        if not base:
            return None
        kept = session.scalar(select(func.count(func.distinct(Receipt.customer_id))).where(
            Receipt.customer_id.in_(select(prev.c.customer_id)),
            Receipt.purchased_at >= lo, Receipt.purchased_at < hi))
        return (Decimal(100) * Decimal(kept or 0) / Decimal(base)).quantize(Decimal("0.01"))
    if kpi == "repeat_revenue":
        earlier = select(Receipt.customer_id).where(Receipt.purchased_at < lo).distinct()
        total = session.scalar(select(func.coalesce(func.sum(Receipt.total), 0)).where(
            Receipt.customer_id.in_(earlier), Receipt.purchased_at >= lo, Receipt.purchased_at < hi))
        return Decimal(total or 0).quantize(Decimal("0.01"))
    if kpi == "support_response":
        # average hours from a support ticket to its follow-up being done
        rows = session.execute(select(Interaction.occurred_at, Interaction.follow_up_done_at).where(
            and_(Interaction.channel == "support_ticket", Interaction.follow_up_done_at.is_not(None),
                 Interaction.occurred_at >= lo, Interaction.occurred_at < hi)).limit(5000)).all()
        if not rows:
            return None
        hours = [(done - at).total_seconds() / 3600 for at, done in rows]
        return Decimal(str(round(sum(hours) / len(hours), 2)))
    return None
