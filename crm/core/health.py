"""Whether this server can do its work: the database answers and holds the expected schema (read by the
HTTP health check, api/routes.py)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import text

from crm.core.database import session_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    database: str  # "ok" or "unavailable"
    schema: str | None  # the Alembic revision the database is at; None when it did not answer

    @property
    def ok(self) -> bool:
        return self.database == "ok"


def check() -> Health:
    """Ask the database one trivial question (its schema revision); any failure means unavailable."""
    try:
        with session_scope() as session:
            revision = session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # a health check reports, it never raises: the reason goes to the server log
        log.exception("health check: the database did not answer")
        return Health(database="unavailable", schema=None)
    return Health(database="ok", schema=revision)
