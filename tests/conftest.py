"""Fixtures: real databases (SQLite always, PostgreSQL when CRM_TEST_DATABASE_URL is set)."""
from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crm.core import config
from crm.core.access import Actor
from crm.core.database import session_scope
from db import migrate
from db.engine import dispose_all, get_sessionmaker
from db.models import Base

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CRM_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]
FIXED_TODAY = None  # tests that need a date pass one explicitly


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    if PG_URL:
        return f"database backends: sqlite, postgresql ({make_url(PG_URL).render_as_string(hide_password=True)})"
    return "database backends: sqlite only (PostgreSQL tests skipped: set CRM_TEST_DATABASE_URL)"


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if not PG_URL:
        terminalreporter.write_line(
            "PostgreSQL tests were skipped: set CRM_TEST_DATABASE_URL=postgresql+psycopg://... to run them."
        )


# `pytest` runs on two workers (pytest.ini: -n 2). The tests that start servers, browsers and killed processes
# keep to one of them, one at a time, so that they never compete with each other for the machine.
SERIAL_FOLDERS = ("browser", "faults")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    for item in items:
        if Path(str(item.fspath)).parent.name in SERIAL_FOLDERS:
            item.add_marker(pytest.mark.xdist_group("servers"))


@pytest.fixture(autouse=True)
def _main_module_kept() -> Iterator[None]:
    """Streamlit's script runner (AppTest) installs each script it runs as ``__main__`` and leaves it there;
    a later multiprocessing "spawn" pool would then run that script in every worker (and hang). Put the test
    runner's own ``__main__`` back after every test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


# ----------------------------------------------------------------- SQLite --


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "empty.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    dispose_all()
    migrate.forget(url)
    return path


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A database with the demo accounts and demo data, copied for each test."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    from tools.seed import seed_demo

    with session_scope(url) as session:
        seed_demo(session=session)
    dispose_all()
    migrate.forget(url)
    return path


# ------------------------------------------------------------- PostgreSQL --


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head; dropped at the end."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests skipped: CRM_TEST_DATABASE_URL is not set")
    server = make_url(PG_URL)
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    try:
        yield url
    finally:
        dispose_all()
        migrate.forget(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with get_sessionmaker(url)() as session:
        session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        session.commit()


# ------------------------------------------------------------------ per test


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_database")
        _truncate_all(url)
        yield url
        return
    yield from _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path / "crm.sqlite3")


@pytest.fixture
def fresh_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """A second migrated, empty SQLite database beside ``db_url`` (another installation to carry things to)."""
    yield from _sqlite_copy(sqlite_template, tmp_path / "fresh.sqlite3")


def _sqlite_copy(template: Path, path: Path) -> Iterator[str]:
    """A test's own copy of an SQLite template database, forgotten and disposed after the test."""
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    yield url
    migrate.forget(url)
    dispose_all()


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    """A session on the test database; commit as a service caller would."""
    session = get_sessionmaker(migrate_and_return(db_url))()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def migrate_and_return(url: str) -> str:
    migrate.upgrade(url)
    return url


@pytest.fixture
def demo_db_url(tmp_path: Path, sqlite_demo_template: Path) -> Iterator[str]:
    """A copy of the demo database (SQLite) for app and journey tests."""
    yield from _sqlite_copy(sqlite_demo_template, tmp_path / "demo.sqlite3")


@pytest.fixture
def app_env(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Environment for AppTest: the demo database, demo mode on."""
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    monkeypatch.setenv("CRM_DEMO", "1")
    monkeypatch.delenv("CRM_COOKIE_KEY", raising=False)
    config.reset()
    yield demo_db_url
    config.reset()


def make_actor(session: Session, username: str, source: str = "page") -> Actor:
    from crm.accounts.users import actor_for

    who = actor_for(username, session=session, source=source)
    assert who is not None, f"no active user {username}"
    return who


@pytest.fixture(autouse=True)
def _search_limits_afresh() -> Iterator[None]:
    """Each test starts with no searches counted against its users (the limit is per process)."""
    from crm.customers.service import SEARCHES

    SEARCHES.forget()
    yield


@pytest.fixture(autouse=True)
def _english_between_tests() -> Iterator[None]:
    """A test that switched the language (of the test's own thread) does not leak it into the next."""
    from crm.core.i18n import set_language

    yield
    set_language("en")


@pytest.fixture(autouse=True)
def _built_in_rights() -> Iterator[None]:
    """Administrators' grants read from one test's database do not hold in the next test (crm.settings.rights)."""
    from crm.core import access

    access.use_overlay(access.Overlay())
    yield
    access.use_overlay(access.Overlay())
