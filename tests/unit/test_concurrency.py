"""Several processes edit the same customer at once: conflicts are reported, nothing is lost."""
from __future__ import annotations

import multiprocessing

from crm.customers.service import create_customer, get_customer
from crm.core.database import session_scope
from tools.seed import ensure_demo_accounts
from tests.conftest import make_actor
from tests.concurrency_worker import edit_customer_notes

WORKERS = 4
ROUNDS = 12


def test_concurrent_edits_of_one_customer_lose_nothing(db_url) -> None:
    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        cid = create_customer(make_actor(s, "sales"), {"name": "Shared Customer"}, session=s).id
    users = ["sales", "service", "support", "salesmgr"]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(edit_customer_notes,
                               [(db_url, users[w], cid, w, ROUNDS) for w in range(WORKERS)])
    errors = [e for r in results for e in r["errors"]]
    assert errors == []  # no "database is locked", no lost connection: only clean conflicts
    accepted = [t for r in results for t in r["accepted"]]
    conflicts = sum(r["conflicts"] for r in results)
    assert len(accepted) + conflicts == WORKERS * ROUNDS
    assert accepted  # progress was made
    with session_scope(db_url) as s:
        final = get_customer(make_actor(s, "sales"), cid, session=s)
    # every accepted change is in the final state, in order, and nothing else is
    assert sorted(t for t in final.notes.split(";") if t) == sorted(t.rstrip(";") for t in accepted)
    assert final.version == 1 + len(accepted)


def test_concurrent_saves_of_one_budget_plan_lose_nothing(db_url) -> None:
    from decimal import Decimal

    from crm.budget.editing import save_lines
    from crm.budget.plans import create_plan, get_plan
    from tests.concurrency_worker import add_to_budget_line

    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        officer = make_actor(s, "budget")
        plan_id = create_plan(officer, fiscal_year=2027, name="Shared plan", session=s)
        version = get_plan(officer, plan_id, session=s).version
        save_lines(officer, plan_id, version, added=[{"category": "marketing", "description": "Campaigns", "q1": "100",
                                                "q2": "0", "q3": "0", "q4": "0"}], session=s)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(add_to_budget_line, [(db_url, plan_id, w, ROUNDS) for w in range(WORKERS)])
    assert [e for r in results for e in r["errors"]] == []
    accepted = sum(r["accepted"] for r in results)
    assert accepted + sum(r["conflicts"] for r in results) == WORKERS * ROUNDS and accepted > 0
    with session_scope(db_url) as s:
        final = get_plan(make_actor(s, "budget"), plan_id, session=s)
    assert Decimal(final.lines[0]["q1"]) == Decimal(100) + accepted  # the sum of the accepted changes


def test_summary_table_stays_correct_under_concurrent_writers(db_url) -> None:
    from sqlalchemy import select

    from crm.insights.rollups import rebuild_all
    from db.models import BuyerMonthCount, CustomerMonth, Product, SalesMonthly
    from tests.concurrency_worker import write_receipts

    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        cid = create_customer(make_actor(s, "sales"), {"name": "Buyer"}, session=s).id
        product = Product(sku="P1", name="Thing", category="Hardware", price=10, cost=4, stock=10)
        s.add(product)
        s.flush()
        pid = product.id
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(write_receipts, [(db_url, cid, pid, w, ROUNDS) for w in range(WORKERS)])
    assert [e for r in results for e in r["errors"]] == []
    with session_scope(db_url) as s:
        incremental = sorted((m.month, m.quantity, m.revenue, m.lines) for m in s.scalars(select(SalesMonthly)))
        months = sorted(tuple(row) for row in s.execute(select(CustomerMonth.__table__)))
        counts = sorted(tuple(row) for row in s.execute(select(BuyerMonthCount.__table__)))
        rebuild_all(s)
        assert sorted(tuple(row) for row in s.execute(select(BuyerMonthCount.__table__))) == counts
        rebuilt = sorted((m.month, m.quantity, m.revenue, m.lines) for m in s.scalars(select(SalesMonthly)))
        assert sorted(tuple(row) for row in s.execute(select(CustomerMonth.__table__))) == months  # links too
    assert incremental == rebuilt and sum(q for _, q, _, _ in rebuilt) == WORKERS * ROUNDS
    assert [(m[1], m[2], m[5], m[6]) for m in months] == [  # three months of one customer, linked in order
        ("2026-01", sum(1 for i in range(ROUNDS) if i % 3 == 0) * WORKERS, None, "2026-02"),
        ("2026-02", sum(1 for i in range(ROUNDS) if i % 3 == 1) * WORKERS, "2026-01", "2026-03"),
        ("2026-03", sum(1 for i in range(ROUNDS) if i % 3 == 2) * WORKERS, "2026-02", None)]
