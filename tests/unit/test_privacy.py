"""Consents with history, subject access, erasure leaving no personal data, retention."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import String, Text, select, text

from crm.customers.service import create_customer, get_customer, update_customer
from crm.core.errors import PermissionDenied, ValidationError
from crm.interactions.service import log_interaction
from crm.customers.privacy import (
    consent_history,
    consent_state,
    erase_customer,
    purge_prospects,
    record_consent,
    stale_prospects,
    subject_access,
)
from tools.seed import ensure_demo_accounts
from db.models import Base, Customer, Receipt
from tests.conftest import make_actor

EMAIL = "ayu.secret@cahaya.co.id"
PHONE = "+6281299887766"


@pytest.fixture
def people(db):
    ensure_demo_accounts(session=db)
    admin, sales = make_actor(db, "admin"), make_actor(db, "sales")
    customer = create_customer(sales, {"name": "Ayu Rahasia", "email": EMAIL, "phone": PHONE, "company": "PT X",
                                       "notes": f"call {PHONE}", "status": "customer"}, session=db)
    version = get_customer(sales, customer.id, session=db).version
    update_customer(sales, customer.id, {"city": "Bandung"}, version, session=db)
    log_interaction(sales, customer.id, channel="email", subject="Quote", notes=f"sent to {EMAIL}", session=db)
    db.add(Receipt(customer_id=customer.id, number="R-1", purchased_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                   total=100, total_cost=60))
    db.commit()
    return admin, sales, customer.id


def test_consent_given_and_withdrawn_with_history(db, people) -> None:
    admin, _, cid = people
    record_consent(admin, cid, "third_party", True, source="web form", session=db)
    record_consent(admin, cid, "third_party", False, source="phone call", session=db)
    state = {s.purpose: s for s in consent_state(admin, cid, session=db)}
    assert not state["third_party"].granted and state["third_party"].source == "phone call"
    history = consent_history(admin, cid, session=db)  # newest first
    assert [(h.purpose, h.granted, h.source) for h in history] == [("third_party", False, "phone call"),
                                                                   ("third_party", True, "web form")]
    with pytest.raises(ValidationError):
        record_consent(admin, cid, "spam", True, source="", session=db)


def test_subject_access_contains_everything_held(db, people) -> None:
    admin, _, cid = people
    data = json.loads(subject_access(admin, cid, session=db))
    assert data["customer"]["email"] == EMAIL
    assert data["interactions"][0]["subject"] == "Quote"
    assert len(data["receipts"]) == 1 and data["audit"]


def test_erasure_leaves_no_personal_data_anywhere_and_keeps_figures(db, people) -> None:
    admin, _, cid = people
    with pytest.raises(ValidationError):
        erase_customer(admin, cid, "yes", session=db)
    revenue_before = db.scalar(select(Receipt.total).where(Receipt.customer_id == cid))
    erase_customer(admin, cid, str(cid), session=db)
    db.commit()
    hits = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text)) or column.type.__class__.__name__ in ("JSONText",):
                for needle in (EMAIL, PHONE, "Ayu Rahasia", "81299887766"):
                    found = db.execute(text(f'SELECT COUNT(*) FROM "{table.name}" WHERE CAST("{column.name}" AS TEXT) LIKE :n'),
                                       {"n": f"%{needle}%"}).scalar()
                    if found:
                        hits.append((table.name, column.name, needle))
    assert hits == []
    assert db.get(Customer, cid).name == f"Erased customer #{cid}"
    assert db.scalar(select(Receipt.total).where(Receipt.customer_id == cid)) == revenue_before


def test_only_admins_manage_privacy(db, people) -> None:
    _, sales, cid = people
    for username in ("sales", "salesmgr", "sponsor"):
        with pytest.raises(PermissionDenied):
            erase_customer(make_actor(db, username), cid, str(cid), session=db)


def test_stale_prospects_are_listed_and_purged(db, people) -> None:
    admin, sales, _ = people
    old = create_customer(sales, {"name": "Old Prospect", "email": "old@x.io"}, session=db)
    db.get(Customer, old.id).created_at = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    db.flush()
    stale = stale_prospects(admin, session=db)
    assert [r.name for r in stale] == ["Old Prospect"]
    assert purge_prospects(admin, [r.id for r in stale], session=db) == 1
    assert db.get(Customer, old.id).email is None and stale_prospects(admin, session=db) == []


def test_purging_stale_prospects_checks_the_right_once(db, people, monkeypatch) -> None:
    from tests.unit.require_counter import count_require

    admin, sales, _ = people
    old = [create_customer(sales, {"name": f"Old Prospect {n}", "email": f"old{n}@x.io"}, session=db) for n in (1, 2)]
    for c in old:
        db.get(Customer, c.id).created_at = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    db.flush()
    checked = count_require(monkeypatch)
    assert purge_prospects(admin, [c.id for c in old], session=db) == 2
    assert checked == ["privacy.manage"]
    assert all(db.get(Customer, c.id).email is None for c in old)
