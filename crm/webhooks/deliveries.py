"""The delivery log: what was sent where, how often, with what answer; and "retry now" for failed ones."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import NotFound, ValidationError
from crm.core.i18n import N_, Codes, _
from crm.core.paging import Page, page_window
from db.models import Webhook, WebhookDelivery
from db.types import utcnow

STATUSES = Codes("delivery status", {
    "pending": N_("Waiting"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed"),
})
PAGE_SIZE = 50


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery as the log shows it (the payload is not shown: it may hold customers' data)."""

    id: int
    webhook: str
    message_id: str
    event: str
    status: str
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None  # when pending
    last_attempt_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: dt.datetime | None


def list_deliveries(actor: Actor, *, webhook_id: int | None = None, status: str | None = None, page: int = 1,
                    page_size: int = PAGE_SIZE, session: Session) -> Page[DeliveryRow]:
    """The newest deliveries first, of one webhook or all, of one status or all; paged in SQL."""
    require(actor, "webhooks.manage")
    ids = select(WebhookDelivery.id).order_by(WebhookDelivery.id.desc())
    if webhook_id is not None:
        ids = ids.where(WebhookDelivery.webhook_id == webhook_id)
    if status:
        ids = ids.where(WebhookDelivery.status == status)
    window = page_window(session, ids, page, page_size)
    found = {d.id: (d, name) for d, name in session.execute(
        select(WebhookDelivery, Webhook.name).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id.in_(window.ids)))}
    rows = [DeliveryRow(d.id, name, d.message_id, d.event, d.status, d.attempts, d.created_at,
                        d.next_attempt_at if d.status == "pending" else None, d.last_attempt_at, d.last_status,
                        d.last_error, d.delivered_at)
            for d, name in (found[i] for i in window.ids if i in found)]
    return Page(rows, window.total, page, page_size, window.more)


def retry_delivery(actor: Actor, delivery_id: int, *, now: dt.datetime | None = None, session: Session) -> int:
    """Send a failed delivery again, at once (one more attempt; it fails again if the receiver still refuses);
    returns its id."""
    require(actor, "webhooks.manage")
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(_("That delivery no longer exists."))
    if delivery.status != "failed":
        raise ValidationError({"delivery": _("Only a failed delivery can be retried.")})
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "failed")
                    .values(status="pending", next_attempt_at=now or utcnow(), claimed_until=None))
    audit.record(session, actor, "retry", "webhook_delivery", delivery_id, detail=delivery.message_id)
    return delivery_id
