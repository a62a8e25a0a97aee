"""Sending queued deliveries: claim a few in the database, POST them signed, record the answer, retry later.

A claim is one conditional UPDATE (pending, due, not claimed or the claim expired -> claimed for CLAIM),
committed before anything is sent. So two senders (two servers, or a server's thread and the
``python -m crm webhooks send`` timer) never send one delivery at the same time, and a sender that stops
mid-delivery loses nothing: its claim expires and another sender sends the delivery again. A receiver may
therefore see a message twice (after such a stop): it skips a ``webhook-id`` it has seen.

A 2xx answer delivers; anything else (another status, a timeout, a refused connection) is retried after
BACKOFF, and after MAX_ATTEMPTS attempts the delivery is failed (the page can send it again).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update

from crm.core.database import ready
from crm.webhooks.events import QUEUED
from crm.webhooks.signing import headers
from db.engine import get_engine
from db.models import Webhook, WebhookDelivery
from db.types import utcnow

log = logging.getLogger(__name__)

CLAIM = dt.timedelta(seconds=60)
TIMEOUT = 10.0  # seconds for one POST
BATCH = 5  # deliveries claimed at once: BATCH * TIMEOUT stays within CLAIM
BACKOFF = (dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=10), dt.timedelta(hours=1),
           dt.timedelta(hours=6), dt.timedelta(hours=12), dt.timedelta(hours=24))
MAX_ATTEMPTS = len(BACKOFF) + 1  # 8 attempts over about two days, then failed
MAX_PASSES = 40  # batches per deliver_due call (a backlog is worked off over several calls)
USER_AGENT = "CRM-portal-webhooks/1"
_D = WebhookDelivery.__table__
_W = Webhook.__table__


@dataclass(frozen=True)
class Claimed:
    """A delivery this sender holds until ``claimed_until`` (its token: a later claim by another sender differs)."""

    id: int
    message_id: str
    payload: dict[str, Any]
    url: str
    secret: str
    attempts: int
    claimed_until: dt.datetime


@dataclass
class SendReport:
    """What one ``deliver_due`` did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0  # claimed but not sent (stopping, or the claim would have run out): sent later
    errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.delivered + self.retrying + self.failed


def deliver_due(url: str | None = None, *, now: dt.datetime | None = None, limit: int = BATCH * MAX_PASSES,
                stop: threading.Event | None = None) -> SendReport:
    """Send the deliveries that are due (at most ``limit``), a claimed batch at a time.

    ``now`` fixes the clock (tests); by default each step reads the time. ``stop`` ends the work between two
    deliveries (the rest of the batch is released for the next sender)."""
    engine = get_engine(ready(url))
    report = SendReport()
    while report.sent + report.released < limit and not (stop and stop.is_set()):
        batch = claim(engine, now or utcnow(), min(BATCH, limit - report.sent - report.released))
        if not batch:
            break
        started = time.monotonic()
        for n, delivery in enumerate(batch):
            out_of_time = time.monotonic() - started + TIMEOUT > CLAIM.total_seconds()
            if (stop and stop.is_set()) or out_of_time:
                report.released += release(engine, batch[n:])
                break
            _count(report, send(engine, delivery, now=now))
    return report


def claim(engine: Engine, now: dt.datetime, limit: int = BATCH) -> list[Claimed]:
    """Claim up to ``limit`` due deliveries of active webhooks, oldest due first, committed at once."""
    due = and_(_D.c.status == "pending", _D.c.next_attempt_at <= now,
               or_(_D.c.claimed_until.is_(None), _D.c.claimed_until < now))
    pick = (select(_D.c.id).join(_W, _W.c.id == _D.c.webhook_id).where(due, _W.c.active.is_(True))
            .order_by(_D.c.next_attempt_at, _D.c.id).limit(limit)
            .with_for_update(skip_locked=True, of=_D))  # PostgreSQL: rows another sender is claiming are skipped
    until = now + CLAIM
    with engine.begin() as conn:
        ids = conn.execute(update(_D).where(_D.c.id.in_(pick), due).values(claimed_until=until)
                           .returning(_D.c.id)).scalars().all()
        if not ids:
            return []
        rows = conn.execute(select(_D.c.id, _D.c.message_id, _D.c.payload, _W.c.url, _W.c.secret, _D.c.attempts,
                                   _D.c.claimed_until).join(_W, _W.c.id == _D.c.webhook_id)
                            .where(_D.c.id.in_(ids)).order_by(_D.c.next_attempt_at, _D.c.id)).all()
    return [Claimed(*row) for row in rows]


