"""Loading many rows fast: the driver's own bulk path, and secondary indexes built once at the end.

Rows are tuples already in the database's representation (see ``sqlite_value``/``pg_value``):
on SQLite one ``executemany`` of a prepared INSERT; on PostgreSQL a binary-free text ``COPY``.
Both skip the ORM and SQLAlchemy's per-row type processing, which is most of the cost of a Core
``insert()`` of dicts.
"""
from __future__ import annotations

import contextlib
import functools
import datetime as dt
import gc
import threading
from decimal import Decimal
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Index, Table, text
from sqlalchemy.orm import Session


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_rows(session: Session, table: Table | str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` inside the session's transaction."""
    dbapi = session.connection().connection.driver_connection
    names = ", ".join(columns)
    name = table if isinstance(table, str) else table.name
    if dialect(session) == "postgresql":
        with dbapi.cursor() as cur, cur.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    dbapi.executemany(f"INSERT INTO {name} ({names}) VALUES ({marks})", (_sqlite_row(r) for r in rows))


def execute_many(session: Session, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run one statement written with ``?`` markers once per row, through the driver's own ``executemany``
    (``%s`` markers on PostgreSQL; values converted as for ``insert_rows``): bulk updates without the ORM."""
    dbapi = session.connection().connection.driver_connection
    if dialect(session) == "postgresql":
        with dbapi.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), list(rows))
        return
    dbapi.executemany(sql, (_sqlite_row(r) for r in rows))


def fetch_in(session: Session, sql: str, ids: Sequence[Any], chunk: int = 900) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` whose ``{ids}`` placeholder becomes an IN list of ``ids`` (in parts of ``chunk``),
    read through the driver: raw values (on SQLite, amounts as floats and timestamps as text)."""
    dbapi = session.connection().connection.driver_connection
    mark = "%s" if dialect(session) == "postgresql" else "?"
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), chunk):
        part = list(ids[start:start + chunk])
        cur = dbapi.cursor()
        try:
            cur.execute(sql.replace("{ids}", ", ".join([mark] * len(part))), part)
            out.extend(cur.fetchall())
        finally:
            cur.close()
    return out


@functools.lru_cache(maxsize=4096)  # a load repeats its timestamps and amounts (e.g. "now" on every new row)
def _sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy stores it on SQLite (timestamps in UTC as text with microseconds)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


_STORED_AS_IS = frozenset({str, int, float, bool, bytes, type(None)})
# the converter of each type bulk rows carry (amounts straight to float: cheaper than any cache look-up)
_CONVERT: dict[type, Any] = {Decimal: float, **dict.fromkeys(_STORED_AS_IS)}


def _sqlite_row(row: Sequence[Any]) -> Sequence[Any]:
    # one C-level type check per row: most rows (search tokens, ids, text) pass through untouched
    if _STORED_AS_IS.issuperset(map(type, row)):
        return row
    get = _CONVERT.get
    return [v if (convert := get(type(v), _sqlite_value)) is None else convert(v) for v in row]


def secondary_indexes(tables: Iterable[Table]) -> list[Index]:
    """Indexes that are not primary keys (those a bulk load may drop and rebuild)."""
    return [ix for t in tables for ix in sorted(t.indexes, key=lambda i: i.name or "")]


@contextlib.contextmanager
def indexes_built_after(session: Session, tables: Sequence[Table], enabled: bool = True) -> Iterator[None]:
    """Drop the secondary indexes of ``tables``, load, then build them again in one pass each.

    Building an index from a finished table (a sort) is several times faster than keeping it up to
    date row by row in random key order. The index definitions come from the models, which a test
    keeps equal to the migrations. Everything happens in the caller's transaction: if the load
    fails, the rollback restores the indexes as they were.
    """
    if not enabled:
        yield
        return
    indexes = secondary_indexes(tables)
    for ix in indexes:
        session.execute(text(f"DROP INDEX IF EXISTS {ix.name}"))
    yield
    conn = session.connection()
    for ix in indexes:
        ix.create(conn)
    if dialect(session) == "postgresql":  # fresh statistics for the planner (SQLite plans without them)
        for t in tables:
            session.execute(text(f"ANALYZE {t.name}"))


_GC_PAUSES = 0
_GC_LOCK = threading.Lock()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a bulk load allocates its many small objects (rows, keys).

    A load creates hundreds of thousands of tuples and dicts that all stay alive until the end, so
    each automatic collection walks all of them again for nothing.
    Reference counting still frees everything as usual; collection resumes when the last load ends.
    """
    global _GC_PAUSES
    with _GC_LOCK:
        _GC_PAUSES += 1
        gc.disable()
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_PAUSES -= 1
            if _GC_PAUSES == 0:
                gc.enable()


@contextlib.contextmanager
def fast_sqlite_writes(session: Session) -> Iterator[None]:
    """A bigger page cache and a two-thread sorter for one bulk load on SQLite (restored afterwards)."""
    if dialect(session) != "sqlite":
        yield
        return
    dbapi = session.connection().connection.driver_connection
    before = dbapi.execute("PRAGMA cache_size").fetchone()[0]
    dbapi.execute("PRAGMA cache_size = -49152")  # 48 MB (the sorter threads take as much each: peak RSS < 500 MB)
    dbapi.execute("PRAGMA threads = 2")  # CREATE INDEX and ORDER BY sort on both cores
    try:
        yield
    finally:
        dbapi.execute(f"PRAGMA cache_size = {int(before)}")
        dbapi.execute("PRAGMA threads = 0")


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` new primary keys for ``table``, so that child rows can be written without a
    round trip per row (PostgreSQL: from the table's sequence; SQLite: above the highest id, safe
    because the transaction holds the database's write lock from its first statement)."""
    if count <= 0:
        return []
    if dialect(session) == "postgresql":
        rows = session.execute(text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                                    "FROM generate_series(1, :n)"), {"n": count})
        return [int(r[0]) for r in rows]
    start = (session.execute(text(f"SELECT MAX(id) FROM {table.name}")).scalar() or 0) + 1
    return list(range(start, start + count))


@contextlib.contextmanager
def sqlite_rollback_journal(url: str, enabled: bool = True) -> Iterator[None]:
    """For one big offline load into SQLite: a rollback journal instead of the write-ahead log.

    In WAL mode every new page is written twice (to the log, then checkpointed into the file): at a
    million customers that is a 3 GB log and minutes of checkpointing after the commit. With a
    rollback journal, pages added to the end of the file need no journal copy. WAL is switched
    back on afterwards. If another process has the database open, SQLite keeps WAL (nothing breaks,
    the load is just slower).
    """
    from db.engine import get_engine

    engine = get_engine(url)
    if not enabled or engine.dialect.name != "sqlite":
        yield
        return
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        raw.close()
    try:
        yield
    finally:
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()
