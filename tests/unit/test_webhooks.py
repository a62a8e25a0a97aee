"""Outbound webhooks: admins register them; each change queues its event in its own transaction; deliveries
reach a real receiver on 127.0.0.1 signed in the Standard Webhooks form, are retried with backoff, survive a
sender that stopped mid-delivery, and are never sent twice by two senders at once."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.budget import editing, plans, workflow
from crm.core.errors import PermissionDenied, ValidationError
from crm.customers.privacy import erase_customer
from crm.customers.quality import merge_customers
from crm.customers.service import bulk_update, create_customer, update_customer
from crm.importing.kinds import auto_mapping, kind
from crm.importing.runner import run
from crm.interactions.service import log_interaction
from crm.rollout.checklist import sign_off, start_project, update_item
from crm.webhooks import deliveries, events, registry, sender
from db.engine import get_engine
from db.models import AuditEvent, ChecklistItem, Product, WebhookDelivery
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


# ----------------------------------------------------------------- helpers


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every request and answers with ``status`` (changeable)."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        self.requests: list[tuple[dict[str, str], str]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"])).decode("utf-8")
                with receiver.lock:
                    receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/crm"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def message_ids(self) -> list[str]:
        with self.lock:
            return [h["webhook-id"] for h, _body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def admin(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "admin")


def _register(db, admin, url: str, wanted=tuple(events.EVENTS), name: str = "shop") -> registry.Registered:
    made = registry.register_webhook(admin, name, url, list(wanted), session=db)
    db.commit()
    return made


def _queued(db, event: str | None = None) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if event:
        stmt = stmt.where(WebhookDelivery.event == event)
    db.expire_all()
    rows = list(db.scalars(stmt))
    db.expunge_all()
    db.rollback()  # SQLite: a test's open transaction would hold the write lock the senders need
    return rows


def _data(db, event: str) -> list[dict]:
    return [d.payload["data"] for d in _queued(db, event)]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def verify(secret: str, headers: dict[str, str], body: str) -> bool:
    """A receiver's check, written from the Standard Webhooks specification (not from crm.webhooks)."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", sig) for sig in headers["webhook-signature"].split(" "))


# ------------------------------------------------------------- registering


def test_an_admin_registers_a_webhook_and_sees_the_secret_once(db, admin) -> None:
    made = _register(db, admin, "https://shop.example.org/crm-hooks", ["customer.created", "customer.erased"])
    assert made.secret.startswith("whsec_") and len(base64.b64decode(made.secret[6:])) == 24
    [listed] = registry.list_webhooks(admin, session=db)
    assert (listed.name, listed.url, listed.events, listed.active) == (
        "shop", "https://shop.example.org/crm-hooks", ("customer.created", "customer.erased"), True)
    assert not hasattr(listed, "secret")
    rotated = registry.rotate_secret(admin, made.id, version=listed.version, session=db)
    db.commit()
    assert rotated.secret != made.secret
    logged = " ".join(json.dumps([a.before, a.after, a.detail]) for a in db.scalars(select(AuditEvent)))
    assert made.secret not in logged and rotated.secret not in logged
    assert [a.action for a in db.scalars(select(AuditEvent).where(AuditEvent.entity == "webhook"))] == [
        "create", "rotate_secret"]


def test_every_problem_with_a_webhook_is_reported_at_once(db, admin) -> None:
    with pytest.raises(ValidationError) as err:
        registry.register_webhook(admin, " ", "ftp://files.example.org/in", ["customer.exploded"], session=db)
    assert set(err.value.errors) == {"name", "url", "events"}
    for url in ("", "https:///no-host", "http://user:pw@example.org/in", "javascript:alert(1)"):
        with pytest.raises(ValidationError) as err:
            registry.register_webhook(admin, "x", url, ["customer.created"], session=db)
        assert set(err.value.errors) == {"url"}
    with pytest.raises(ValidationError) as err:
        registry.register_webhook(admin, "x", "http://127.0.0.1:8080/in", [], session=db)
    assert set(err.value.errors) == {"events"}


@pytest.mark.parametrize("username", ["salesmgr", "sales", "sponsor", "it"])
def test_only_admins_manage_webhooks(db, admin, username: str) -> None:
    made = _register(db, admin, "https://shop.example.org/in", ["customer.created"])
    who = make_actor(db, username)
    for call in (lambda: registry.register_webhook(who, "n", "https://x.example.org", ["customer.created"],
                                                   session=db),
                 lambda: registry.list_webhooks(who, session=db),
                 lambda: registry.update_webhook(who, made.id, version=made.version, active=False, session=db),
                 lambda: registry.rotate_secret(who, made.id, version=made.version, session=db),
                 lambda: registry.delete_webhook(who, made.id, version=made.version, session=db),
                 lambda: deliveries.list_deliveries(who, session=db)):
        with pytest.raises(PermissionDenied):
            call()


