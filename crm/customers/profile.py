"""One customer's whole relationship on one screen."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.core.access import Actor, require
from crm.customers.service import CustomerDetail, _read_customer
from crm.core.i18n import N_, Codes
from crm.interactions.service import InteractionFilters, InteractionRow, _interactions
from db.models import Consent, Department, Interaction, Product, Receipt, ReceiptLine, SurveyResponse

TIMELINE_LIMIT = 200
# Where a receipt's purchase was made (shown with ``label(PURCHASE_CHANNELS, code)``).
PURCHASE_CHANNELS = Codes("purchase channel", {"store": N_("Store"), "online": N_("Online"), "partner": N_("Partner")})


@dataclass(frozen=True)
class ProductOwned:
    product: str
    category: str | None
    quantity: int
    revenue: Decimal
    last_bought: dt.datetime


@dataclass(frozen=True)
class Purchase:
    receipt: str
    purchased_at: dt.datetime
    channel: str | None  # a PURCHASE_CHANNELS code
    total: Decimal
    margin: Decimal


@dataclass(frozen=True)
class SupportCall:
    occurred_at: dt.datetime
    subject: str
    outcome: str | None
    channel: str  # a CHANNELS code (crm.interactions.service)


@dataclass(frozen=True)
class SurveyAnswer:
    answered_at: dt.datetime
    score: int | None
    reason_first: str | None
    reason_again: str | None
    comment: str | None


@dataclass(frozen=True)
class ConsentEvent:
    recorded_at: dt.datetime
    purpose: str  # a CONSENT_PURPOSES code (crm.customers.privacy)
    granted: bool
    source: str | None
    wording_version: str | None


@dataclass(frozen=True)
class OpenFollowUp:
    due_on: dt.date
    overdue: bool
    subject: str
    user: str | None


@dataclass(frozen=True)
class Profile:
    customer: CustomerDetail
    timeline: list[InteractionRow]
    timeline_total: int
    products: list[ProductOwned]
    purchases: list[Purchase]
    support_calls: list[SupportCall]
    surveys: list[SurveyAnswer]
    consents: list[ConsentEvent]
    open_follow_ups: list[OpenFollowUp]

    @property
    def lifetime_revenue(self) -> Decimal:
        return self.customer.lifetime_revenue

    @property
    def lifetime_cost(self) -> Decimal:
        return self.customer.lifetime_cost

    @property
    def lifetime_margin(self) -> Decimal:
        return self.customer.lifetime_margin


def customer_profile(actor: Actor, customer_id: int, *, session: Session,
                     timeline_limit: int = TIMELINE_LIMIT) -> Profile:
    require(actor, "customers.read")
    customer = _read_customer(actor, customer_id, session)
    timeline = _interactions(InteractionFilters(customer_id=customer_id), page=1, page_size=timeline_limit,
                             session=session)
    products = [
        ProductOwned(name, category, int(qty), revenue, last)
        for name, category, qty, revenue, last in session.execute(
            select(Product.name, Product.category, func.sum(ReceiptLine.quantity),
                   func.sum(ReceiptLine.quantity * ReceiptLine.unit_price), func.max(Receipt.purchased_at))
            .join(ReceiptLine, ReceiptLine.product_id == Product.id)
            .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
            .where(Receipt.customer_id == customer_id)
            .group_by(Product.id, Product.name, Product.category)
            .order_by(func.max(Receipt.purchased_at).desc())
        ).all()
    ]
    purchases = [
        Purchase(number, at, channel, total, total - cost)
        for number, at, channel, total, cost in session.execute(
            select(Receipt.number, Receipt.purchased_at, Receipt.channel, Receipt.total, Receipt.total_cost)
            .where(Receipt.customer_id == customer_id).order_by(Receipt.purchased_at.desc()).limit(200)
        ).all()
    ]
    support_dept = select(Department.id).where(Department.code == "technical_support").scalar_subquery()
    support_calls = [
        SupportCall(r.occurred_at, r.subject, r.outcome, r.channel)
        for r in session.scalars(
            select(Interaction).where(
                Interaction.customer_id == customer_id,
                or_(Interaction.channel == "support_ticket", Interaction.department_id == support_dept),
            ).order_by(Interaction.occurred_at.desc()).limit(100)
        )
    ]
    surveys = [
        SurveyAnswer(s.answered_at, s.score, s.reason_first, s.reason_again, s.comment)
        for s in session.scalars(
            select(SurveyResponse).where(SurveyResponse.customer_id == customer_id)
            .order_by(SurveyResponse.answered_at.desc())
        )
    ]
    consents = [
        ConsentEvent(c.recorded_at, c.purpose, c.granted, c.source, c.wording_version)
        for c in session.scalars(
            select(Consent).where(Consent.customer_id == customer_id).order_by(Consent.recorded_at.desc())
        )
    ]
    today = dt.date.today()
    open_follow_ups = [
        OpenFollowUp(r.follow_up_on, r.follow_up_on < today, r.subject, r.user)
        for r in timeline.rows if r.follow_up_on and not r.follow_up_done
    ]
    return Profile(customer=customer, timeline=timeline.rows, timeline_total=timeline.total,
                   products=products, purchases=purchases, support_calls=support_calls,
                   surveys=surveys, consents=consents, open_follow_ups=open_follow_ups)
