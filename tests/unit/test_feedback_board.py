"""The feedback board: every feedback item counts somewhere, and every number and list uses the board's period."""
from __future__ import annotations

import datetime as dt

from crm.customers.service import create_customer
from crm.interactions.service import feedback_board, feedback_customers, log_interaction
from db.types import utcnow
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts


def test_feedback_without_a_tag_counts_on_the_board_as_its_own_line(db) -> None:
    ensure_demo_accounts(session=db)
    support = make_actor(db, "support")
    dewi, budi = (create_customer(support, {"name": n, "status": "customer"}, session=db)
                  for n in ("Dewi Lestari", "Budi Hartono"))
    log_interaction(support, dewi.id, channel="call", subject="The driver was rude", feedback_kind="complaint",
                    session=db)
    log_interaction(support, budi.id, channel="call", subject="Late again", feedback_kind="complaint",
                    tags="late delivery", session=db)
    board = feedback_board(support, session=db)
    assert {(i.kind, i.tag): (i.mentions, i.customers, i.departments) for i in board} == {
        ("complaint", None): (1, 1, ["technical_support"]),
        ("complaint", "late delivery"): (1, 1, ["technical_support"])}
    untagged = feedback_customers(support, "complaint", None, since=None, session=db)
    assert [(c.name, c.mentions) for c in untagged] == [("Dewi Lestari", 1)]


def test_the_customers_behind_a_topic_are_those_of_the_boards_period(db) -> None:
    ensure_demo_accounts(session=db)
    support, sales = make_actor(db, "support"), make_actor(db, "sales")
    ana, rui, siti = (create_customer(support, {"name": n, "status": "customer"}, session=db)
                      for n in ("Ana Lima", "Rui Costa", "Siti Rahayu"))
    now = utcnow()
    long_ago, lately = now - dt.timedelta(days=400), now - dt.timedelta(days=10)
    for who, customer, when in ((support, ana, long_ago), (support, ana, lately), (sales, rui, long_ago),
                                (support, siti, lately), (support, siti, lately)):
        log_interaction(who, customer.id, channel="call", subject="Wants an export", feedback_kind="feature_request",
                        tags="export", occurred_at=when, session=db)
    since = dt.date.today() - dt.timedelta(days=365)
    [item] = feedback_board(support, since=since, session=db)
    assert (item.tag, item.mentions, item.customers, item.departments) == ("export", 3, 2, ["technical_support"])
    people = feedback_customers(support, item.kind, item.tag, since=since, session=db)
    assert [(p.name, p.mentions) for p in people] == [("Siti Rahayu", 2), ("Ana Lima", 1)]
    assert len(people) == item.customers and sum(p.mentions for p in people) == item.mentions
    assert all(p.last_raised.date() >= since for p in people)
    # over all time, everyone and every department behind the topic
    [everything] = feedback_board(support, session=db)
    assert (everything.mentions, everything.customers, everything.departments) == (5, 3, ["sales", "technical_support"])
    assert len(feedback_customers(support, "feature_request", "export", since=None, session=db)) == 3
