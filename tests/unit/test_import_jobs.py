"""An import's batch says what happened: running while it runs (announced on its own), done with the import,
failed with its reason when the import raised, interrupted when its process is gone; only a finished import can
be reverted."""
from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select

from crm.core.database import session_scope
from crm.core.errors import ValidationError
from crm.importing import jobs
from crm.importing.batches import list_imports, revert
from crm.importing.upload import earlier_imports
from crm.importing.writing import ImportOptions
from db.models import AuditEvent, ImportBatch, Product
from db.types import utcnow
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

HEADERS = ["SKU", "Name", "Price"]
MAPPING = {"sku": 0, "name": 1, "price": 2}


@pytest.fixture
def manager(db_url: str):
    with session_scope(db_url) as session:
        ensure_demo_accounts(session=session)
    with session_scope(db_url) as session:
        return make_actor(session, "salesmgr")


def _sessions(url: str):
    return lambda: session_scope(url)


def _batches(url: str) -> list[tuple]:
    with session_scope(url) as session:
        return [(b.status, b.runner, b.finished_at is not None, (b.options or {}).get("error"))
                for b in session.scalars(select(ImportBatch).order_by(ImportBatch.id))]


def test_an_import_job_announces_its_batch_and_ends_it_done(db_url: str, manager) -> None:
    seen: list[tuple] = []
    outside = create_engine(db_url)  # another connection, plain transactions (no wait for SQLite's write lock)

    def rows() -> Iterator[list[str]]:
        with outside.connect() as conn:  # while the import runs: its batch is committed already
            seen.extend(conn.execute(select(ImportBatch.status, ImportBatch.runner)))
        yield ["A-1", "Mug", "5"]

    report = jobs.run_import(manager, "products", rows(), headers=HEADERS, mapping=MAPPING, options=ImportOptions(),
                             filename="stock.csv", sessions=_sessions(db_url))
    outside.dispose()
    me = f"{socket.gethostname()}:{os.getpid()}"
    assert [tuple(r) for r in seen] == [("running", me)]
    assert _batches(db_url) == [("done", me, True, None)]
    assert report.counts["imported"] == 1


def test_an_import_that_raises_leaves_nothing_and_its_batch_says_failed_and_why(db_url: str, manager) -> None:
    def rows() -> Iterator[list[str]]:
        yield ["A-1", "Mug", "5"]
        raise OSError("the file went away")

    with pytest.raises(OSError):
        jobs.run_import(manager, "products", rows(), headers=HEADERS, mapping=MAPPING, options=ImportOptions(),
                        filename="stock.csv", sessions=_sessions(db_url))
    assert _batches(db_url) == [("failed", f"{socket.gethostname()}:{os.getpid()}", True,
                                 "OSError: the file went away")]
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0
        assert session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "import_failed")) == \
            "OSError: the file went away"
        shown = earlier_imports(manager, session=session)
    assert shown.frame.iloc[0]["Status"] == "Failed: OSError: the file went away"
    assert shown.revertible == {}


def test_batches_of_processes_that_are_gone_say_interrupted(db_url: str, manager) -> None:
    now = utcnow()
    host = socket.gethostname()
    with session_scope(db_url) as session:
        dead = _dead_pid()
        for runner, started in [(f"{host}:{dead}", now),  # this host, process gone
                                (f"{host}:{os.getpid()}", now),  # this very process, still running it
                                ("elsewhere:12", now - dt.timedelta(minutes=5)),  # another host, recently
                                ("elsewhere:13", now - jobs.STALE_AFTER - dt.timedelta(minutes=1))]:
            session.add(ImportBatch(kind="products", filename=runner, source="cli", status="running",
                                    runner=runner, created_at=started))
    with session_scope(db_url) as session:
        listed = {b.filename: b.status for b in list_imports(manager, session=session)}
        assert listed == {f"{host}:{dead}": "interrupted", f"{host}:{os.getpid()}": "running",
                          "elsewhere:12": "running", "elsewhere:13": "interrupted"}
        shown = earlier_imports(manager, session=session)
    assert set(shown.frame["Status"]) == {"Interrupted: nothing was imported", "Running"}
    with session_scope(db_url) as session:
        gone = session.scalar(select(ImportBatch.id).where(ImportBatch.status == "interrupted"))
        with pytest.raises(ValidationError) as refused:
            revert(manager, gone, session=session)
    assert "did not finish" in refused.value.errors["batch"]


def _dead_pid() -> int:
    """A process id that no process has right now."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1
