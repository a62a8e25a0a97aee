"""Data quality figures and merging duplicates."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm.customers.service import create_customer
from crm.core.errors import PermissionDenied
from crm.interactions.service import log_interaction
from crm.customers.quality import completeness, duplicate_clusters, invalid_contacts, merge_customers, neglected
from tools.seed import ensure_demo_accounts
from db.models import AuditEvent, Customer, Interaction, Receipt
from tests.conftest import make_actor


@pytest.fixture
def data(db):
    ensure_demo_accounts(session=db)
    sales, mgr = make_actor(db, "sales"), make_actor(db, "salesmgr")
    a = create_customer(sales, {"name": "Budi Hartono", "company": "PT Maju", "email": "budi@maju.id",
                                "country": "ID", "owner_id": sales.user_id}, session=db).id
    b = create_customer(sales, {"name": "Budi  Hartono", "company": "PT Maju", "phone": "+62 811 2233 4455"},
                        session=db).id
    c = create_customer(sales, {"name": "Other Person", "email": "BUDI@maju.id"}, session=db).id
    d = create_customer(sales, {"name": "Lone Wolf"}, session=db).id
    db.add(Customer(name="Legacy Import", email="broken at example", phone="0812", name_key="legacy import"))
    log_interaction(sales, b, channel="call", subject="Asked for price", session=db)
    db.add(Receipt(customer_id=b, number="R-9", purchased_at=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc),
                   total=50, total_cost=20))
    db.commit()
    return mgr, a, b, c, d


def test_completeness_counts_filled_fields(db, data) -> None:
    mgr, *_ = data
    by_field = {r.field: r for r in completeness(mgr, session=db)}
    assert by_field["email"].filled == 3 and by_field["email"].missing == 2
    assert by_field["owner"].filled == 1
    assert by_field["company"].complete_pct == 40.0


def test_invalid_contacts_are_listed(db, data) -> None:
    mgr, *_ = data
    rows = invalid_contacts(mgr, session=db)
    assert [r.name for r in rows] == ["Legacy Import"]
    assert rows[0].problems == ("email", "phone")


def test_duplicate_clusters_by_email_and_similar_name(db, data) -> None:
    mgr, a, b, c, _ = data
    clusters = {cl.reason: {x.id for x in cl.customers} for cl in duplicate_clusters(mgr, session=db)}
    assert clusters["same e-mail"] == {a, c}
    assert clusters["very similar name at the same company"] == {a, b}


def test_merge_keeps_history_and_archives_the_other(db, data) -> None:
    mgr, a, b, *_ = data
    moved = merge_customers(mgr, a, b, session=db)
    db.commit()
    assert moved["interactions"] == 1 and moved["receipts"] == 1
    assert db.scalar(select(func.count()).select_from(Interaction).where(Interaction.customer_id == a)) == 1
    kept, gone = db.get(Customer, a), db.get(Customer, b)
    assert kept.phone == "+6281122334455"  # filled from the merged record
    assert gone.archived_at is not None and gone.merged_into_id == a
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "merge")) == 1
    with pytest.raises(PermissionDenied):
        merge_customers(make_actor(db, "sales"), a, b, session=db)


def test_neglected_lists_customers_without_owner_or_contact(db, data) -> None:
    mgr, a, b, c, d = data
    result = neglected(mgr, months=6, session=db)
    assert a not in {r.id for r in result.no_owner} and d in {r.id for r in result.no_owner}
    assert b not in {r.id for r in result.no_contact} and d in {r.id for r in result.no_contact}
