"""Several processes edit the same customer at once: conflicts are reported, nothing is lost."""
from __future__ import annotations

import multiprocessing

from crm.customers import create_customer, get_customer
from crm.database import session_scope
from crm.seed import ensure_demo_accounts
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
