"""Home: what each person sees first, counted the same way as on the pages they lead to."""
from __future__ import annotations

import datetime as dt

import pytest

from crm.core.errors import PermissionDenied
from crm.customers.service import create_customer
from crm.interactions.home import summary
from crm.interactions.service import complete_follow_up, log_interaction, my_follow_ups
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts


def test_home_counts_every_open_follow_up_like_the_interactions_page(db) -> None:
    ensure_demo_accounts(session=db)
    support = make_actor(db, "support")
    customer = create_customer(support, {"name": "Dewi Lestari", "status": "customer"}, session=db)
    today = dt.date.today()
    for n in range(12):
        log_interaction(support, customer.id, channel="call", subject=f"Call back {n}",
                        follow_up_on=today + dt.timedelta(days=n), session=db)
    db.commit()
    home = summary(support, session=db, today=today)
    assert home.counts.open_follow_ups == 12
    assert my_follow_ups(support, today=today, session=db).total == 12
    assert len(home.follow_ups) == 10  # Home lists the first ten, and says there are twelve


def test_home_is_refused_to_nobody_signed_in(db) -> None:
    with pytest.raises(PermissionDenied):
        summary(None, session=db)  # type: ignore[arg-type]



def test_only_the_assignee_or_a_manager_marks_a_follow_up_done(db) -> None:
    ensure_demo_accounts(session=db)
    support, service, salesmgr = (make_actor(db, u) for u in ("support", "service", "salesmgr"))
    customer = create_customer(support, {"name": "Dewi Lestari", "status": "customer"}, session=db)
    today = dt.date.today()
    first, second = (log_interaction(support, customer.id, channel="call", subject=f"Call back {n}",
                                     follow_up_on=today, session=db) for n in (1, 2))
    with pytest.raises(PermissionDenied):
        complete_follow_up(service, first.id, session=db)  # staff of another department: not theirs
    complete_follow_up(salesmgr, first.id, session=db)  # a manager may close anyone's
    complete_follow_up(support, second.id, session=db)  # the assignee
    assert my_follow_ups(support, today=today, session=db).total == 0


def test_opening_a_profile_checks_access_once(db, monkeypatch) -> None:
    import crm.core.access as access
    from crm.customers.profile import customer_profile

    ensure_demo_accounts(session=db)
    sales = make_actor(db, "sales")
    customer = create_customer(sales, {"name": "Dewi Lestari", "status": "customer"}, session=db)
    checks: list[str] = []
    real_can = access.can

    def counting_can(actor, capability):  # type: ignore[no-untyped-def]
        checks.append(capability)
        return real_can(actor, capability)

    monkeypatch.setattr(access, "can", counting_can)
    customer_profile(sales, customer.id, session=db)
    assert checks.count("customers.read") == 1
