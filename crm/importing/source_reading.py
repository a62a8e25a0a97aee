"""Reading a departmental database, read-only: the address checked, what to read checked (a table, or one
SELECT that writes nothing), the rows streamed in chunks, and every failure turned into one clear sentence
that never carries the password.

The sync (``crm.importing.sources``) decides what to read and where the import goes; this module only reads.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, column, create_engine, event, func, inspect, literal_column, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.sql import Select

from crm.core.errors import CRMError, ValidationError
from crm.core.i18n import N_, _

T = TypeVar("T")
CONNECT_TIMEOUT = 10  # seconds to wait for the source's server before saying it cannot be reached
CHUNK = 2000  # rows fetched from the source at a time (server-side cursor)

# The databases a source may be, the driver each needs (``pip install``), and how its address is written.
DRIVERS = {"postgresql": ("psycopg[binary]", "postgresql+psycopg://user:password@host:5432/database"),
           "mysql": ("PyMySQL", "mysql+pymysql://user:password@host:3306/database"),
           "mariadb": ("PyMySQL", "mariadb+pymysql://user:password@host:3306/database"),
           "sqlite": ("", "sqlite:////path/to/file.sqlite3")}
# The statement that makes every transaction of a connection read-only, per database.
READ_ONLY = {"postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
             "mysql": "SET SESSION TRANSACTION READ ONLY", "mariadb": "SET SESSION TRANSACTION READ ONLY",
             "sqlite": "PRAGMA query_only = ON"}
# Words that make a statement write, lock, or run something else; a function call of that name ("replace(")
# is allowed.
WRITE_WORDS = ("insert", "update", "delete", "merge", "upsert", "replace", "create", "drop", "alter", "truncate",
               "grant", "revoke", "copy", "call", "exec", "execute", "do", "set", "lock", "into", "load",
               "attach", "detach", "pragma", "vacuum", "reindex", "cluster", "comment", "refresh", "notify",
               "listen", "prepare", "deallocate", "rename", "handler", "outfile", "dumpfile", "import")
_WRITE = re.compile(r"\b(" + "|".join(WRITE_WORDS) + r")\b(?!\s*\()", re.IGNORECASE)
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")
_COLUMN_NAME = re.compile(r"^[^\x00-\x1f\"`;]{1,120}$")
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


class SourceError(CRMError):
    """A source database that cannot be read: one sentence for the user, never the password."""


@dataclass(frozen=True)
class Columns:
    """What a source offers: its column names, in order, and how many rows it holds (``changed``: how many of
    them are newer than the last sync's mark, when the source has a change column and was synced before)."""

    names: list[str]
    rows: int
    changed: int | None = None


# ------------------------------------------------------------------------------------------------ addresses --


def check_url(url: str, *, portal_url: str | None = None) -> URL:
    """The parsed address of a source database, or ``ValidationError`` saying how to write it (naming the pip
    package of a missing driver). The portal's own database is refused: a source is another system."""
    try:
        parsed = make_url((url or "").strip())
    except ArgumentError:
        raise ValidationError({"url": _("'{url}' is not a database address. Write it like {example}.").format(
            url=_masked_text(url), example=DRIVERS["postgresql"][1])}) from None
    backend = parsed.get_backend_name()
    if backend not in DRIVERS:
        raise ValidationError({"url": _("A source can be PostgreSQL, MySQL, MariaDB or SQLite, not {backend}.")
                               .format(backend=backend)})
    package, example = DRIVERS[backend]
    try:
        parsed.get_dialect().import_dbapi()
    except (ImportError, NoSuchModuleError):
        raise ValidationError({"url": _("The driver '{driver}' is not installed: write the address like "
                                        "{example} (the driver comes with pip install {package}).").format(
            driver=parsed.get_driver_name(), example=example, package=package)}) from None
    if parsed.host and ("@" in parsed.host or "/" in parsed.host):
        raise ValidationError({"url": _("Write special characters of the password in the address as %XX "
                                        "(@ as %40, / as %2F, : as %3A).")})
    if backend == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:") or not Path(path).is_file():
            raise ValidationError({"url": _("There is no SQLite database file at {path}.").format(
                path=path or "''")})
    if portal_url and _same_database(parsed, make_url(portal_url)):
        raise ValidationError({"url": _("That is the portal's own database, not a departmental source.")})
    return parsed


def masked(url: str) -> str:
    """The address as shown back: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return _masked_text(url)


def _masked_text(url: str | None) -> str:
    """An address that does not parse, with whatever stands between ``://user:`` and ``@`` hidden."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url or "")


def _same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() == "sqlite" or b.get_backend_name() == "sqlite":
        return a.get_backend_name() == b.get_backend_name() and bool(a.database) and bool(b.database) \
            and Path(a.database).resolve() == Path(b.database).resolve()
    return (a.get_backend_name(), (a.host or "localhost").lower(), a.port, a.database) == \
        (b.get_backend_name(), (b.host or "localhost").lower(), b.port, b.database)


# ------------------------------------------------------------------------------------------ what is read --


def is_table_name(query: str) -> bool:
    return bool(_TABLE_NAME.match((query or "").strip()))


def check_query(query: str) -> str:
    """A table name (``orders``, ``sales.orders``) as given, or one read-only SELECT (or WITH ... SELECT)
    without its trailing semicolons; anything else is refused with the reason."""
    query = (query or "").strip()
    if not query:
        raise ValidationError({"query": _("Give the table to read or a SELECT query.")})
    if is_table_name(query):
        return query
    query = query.rstrip("; \n\t")
    bare = _COMMENTS.sub(" ", _QUOTED.sub("''", query))
    if ";" in bare:
        raise ValidationError({"query": _("Give one query only (no ';' between statements).")})
    first = (bare.split() or [""])[0].lower()
    if first not in ("select", "with"):
        raise ValidationError({"query": _("Only a query that starts with SELECT or WITH can be read; '{word}' "
                                          "is not allowed.").format(word=first.upper())})
    word = _WRITE.search(bare)
    if word:
        raise ValidationError({"query": _("The query must only read: '{word}' is not allowed in a source "
                                          "query.").format(word=word.group(1).upper())})
    return query


def check_column(name: str | None, field: str = "change_column") -> str | None:
    name = (name or "").strip()
    if not name:
        return None
    if not _COLUMN_NAME.match(name):
        raise ValidationError({field: _("'{name}' is not a column name.").format(name=name[:60])})
    return name


# ------------------------------------------------------------------------------------------------ reading --


@contextmanager
def connected(url: str) -> Iterator["Source"]:
    """A read-only connection to the source (its own engine, closed afterwards)."""
    parsed = check_url(url)
    engine = _engine(parsed)
    try:
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            raise SourceError(explain(exc, parsed)) from None
        with conn:
            yield Source(conn, parsed)
    finally:
        engine.dispose()


def _engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT}
    else:
        args = {"connect_timeout": CONNECT_TIMEOUT}
    engine = create_engine(url, pool_pre_ping=True, connect_args=args)
    statement = READ_ONLY[backend]

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:  # every transaction of the connection
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if backend != "sqlite":
            dbapi_connection.commit()

    return engine