# ----------------------------------------------------------------- emitting


def test_a_rolled_back_change_queues_nothing_and_a_committed_one_queues_its_event(db, admin) -> None:
    _register(db, admin, "https://shop.example.org/in", ["customer.created"])
    _register(db, admin, "https://helpdesk.example.org/in", ["interaction.logged"], name="helpdesk")
    sales = make_actor(db, "sales")
    create_customer(sales, {"name": "Rolled Back"}, session=db)
    assert len(_queued(db)) == 1  # queued in the change's transaction...
    db.rollback()
    assert _queued(db) == []  # ...and gone with it
    made = create_customer(sales, {"name": "Dewi Lestari", "email": "dewi@example.org"}, session=db)
    db.commit()
    [delivery] = _queued(db)
    assert delivery.event == "customer.created" and delivery.status == "pending"
    assert delivery.payload["type"] == "customer.created"
    assert delivery.payload["data"]["customer_id"] == made.id
    assert delivery.payload["data"]["fields"]["email"] == "dewi@example.org"


def test_a_paused_webhook_hears_nothing_new(db, admin) -> None:
    made = _register(db, admin, "https://shop.example.org/in", ["customer.created"])
    registry.update_webhook(admin, made.id, version=made.version, active=False, session=db)
    db.commit()
    create_customer(make_actor(db, "sales"), {"name": "Nobody Hears"}, session=db)
    db.commit()
    assert _queued(db) == []


def test_customer_events_carry_ids_and_changes_and_erasure_carries_no_personal_data(db, admin) -> None:
    _register(db, admin, "https://shop.example.org/in")
    sales = make_actor(db, "sales")
    dewi = create_customer(sales, {"name": "Dewi Lestari", "email": "dewi@example.org", "phone": "+62 812 3456 7890",
                                   "country": "ID"}, session=db)
    twin = create_customer(sales, {"name": "D. Lestari", "city": "Bandung"}, session=db)
    db.commit()
    changed = update_customer(sales, dewi.id, {"segment": "VIP"}, dewi.version, session=db)
    bulk_update(sales, [twin.id], {"segment": "SMB"}, session=db)
    db.commit()
    assert _data(db, "customer.updated") == [
        {"customer_id": dewi.id, "version": changed.version, "changed": {"segment": "VIP"}},
        {"customer_id": twin.id, "version": 2, "changed": {"segment": "SMB"}}]
    merge_customers(admin, dewi.id, twin.id, session=db)
    db.commit()
    [merged] = _data(db, "customer.merged")
    assert (merged["customer_id"], merged["merged_customer_id"], merged["changed"]["city"]) == (
        dewi.id, twin.id, "Bandung")

    erase_customer(admin, dewi.id, str(dewi.id), session=db)
    db.commit()
    [erased] = _data(db, "customer.erased")
    assert set(erased) == {"customer_id", "erased_at"} and erased["customer_id"] == dewi.id
    # nothing the log keeps about her names her any more: the earlier events keep only ids
    stored = json.dumps([d.payload for d in _queued(db)])
    for personal in ("Dewi", "dewi@example.org", "3456", "VIP"):
        assert personal not in stored
    assert _data(db, "customer.created")[0] == {"customer_id": dewi.id, "erased": True}


def test_an_interaction_and_feedback_are_heard(db, admin) -> None:
    _register(db, admin, "https://helpdesk.example.org/in", ["interaction.logged", "feedback.received"])
    support = make_actor(db, "support")
    cid = create_customer(make_actor(db, "sales"), {"name": "Budi"}, session=db).id
    call = log_interaction(support, cid, channel="call", subject="Question on invoice", session=db)
    praise = log_interaction(support, cid, channel="email", subject="Loves the app", feedback_kind="praise",
                             tags=["mobile app"], session=db)
    db.commit()
    logged = _data(db, "interaction.logged")
    assert [d["interaction_id"] for d in logged] == [call.id, praise.id]
    assert logged[0]["customer_id"] == cid and logged[0]["department"] == "technical_support"
    [feedback] = _data(db, "feedback.received")
    assert (feedback["interaction_id"], feedback["feedback_kind"], feedback["tags"]) == (praise.id, "praise",
                                                                                         ["mobile app"])


