"""Straight from a departmental database: a manager registers a source (SQLite, PostgreSQL, MariaDB), syncs it
(only new or changed rows when it has a change column), every sync is a revertible import batch, two syncs never
run at once, queries that write are refused, and no password is ever shown back, audited or put in a message."""
from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import (Column, DateTime, Integer, MetaData, Numeric, String, Table, create_engine, func, insert,
                        select, text, update)
from sqlalchemy.engine import make_url

from crm.core.errors import ConflictError, PermissionDenied, ValidationError
from crm.importing import sources
from crm.importing.batches import revert
from crm.importing.source_reading import SourceError, connected
from crm.importing.sources import SyncRunning
from db.engine import get_sessionmaker
from db.models import AuditEvent, DataSource, ImportBatch, Product
from tests.conftest import PG_URL, make_actor
from tools.seed import ensure_demo_accounts

MYSQL_URL = os.environ.get("CRM_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
MAPPING = {"sku": "code", "name": "title", "category": "grp", "price": "price", "cost": "cost", "stock": "qty"}
T0 = dt.datetime(2026, 3, 1, 8, 0)
ROWS = [
    {"code": "K-1", "title": "Kopi Luwak 250g", "grp": "Coffee", "price": Decimal("120.00"), "cost": Decimal("70.00"),
     "qty": 15, "changed_at": T0},
    {"code": "K-2", "title": "Teh Hijau", "grp": "Tea", "price": Decimal("25.50"), "cost": Decimal("10.00"),
     "qty": 200, "changed_at": T0 + dt.timedelta(minutes=1)},
    {"code": "K-3", "title": "Mug", "grp": "Gifts", "price": Decimal("9.90"), "cost": Decimal("4.00"), "qty": 40,
     "changed_at": T0 + dt.timedelta(minutes=2)},
]


# ------------------------------------------------------------------------------------ source databases --


class SourceDb:
    """A departmental database with a stock table, written to as its own system would."""

    def __init__(self, url: str, table_name: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.table = Table(table_name, MetaData(), Column("code", String(20), primary_key=True),
                           Column("title", String(100)), Column("grp", String(40)), Column("price", Numeric(10, 2)),
                           Column("cost", Numeric(10, 2)), Column("qty", Integer), Column("changed_at", DateTime))
        self.table.create(self.engine)
        self.add(*ROWS)

    @property
    def name(self) -> str:
        return self.table.name

    def add(self, *rows: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(self.table), list(rows))

    def change(self, code: str, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(self.table).where(self.table.c.code == code).values(**values))

    def drop(self) -> None:
        self.table.drop(self.engine)
        self.engine.dispose()


def _sqlite_source(tmp_path: Path) -> Iterator[SourceDb]:
    source = SourceDb(f"sqlite:///{tmp_path / 'shop.sqlite3'}", "stock_items")
    yield source
    source.engine.dispose()


def _pg_source() -> Iterator[SourceDb]:
    if not PG_URL:
        pytest.skip("PostgreSQL source skipped: CRM_TEST_DATABASE_URL is not set")
    server = make_url(PG_URL)
    name = f"crm_src_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    source = SourceDb(server.set(database=name).render_as_string(hide_password=False), "stock_items")
    try:
        yield source
    finally:
        source.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _need_mariadb() -> None:
    try:
        probe = create_engine(MYSQL_URL, connect_args={"connect_timeout": 3})
        with probe.connect():
            pass
        probe.dispose()
    except Exception:
        pytest.skip(f"MariaDB/MySQL source skipped: cannot connect to {make_url(MYSQL_URL).render_as_string()}")


def _mariadb_source() -> Iterator[SourceDb]:
    _need_mariadb()
    source = SourceDb(MYSQL_URL, f"stock_{uuid.uuid4().hex[:8]}")
    try:
        yield source
    finally:
        source.drop()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[SourceDb]:
    """An SQLite source (always available)."""
    yield from _sqlite_source(tmp_path)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def any_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceDb]:
    """A source on each kind of database that is available here."""
    if request.param == "sqlite":
        yield from _sqlite_source(tmp_path)
    elif request.param == "postgresql":
        yield from _pg_source()
    else:
        yield from _mariadb_source()


@pytest.fixture
def manager(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "salesmgr")


def _register(db, who, shop: SourceDb, **extra):
    settings = {"name": "shop", "kind": "products", "url": shop.url, "query": shop.name,
                "change_column": "changed_at", "mapping": MAPPING, **extra}
    info = sources.register_source(who, **settings, session=db)
    db.commit()
    return info


def _products(db) -> dict[str, tuple]:
    db.expire_all()
    return {p.sku: (p.name, p.category, p.price, p.stock) for p in db.scalars(select(Product))}


# ------------------------------------------------------------------------------------------- syncing --


def test_a_sync_imports_the_rows_of_each_kind_of_database(db, manager, any_shop) -> None:
    source = _register(db, manager, any_shop)
    report = sources.sync(manager, source.id, session=db)
    assert report.counts["imported"] == 3 and report.batch_id
    assert _products(db)["K-1"] == ("Kopi Luwak 250g", "Coffee", Decimal("120.00"), 15)
    batch = db.get(ImportBatch, report.batch_id)
    assert (batch.kind, batch.source, batch.source_system, batch.data_source_id) == ("products", "sync", "shop",
                                                                                     source.id)
    after = sources.list_sources(manager, session=db)[0]
    assert after.last_batch_id == report.batch_id and after.last_sync_at is not None and after.last_error is None
    assert after.change_mark.startswith("2026-03-01") and after.syncing is None


def test_the_second_sync_reads_only_new_and_changed_rows(db, manager, any_shop) -> None:
    source = _register(db, manager, any_shop)
    sources.sync(manager, source.id, session=db)
    any_shop.change("K-2", qty=150, changed_at=T0 + dt.timedelta(hours=1))
    any_shop.add({"code": "K-4", "title": "Kettle", "grp": "Gifts", "price": Decimal("30"), "cost": Decimal("12"),
                  "qty": 4, "changed_at": T0 + dt.timedelta(hours=2)})
    second = sources.sync(manager, source.id, session=db)
    assert sorted((r.name, r.outcome) for r in second.rows) == [("K-2", "updated"), ("K-4", "imported")]
    assert _products(db)["K-2"][3] == 150
    third = sources.sync(manager, source.id, session=db)
    assert third.rows == [] and third.batch_id


def test_without_a_change_column_every_sync_reads_everything_and_duplicates_nothing(db, manager, shop) -> None:
    source = _register(db, manager, shop, change_column=None)
    sources.sync(manager, source.id, session=db)
    again = sources.sync(manager, source.id, session=db)
    assert {r.outcome for r in again.rows} == {"updated"} and len(again.rows) == 3
    assert len(_products(db)) == 3


def test_a_query_source_is_read_with_its_own_column_names(db, manager, shop) -> None:
    query = f"SELECT code AS item, title, grp, price, cost, qty, changed_at FROM {shop.name} WHERE qty > 20;"
    source = _register(db, manager, shop, query=query, mapping={**MAPPING, "sku": "item"})
    found = sources.test_connection(manager, source.id, session=db)
    assert found.names[0] == "item" and found.rows == 2
    report = sources.sync(manager, source.id, session=db)
    assert sorted(r.name for r in report.rows) == ["K-2", "K-3"]


def test_preview_shows_the_next_rows_cleaned_and_writes_nothing(db, manager, shop) -> None:
    source = _register(db, manager, shop)
    shown = sources.preview(manager, source.id, session=db)
    assert [r.stored["sku"] for r in shown.rows] == ["K-1", "K-2", "K-3"] and shown.changed_only
    assert shown.rows[0].stored["price"] == Decimal("120.00") and shown.rows[0].problems == []
    assert _products(db) == {}


def test_a_dry_run_writes_nothing_and_keeps_the_mark(db, manager, shop) -> None:
    source = _register(db, manager, shop)
    report = sources.sync(manager, source.id, session=db, dry_run=True)
    assert report.counts["imported"] == 3 and report.batch_id is None
    assert _products(db) == {}
    assert sources.list_sources(manager, session=db)[0].change_mark is None


def test_a_sync_is_reverted_like_a_file_import(db, manager, shop) -> None:
    source = _register(db, manager, shop)
    first = sources.sync(manager, source.id, session=db)
    shop.change("K-1", qty=3, changed_at=T0 + dt.timedelta(hours=1))
    second = sources.sync(manager, source.id, session=db)
    assert _products(db)["K-1"][3] == 3
    assert revert(manager, second.batch_id, session=db) == {"removed": 0, "archived": 0, "restored": 1}
    db.commit()
    assert _products(db)["K-1"][3] == 15
    revert(manager, first.batch_id, session=db)
    db.commit()
    assert _products(db) == {}
    info = sources.read_again(manager, source.id, version=sources.list_sources(manager, session=db)[0].version,
                              session=db)
    db.commit()
    assert info.change_mark is None
    assert sources.sync(manager, source.id, session=db).counts["imported"] == 3


# --------------------------------------------------------------------------------- two at once: the lease --


def test_two_syncs_started_together_import_once(db_url, db, manager, shop) -> None:
    source = _register(db, manager, shop)
    db.close()
    start = threading.Barrier(2)
    refused = threading.Event()
    outcomes: list[object] = []

    def wait_for_the_other(_share: float) -> None:  # the winner holds its lease until the other has its answer
        refused.wait(timeout=30)

    def one() -> None:
        session = get_sessionmaker(db_url)()
        try:
            start.wait()
            outcomes.append(sources.sync(manager, source.id, session=session, progress=wait_for_the_other))
        except SyncRunning as exc:
            outcomes.append(exc)
            refused.set()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(exc)
            refused.set()
        finally:
            session.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    reports = [o for o in outcomes if not isinstance(o, Exception)]
    running = [o for o in outcomes if isinstance(o, SyncRunning)]
    assert len(reports) == 1 and len(running) == 1, outcomes
    assert reports[0].counts["imported"] == 3
    assert "shop is already syncing (since" in running[0].message and "salesmgr@" in running[0].message
    with get_sessionmaker(db_url)() as check:
        assert check.scalar(select(func.count()).select_from(ImportBatch)) == 1
        assert check.scalar(select(DataSource.lease_owner)) is None


def test_a_lease_left_by_a_dead_server_expires(db, manager, shop) -> None:
    source = _register(db, manager, shop)
    now = dt.datetime.now(dt.timezone.utc)
    db.execute(update(DataSource).where(DataSource.id == source.id).values(
        lease_owner="ops@old-server pid 1:abc|2026-01-01T00:00:00", lease_until=now + dt.timedelta(minutes=5)))
    db.commit()
    with pytest.raises(SyncRunning, match="by ops@old-server pid 1"):
        sources.sync(manager, source.id, session=db, now=now)
    assert sources.sync(manager, source.id, session=db, now=now + dt.timedelta(minutes=6)).counts["imported"] == 3


# ---------------------------------------------------------------------------------------- bad input --


@pytest.mark.parametrize("query, word", [
    ("DELETE FROM stock_items", "DELETE"),
    ("SELECT * FROM stock_items; DROP TABLE stock_items", "one query"),
    ("WITH gone AS (DELETE FROM stock_items RETURNING *) SELECT * FROM gone", "DELETE"),
    ("SELECT * INTO copy_of_stock FROM stock_items", "INTO"),
    ("UPDATE stock_items SET qty = 0", "UPDATE"),
    ("CALL refresh_stock()", "CALL"),
    ("GRANT ALL ON stock_items TO public", "GRANT"),
])
def test_a_query_that_writes_is_refused(db, manager, shop, query: str, word: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _register(db, manager, shop, query=query)
    assert word in refused.value.errors["query"]


def test_the_connection_itself_is_read_only(any_shop) -> None:
    with connected(any_shop.url) as src, pytest.raises(Exception) as failed:
        src.conn.exec_driver_sql(f"DELETE FROM {any_shop.name}")
    from crm.importing.source_reading import explain

    assert "only reading is allowed" in explain(failed.value, make_url(any_shop.url))
    with any_shop.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(any_shop.table)).scalar() == 3


def _no_password_anywhere(db, secret: str) -> None:
    db.expire_all()
    for event in db.scalars(select(AuditEvent)):
        assert secret not in f"{event.before} {event.after} {event.detail}"
    for info in sources.list_sources(make_actor(db, "salesmgr"), session=db):
        assert secret not in f"{info.url} {info.last_error}"


def test_an_unreachable_source_says_so_in_one_sentence_without_the_password(db, manager) -> None:
    secret = "TopSecret-99"
    source = sources.register_source(manager, name="finance", kind="products",
                                     url=f"postgresql+psycopg://crm:{secret}@127.0.0.1:1/ledger", query="items",
                                     mapping={"sku": "code", "name": "title"}, session=db)
    db.commit()
    assert source.url == "postgresql+psycopg://crm:***@127.0.0.1:1/ledger"
    with pytest.raises(SourceError) as failed:
        sources.test_connection(manager, source.id, session=db)
    assert failed.value.message == ("The source database at 127.0.0.1:1 cannot be reached (is the server running, "
                                    "and is the address right?).")
    with pytest.raises(SourceError):
        sources.sync(manager, source.id, session=db)
    info = sources.list_sources(manager, session=db)[0]
    assert info.last_error == failed.value.message and info.syncing is None
    assert db.scalar(select(func.count()).select_from(ImportBatch)) == 0
    _no_password_anywhere(db, secret)


def test_a_wrong_password_says_so_without_the_password(db, manager) -> None:
    _need_mariadb()
    secret = "Wrong-Pass-77"
    url = make_url(MYSQL_URL).set(password=secret).render_as_string(hide_password=False)
    with pytest.raises(SourceError) as failed:
        sources.test_connection(manager, url=url, query="stock_items", session=db)
    assert failed.value.message == "The source database refused the user name or password."
    source = sources.register_source(manager, name="erp", kind="products", url=url, query="stock_items",
                                     mapping={"sku": "code"}, session=db)
    db.commit()
    with pytest.raises(SourceError):
        sources.sync(manager, source.id, session=db)
    _no_password_anywhere(db, secret)


@pytest.mark.parametrize("query, message", [
    ("no_such_table", "The source database has no table no_such_table."),
    ("SELECT code, title FROM no_such_table", "The source database has no table no_such_table."),
    ("SELECT code FROM stock_items", "The source has no column title, grp, price, cost, qty, changed_at"),
])
def test_a_missing_table_or_column_is_named(db, manager, shop, query: str, message: str) -> None:
    source = _register(db, manager, shop, query=query)
    with pytest.raises(SourceError) as failed:
        sources.sync(manager, source.id, session=db)
    assert failed.value.message.startswith(message)
    assert sources.list_sources(manager, session=db)[0].last_error.startswith(message)


@pytest.mark.parametrize("url, expected", [
    ("mysql://u:p@db.example/shop", "pip install PyMySQL"),
    ("postgresql+psycopg2://u:p@db.example/shop", "postgresql+psycopg://"),
    ("oracle+oracledb://u:p@db.example/shop", "PostgreSQL, MySQL, MariaDB or SQLite"),
    ("not an address", "is not a database address"),
    ("sqlite:////nowhere/shop.sqlite3", "There is no SQLite database file"),
])
def test_an_address_that_cannot_work_is_refused_with_what_to_do(db, manager, shop, url: str, expected: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _register(db, manager, shop, url=url)
    assert expected in refused.value.errors["url"]
    assert ":p@" not in refused.value.message


def test_every_problem_of_a_registration_is_named_at_once(db, manager, shop) -> None:
    with pytest.raises(ValidationError) as refused:
        sources.register_source(manager, name="", kind="nothing", url="sqlite:////nowhere.db", query="",
                                interval_minutes=0, session=db)
    assert {"name", "kind", "url", "query", "interval_minutes"} <= set(refused.value.errors)
    _register(db, manager, shop)
    with pytest.raises(ValidationError, match="already a data source named Shop"):
        _register(db, manager, shop, name="Shop")
    with pytest.raises(ValidationError, match="SKU"):
        _register(db, manager, shop, name="other", mapping={"name": "title"})


# ------------------------------------------------------------------------------------ managing sources --


def test_changes_are_audited_with_the_address_masked_and_stale_edits_refused(db, manager, tmp_path) -> None:
    secret = "S3cret-Shop"
    source = sources.register_source(manager, name="shop", kind="products",
                                     url=f"postgresql+psycopg://reader:{secret}@db.example:5432/shop",
                                     query="stock_items", change_column="changed_at", mapping=MAPPING, session=db)
    db.commit()
    changed = sources.update_source(manager, source.id, {"url": "", "interval_minutes": 15}, version=source.version,
                                    session=db)
    db.commit()
    assert changed.interval_minutes == 15 and changed.url.endswith("@db.example:5432/shop")
    with pytest.raises(ConflictError):
        sources.update_source(manager, source.id, {"interval_minutes": 30}, version=source.version, session=db)
    db.rollback()
    sources.deactivate_source(manager, source.id, version=changed.version, session=db)
    db.commit()
    with pytest.raises(ValidationError, match="deactivated"):
        sources.sync(manager, source.id, session=db)
    sources.delete_source(manager, source.id, session=db)
    db.commit()
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity == "data_source"))]
    assert actions == ["create", "update", "update", "delete"]
    _no_password_anywhere(db, secret)


