"""Masked contact details cannot be recovered through search; searches are limited per user and bursts audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.core.errors import RateLimited
from crm.core.ratelimit import DistinctRequests
from crm.customers.service import SEARCHES, create_customer, search_customers
from db.models import AuditEvent
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

TWINS = ({"name": "Dewi Lestari", "company": "PT Maju", "email": "dewi.lestari@maju.co.id", "phone": "+62 812 3456 7890",
          "country": "ID"},
         {"name": "Dewi Lestari", "company": "PT Maju", "email": "zz.other@lain.com", "phone": "+359 888 123 456",
          "country": "ID"})
# what someone trying to guess the first twin's contact details would type
PROBES = ["d", "de", "dewi.", "dewi.lestari", "dewi.lestari@", "dewi.lestari@maju.co.id", "maju.co", "lestari@maju",
          "zz", "zz.other@lain.com", "lain", "other", "+62 812", "0812 3456 7890", "6281234567890", "812345",
          "+359 888", "0888123456", "888 123 456", "dewi 6281", "dewi zz", "\x1fzz", "\x1fdewi.lestari@maju.co.id"]


@pytest.fixture
def twins(db):
    ensure_demo_accounts(session=db)
    db.commit()
    admin = make_actor(db, "admin")
    ids = [create_customer(admin, dict(t), session=db).id for t in TWINS]
    db.commit()
    return ids


def _found(db, who, query: str) -> set[int]:
    return {r.id for r in search_customers(who, query, page_size=200, session=db).rows}


def test_without_the_right_no_search_tells_apart_customers_who_differ_only_in_contact_details(db, twins) -> None:
    training = make_actor(db, "training")  # may not see e-mails and phones
    for probe in PROBES:
        found = _found(db, training, probe) & set(twins)
        assert found in (set(), set(twins)), probe
    assert _found(db, training, "dewi lestari") >= set(twins)  # the name still finds both


def test_with_the_right_contact_details_still_find_the_customer(db, twins) -> None:
    sales = make_actor(db, "sales")
    first, second = twins
    assert first in _found(db, sales, "dewi.lestari@maju.co.id") and second not in _found(db, sales, "dewi.lestari@")
    assert _found(db, sales, "0812 3456 7890") & set(twins) == {first}
    assert _found(db, sales, "zz") & set(twins) == {second}
    assert _found(db, sales, "dewi") >= set(twins)


def test_different_searches_are_limited_per_user_and_a_burst_is_audited(db, twins) -> None:
    training = make_actor(db, "training")
    sales = make_actor(db, "sales")
    for n in range(SEARCHES.limit):
        search_customers(training, f"probe{n}", session=db)
        search_customers(training, f"probe{n}", session=db)  # the same search again (a rerun) costs nothing
    db.commit()
    with pytest.raises(RateLimited) as refused:
        search_customers(training, "one more", session=db)
    assert "wait" in refused.value.message and 1 <= refused.value.retry_after <= 60
    search_customers(training, "probe3", session=db)  # one already counted is still answered
    search_customers(sales, "someone else", session=db)  # other users are not affected
    bursts = db.scalars(select(AuditEvent).where(AuditEvent.action == "search_burst")).all()
    assert [(e.username, e.detail) for e in bursts] == [("training", "30 different searches within 60 s")]


def test_the_window_slides() -> None:
    now = [0.0]
    limit = DistinctRequests(limit=2, burst=2, window=60, clock=lambda: now[0])
    assert limit.note(1, "a").allowed and limit.note(1, "b").burst_started
    refused = limit.note(1, "c")
    assert not refused.allowed and refused.retry_after == 60
    now[0] = 60.5
    assert limit.note(1, "c").allowed