def test_a_receipts_import_is_heard_once_with_its_counts(db, admin) -> None:
    _register(db, admin, "https://finance.example.org/in", ["receipt.imported"])
    db.add(Product(sku="A-1", name="Kopi", category="Coffee", price=Decimal(12), cost=Decimal(7), stock=5))
    cid = create_customer(make_actor(db, "sales"), {"name": "Budi"}, session=db).id
    db.commit()
    headers = ["Receipt No", "Customer ID", "Order Date", "SKU", "Qty", "Unit Price", "Unit Cost"]
    rows = [["S-1", f"#{cid}", "2026-01-05 10:00", "A-1", "2", "12.00", "7.00"],
            ["S-1", f"#{cid}", "2026-01-05 10:00", "A-1", "1", "12.00", "7.00"],
            ["S-2", f"#{cid}", "2026-01-06 10:00", "A-1", "1", "12.00", "7.00"],
            ["S-3", "#999999", "2026-01-06 10:00", "A-1", "1", "12.00", "7.00"]]
    report = run(make_actor(db, "salesmgr"), "receipts", rows, headers=headers,
                 mapping=auto_mapping(kind("receipts"), headers), filename="sales.csv", session=db)
    db.commit()
    [imported] = _data(db, "receipt.imported")
    assert imported["import_batch_id"] == report.batch_id and imported["filename"] == "sales.csv"
    assert imported["counts"]["rejected"] == 1 and imported["counts"] == {**report.counts, **report.extra}


def test_an_approved_plan_and_a_signed_off_phase_are_heard(db, admin) -> None:
    _register(db, admin, "https://finance.example.org/in", ["plan.approved", "checklist.phase_signed_off"])
    officer, sponsor, it = make_actor(db, "budget"), make_actor(db, "sponsor"), make_actor(db, "it")
    plan = plans.create_plan(officer, fiscal_year=2026, name="CRM 2026", session=db)
    editing.save_lines(officer, plan, None, added=[{"category": "training", "description": "Courses", "q1": 50}],
                       session=db)
    workflow.submit_plan(officer, plan, None, session=db)
    db.commit()
    assert _queued(db) == []  # submitting is not approving
    version = workflow.approve_plan(sponsor, plan, None, "ok", session=db)
    db.commit()
    [approved] = _data(db, "plan.approved")
    assert (approved["plan_id"], approved["version"], approved["status"], approved["comment"]) == (
        plan, version, "approved", "ok")

    start_project(it, start=dt.date(2026, 1, 5), session=db)
    for item in db.scalars(select(ChecklistItem).where(ChecklistItem.phase == "pre_implementation")).all():
        update_item(it, item.id, {"status": "done"}, item.version, session=db)
    sign_off(sponsor, "pre_implementation", "Ready", session=db)
    db.commit()
    [signed] = _data(db, "checklist.phase_signed_off")
    assert (signed["phase"], signed["comment"], signed["signed_by_id"]) == ("pre_implementation", "Ready",
                                                                             sponsor.user_id)


# ------------------------------------------------------------------ sending


def _one_queued(db, admin, url: str) -> tuple[registry.Registered, WebhookDelivery]:
    made = _register(db, admin, url, ["customer.created"])
    create_customer(make_actor(db, "sales"), {"name": "Dewi Lestari"}, session=db)
    db.commit()
    [delivery] = _queued(db)
    return made, delivery


def test_a_delivery_reaches_the_receiver_signed_as_standard_webhooks_says(db, db_url, admin, receiver) -> None:
    made, queued = _one_queued(db, admin, receiver.url)
    report = sender.deliver_due(db_url)
    assert (report.delivered, report.retrying, report.failed) == (1, 0, 0)
    [(headers, body)] = receiver.requests
    assert verify(made.secret, headers, body)
    assert not verify(made.secret, headers, body.replace("Dewi", "Evil"))  # a changed body is caught
    assert headers["webhook-id"] == queued.message_id and headers["content-type"] == "application/json"
    assert abs(int(headers["webhook-timestamp"]) - dt.datetime.now(dt.timezone.utc).timestamp()) < 300
    sent = json.loads(body)
    assert sent["type"] == "customer.created" and sent["data"]["fields"]["name"] == "Dewi Lestari"
    [done] = _queued(db)
    assert (done.status, done.attempts, done.last_status, done.last_error) == ("delivered", 1, 200, None)
    assert sender.deliver_due(db_url).sent == 0  # delivered once, never again
    page = deliveries.list_deliveries(admin, session=db)
    assert [(r.event, r.status, r.attempts, r.last_status) for r in page.rows] == [
        ("customer.created", "delivered", 1, 200)]
    assert registry.list_webhooks(admin, session=db)[0].delivered == 1


