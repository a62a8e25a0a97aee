"""One sync of a source at a time, across every portal server on the database: a lease kept in the source's row.

Taking the lease is one conditional UPDATE (free, or expired) committed in its own short transaction before
the sync starts, so a second starter, on any server, finds it held and is told who holds it and since when.
The sync gives the lease back in the transaction that commits its import (``still_held`` and ``RELEASED``), or with
``give_back`` when it fails. A long sync renews it (PostgreSQL; SQLite lets one writer at a time anyway).
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import OperationalError

from crm.core.errors import CRMError, NotFound, ValidationError
from crm.core.i18n import _, datetime
from db.models import DataSource
from db.types import utcnow

TTL = dt.timedelta(minutes=30)  # a sync whose server died frees its source after this long
RENEW_EVERY = dt.timedelta(minutes=5)
SQLITE_WAIT_MS = 2000  # how long a starter waits for SQLite's write lock before looking who holds the lease
_TABLE = DataSource.__table__


class SyncRunning(CRMError):
    """The source is being synced by someone else right now: this start is skipped."""

    def __init__(self, name: str, holder: "Holder") -> None:
        super().__init__(_("{name} is already syncing (since {since}, by {owner}).").format(
            name=name, since=datetime(holder.since, "short") if holder.since else "?", owner=holder.who))
        self.holder = holder


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: ``who`` (user on host, process), since when, until when at the latest."""

    owner: str
    until: dt.datetime | None

    @property
    def who(self) -> str:
        return self.owner.split("|", 1)[0].rsplit(":", 1)[0]

    @property
    def since(self) -> dt.datetime | None:
        try:
            return dt.datetime.fromisoformat(self.owner.split("|", 1)[1])
        except (IndexError, ValueError):
            return None


def owner_name(username: str, now: dt.datetime) -> str:
    """This sync's name in the lease: user, host and process, a nonce (two syncs of one process differ), start."""
    who = f"{username}@{socket.gethostname()}"[:60]
    return f"{who} pid {os.getpid()}:{uuid.uuid4().hex[:8]}|{now.isoformat(timespec='seconds')}"


def take(engine: Engine, source_id: int, owner: str, now: dt.datetime) -> str:
    """Take the source's lease for ``owner`` (committed at once) and return the source's name; raise
    ``SyncRunning`` when someone holds it, ``NotFound`` or ``ValidationError`` when there is nothing to sync."""
    current = peek(engine, source_id)
    if current is None:
        raise NotFound(_("That data source does not exist."))
    name, active, holder = current
    if not active:
        raise ValidationError({"source": _("{name} is deactivated: activate it before syncing.").format(name=name)})
    if holder is not None and holder.until is not None and holder.until > now:
        raise SyncRunning(name, holder)
    taken = False
    with engine.connect() as conn, _short_wait(conn):
        try:
            with conn.begin():
                taken = conn.execute(
                    update(_TABLE).where(_TABLE.c.id == source_id, _TABLE.c.active.is_(True),
                                         or_(_TABLE.c.lease_until.is_(None), _TABLE.c.lease_until < now))
                    .values(lease_owner=owner, lease_until=now + TTL)).rowcount == 1
        except OperationalError:  # SQLite: another sync's import holds the write lock
            if engine.dialect.name != "sqlite":
                raise
    if not taken:
        current = peek(engine, source_id)
        if current is not None and current[2] is not None:
            raise SyncRunning(name, current[2])
        raise CRMError(_("The portal's database is busy: {name} was not synced, try again.").format(name=name))
    return name


def peek(engine: Engine, source_id: int) -> tuple[str, bool, Holder | None] | None:
    """(name, active, holder of the lease or None) as committed now, read without waiting for any writer."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        cur.execute(f"SELECT name, active, lease_owner, lease_until FROM data_sources WHERE id = {marker}",
                    (source_id,))
        row = cur.fetchone()
        cur.close()
        raw.rollback()
    finally:
        raw.close()
    if row is None:
        return None
    name, active, owner, until = row
    return name, bool(active), Holder(owner, _utc(until)) if owner else None


def renew(engine: Engine, source_id: int, owner: str, now: dt.datetime) -> bool:
    """Push the lease's end further while the sync runs (not on SQLite: the import holds its one write lock)."""
    if engine.dialect.name == "sqlite":
        return True
    with engine.begin() as conn:
        return conn.execute(update(_TABLE).where(_TABLE.c.id == source_id, _TABLE.c.lease_owner == owner)
                            .values(lease_until=now + TTL)).rowcount == 1


def give_back(engine: Engine, source_id: int, owner: str, *, error: str | None = None,
              now: dt.datetime | None = None) -> None:
    """Free the lease after a failed or dry sync, noting the error (if any) on the source."""
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
    if error is not None:
        values |= {"last_error": error[:2000], "last_sync_at": now or utcnow()}
    with engine.begin() as conn:
        conn.execute(update(_TABLE).where(_TABLE.c.id == source_id, _TABLE.c.lease_owner == owner).values(**values))


def still_held(source_id: int, owner: str) -> Any:
    """The WHERE of the sync's final UPDATE: the lease is still ours (else the import is not committed)."""
    return (_TABLE.c.id == source_id) & (_TABLE.c.lease_owner == owner)


RELEASED = {"lease_owner": None, "lease_until": None}


@contextmanager
def _short_wait(conn: Any) -> Iterator[None]:
    """On SQLite, wait only briefly for the write lock: a sync in progress holds it for its whole import."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    before = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {SQLITE_WAIT_MS}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(before)}")


def _utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
