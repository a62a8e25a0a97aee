"""The events other systems can hear of, and ``emit``: queue one delivery per webhook that wants an event.

``emit`` writes into the caller's session, so the deliveries commit (or roll back) with the change they
describe: a change that is rolled back sends nothing. The body of each delivery is fixed here, once (the
Standard Webhooks shape ``{"type", "timestamp", "data"}``): every retry sends the same bytes.
"""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, event as sa_event, insert, or_, select, update
from sqlalchemy.orm import Session

from crm.core.i18n import N_, Codes
from db.models import Webhook, WebhookDelivery
from db.types import utcnow

CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_MERGED = "customer.merged"
CUSTOMER_ERASED = "customer.erased"
INTERACTION_LOGGED = "interaction.logged"
FEEDBACK_RECEIVED = "feedback.received"
RECEIPT_IMPORTED = "receipt.imported"
PLAN_APPROVED = "plan.approved"
PHASE_SIGNED_OFF = "checklist.phase_signed_off"

EVENTS = Codes("webhook event", {
    CUSTOMER_CREATED: N_("Customer created"),
    CUSTOMER_UPDATED: N_("Customer updated"),
    CUSTOMER_MERGED: N_("Customers merged"),
    CUSTOMER_ERASED: N_("Customer erased"),
    INTERACTION_LOGGED: N_("Interaction logged"),
    FEEDBACK_RECEIVED: N_("Feedback received"),
    RECEIPT_IMPORTED: N_("Receipts imported"),
    PLAN_APPROVED: N_("Budget plan approved"),
    PHASE_SIGNED_OFF: N_("Checklist phase signed off"),
})

# Set after a transaction that queued deliveries commits: this server's sender looks at once (others within
# their polling interval).
QUEUED = threading.Event()


def emit(session: Session, event: str, payload: dict[str, Any], *, now: dt.datetime | None = None) -> int:
    """Queue ``event`` with ``payload`` (ids and the changed fields) for every active webhook subscribed to
    it, in the caller's transaction; returns how many deliveries were queued."""
    return emit_each(session, event, [payload], now=now)


def emit_each(session: Session, event: str, payloads: Iterable[dict[str, Any]], *,
              now: dt.datetime | None = None) -> int:
    """``emit`` for several changes of one kind (a bulk edit): one look at the webhooks for all of them."""
    if event not in EVENTS:
        raise KeyError(f"Unknown webhook event {event!r}")
    targets = subscribers(session, event)
    if not targets:
        return 0
    now = now or utcnow()
    stamp = now.isoformat().replace("+00:00", "Z")
    rows = [{"webhook_id": webhook_id, "message_id": new_message_id(), "event": event,
             "payload": {"type": event, "timestamp": stamp, "data": plain(payload)}, "status": "pending",
             "attempts": 0, "created_at": now, "next_attempt_at": now}
            for payload in payloads for webhook_id in targets]
    if rows:
        session.execute(insert(WebhookDelivery), rows)
        sa_event.listen(session, "after_commit", _wake, once=True)
    return len(rows)


def subscribers(session: Session, event: str) -> list[int]:
    """The active webhooks that want ``event``: one query on the (small) webhooks table per emit, so a
    webhook registered or paused on any server counts at once on every server."""
    rows = session.execute(select(Webhook.id, Webhook.events).where(Webhook.active.is_(True))).all()
    return [webhook_id for webhook_id, events in rows if event in (events or ())]


def new_message_id() -> str:
    """A delivery's ``webhook-id``: unique, kept across its retries (receivers use it to skip duplicates)."""
    return "msg_" + uuid.uuid4().hex


def plain(value: Any) -> Any:
    """``value`` as JSON takes it: dates as ISO text, amounts as text (no float rounding)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def forget_customer(session: Session, customer_id: int) -> int:
    """On erasure: the delivery log keeps no copy of the customer's data. Every stored delivery about the
    customer (sent or not) keeps only the customer's id; returns how many were changed."""
    text = cast(WebhookDelivery.payload, String)
    mentions = or_(text.contains(f'"customer_id": {customer_id},'), text.contains(f'"customer_id": {customer_id}}}'),
                   text.contains(f'"merged_customer_id": {customer_id},'),
                   text.contains(f'"merged_customer_id": {customer_id}}}'))
    changed = 0
    for delivery_id, payload in session.execute(select(WebhookDelivery.id, WebhookDelivery.payload).where(mentions)):
        data = (payload or {}).get("data") or {}
        if customer_id not in (data.get("customer_id"), data.get("merged_customer_id")) or data.get("erased"):
            continue
        kept = {k: v for k, v in data.items() if k.endswith("_id") and isinstance(v, int)}
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                        .values(payload={**payload, "data": {**kept, "erased": True}}))
        changed += 1
    return changed


def _wake(_session: Session) -> None:
    QUEUED.set()
