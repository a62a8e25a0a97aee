"""Engine factory: one Engine per database URL per process, sessions per action."""
from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "crm.sqlite3"
DEFAULT_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


BUSY_TIMEOUT = 15.0  # seconds a transaction waits for the database's write lock


class TransactionTurns:
    """The transactions of one process on one SQLite database, one at a time, woken in turn.

    Every transaction takes the database's write lock at its start (``BEGIN IMMEDIATE``): two writers then queue
    instead of failing with "database is locked" when a reader upgrades to a writer. SQLite's own wait for that
    lock sleeps and retries (1, 2, 5, 10... ms), so a thread waiting behind a transaction of 3 ms slept 8 ms, and
    under 20 API clients the waits grew into the tail of every read (bench/README.md, "HTTP API"). Threads of this
    process queue on this lock first, and each is woken as soon as the previous transaction ends; other processes
    on the same file still meet SQLite's wait. Should a transaction not end through commit or rollback (its
    connection broke), the next one stops waiting for it after ``BUSY_TIMEOUT`` and relies on SQLite's lock alone.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def begin(self, conn) -> None:  # type: ignore[no-untyped-def]
        if self._lock.acquire(timeout=BUSY_TIMEOUT):
            conn.info[_HOLDS] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._end(conn.info)
            raise

    def _end(self, info: dict | None) -> None:  # type: ignore[type-arg]
        if info is not None and info.pop(_HOLDS, False):
            self._lock.release()

    def install(self, engine: Engine) -> None:
        """Around the engine's transactions: the turn is taken before BEGIN and given up once COMMIT or ROLLBACK
        has run (Connection events come before them), or when the connection goes back to the pool or is
        dropped."""
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection) -> None:  # type: ignore[no-untyped-def]
            try:
                commit(dbapi_connection)
            finally:
                self._end(_info(dbapi_connection))

        def do_rollback(dbapi_connection) -> None:  # type: ignore[no-untyped-def]
            try:
                rollback(dbapi_connection)
            finally:
                self._end(_info(dbapi_connection))

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback  # type: ignore[method-assign]
        event.listen(engine, "begin", self.begin)
        for name in ("checkin", "invalidate", "close"):
            event.listen(engine, name, lambda _dbapi, record, *_rest: self._end(record.info))


_HOLDS = "crm_in_turn"  # in a connection's info: it holds its process's turn (TransactionTurns)


def _info(dbapi_connection) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    try:
        return dbapi_connection.info  # type: ignore[no-any-return]
    except (AttributeError, NotImplementedError):  # the engine's first connection, before the pool has it
        return None


def build_engine(url: str) -> Engine:
    """Create an Engine for ``url`` with the settings this portal relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT})
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None

        TransactionTurns().install(engine)
        return engine
    # Sessions in UTC: months of timestamps ("YYYY-MM") are the same in SQL, in Python and on SQLite.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"options": "-c timezone=UTC"})


_ENGINES: dict[str, Engine] = {}
_SESSIONMAKERS: dict[str, sessionmaker[Session]] = {}
_LOCK = threading.Lock()


def get_engine(url: str) -> Engine:
    """The process-wide Engine for ``url`` (shared by every user: it holds no user data)."""
    with _LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = build_engine(url)
        return _ENGINES[url]


def get_sessionmaker(url: str) -> sessionmaker[Session]:
    engine = get_engine(url)
    with _LOCK:
        if url not in _SESSIONMAKERS:
            _SESSIONMAKERS[url] = sessionmaker(bind=engine, expire_on_commit=False)
        return _SESSIONMAKERS[url]


def dispose_all() -> None:
    """Forget every cached engine (tests switch databases)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
        _SESSIONMAKERS.clear()