def test_a_refusing_receiver_is_retried_with_backoff_then_the_delivery_fails(db, db_url, admin, receiver) -> None:
    receiver.status = 500
    made, queued = _one_queued(db, admin, receiver.url)
    db.query(WebhookDelivery).update({"next_attempt_at": T0})
    db.commit()
    now = T0
    for attempt, wait in enumerate(sender.BACKOFF, start=1):
        assert sender.deliver_due(db_url, now=now).retrying == 1
        [d] = _queued(db)
        assert (d.status, d.attempts, d.last_status, d.last_error) == ("pending", attempt, 500,
                                                                       "HTTP 500 Internal Server Error")
        assert d.next_attempt_at == now + wait
        assert sender.deliver_due(db_url, now=now + wait - dt.timedelta(seconds=1)).sent == 0  # not due yet
        now += wait
    assert sender.deliver_due(db_url, now=now).failed == 1
    [d] = _queued(db)
    assert (d.status, d.attempts) == ("failed", sender.MAX_ATTEMPTS)
    assert sender.deliver_due(db_url, now=now + dt.timedelta(days=30)).sent == 0
    assert set(receiver.message_ids()) == {queued.message_id} and len(receiver.requests) == sender.MAX_ATTEMPTS
    assert all(verify(made.secret, h, b) for h, b in receiver.requests)

    receiver.status = 204  # the receiver is fixed: the admin sends it again from the log
    [failed] = deliveries.list_deliveries(admin, status="failed", session=db).rows
    deliveries.retry_delivery(admin, failed.id, now=now, session=db)
    db.commit()
    assert sender.deliver_due(db_url, now=now).delivered == 1
    assert _queued(db)[0].status == "delivered"


def test_an_unreachable_receiver_is_noted_without_secrets(db, db_url, admin) -> None:
    made, _queued_one = _one_queued(db, admin, f"http://127.0.0.1:{_closed_port()}/in")
    assert sender.deliver_due(db_url).retrying == 1
    [d] = _queued(db)
    assert d.last_status is None and "refused" in d.last_error.lower() and made.secret not in d.last_error


def test_a_delivery_claimed_by_a_sender_that_stopped_is_sent_after_the_claim_expires(db, db_url, admin,
                                                                                    receiver) -> None:
    made, queued = _one_queued(db, admin, receiver.url)
    db.query(WebhookDelivery).update({"next_attempt_at": T0})
    db.commit()
    # a server claims the delivery, then stops before sending it (its thread is gone, its claim stays)
    stopped = threading.Thread(target=sender.claim, args=(get_engine(db_url), T0))
    stopped.start()
    stopped.join()
    assert _queued(db)[0].claimed_until == T0 + sender.CLAIM
    assert sender.deliver_due(db_url, now=T0 + dt.timedelta(seconds=30)).sent == 0  # still claimed
    assert receiver.requests == []
    assert sender.deliver_due(db_url, now=T0 + sender.CLAIM + dt.timedelta(seconds=1)).delivered == 1
    assert receiver.message_ids() == [queued.message_id] and verify(made.secret, *receiver.requests[0])


def test_two_senders_at_once_never_send_one_delivery_twice(db, db_url, admin) -> None:
    slow = Receiver(delay=0.02)
    try:
        _register(db, admin, slow.url, ["customer.created"])
        events.emit_each(db, "customer.created", [{"customer_id": n} for n in range(40)])
        db.commit()
        reports: list[sender.SendReport] = []
        senders = [threading.Thread(target=lambda: reports.append(sender.deliver_due(db_url))) for _ in range(4)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        ids = slow.message_ids()
        assert len(ids) == len(set(ids)) == 40
        assert sum(r.delivered for r in reports) == 40
        assert {d.status for d in _queued(db)} == {"delivered"}
    finally:
        slow.close()


def test_the_servers_background_sender_delivers_a_change(db, db_url, admin, receiver) -> None:
    _register(db, admin, receiver.url, ["customer.created"])
    background = sender.BackgroundSender(db_url, interval=30)  # woken by the commit, not by the interval
    background.start()
    try:
        create_customer(make_actor(db, "sales"), {"name": "Dewi Lestari"}, session=db)
        db.commit()
        for _ in range(200):
            if receiver.requests:
                break
            threading.Event().wait(0.05)
    finally:
        background.stop()
    assert len(receiver.requests) == 1


def test_the_command_for_a_timer_sends_what_is_due(db, db_url, admin, receiver) -> None:
    made, queued = _one_queued(db, admin, receiver.url)
    env = {**os.environ, "DATABASE_URL": db_url}
    env.pop("CRM_DEMO", None)
    done = subprocess.run([sys.executable, "-m", "crm", "webhooks", "send", "--once"], cwd=ROOT, env=env,
                          text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 delivered" in done.stdout
    assert receiver.message_ids() == [queued.message_id] and verify(made.secret, *receiver.requests[0])
