"""Sessions for services: one Session per action, migrated database guaranteed."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from crm.core import config
from crm.core.errors import CRMError
from crm.core.i18n import _
from db import migrate
from db.engine import get_sessionmaker

__all__ = ["Session", "session_scope", "transaction", "ready", "ConnectionLost", "lost_connection"]  # Session: for
# the type of the session that entry points (api/) pass to services, without importing SQLAlchemy themselves


class ConnectionLost(CRMError):
    """The database connection broke (the server restarted, or ended the connection) or could not be opened.

    Whatever the transaction wrote was rolled back by the server. The pool has dropped the broken connection,
    so the next action gets a fresh one. ``retry_safe``: the transaction had not begun to commit, so running
    the action again cannot do it twice.
    """

    def __init__(self, retry_safe: bool) -> None:
        super().__init__(_("The connection to the database was interrupted (it may have restarted). Nothing was "
                           "saved; please try again."))
        self.retry_safe = retry_safe


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection broke or could not be opened (not an error of the statement)."""
    if not isinstance(exc, DBAPIError):
        return False
    return bool(exc.connection_invalidated) or (isinstance(exc, OperationalError) and exc.statement is None)


def ready(url: str | None = None) -> str:
    """Migrate the configured database to head (once per process) and return its URL."""
    url = url or config.database_url()
    migrate.upgrade(url)
    return url


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A Session that commits when the block succeeds and rolls back on any error; a broken connection is
    raised as ``ConnectionLost`` (a message a person can read; the next session works on a new connection)."""
    url = ready(url)
    with transaction(get_sessionmaker(url)()) as session:
        yield session


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """``session`` committed when the block succeeds, rolled back on any error, closed at the end; a broken
    connection raised as ``ConnectionLost``."""
    committing = False
    try:
        yield session
        committing = True
        session.commit()
    except BaseException as exc:
        _roll_back(session)
        if lost_connection(exc):
            raise ConnectionLost(retry_safe=not committing) from exc
        raise
    finally:
        session.close()


def _roll_back(session: Session) -> None:
    try:
        session.rollback()
    except DBAPIError:  # the connection is gone: the server rolled the transaction back already
        pass
