"""SQLite: a process's transactions take turns on a lock (db/engine.py ``TransactionTurns``), and every way a
transaction can end gives its turn up, so the next one never waits for SQLite's or the lock's timeout."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db.engine import BUSY_TIMEOUT, build_engine


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = build_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def _begins_within(engine, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    """Whether another thread's transaction can begin (and write) within ``seconds``."""
    done = threading.Event()

    def other() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
        done.set()

    threading.Thread(target=other, daemon=True).start()
    return done.wait(seconds)


def test_a_second_transaction_waits_for_the_first_and_starts_when_it_commits(engine) -> None:
    order: list[str] = []
    first = engine.connect()
    tx = first.begin()
    first.execute(text("INSERT INTO t VALUES (1)"))
    started = threading.Event()

    def second() -> None:
        started.set()
        with engine.begin() as conn:
            order.append("second began")
            conn.execute(text("INSERT INTO t VALUES (2)"))

    worker = threading.Thread(target=second)
    worker.start()
    started.wait()
    time.sleep(0.2)  # the second is now waiting for its turn
    order.append("first commits")
    tx.commit()
    first.close()
    worker.join(timeout=10)
    assert order == ["first commits", "second began"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2


@pytest.mark.parametrize("ending", ["commit", "rollback", "error", "close", "invalidate"])
def test_every_way_a_transaction_ends_gives_its_turn_up(engine, ending: str) -> None:
    assert BUSY_TIMEOUT >= 10  # a turn not given up would hold the next transaction for that long
    conn = engine.connect()
    tx = conn.begin()
    conn.execute(text("INSERT INTO t VALUES (1)"))
    if ending == "commit":
        tx.commit()
    elif ending == "rollback":
        tx.rollback()
    elif ending == "error":
        with pytest.raises(OperationalError):
            conn.execute(text("INSERT INTO no_such_table VALUES (1)"))
        tx.rollback()
    elif ending == "close":
        conn.close()  # back to the pool without a commit: the pool rolls back
    else:
        conn.invalidate()  # the connection is dropped, as when it broke
    assert _begins_within(engine, 5.0), ending
    conn.close()


def test_the_same_connection_runs_one_transaction_after_another(engine) -> None:
    with engine.connect() as conn:
        for n in range(3):
            with conn.begin():
                conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        assert _begins_within(engine, 5.0)