def test_due_sources_are_those_whose_interval_has_passed(db, manager, shop) -> None:
    source = _register(db, manager, shop, interval_minutes=60)
    now = dt.datetime.now(dt.timezone.utc)
    assert [s.name for s in sources.due_sources(manager, now, session=db)] == ["shop"]
    sources.sync(manager, source.id, session=db, now=now)
    assert sources.due_sources(manager, now + dt.timedelta(minutes=59), session=db) == []
    assert [s.name for s in sources.due_sources(manager, now + dt.timedelta(minutes=60), session=db)] == ["shop"]


def test_roles_without_data_import_are_refused(db, manager, shop) -> None:
    source = _register(db, manager, shop)
    staff = make_actor(db, "sales")
    for call in (lambda: sources.list_sources(staff, session=db),
                 lambda: sources.test_connection(staff, source.id, session=db),
                 lambda: sources.preview(staff, source.id, session=db),
                 lambda: sources.sync(staff, source.id, session=db),
                 lambda: sources.register_source(staff, name="x", kind="products", url=shop.url, query=shop.name,
                                                 mapping=MAPPING, session=db),
                 lambda: sources.delete_source(staff, source.id, session=db)):
        with pytest.raises(PermissionDenied):
            call()
    assert _products(db) == {}


# ------------------------------------------------------------------------------------- the command line --


