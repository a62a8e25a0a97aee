"""`python -m crm bench --customers N` (registered in tools/commands.py from here, so that crm/ never imports Streamlit): how fast the portal answers, beside physical-limit references.

Each step is timed over repeated runs in one process (median and p95) and
printed as a table; the JSON file keeps every number. Peak memory is the
process's maximum RSS after each step.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from tools.commands import command
from crm.core.database import ready, session_scope

ROOT = Path(__file__).resolve().parent.parent  # the repository


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return {"median_ms": round(statistics.median(samples), 3), "p95_ms": round(p95, 3), "runs": repeat}


def _once(fn: Callable[[], Any]) -> float:
    """Milliseconds of one cold call (no warm-up: what the first person waits)."""
    start = time.perf_counter()
    fn()
    return round((time.perf_counter() - start) * 1000, 1)


def _seed(n: int, url: str) -> dict[str, Any]:
    from tools import seed
    from db.models import Customer

    with session_scope(url) as s:
        if seed.is_empty(session=s):
            seed.seed_demo(session=s)
        have = s.scalar(select(func.count()).select_from(Customer)) or 0
    missing = max(0, n - have)
    start = time.perf_counter()
    if missing:
        from tools.seed_scale import BULK_FROM
        from db.bulk import sqlite_rollback_journal

        with sqlite_rollback_journal(url, enabled=missing >= BULK_FROM), session_scope(url) as s:
            result = seed.generate(missing, session=s, seed=99)
        rows = result.customers + result.interactions + result.receipts + result.receipt_lines + result.surveys
    else:
        rows = 0
    took = time.perf_counter() - start
    return {"customers_added": missing, "rows_added": rows, "seconds": round(took, 2),
            "rows_per_s": round(rows / took) if missing and took else None, "peak_rss_mb": round(_rss_mb(), 1)}


def _search(url: str, repeat: int) -> dict[str, Any]:
    from crm.customers.service import search_customers
    from crm.core.text import fold, words
    from crm.accounts.users import actor_for
    from db.engine import get_engine

    with session_scope(url) as s:
        who = actor_for("sales", session=s)
        phone = s.scalar(text("SELECT phone FROM customers WHERE phone IS NOT NULL ORDER BY id DESC LIMIT 1"))
    terms = ["jos", "jose alvarez", "иван", "sinar jaya", phone[3:9] if phone else "812"]
    raw = get_engine(url).raw_connection()
    out: dict[str, Any] = {}
    try:
        for term in terms:
            def service() -> None:
                with session_scope(url) as s:
                    search_customers(who, term, page_size=25, session=s)

            tokens = [fold(term)] if term.isdigit() else words(term)
            sql = ("SELECT c.id, c.name, c.company, c.email, c.phone FROM customers c WHERE c.archived_at IS NULL "
                   + "".join(" AND c.id IN (SELECT customer_id FROM customer_tokens WHERE token >= ? AND token < ?)"
                             for _ in tokens) + " ORDER BY c.name_key, c.id LIMIT 25")
            if get_engine(url).dialect.name == "postgresql":
                sql = sql.replace("?", "%s")
            params = [p for t in tokens for p in (t, t + "\uffff")]

            def floor() -> None:
                cur = raw.cursor()
                cur.execute(sql, params)
                cur.fetchall()
                cur.close()

            svc, ref = _time(service, repeat), _time(floor, repeat)
            out[term] = {"service": svc, "raw_sql_floor": ref,
                         "ratio": round(svc["median_ms"] / max(ref["median_ms"], 1e-6), 1)}
    finally:
        raw.close()
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    return out


def _profile_customer(url: str) -> int:
    """A customer with 200 interactions (created once) for the profile step."""
    from db.models import Customer, Department, Interaction

    with session_scope(url) as s:
        cid = s.scalar(select(Customer.id).where(Customer.notes == "bench: 200 interactions"))
        if cid:
            return cid
        customer = Customer(name="Bench Profile", name_key="bench profile", notes="bench: 200 interactions",
                            status="customer")
        s.add(customer)
        s.flush()
        dept = s.scalar(select(Department.id).where(Department.code == "sales"))
        now = dt.datetime.now(dt.timezone.utc)
        s.execute(Interaction.__table__.insert(), [
            {"customer_id": customer.id, "department_id": dept, "channel": "call", "direction": "inbound",
             "occurred_at": now - dt.timedelta(hours=i), "subject": f"Call {i}", "created_at": now}
            for i in range(200)])
        return customer.id


def _pages(url: str, repeat: int) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CRM_DEMO", "1")
    cid = _profile_customer(url)

    def app(username: str, role: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["roles"] = [role]
        at.run()
        return at

    out: dict[str, Any] = {}
    customers = app("sales", "staff")
    customers.switch_page("pages/customers.py").run()
    customers.text_input(key="cust_query").input("jose alvarez").run()
    out["customers_page_search"] = _time(lambda: customers.run(), repeat)
    profile = app("sales", "staff")
    profile.session_state["customer_id"] = cid
    profile.switch_page("pages/customers.py").run()
    out["customer_profile_200"] = _time(lambda: profile.run(), repeat)
    from crm.insights.figures import SHARED_FIGURES

    insights_page = app("salesmgr", "manager")
    SHARED_FIGURES.clear()  # the first person to open Insights with these filters computes every figure
    insights_page.switch_page("pages/insights.py")
    out["insights_page_first_open_ms"] = _once(lambda: insights_page.run())
    out["insights_page"] = _time(lambda: insights_page.run(), repeat)  # reruns: figures from the shared cache
    opened: dict[str, float] = {}
    for tab in ("Customer groups", "Why customers choose us", "Sales", "Lifetime value"):  # each tab opened first
        SHARED_FIGURES.clear()
        insights_page.session_state["insights_tab"] = tab
        opened[tab] = _once(lambda: insights_page.run())
    out["insights_tab_first_open_ms"] = opened
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    return out


def _insights(url: str, repeat: int) -> dict[str, Any]:
    import pandas as pd

    from crm.insights import figures as insights
    from crm.accounts.users import actor_for
    from db.engine import get_engine

    with session_scope(url) as s:
        who = actor_for("salesmgr", session=s)
    f = insights.InsightFilters.last_months(12)

    def summary() -> None:
        with session_scope(url) as s:
            insights.sales_by_month(who, f, session=s)

    month = "to_char(r.purchased_at, 'YYYY-MM')" if get_engine(url).dialect.name == "postgresql" \
        else "strftime('%Y-%m', r.purchased_at)"
    full_scan = text(f"SELECT {month}, l.product_id, SUM(l.quantity * l.unit_price) FROM receipt_lines l "
                     f"JOIN receipts r ON r.id = l.receipt_id GROUP BY 1, 2")

    def naive_sql() -> None:
        with get_engine(url).connect() as conn:
            conn.execute(full_scan).all()

    def naive_pandas() -> None:
        with get_engine(url).connect() as conn:
            lines = pd.read_sql("SELECT receipt_id, product_id, quantity, unit_price FROM receipt_lines", conn)
            receipts = pd.read_sql("SELECT id, purchased_at FROM receipts", conn)
        merged = lines.merge(receipts, left_on="receipt_id", right_on="id")
        merged["month"] = pd.to_datetime(merged["purchased_at"]).dt.strftime("%Y-%m")
        merged.assign(revenue=merged["quantity"] * merged["unit_price"].astype(float)).groupby(
            ["month", "product_id"])["revenue"].sum()

    figures: dict[str, Any] = {}
    with session_scope(url) as s:  # every figure once, as on a first open (no cache)
        for name, call in [
            ("customer_trends", lambda: insights.customer_trends(who, f, session=s)),
            ("interaction_trends", lambda: insights.interaction_trends(who, f, session=s)),
            ("customer_groups_segment", lambda: insights.buyers_by_group(who, f, "segment", session=s)),
            ("rfm_groups", lambda: insights.rfm_groups(who, f, session=s)),
            ("cohort_retention", lambda: insights.cohort_retention(who, f, session=s)),
            ("survey_summary", lambda: insights.survey_summary(who, f, session=s)),
            ("nps", lambda: insights.nps(who, f, session=s)),
            ("sales_by_month", lambda: insights.sales_by_month(who, f, session=s)),
            ("products", lambda: insights.products(who, f, session=s)),
            ("repeat_purchase_rate", lambda: insights.repeat_purchase_rate(who, f, session=s)),
            ("lifetime_value", lambda: insights.lifetime_value(who, f, session=s)),
        ]:
            figures[name] = _once(call)
    out: dict[str, Any] = {"figures_first_run_ms": figures}
    out |= {"summary_table": _time(summary, repeat), "full_scan_group_by": _time(naive_sql, max(1, repeat // 5)),
           "pandas_load_and_group": _time(naive_pandas, 1)}
    out["speedup_vs_full_scan"] = round(out["full_scan_group_by"]["median_ms"] / max(out["summary_table"]["median_ms"], 1e-6), 1)
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    return out


def _import(url: str, rows: int) -> dict[str, Any]:
    import csv

    from crm.customers.importing import run_import
    from crm.accounts.users import actor_for
    from db.engine import get_engine

    stamp = int(time.time())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Name", "Company", "E-mail", "Phone", "Country"])
    data_rows = [(f"Bench Person {stamp}-{i}", f"Bench Co {i % 500}", f"bench{stamp}.{i}@example.org",
                  f"+62 81{i % 10} {stamp % 10000:04d} {i:05d}", "ID") for i in range(rows)]
    writer.writerows(data_rows)
    payload = buffer.getvalue().encode()
    with session_scope(url) as s:
        who = actor_for("salesmgr", session=s, source="import")
        start = time.perf_counter()
        report = run_import(who, "bench.csv", payload, session=s)
        took = time.perf_counter() - start
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_raw")  # a temporary table of an earlier run on this connection
        conn.exec_driver_sql("CREATE TEMPORARY TABLE bench_raw (name TEXT, company TEXT, email TEXT, phone TEXT, country TEXT)")
        marker = "%s" if engine.dialect.name == "postgresql" else "?"
        start = time.perf_counter()
        conn.exec_driver_sql(f"INSERT INTO bench_raw VALUES ({', '.join([marker] * 5)})", data_rows)
        raw_took = time.perf_counter() - start
    created = report.counts["imported"]
    write_floor = _write_floor(engine, report.batch_id) if created else None
    return {"rows": rows, "outcomes": report.counts, "seconds": round(took, 2),
            "rows_per_s": round(rows / took), "raw_executemany_rows_per_s": round(rows / raw_took),
            "write_floor_rows_per_s": round(created / write_floor) if write_floor else None,
            "write_floor_seconds": round(write_floor, 2) if write_floor else None,
            "peak_rss_mb": round(_rss_mb(), 1)}


def _write_floor(engine: Any, batch_id: int) -> float:
    """Seconds to write the customers this import created, with their search tokens, into the real tables (every
    index, foreign keys on) through the raw driver: one executemany per table on SQLite, COPY on PostgreSQL, the
    paths the import itself uses. A copy under new ids, rolled back: the physical limit of the import's writes."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        marker = "%s" if engine.dialect.name == "postgresql" else "?"
        cur.execute(f"SELECT * FROM customers WHERE import_batch_id = {marker} ORDER BY id", (batch_id,))
        columns = [d[0] for d in cur.description]
        customers = [list(r) for r in cur.fetchall()]
        cur.execute("SELECT t.token, t.customer_id FROM customer_tokens t JOIN customers c ON c.id = t.customer_id "
                    f"WHERE c.import_batch_id = {marker}", (batch_id,))
        tokens = cur.fetchall()
        cur.execute("SELECT MAX(id) FROM customers")
        shift = cur.fetchone()[0] + 1 - customers[0][columns.index("id")]
        for row in customers:
            row[columns.index("id")] += shift
        tokens = sorted((token, cid + shift) for token, cid in tokens)
        if engine.dialect.name == "sqlite":
            raw.driver_connection.execute("BEGIN IMMEDIATE")
        start = time.perf_counter()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY customers ({', '.join(columns)}) FROM STDIN") as copy:
                for row in customers:
                    copy.write_row(row)
            with cur.copy("COPY customer_tokens (token, customer_id) FROM STDIN") as copy:
                for row in tokens:
                    copy.write_row(row)
        else:
            cur.executemany(f"INSERT INTO customers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            customers)
            cur.executemany("INSERT INTO customer_tokens (token, customer_id) VALUES (?, ?)", tokens)
        took = time.perf_counter() - start
        raw.rollback() if engine.dialect.name == "postgresql" else raw.driver_connection.execute("ROLLBACK")
        return took
    finally:
        raw.close()


def _receipts(url: str, lines: int) -> dict[str, Any]:
    from bench.receipts import run_step

    return run_step(url, lines)


def _sync(url: str, rows: int) -> dict[str, Any]:
    """A sync of ``rows`` new, then ``rows`` changed products from a source database, beside the file import of
    the same rows (CSV text through the same runner). The source is ``CRM_BENCH_SOURCE_URL``, else a database
    ``crm_bench_source`` on the portal's PostgreSQL server, else an SQLite file (when the portal is on SQLite)."""
    import csv
    import tempfile

    from sqlalchemy import Column, DateTime, Integer, MetaData, Numeric, String, Table, create_engine, update
    from sqlalchemy.engine import make_url

    from crm.accounts.users import actor_for
    from crm.importing import sources
    from crm.importing.kinds import auto_mapping, kind
    from crm.importing.runner import run
    from crm.importing.writing import ImportOptions

    source_url = os.environ.get("CRM_BENCH_SOURCE_URL")
    if not source_url and make_url(url).get_backend_name() == "postgresql":
        server = make_url(url)
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'crm_bench_source'")).scalar():
                conn.execute(text("CREATE DATABASE crm_bench_source"))
        admin.dispose()
        source_url = server.set(database="crm_bench_source").render_as_string(hide_password=False)
    source_url = source_url or f"sqlite:///{tempfile.gettempdir()}/crm_bench_source.sqlite3"
    engine = create_engine(source_url)
    stock = Table("bench_stock", MetaData(), Column("code", String(40), primary_key=True), Column("title", String(200)),
                  Column("grp", String(60)), Column("price", Numeric(12, 2)), Column("cost", Numeric(12, 2)),
                  Column("qty", Integer), Column("changed_at", DateTime))
    stock.drop(engine, checkfirst=True)
    stock.create(engine)
    stamp = int(time.time())
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    data = [{"code": f"BS{stamp}-{i}", "title": f"Bench product {i}", "grp": f"Group {i % 40}",
             "price": f"{10 + i % 500}.50", "cost": f"{5 + i % 300}.25", "qty": i % 1000,
             "changed_at": now + dt.timedelta(seconds=i)} for i in range(rows)]
    with engine.begin() as conn:
        conn.execute(stock.insert(), data)
    headers = ["code", "title", "grp", "price", "cost", "qty"]
    mapping = {f: headers[i] for f, i in auto_mapping(kind("products"), ["sku", "name", "category", "price", "cost",
                                                                          "stock"]).items()}
    with session_scope(url) as s:
        who = actor_for("salesmgr", session=s, source="sync")
        for old in sources.list_sources(who, session=s):
            if old.name == "bench-sync":
                sources.delete_source(who, old.id, session=s)
    with session_scope(url) as s:
        source = sources.register_source(who, name="bench-sync", kind="products", url=source_url,
                                         query="bench_stock", change_column="changed_at", mapping=mapping, session=s)

    def file_import(prefix: str, limit: int | None = None, dry_run: bool = False) -> tuple[float, dict[str, int]]:
        buffer = io.StringIO()
        csv.writer(buffer).writerows([[prefix + d["code"][2:], d["title"], d["grp"], d["price"], d["cost"], d["qty"]]
                                      for d in data[:limit]])
        buffer.seek(0)
        with session_scope(url) as s:
            start = time.perf_counter()
            read = csv.reader(buffer)
            report = run(who, "products", read, headers=headers, mapping={f: i for i, f in enumerate(
                ["sku", "name", "category", "price", "cost", "stock"])}, options=ImportOptions(
                source_system="bench-file", decimal_mark=".", dry_run=dry_run), filename="bench.csv", session=s)
            took = time.perf_counter() - start
        return took, report.counts

    def synced() -> tuple[float, dict[str, int]]:
        with session_scope(url) as s:
            start = time.perf_counter()
            report = sources.sync(who, source.id, session=s)
            took = time.perf_counter() - start
        return took, report.counts

    out: dict[str, Any] = {"rows": rows, "source": make_url(source_url).render_as_string(hide_password=True)}
    from crm.importing.source_reading import as_text, connected

    file_import("BW", limit=500, dry_run=True)  # warm-up (first use of the runner and writer in this process)
    with connected(source_url) as src:  # reading the source alone: the part a file import does not have
        start = time.perf_counter()
        for row in src.rows(src.statement("bench_stock", [*headers, "changed_at"], "changed_at")):
            [as_text(v) for v in row]
        out["source_read_seconds"] = round(time.perf_counter() - start, 2)
    for label, step in (("sync_new", synced), ("file_import_new", lambda: file_import("BF"))):
        took, counts = step()
        out[label] = {"seconds": round(took, 2), "rows_per_s": round(rows / took), "outcomes": counts}
    with engine.begin() as conn:  # every row's stock changes in the source, and in the file's next export
        conn.execute(update(stock).values(qty=stock.c.qty + 1, changed_at=now + dt.timedelta(seconds=rows + 60)))
    for d in data:
        d["qty"] += 1
    for label, step in (("sync_changed", synced), ("file_import_changed", lambda: file_import("BF"))):
        took, counts = step()
        out[label] = {"seconds": round(took, 2), "rows_per_s": round(rows / took), "outcomes": counts}
    out["sync_vs_file_new"] = round(out["sync_new"]["rows_per_s"] / out["file_import_new"]["rows_per_s"], 2)
    out["sync_vs_file_changed"] = round(out["sync_changed"]["rows_per_s"] / out["file_import_changed"]["rows_per_s"],
                                        2)
    stock.drop(engine)
    engine.dispose()
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    return out


def _sign_in(url: str) -> dict[str, Any]:
    from bench.sign_in import measure

    return measure(url, repeat=5)


def _api(url: str, repeat: int) -> dict[str, Any]:
    from bench.api import measure

    return measure(url, repeat=repeat)


def _custom_fields(url: str, repeat: int) -> dict[str, Any]:
    from bench.custom_fields import measure

    return measure(url, repeat=repeat)


def _bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--customers", type=int, required=True, metavar="N")
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--import-rows", type=int, default=None)
    p.add_argument("--out", default=None, help="JSON file (default bench/results/bench-N.json)")
    p.add_argument("--skip-pages", action="store_true", help="leave out the AppTest page reruns")
    p.add_argument("--receipt-lines", type=int, default=None, metavar="N",
                   help="lines of the receipts import step (default: customers / 10, 200 to 100,000)")
    p.add_argument("--steps", default=None, help="comma-separated steps to run (default: all): seed, search, pages, "
                                                  "insights, import, receipts, api, custom_fields, sync (with "
                                                  "--sync-rows)")
    p.add_argument("--sync-rows", type=int, default=0, metavar="N",
                   help="also sync N new, then N changed products from a source database beside the file import "
                        "of the same rows (see bench/README.md)")
    p.add_argument("--skip-browser", action="store_true", help="leave out the sign-in in a real browser")


@command("bench", "measure search, pages, insights and import at N customers (see bench/README.md)", _bench_args)
def cmd_bench(args: argparse.Namespace) -> int:
    url = ready()
    results: dict[str, Any] = {"customers": args.customers, "database": url.split("@")[-1],
                               "machine": f"{os.cpu_count()} cores", "at": dt.datetime.now(dt.timezone.utc).isoformat()}
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("seed", lambda: _seed(args.customers, url)),
        ("search", lambda: _search(url, args.repeat)),
        ("insights", lambda: _insights(url, args.repeat)),
        ("import", lambda: _import(url, args.import_rows or max(200, min(20000, args.customers // 10)))),
        ("receipts", lambda: _receipts(url, args.receipt_lines or max(200, min(100000, args.customers // 10)))),
    ]
    steps.append(("api", lambda: _api(url, args.repeat)))
    steps.append(("custom_fields", lambda: _custom_fields(url, args.repeat)))
    if not args.skip_pages:
        steps.insert(2, ("pages", lambda: _pages(url, max(3, args.repeat // 4))))
    if not args.skip_browser:
        steps.append(("sign_in", lambda: _sign_in(url)))
    if args.sync_rows:
        steps.append(("sync", lambda: _sync(url, args.sync_rows)))
    if args.steps:
        chosen = {name.strip() for name in args.steps.split(",")}
        steps = [(name, step) for name, step in steps if name in chosen]
    for name, step in steps:
        print(f"== {name}", flush=True)
        results[name] = step()
        print(json.dumps(results[name], ensure_ascii=False, indent=1), flush=True)
    out = Path(args.out or ROOT / "bench" / "results" / f"bench-{args.customers}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"Results written to {out}", file=sys.stderr)
    return 0
