"""Benchmark step: a receipts import of N lines through the runner, beside the write floor of the same rows.

The file is a shop's export (receipt number, customer e-mail, date, SKU, quantity, unit price, unit cost,
channel), about 2.5 lines per receipt, customers and products drawn from the database, lines of a receipt
consecutive. It is imported with ``crm.importing.runner.run`` from the CSV file, streamed. The floor: the rows
that import wrote (receipts, their lines and external ids; then also the report's rows) written again under new
ids into the real tables through the raw driver (``executemany`` on SQLite, ``COPY`` on PostgreSQL), every index
and foreign key on, then rolled back. No import can write those rows faster.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crm.core.database import session_scope

HEADERS = ["Receipt No", "Customer Email", "Order Date", "SKU", "Qty", "Unit Price", "Unit Cost", "Channel"]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_file(url: str, lines: int, path: Path, seed: int = 5) -> int:
    """A CSV of ``lines`` receipt lines of existing customers and products; returns the number of receipts."""
    from db.models import Customer, Product

    rng = random.Random(seed)
    with session_scope(url) as s:
        emails = list(s.scalars(select(Customer.email).where(Customer.email.is_not(None), Customer.erased_at.is_(None),
                                                             Customer.merged_into_id.is_(None))))
        products = [(sku, price, cost) for sku, price, cost in s.execute(select(Product.sku, Product.price, Product.cost))]
    stamp = int(time.time())
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    written = receipts = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(HEADERS)
        while written < lines:
            receipts += 1
            number = f"B{stamp}-{receipts}"
            email = rng.choice(emails)
            when = (start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 330))).strftime("%Y-%m-%d %H:%M")
            channel = rng.choice(("store", "online", "partner"))
            for _ in range(min(lines - written, rng.randint(1, 4))):
                sku, price, cost = rng.choice(products)
                w.writerow([number, email, when, sku, rng.randint(1, 3), f"{price:.2f}", f"{cost:.2f}", channel])
                written += 1
    return receipts


def _rows(path: Path) -> Any:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        yield from reader


def run_step(url: str, lines: int) -> dict[str, Any]:
    """Import ``lines`` receipt lines, then measure the write floor of the same rows."""
    from crm.accounts.users import actor_for
    from crm.importing.kinds import auto_mapping, kind
    from crm.importing.runner import run
    from crm.importing.writing import ImportOptions
    from db.engine import get_engine

    folder = Path(tempfile.mkdtemp(prefix="crm-bench-receipts-"))
    path = folder / "receipts.csv"
    # written by another process, so that the customers' e-mails it loads do not count in this one's peak memory
    made = subprocess.run([sys.executable, "-m", "bench.receipts", url, str(lines), str(path)], check=True,
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    receipts = int(made.stdout.split()[-1])
    source = f"bench-{int(time.time())}"
    rss_before = _rss_mb()
    from tools.seed import ensure_demo_accounts

    with session_scope(url) as s:
        ensure_demo_accounts(session=s)
    mapping = auto_mapping(kind("receipts"), HEADERS)  # the kind's module loaded before the clock starts
    with session_scope(url) as s:
        who = actor_for("salesmgr", session=s, source="import")
        start, cpu = time.perf_counter(), time.process_time()
        report = run(who, "receipts", _rows(path), headers=HEADERS, mapping=mapping,
                     options=ImportOptions(source_system=source), filename=path.name, total=lines, session=s)
        wrote = time.perf_counter() - start
        batch_id = report.batch_id
    took = time.perf_counter() - start  # with the commit
    took_cpu = time.process_time() - cpu  # this process's CPU (SQLite runs in it): far steadier under load
    counts = report.counts
    del report
    peak = _rss_mb()
    (floor, floor_all), (floor_cpu, floor_all_cpu) = write_floor(get_engine(url), batch_id)
    os.remove(path)
    os.rmdir(folder)
    return {"lines": lines, "receipts": receipts, "outcomes": counts, "seconds": round(took, 2),
            "seconds_before_commit": round(wrote, 2), "rows_per_s": round(lines / took),
            "write_floor_seconds": round(floor, 2), "write_floor_rows_per_s": round(lines / floor),
            "share_of_floor": round(floor / took, 2),
            "write_floor_with_report_seconds": round(floor_all, 2),
            "share_of_floor_with_report": round(floor_all / took, 2),
            "cpu_seconds": round(took_cpu, 2), "write_floor_cpu_seconds": round(floor_cpu, 2),
            "share_of_floor_cpu": round(floor_cpu / took_cpu, 2),
            "share_of_floor_with_report_cpu": round(floor_all_cpu / took_cpu, 2),
            "peak_rss_mb_before": round(rss_before, 1), "peak_rss_mb": round(peak, 1)}


def write_floor(engine: Any, batch_id: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Seconds to write again, under new ids, the receipts, lines and external ids the import wrote (and, second,
    those plus its report rows) through the raw driver into the real tables; rolled back. Wall seconds, then
    this process's CPU seconds."""
    raw = engine.raw_connection()
    postgres = engine.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    try:
        cur = raw.cursor()
        cur.execute("SELECT id, customer_id, number, purchased_at, channel, total, total_cost, import_batch_id "
                    f"FROM receipts WHERE import_batch_id = {mark} ORDER BY id", (batch_id,))
        receipts = [list(r) for r in cur.fetchall()]
        cur.execute("SELECT l.receipt_id, l.product_id, l.quantity, l.unit_price, l.unit_cost FROM receipt_lines l "
                    f"JOIN receipts r ON r.id = l.receipt_id WHERE r.import_batch_id = {mark} ORDER BY l.id", (batch_id,))
        lines = [list(r) for r in cur.fetchall()]
        cur.execute(f"SELECT source_system, entity, external_id, entity_id FROM external_ids WHERE import_batch_id = "
                    f"{mark}", (batch_id,))
        ext = [list(r) for r in cur.fetchall()]
        cur.execute(f"SELECT batch_id, row_number, outcome, entity_id FROM import_rows WHERE batch_id = {mark}",
                    (batch_id,))
        report = cur.fetchall()
        cur.execute("SELECT MAX(id) FROM receipts")
        shift = cur.fetchone()[0]
        for r in receipts:
            r[0] += shift
            r[2] = "F" + r[2]
        for r in lines:
            r[0] += shift
        for r in ext:
            r[2] = "F" + r[2]
            r[3] += shift
        data = [("receipts", ["id", "customer_id", "number", "purchased_at", "channel", "total", "total_cost",
                              "import_batch_id"], receipts),
                ("receipt_lines", ["receipt_id", "product_id", "quantity", "unit_price", "unit_cost"], lines),
                ("external_ids", ["source_system", "entity", "external_id", "entity_id"], ext)]
        out, out_cpu = [], []
        for tables in (data, data + [("import_rows", ["batch_id", "row_number", "outcome", "entity_id"], report)]):
            if not postgres:
                raw.driver_connection.execute("BEGIN IMMEDIATE")
            start, cpu = time.perf_counter(), time.process_time()
            for table, columns, rows in tables:
                if postgres:
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                    f"({', '.join('?' * len(columns))})", rows)
            out.append(time.perf_counter() - start)
            out_cpu.append(time.process_time() - cpu)
            raw.rollback() if postgres else raw.driver_connection.execute("ROLLBACK")
        return (out[0], out[1]), (out_cpu[0], out_cpu[1])
    finally:
        raw.close()


if __name__ == "__main__":  # python -m bench.receipts URL LINES PATH: write the file, print its receipts
    print(write_file(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])))