def _source_errors(method: Callable[..., T]) -> Callable[..., T]:
    """Failures of the source database inside ``method`` become one clear ``SourceError``."""
    @functools.wraps(method)
    def wrapped(self: "Source", *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except SQLAlchemyError as exc:
            raise SourceError(explain(exc, self.url)) from None
    return wrapped


class Source:
    """An open, read-only connection to a source database."""

    def __init__(self, conn: Any, url: URL) -> None:
        self.conn = conn
        self.url = url

    @_source_errors
    def columns(self, query: str, change_column: str | None = None, mark: Any = None) -> Columns:
        """The columns the table or query gives, how many rows, and how many are newer than ``mark``."""
        origin = self._origin(query)
        names = list(self.conn.execute(select(literal_column("*")).select_from(origin).limit(0)).keys())
        rows = self.conn.execute(select(func.count()).select_from(origin)).scalar_one()
        changed = None
        if change_column and mark is not None:
            self._need(names, [change_column])
            changed = self.conn.execute(select(func.count()).select_from(origin).where(
                column(change_column) > mark)).scalar_one()
        self.conn.rollback()
        return Columns(names, int(rows), None if changed is None else int(changed))

    @_source_errors
    def statement(self, query: str, wanted: Sequence[str], change_column: str | None = None,
                  mark: Any = None) -> Select:
        """SELECT of ``wanted`` columns (each quoted as the database needs), newer than ``mark`` and in the
        order of the change column when there is one."""
        every = list(dict.fromkeys([*wanted, change_column] if change_column else wanted))
        names = list(self.conn.execute(select(literal_column("*")).select_from(self._origin(query)).limit(0)).keys())
        self._need(names, every)
        origin = self._origin(query, every)
        cols = origin.c
        stmt = select(*(cols[n] for n in wanted))
        if change_column:
            stmt = stmt.order_by(cols[change_column])
            if mark is not None:
                stmt = stmt.where(cols[change_column] > mark)
        return stmt

    def rows(self, stmt: Select, limit: int | None = None) -> Iterator[Sequence[Any]]:
        """The rows of ``stmt``, fetched ``CHUNK`` at a time through a server-side cursor."""
        if limit is not None:
            stmt = stmt.limit(limit)
        try:
            result = self.conn.execution_options(yield_per=CHUNK).execute(stmt)
            for part in result.partitions():
                yield from part
        except SQLAlchemyError as exc:
            raise SourceError(explain(exc, self.url)) from None

    def _origin(self, query: str, wanted: Sequence[str] = ()) -> Any:
        """The table (its real name, found in any case) or the query as a named subquery."""
        query = check_query(query)
        names = [*dict.fromkeys(wanted)]
        if is_table_name(query):
            schema, _dot, name = query.rpartition(".")
            found = self._table_named(name, schema or None)
            return table(found, *(column(n) for n in names), schema=schema or None)
        return text(query).columns(*(column(n) for n in names)).subquery("source_query")

    def _table_named(self, name: str, schema: str | None) -> str:
        tables = inspect(self.conn).get_table_names(schema=schema) + inspect(self.conn).get_view_names(schema=schema)
        if name in tables:
            return name
        folded = [t for t in tables if t.lower() == name.lower()]
        if folded:
            return folded[0]
        raise SourceError(_("The source database has no table {name}.").format(
            name=f"{schema}.{name}" if schema else name))

    @staticmethod
    def _need(names: Sequence[str], wanted: Sequence[str]) -> None:
        missing = [w for w in wanted if w not in names]
        if missing:
            raise SourceError(_("The source has no column {columns} (it has: {names}).").format(
                columns=", ".join(missing), names=", ".join(names)))


def as_text(value: Any) -> str:
    """A source value as the import reads a file's cell (numbers with a point, dates in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


# ------------------------------------------------------------------------------------------------ errors --

_MESSAGES = (  # (what the driver says, in lower case; what the user reads)
    (("password authentication failed", "access denied for user", "authentication failed",
      "no password supplied", "password is required"),
     N_("The source database refused the user name or password.")),
    (("could not translate host name", "name or service not known", "unknown mysql server host",
      "nodename nor servname", "temporary failure in name resolution", "getaddrinfo failed"),
     N_("The source database's server {host} was not found.")),
    (("connection refused", "timeout expired", "timed out", "can't connect", "could not connect",
      "no route to host", "network is unreachable", "server closed the connection", "lost connection"),
     N_("The source database at {host} cannot be reached (is the server running, and is the address right?).")),
    (("unable to open database", "file is not a database"), N_("The SQLite file {database} cannot be read.")),
    (("read-only", "read only", "attempt to write", "readonly"),
     N_("The source query tried to write: only reading is allowed.")),
    (("permission denied", "command denied", "not authorized"),
     N_("The source database's user may not read this: {detail}")),
)


_NAMED = (  # driver messages naming what is missing
    (re.compile(r'database "([^"]+)" does not exist|Unknown database \'([^\']+)\''),
     N_("There is no database {name} on the source server.")),
    (re.compile(r'relation "([^"]+)" does not exist|Table \'([^\']+)\' doesn\'t exist|no such table: (\S+)'),
     N_("The source database has no table {name}.")),
    (re.compile(r'column "?([^"\s]+)"? does not exist|Unknown column \'([^\']+)\'|no such column: (\S+)'),
     N_("The source has no column {name}.")),
)


def explain(exc: BaseException, url: URL) -> str:
    """One sentence for a failure of the source database, with the password taken out of anything quoted."""
    detail = _first_line(exc)
    lowered = detail.lower()
    host = f"{url.host or 'localhost'}{':' + str(url.port) if url.port else ''}"
    for pattern, message in _NAMED:
        found = pattern.search(detail)
        if found:
            name = next(g for g in found.groups() if g)
            return scrub(_(message).format(name=name), url)
    for needles, message in _MESSAGES:
        if any(n in lowered for n in needles):
            if message == "{detail}":
                return scrub(_("The source database says: {detail}").format(detail=detail), url)
            return scrub(_(message).format(host=host, database=url.database or "", detail=detail), url)
    return scrub(_("The source database refused the request: {detail}").format(detail=detail), url)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    text_ = str(orig if orig is not None else exc).strip()
    if isinstance(orig, tuple) or text_.startswith("("):  # PyMySQL: (1045, "Access denied ...")
        match = re.match(r"\(\d+,\s*[\"'](.*)[\"']\)$", text_, re.DOTALL)
        text_ = match.group(1) if match else text_
    line = next((ln.strip() for ln in text_.splitlines() if ln.strip()), type(exc).__name__)
    line = re.sub(r"^\([\w.]+\)\s*", "", line)  # SQLAlchemy's "(psycopg.OperationalError) " prefix
    return line[:300]


def scrub(message: str, url: URL | None) -> str:
    """``message`` without the password of ``url`` anywhere in it (nor the full address with it)."""
    if url is None or not url.password:
        return message
    out = message.replace(url.render_as_string(hide_password=False), url.render_as_string(hide_password=True))
    return out.replace(str(url.password), "***")
