"""Sessions for services: one Session per action, migrated database guaranteed."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from crm.core import config
from db import migrate
from db.engine import get_sessionmaker


def ready(url: str | None = None) -> str:
    """Migrate the configured database to head (once per process) and return its URL."""
    url = url or config.database_url()
    migrate.upgrade(url)
    return url


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A Session that commits when the block succeeds and rolls back on any error."""
    url = ready(url)
    session = get_sessionmaker(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
