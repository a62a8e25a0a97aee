"""Home: what each person sees first, counted the same way as on the pages they lead to."""
from __future__ import annotations

import datetime as dt

import pytest

from crm.core.access import Actor
from crm.core.errors import PermissionDenied
from crm.customers.service import create_customer
from crm.interactions.home import summary
from crm.interactions.service import log_interaction, my_follow_ups
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
    assert home.counts["Open follow-ups for me"] == 12
    assert my_follow_ups(support, today=today, session=db).total == 12
    assert len(home.follow_ups) == 10  # Home lists the first ten, and says there are twelve


def test_home_is_refused_to_nobody_signed_in(db) -> None:
    with pytest.raises(PermissionDenied):
        summary(None, session=db)  # type: ignore[arg-type]