def release(engine: Engine, batch: list[Claimed]) -> int:
    """Give back claimed deliveries that were not sent: the next sender takes them at once."""
    with engine.begin() as conn:
        for d in batch:
            conn.execute(update(_D).where(_D.c.id == d.id, _D.c.claimed_until == d.claimed_until)
                         .values(claimed_until=None))
    return len(batch)


def body_of(payload: dict[str, Any]) -> str:
    """The exact text that is sent and signed (the same on every retry)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def send(engine: Engine, d: Claimed, *, now: dt.datetime | None = None) -> str:
    """POST one claimed delivery and record the answer; returns its status afterwards (delivered, pending or
    failed)."""
    body = body_of(d.payload)
    stamp = int((now or utcnow()).timestamp())
    status, error = post(d.url, body.encode("utf-8"), headers(d.secret, d.message_id, stamp, body))
    return record(engine, d, status, error, now=now or utcnow())


def post(url: str, body: bytes, signed: dict[str, str], timeout: float = TIMEOUT) -> tuple[int | None, str | None]:
    """(HTTP status or None, what went wrong or None). Redirects are not followed: the admin gave the address."""
    request = urllib.request.Request(url, data=body, method="POST", headers={**signed, "user-agent": USER_AGENT})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(65536)
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"[:300]
    except urllib.error.URLError as exc:
        return None, _described(exc.reason)
    except (OSError, ValueError) as exc:  # a timeout while reading, a reset connection, a bad address
        return None, _described(exc)


def record(engine: Engine, d: Claimed, status: int | None, error: str | None, *, now: dt.datetime) -> str:
    """Note one attempt: delivered on a 2xx, else due again after the backoff or failed after the last
    attempt. Written only while the claim is still this sender's (else the other sender's answer counts)."""
    attempts = d.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now, "last_status": status,
                              "claimed_until": None}
    if status is not None and 200 <= status < 300:
        outcome = "delivered"
        values |= {"status": outcome, "delivered_at": now, "last_error": None}
    else:
        error = error or f"HTTP {status}"
        if attempts >= MAX_ATTEMPTS:
            outcome = "failed"
            values |= {"status": outcome, "last_error": error}
        else:
            outcome = "pending"
            values |= {"next_attempt_at": now + BACKOFF[attempts - 1], "last_error": error}
    with engine.begin() as conn:
        conn.execute(update(_D).where(_D.c.id == d.id, _D.c.claimed_until == d.claimed_until).values(**values))
    return outcome


class BackgroundSender:
    """The server's own sender: a daemon thread that sends what is due every ``interval`` seconds, and at
    once when this server queued something (``events.QUEUED``). ``stop`` ends it between two deliveries."""

    def __init__(self, url: str | None = None, interval: float = 5.0) -> None:
        self.url, self.interval = url, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = TIMEOUT + 5) -> None:
        self._stop.set()
        QUEUED.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            QUEUED.clear()
            try:
                report = deliver_due(self.url, stop=self._stop)
                if report.sent:
                    log.info("webhooks: %d delivered, %d to retry, %d failed", report.delivered, report.retrying,
                             report.failed)
            except Exception:  # the database is away for a moment: try again on the next round
                log.warning("webhook sender: this round failed", exc_info=True)
            QUEUED.wait(self.interval)


def _count(report: SendReport, outcome: str) -> None:
    if outcome == "delivered":
        report.delivered += 1
    elif outcome == "failed":
        report.failed += 1
    else:
        report.retrying += 1


def _described(reason: Any) -> str:
    """A short, secret-free account of a failed connection (no address, no headers)."""
    text = str(reason) or type(reason).__name__
    return f"{type(reason).__name__}: {text}"[:300] if not isinstance(reason, str) else reason[:300]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)
