"""A 50,000-line receipts import killed with SIGKILL in the middle: the database holds none of it, nothing
else changed, and once the portal runs again the import's batch says it was interrupted. Not killed, the same
file is imported whole. On SQLite and on PostgreSQL, with the command line an operator runs."""
from __future__ import annotations

import csv
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select

from crm.core.database import session_scope
from crm.importing import batches, jobs
from crm.importing.writing import ImportOptions
from db.models import Base, ExternalId, ImportBatch, ImportRow, Product, Receipt, ReceiptLine
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

ROOT = Path(__file__).resolve().parents[2]
LINES = 50_000
CUSTOMERS = 200
KILL_AFTER = 0.5  # seconds after the batch says running: the import is under way (it takes 2-10 s here)


@pytest.fixture
def portal(db_url: str) -> Iterator[tuple[str, Engine]]:
    """The test database with the demo accounts and 200 customers from the shop; an engine for looking at it
    from outside (plain transactions: it never waits for the import's write lock)."""
    with session_scope(db_url) as session:
        ensure_demo_accounts(session=session)
    with session_scope(db_url) as session:
        admin = make_actor(session, "admin")
    rows = [[f"C{i:04d}", f"Customer {i}", f"c{i}@example.com"] for i in range(CUSTOMERS)]
    jobs.run_import(admin, "customers", rows, headers=["Customer id", "Name", "E-mail"],
                    mapping={"external_id": 0, "name": 1, "email": 2}, options=ImportOptions(source_system="shop"),
                    filename="customers.csv", sessions=lambda: session_scope(db_url))
    engine = create_engine(db_url)
    yield db_url, engine
    engine.dispose()


def _receipts_file(path: Path) -> Path:
    """LINES lines of LINES/2 receipts of the shop's customers; 30 products the portal does not know yet."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Receipt number", "Customer id", "Date of purchase", "SKU", "Product name", "Quantity",
                      "Unit price"])
        for i in range(LINES):
            n = i // 2
            out.writerow([f"R{n:06d}", f"C{n % CUSTOMERS:04d}", f"2025-{1 + n % 12:02d}-{1 + n % 28:02d} 10:00",
                          f"SKU{i % 30}", f"Product {i % 30}", 1 + i % 3, "12.50"])
    return path


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CRM_DEMO",)}
    env["DATABASE_URL"] = url
    return env


def _import_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "crm", "import", "receipts", str(path), "--user", "admin", "--source", "shop",
            "--unknown-products", "create"]


def _fingerprint(engine: Engine, leave_out: tuple[str, ...] = ()) -> dict[str, str]:
    """A checksum of every row of every table (but ``leave_out``), to tell whether anything changed."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in leave_out:
                continue
            rows = sorted(repr(tuple(r)) for r in conn.execute(select(table)))
            out[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {m.__tablename__: conn.scalar(select(func.count()).select_from(m))
                for m in (Receipt, ReceiptLine, Product, ImportRow, ExternalId, ImportBatch)}


def _batches(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(ImportBatch.id, ImportBatch.kind, ImportBatch.status,
                                                      ImportBatch.runner, ImportBatch.finished_at)
                                               .order_by(ImportBatch.id))]


def _wait_until_running(engine: Engine, process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """The id of the receipts batch once the import has announced it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the import ended before it announced its batch"
        found = [b for b in _batches(engine) if b[1] == "receipts" and b[2] == jobs.RUNNING]
        if found:
            return found[0][0]
        time.sleep(0.1)
    raise AssertionError("the import never said it was running")


def test_an_import_killed_midway_leaves_nothing_and_says_interrupted_and_runs_whole_when_not_killed(
        portal: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = portal
    path = _receipts_file(tmp_path / "receipts.csv")
    before_counts = _counts(engine)
    before = _fingerprint(engine)

    killed = subprocess.Popen(_import_command(path), cwd=ROOT, env=_env(url), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        batch_id = _wait_until_running(engine, killed)
        time.sleep(KILL_AFTER)
        assert killed.poll() is None, "the import finished before it could be killed: give it a bigger file"
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(timeout=30)
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait()
    assert killed.returncode == -signal.SIGKILL

    # None of the import is in the database, and nothing else changed (only the batch was written, on its own).
    assert _counts(engine) == {**before_counts, "import_batches": before_counts["import_batches"] + 1}
    assert _fingerprint(engine, leave_out=("import_batches",)) == {
        k: v for k, v in before.items() if k != "import_batches"}
    assert _batches(engine)[-1][:4] == (batch_id, "receipts", jobs.RUNNING, f"{socket.gethostname()}:{killed.pid}")

    # Restart: the command line runs again (the control run); before its own import it finds the killed run's
    # batch still "running" with a process that no longer exists, and says so. Not killed, the import is whole.
    control = subprocess.run(_import_command(path), cwd=ROOT, env=_env(url), capture_output=True, text=True,
                             timeout=300)
    assert control.returncode == 0, control.stderr
    assert "50,000 imported" in control.stdout
    interrupted, done = _batches(engine)[-2:]
    assert interrupted[:3] == (batch_id, "receipts", jobs.INTERRUPTED) and interrupted[4] is not None
    assert done[1:3] == ("receipts", jobs.DONE) and done[4] is not None
    after = _counts(engine)
    assert after == {**before_counts, "receipts": before_counts["receipts"] + LINES // 2,
                     "receipt_lines": before_counts["receipt_lines"] + LINES,
                     "products": before_counts["products"] + 30,
                     "import_rows": before_counts["import_rows"] + LINES + CUSTOMERS,  # and each customer's figures before
                     "external_ids": before_counts["external_ids"] + LINES // 2 + 30,
                     "import_batches": before_counts["import_batches"] + 2}
    with session_scope(url) as session:
        listed = batches.list_imports(make_actor(session, "admin"), limit=2, session=session)
    assert [(b.id, b.status, b.counts.get("imported")) for b in listed] == [
        (done[0], jobs.DONE, LINES), (batch_id, jobs.INTERRUPTED, None)]