def _cli(db_url: str, *args: str):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": db_url}
    env.pop("CRM_DEMO", None)
    return subprocess.run([sys.executable, "-m", "crm", "sync", *args], cwd=root, env=env, text=True,
                          capture_output=True, timeout=120)


def test_the_sync_command_runs_what_is_due_and_skips_a_source_being_synced(db_url, db, manager, shop) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the command line is the same on both databases")
    source = _register(db, manager, shop)
    first = _cli(db_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "shop: 3 imported (batch 1)"
    assert _cli(db_url).stdout.strip() == "No data source is due."
    assert _cli(db_url, "shop", "--user", "salesmgr", "--dry-run").stdout.strip() == \
        "shop: nothing new (dry run, nothing written)"
    db.execute(update(DataSource).where(DataSource.id == source.id).values(
        lease_owner="salesmgr@portal-2 pid 7:abc|2026-03-01T08:00:00",
        lease_until=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)))
    db.commit()
    busy = _cli(db_url, "--all")
    assert busy.returncode == 0, busy.stderr
    assert busy.stdout.startswith("shop: skipped: shop is already syncing (since ")
    assert "by salesmgr@portal-2 pid 7)" in busy.stdout
    batch = db.get(ImportBatch, 1)
    assert (batch.source, batch.user_id) == ("sync", None)


def test_the_sync_command_says_which_source_failed_and_exits_1(db_url, db, manager) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the command line is the same on both databases")
    sources.register_source(manager, name="ledger", kind="products",
                            url="postgresql+psycopg://crm:Hidden-Pass-1@127.0.0.1:1/ledger", query="items",
                            mapping={"sku": "code", "name": "title"}, session=db)
    db.commit()
    failed = _cli(db_url)
    assert failed.returncode == 1
    assert failed.stderr.strip() == ("ledger: failed: The source database at 127.0.0.1:1 cannot be reached (is the "
                                     "server running, and is the address right?).")
    assert "Hidden-Pass-1" not in failed.stdout + failed.stderr
    unknown = _cli(db_url, "nosuch", "--user", "salesmgr")
    assert unknown.returncode == 1 and "There is no data source named nosuch." in unknown.stderr
    staff = _cli(db_url, "--user", "sales")
    assert staff.returncode == 1 and "(data.import)" in staff.stderr
