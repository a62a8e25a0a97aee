"""The custom fields' definitions, kept per server process and read again only when an administrator changed them.

Every list, profile and API read of customers or interactions needs the definitions (with their choices) to
show the records' custom values: two ORM queries each time made a read with one custom field defined 25-30%
slower under 20 clients (bench/README.md, "HTTP API"). Any change to a custom field or a managed list's value
(through the ORM: unit of work or an ORM ``update``/``delete``) writes a new random token to the setting
``fields_version`` in the same transaction; a reader compares the token with the one its copy was read under
(one small query) and reloads when they differ, so a change holds from the next read on every server.

A random token rather than a counter: a database recreated under the same URL (a restore, a test) starts
without one, and never repeats a token that a process has kept a copy under. A session that changed the
definitions reads them afresh and keeps nothing until it ends (it may roll back).
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import URL, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from db.models import CustomField, ListValue, Setting

VERSION_KEY = "fields_version"
_WATCHED = (CustomField, ListValue)
_CHANGED = "fields_changed"  # session.info flag: this session wrote definitions
_settings = Setting.__table__
_VERSION = select(_settings.c.value).where(_settings.c.key == VERSION_KEY)

_kept: dict[tuple[URL, str], tuple[Any, list[Any]]] = {}
_lock = threading.Lock()


def cached(session: Session, entity: str, load: Callable[[], list[Any]]) -> list[Any]:
    """``load()`` (the entity's definitions), or this process's copy of it when nothing changed since."""
    token = session.execute(_VERSION).scalar()  # flushes first: this session's own changes mark it as changed
    if session.info.get(_CHANGED):
        return load()
    key = (session.get_bind().engine.url, entity)  # a session bound to an engine or to a connection
    with _lock:
        kept = _kept.get(key)
    if kept is not None and kept[0] == token:
        return list(kept[1])
    loaded = load()  # read after the token: a change committed in between only makes the copy reload once more
    with _lock:
        _kept[key] = (token, loaded)
    return list(loaded)


def forget() -> None:
    """Drop every copy (tests)."""
    with _lock:
        _kept.clear()


def _changed(session: Session) -> None:
    """A new token in this transaction (written at its flush)."""
    session.info[_CHANGED] = True
    with session.no_autoflush:
        row = session.get(Setting, VERSION_KEY)
    if row is None:
        session.add(Setting(key=VERSION_KEY, value=secrets.token_hex(8)))
    else:
        row.value = secrets.token_hex(8)


@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(obj, _WATCHED) for group in (session.new, session.dirty, session.deleted) for obj in group):
        _changed(session)


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in _WATCHED:
        _changed(state.session)
