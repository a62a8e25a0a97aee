"""One customer's whole relationship on one screen."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.core.access import Actor, require
from crm.customers.service import CustomerDetail, get_customer
from crm.core.i18n import N_, Codes, label
from crm.customers.privacy import CONSENT_PURPOSES
from crm.interactions.service import CHANNELS, InteractionFilters, InteractionRow, list_interactions
from db.models import Consent, Department, Interaction, Product, Receipt, ReceiptLine, SurveyResponse

TIMELINE_LIMIT = 200
# Where a receipt's purchase was made (shown with ``label(PURCHASE_CHANNELS, code)``).
PURCHASE_CHANNELS = Codes("purchase channel", {"store": N_("Store"), "online": N_("Online"), "partner": N_("Partner")})
# The tables below have English column names marked for the catalog; the page shows them
# translated (``df.rename(columns=_)``).


@dataclass(frozen=True)
class Profile:
    customer: CustomerDetail
    timeline: list[InteractionRow]
    timeline_total: int
    products: list[dict[str, Any]]
    purchases: list[dict[str, Any]]
    support_calls: list[dict[str, Any]]
    surveys: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    open_follow_ups: list[dict[str, Any]]

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
    customer = get_customer(actor, customer_id, session=session)
    timeline = list_interactions(actor, InteractionFilters(customer_id=customer_id),
                                 page_size=timeline_limit, session=session)
    products = [
        {N_("Product"): name, N_("Category"): category, N_("Quantity"): int(qty), N_("Revenue"): revenue,
         N_("Last bought"): last}
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
        {N_("Receipt"): number, N_("Date"): at, N_("Channel"): label(PURCHASE_CHANNELS, channel) or None,
         N_("Total"): total, N_("Margin"): total - cost}
        for number, at, channel, total, cost in session.execute(
            select(Receipt.number, Receipt.purchased_at, Receipt.channel, Receipt.total, Receipt.total_cost)
            .where(Receipt.customer_id == customer_id).order_by(Receipt.purchased_at.desc()).limit(200)
        ).all()
    ]
    support_dept = select(Department.id).where(Department.code == "technical_support").scalar_subquery()
    support_calls = [
        {N_("Date"): r.occurred_at, N_("Subject"): r.subject, N_("Outcome"): r.outcome,
         N_("Channel"): label(CHANNELS, r.channel) or None}
        for r in session.scalars(
            select(Interaction).where(
                Interaction.customer_id == customer_id,
                or_(Interaction.channel == "support_ticket", Interaction.department_id == support_dept),
            ).order_by(Interaction.occurred_at.desc()).limit(100)
        )
    ]
    surveys = [
        {N_("Date"): s.answered_at, N_("Score"): s.score, N_("Chose us first for"): s.reason_first,
         N_("Chose us again for"): s.reason_again, N_("Comment"): s.comment}
        for s in session.scalars(
            select(SurveyResponse).where(SurveyResponse.customer_id == customer_id)
            .order_by(SurveyResponse.answered_at.desc())
        )
    ]
    consents = [
        {N_("When"): c.recorded_at, N_("Purpose"): label(CONSENT_PURPOSES, c.purpose), N_("Given"): c.granted,
         N_("Source"): c.source, N_("Wording"): c.wording_version}
        for c in session.scalars(
            select(Consent).where(Consent.customer_id == customer_id).order_by(Consent.recorded_at.desc())
        )
    ]
    today = dt.date.today()
    open_follow_ups = [
        {N_("Due"): r.follow_up_on, N_("Overdue"): r.follow_up_on < today, N_("Subject"): r.subject,
         N_("Who"): r.user}
        for r in timeline.rows if r.follow_up_on and not r.follow_up_done
    ]
    return Profile(customer=customer, timeline=timeline.rows, timeline_total=timeline.total,
                   products=products, purchases=purchases, support_calls=support_calls,
                   surveys=surveys, consents=consents, open_follow_ups=open_follow_ups)
