"""Upgrade a database to the newest schema (run by the app and every CLI command)."""
from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.engine import get_engine

_INI = Path(__file__).resolve().parent / "alembic.ini"
_DONE: set[str] = set()
_LOCK = threading.Lock()


def alembic_config(url: str) -> Config:
    cfg = Config(str(_INI))
    cfg.set_main_option("script_location", str(_INI.parent / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to head; cheap after the first call in a process."""
    with _LOCK:
        if url in _DONE:
            return
        cfg = alembic_config(url)
        if current_revision(url) != head_revision(url):
            engine = get_engine(url)
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # One release, several app servers: only one migrates at a time.
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(424242)")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        _DONE.add(url)


def forget(url: str | None = None) -> None:
    with _LOCK:
        if url is None:
            _DONE.clear()
        else:
            _DONE.discard(url)
