"""Seeding belongs to the server's start (ui/startup.py), never to a visitor's run of the script."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm.core import config
from db import migrate
from tests.app.helpers import APP, texts
from tools.seed import DEMO_ACCOUNTS
from ui.startup import migrate_and_seed, modules_of_screens


def _users(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {name for (name,) in conn.execute("SELECT username FROM users")}


@pytest.fixture
def empty_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "empty.sqlite3"
    shutil.copy(sqlite_template, db)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("CRM_DEMO", "1")
    config.reset()
    yield db
    migrate.forget(f"sqlite:///{db}")
    config.reset()


def test_a_visitors_run_of_the_script_never_seeds_even_in_demo_mode(empty_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "This is a demo" in texts(at)
    assert _users(empty_db) == set()


def test_the_server_start_seeds_an_empty_demo_database_once(empty_db: Path) -> None:
    migrate_and_seed()
    assert _users(empty_db) == set(DEMO_ACCOUNTS)
    with sqlite3.connect(empty_db) as conn:
        customers = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    migrate_and_seed()  # a restart: nothing added
    with sqlite3.connect(empty_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == customers


def test_outside_demo_mode_the_server_start_only_migrates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "new.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.delenv("CRM_DEMO", raising=False)
    config.reset()
    try:
        migrate_and_seed()
        assert _users(db) == set()
        assert migrate.current_revision(f"sqlite:///{db}") == migrate.head_revision(f"sqlite:///{db}")
    finally:
        migrate.forget(f"sqlite:///{db}")
        config.reset()


def test_the_warm_up_loads_what_the_screens_import() -> None:
    names = modules_of_screens()
    assert {"streamlit_authenticator", "crm.interactions.home", "ui.context", "pandas"} <= set(names)
