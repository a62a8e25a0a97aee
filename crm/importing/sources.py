"""Departmental databases as import sources: registered by a manager (address, table or read-only query, column
mapping), tested, previewed and synced. Each sync is an import batch with its report, revertible like a file
import; with a change column only rows changed since the last sync are read. Passwords are never shown back:
lists, audit rows and messages carry the masked address.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.core import audit, config
from crm.core.access import Actor, require
from crm.core.errors import CRMError, NotFound, ValidationError
from crm.core.i18n import _, number
from crm.core.versions import load_for_edit
from crm.importing import jobs, runner, source_lease as lease
from crm.importing.custom_values import PREFIX as CUSTOM_PREFIX
from crm.importing.kinds import available, kind as kind_named
from crm.importing.runner import PreviewRow
from crm.importing.source_reading import (
    CHUNK,
    Columns,
    Source,
    SourceError,
    as_text,
    check_column,
    check_query,
    check_url,
    connected,
    masked,
)
from crm.importing.source_lease import SyncRunning
from crm.importing.writing import ImportOptions, ImportReport
from db.models import DataSource, ImportProfile
from db.types import utcnow

__all__ = ["Columns", "SourceError", "SourceInfo", "SourcePreview", "SyncRunning", "delete_source",
           "deactivate_source", "due_sources", "list_sources", "preview", "read_again", "register_source",
           "source_named",
           "sync", "test_connection", "update_source"]

PREVIEW_ROWS = 20
MAX_INTERVAL = 60 * 24 * 31  # minutes: a month
EDITABLE = ("name", "kind", "url", "query", "change_column", "mapping", "value_map", "options", "interval_minutes",
            "profile_id", "active")
# Options that belong to the source itself, not to its saved options.
_NOT_OPTIONS = ("source_system", "value_map", "dry_run")


@dataclass(frozen=True)
class SourceInfo:
    """A registered source as lists show it: the address with its password masked, what is read, how it went."""

    id: int
    name: str  # also the source system of what it imports
    kind: str
    url: str  # masked
    query: str
    change_column: str | None
    change_mark: str | None  # the highest change value read so far, as text
    mapping: dict[str, str]  # field -> the source's column
    value_map: dict[str, dict[str, str]]
    options: dict[str, Any]
    interval_minutes: int
    active: bool
    last_sync_at: dt.datetime | None
    last_batch_id: int | None
    last_error: str | None
    syncing: str | None  # who syncs it right now (and since when), else None
    profile_id: int | None
    version: int


@dataclass(frozen=True)
class SourcePreview:
    """The first rows the next sync reads, as found and as they will be stored (``changed_only``: only rows
    changed since the last sync; False when there were none and the first rows of the source are shown)."""

    headers: list[str]
    rows: list[PreviewRow]
    changed_only: bool = True


# ------------------------------------------------------------------------------------------ registering --


def register_source(actor: Actor, *, name: str, kind: str, url: str, query: str, change_column: str | None = None,
                    mapping: dict[str, str] | None = None, value_map: dict[str, dict[str, str]] | None = None,
                    options: dict[str, Any] | None = None, interval_minutes: int = 60,
                    profile_id: int | None = None, session: Session) -> SourceInfo:
    """Register a departmental database to sync from; audited with the address masked."""
    require(actor, "data.import")
    values = _checked(session, {"name": name, "kind": kind, "url": url, "query": query,
                                "change_column": change_column, "mapping": mapping or {},
                                "value_map": value_map or {}, "options": options or {},
                                "interval_minutes": interval_minutes, "profile_id": profile_id})
    source = DataSource(**values, active=True, created_by_id=actor.user_id)
    session.add(source)
    session.flush()
    audit.record(session, actor, "create", "data_source", source.id, after=_audited(source),
                 detail=f"{source.name}: {masked(source.url)}")
    return _info(source)


def update_source(actor: Actor, source_id: int, changes: dict[str, Any], *, version: int,
                  session: Session) -> SourceInfo:
    """Change a source (``version``: the one the user saw). A blank ``url`` keeps the address (the page never
    has the password); a new table, query or change column starts the next sync from the beginning."""
    require(actor, "data.import")
    source = load_for_edit(session, DataSource, source_id, version, missing=_("That data source does not exist."),
                           changed=_("Someone changed this data source since you opened it; reload and try "
                                     "again."))
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({"changes": _("These cannot be changed: {names}.").format(names=", ".join(unknown))})
    if not (changes.get("url") or "").strip():
        changes = {k: v for k, v in changes.items() if k != "url"}
    before = _audited(source)
    current = {k: getattr(source, k) for k in EDITABLE if k != "active"}
    values = _checked(session, {**current, **{k: v for k, v in changes.items() if k != "active"}},
                      current_id=source.id, url_changed="url" in changes)
    if "active" in changes:
        values["active"] = bool(changes["active"])
    restart = (values["query"], values["change_column"]) != (source.query, source.change_column)
    for key, value in values.items():
        setattr(source, key, value)
    if restart:
        source.change_mark = None
    session.flush()
    after = _audited(source)
    old, new = audit.diff(before, after)
    if old or new:
        audit.record(session, actor, "update", "data_source", source.id, before=old, after=new,
                     detail=f"{source.name}: {masked(source.url)}")
    return _info(source)


def deactivate_source(actor: Actor, source_id: int, *, version: int, session: Session) -> SourceInfo:
    """Stop syncing a source (kept, with its imports; activate it again with ``update_source``)."""
    return update_source(actor, source_id, {"active": False}, version=version, session=session)


def read_again(actor: Actor, source_id: int, *, version: int, session: Session) -> SourceInfo:
    """Forget how far the syncs got: the next sync reads every row again (after a revert, or a mapping fixed)."""
    require(actor, "data.import")
    source = load_for_edit(session, DataSource, source_id, version, missing=_("That data source does not exist."),
                           changed=_("Someone changed this data source since you opened it; reload and try "
                                     "again."))
    if source.change_mark is not None:
        audit.record(session, actor, "update", "data_source", source.id, before={"change_mark": source.change_mark},
                     after={"change_mark": None}, detail=f"{source.name}: read everything again")
        source.change_mark = None
        session.flush()
    return _info(source)


def delete_source(actor: Actor, source_id: int, *, session: Session) -> None:
    """Remove a source; its earlier imports stay (and can still be reverted)."""
    require(actor, "data.import")
    source = session.get(DataSource, source_id)
    if source is None:
        raise NotFound(_("That data source does not exist."))
    audit.record(session, actor, "delete", "data_source", source.id, before=_audited(source),
                 detail=f"{source.name}: {masked(source.url)}")
    session.delete(source)
    session.flush()


def list_sources(actor: Actor, *, session: Session) -> list[SourceInfo]:
    """Every registered source, by name; addresses masked."""
    require(actor, "data.import")
    return [_info(s) for s in session.scalars(select(DataSource).order_by(DataSource.name))]


def source_named(actor: Actor, name: str, *, session: Session) -> SourceInfo:
    require(actor, "data.import")
    source = session.scalar(select(DataSource).where(func.lower(DataSource.name) == (name or "").strip().lower()))
    if source is None:
        raise NotFound(_("There is no data source named {name}.").format(name=name))
    return _info(source)


def due_sources(actor: Actor, now: dt.datetime | None = None, *, session: Session) -> list[SourceInfo]:
    """Active sources whose interval has passed since their last sync (or never synced), by name."""
    require(actor, "data.import")
    now = now or utcnow()
    return [_info(s) for s in session.scalars(select(DataSource).where(DataSource.active.is_(True))
                                              .order_by(DataSource.name))
            if s.last_sync_at is None or s.last_sync_at + dt.timedelta(minutes=s.interval_minutes) <= now]


# ------------------------------------------------------------------------------------ looking at a source --


def test_connection(actor: Actor, source_id: int | None = None, *, url: str | None = None, query: str | None = None,
                    change_column: str | None = None, session: Session) -> Columns:
    """Connect (to a registered source, or to ``url``) and say which columns the table or query gives and how
    many rows it has; a failure raises one clear sentence (``SourceError``/``ValidationError``)."""
    require(actor, "data.import")
    source = _source(session, source_id) if source_id is not None else None
    url = (url or "").strip() or (source.url if source else "")
    query = (query or "").strip() or (source.query if source else "")
    column = check_column(change_column) or (source.change_column if source and not change_column else None)
    errors = {}
    for key, check in (("url", lambda: check_url(url, portal_url=config.database_url())),
                       ("query", lambda: check_query(query))):
        try:
            check()
        except ValidationError as exc:
            errors |= exc.errors
    if errors:
        raise ValidationError(errors)
    mark = _decode_mark(source.change_mark) if source and column == source.change_column else None
    with connected(url) as src:
        found = src.columns(query, column, mark)
    if column and column not in found.names:
        raise SourceError(_("The source has no column {columns} (it has: {names}).").format(
            columns=column, names=", ".join(found.names)))
    return found


def preview(actor: Actor, source_id: int, *, limit: int = PREVIEW_ROWS, session: Session) -> SourcePreview:
    """The first rows the next sync would read, mapped and cleaned as they will be stored; nothing is written."""
    require(actor, "data.import")
    source = _source(session, source_id)
    plan = _plan(session, source)
    mark = _decode_mark(source.change_mark)
    changed_only = True
    with connected(source.url) as src:
        rows = [[as_text(v) for v in r] for r in
                src.rows(src.statement(source.query, plan.headers, source.change_column, mark), limit=limit)]
        if not rows and mark is not None:
            changed_only = False
            rows = [[as_text(v) for v in r] for r in
                    src.rows(src.statement(source.query, plan.headers, source.change_column), limit=limit)]
    shown = runner.preview(actor, source.kind, rows, headers=plan.headers, mapping=plan.mapping,
                           options=plan.options, limit=limit, session=session)
    return SourcePreview(plan.headers, shown, changed_only)


# ------------------------------------------------------------------------------------------------ syncing --


def sync(actor: Actor, source_id: int, *, session: Session, now: dt.datetime | None = None, dry_run: bool = False,
         progress: runner.Progress | None = None) -> ImportReport:
    """Import what the source has new or changed since its last sync, as one import batch (``started_from``
    "sync", the source's name as source system), and remember how far it got, all in one transaction (its
    batch is announced before it, committed on its own: crm.importing.jobs).

    Never twice at once: the source's lease is taken first (committed on its own), so a second start, on any
    server, raises ``SyncRunning``. This function ends the session's transaction itself (it commits the import
    together with the lease's release; on failure it rolls back, notes the error on the source and frees the
    lease), so pass it a session that holds nothing else.
    """
    require(actor, "data.import")
    now = now or utcnow()
    session.commit()  # on SQLite an open transaction would hold the write lock the lease needs
    session.expire_all()  # read the source's row (its change mark) as committed now
    engine = session.get_bind()
    owner = lease.owner_name(actor.username, now)
    name = lease.take(engine, source_id, owner, now)
    announced: dict[str, int] = {}  # the batch, once announced (crm.importing.jobs): marked failed on an error
    try:
        report, mark = _import(actor, session, source_id, owner, dry_run, progress, announced)
        if dry_run:
            _end(session)
            lease.give_back(engine, source_id, owner)
            return report
        values: dict[str, Any] = {"last_sync_at": now, "last_batch_id": report.batch_id, "last_error": None,
                                  **lease.RELEASED}
        if mark is not None:
            values["change_mark"] = mark
        done = session.execute(update(DataSource.__table__).where(lease.still_held(source_id, owner))
                               .values(**values))
        if done.rowcount != 1:
            raise CRMError(_("{name} was not synced: its sync took longer than {minutes} minutes and another one "
                             "took over.").format(name=name, minutes=number(lease.TTL.total_seconds() // 60)))
        audit.record(session, actor, "sync", "data_source", source_id,
                     after={"batch": report.batch_id, "change_mark": mark, **report.counts},
                     detail=f"{name}: {_counts_text(report)}")
        session.commit()
        session.expire_all()  # the source's row was changed by a plain UPDATE
        return report
    except CRMError as exc:
        _end(session)
        _failed(actor, session, announced, exc)
        lease.give_back(engine, source_id, owner, error=exc.message, now=now)
        raise
    except BaseException as exc:
        _end(session)
        _failed(actor, session, announced, exc)
        lease.give_back(engine, source_id, owner, error=_("The sync failed unexpectedly (see the server log)."),
                        now=now)
        raise


def _failed(actor: Actor, session: Session, announced: dict[str, int], exc: BaseException) -> None:
    if "batch" in announced:
        jobs.fail(actor, announced["batch"], exc, sessions=jobs.sessions_of(session))


def _end(session: Session) -> None:
    """Roll the import back; what the session holds is read again (the source's row changes beside it)."""
    session.rollback()
    session.expire_all()


@dataclass
class _Plan:
    """How a source's rows become an import: the columns read, field -> column index, options."""

    kind: str
    headers: list[str]
    mapping: dict[str, int]
    options: ImportOptions
    profile_id: int | None
    change_index: int | None = None
    read: dict[str, Any] = field(default_factory=dict)


def _plan(session: Session, source: DataSource, dry_run: bool = False) -> _Plan:
    """The source's mapping, value mapping and options, each taken from its profile when the source has none."""
    profile = session.get(ImportProfile, source.profile_id) if source.profile_id else None
    given = dict(source.mapping or (profile.mapping if profile else {}) or {})
    by_column = {f.name: given[f.name] for f in kind_named(source.kind, session).fields
                 if f.name in given}  # form order
    if not by_column:
        raise ValidationError({"mapping": _("Map the source's columns to fields before syncing.")})
    headers = list(dict.fromkeys(by_column.values()))
    change_index = None
    if source.change_column:
        if source.change_column not in headers:
            headers.append(source.change_column)
        change_index = headers.index(source.change_column)
    options = ImportOptions.from_dict({**((profile.options if profile else None) or {}), **(source.options or {})})
    options.value_map = dict(source.value_map or (profile.value_map if profile else {}) or {})
    options.source_system = source.name
    options.dry_run = dry_run
    options.decimal_mark = options.decimal_mark or "."  # numbers come from the database with a point
    return _Plan(source.kind, headers, {f: headers.index(c) for f, c in by_column.items()}, options,
                 profile.id if profile else None, change_index)


def _import(actor: Actor, session: Session, source_id: int, owner: str, dry_run: bool,
            progress: runner.Progress | None, announced: dict[str, int]) -> tuple[ImportReport, str | None]:
    source = _source(session, source_id)
    plan = _plan(session, source, dry_run)
    url, query, column, mark = source.url, source.query, source.change_column, _decode_mark(source.change_mark)
    given = dict(options=plan.options, filename=source.name, profile_id=plan.profile_id, data_source_id=source.id,
                 started_from="sync")
    batch_id = None
    engine = session.get_bind()
    with connected(url) as src:  # a source that cannot be reached leaves no batch (its error is on the source)
        if not dry_run:  # announce the batch on its own, before the import's transaction begins
            session.commit()  # only read so far; on SQLite its transaction would hold the write lock
            batch_id = announced["batch"] = jobs.announce(actor, plan.kind, headers=plan.headers,
                                                          mapping=plan.mapping, sessions=jobs.sessions_of(session),
                                                          **given)
        stmt = src.statement(query, plan.headers, column, mark)
        total = _count(src, stmt) if progress else None
        rows = _stream(src, stmt, plan, lambda: lease.renew(engine, source_id, owner, utcnow()))
        report = runner.run(actor, plan.kind, rows, headers=plan.headers, mapping=plan.mapping, total=total,
                            progress=progress, batch_id=batch_id, session=session, **given)
    last = plan.read.get("mark")
    return report, None if last is None else _encode_mark(last)


def _stream(src: Source, stmt: Any, plan: _Plan, renew: Callable[[], bool]) -> Iterator[Sequence[str]]:
    """The source's rows as text cells, noting the last change value read and renewing the lease as it goes."""
    index = plan.change_index
    renewed = utcnow()
    for n, row in enumerate(src.rows(stmt), start=1):
        if index is not None and row[index] is not None:
            plan.read["mark"] = row[index]
        yield [as_text(v) for v in row]
        if n % CHUNK == 0 and utcnow() - renewed > lease.RENEW_EVERY:
            if not renew():
                raise CRMError(_("The sync lost its lease to another one and stopped."))
            renewed = utcnow()


def _count(src: Source, stmt: Any) -> int | None:
    try:
        return int(src.conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())
    except Exception:  # the progress bar is a nicety: go on without a total
        src.conn.rollback()
        return None


# ----------------------------------------------------------------------------------------- change marks --
# The mark is kept as text with its type, so that the next sync compares like with like on every database.

_MARK_TYPES: dict[str, Callable[[str], Any]] = {
    "int": int, "decimal": Decimal, "float": float, "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat, "text": str}


def _encode_mark(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, dt.datetime, dt.date)):
        return f"text:{as_text(value)}"
    tag = {int: "int", Decimal: "decimal", float: "float", dt.datetime: "datetime", dt.date: "date"}
    kind = next(t for cls, t in tag.items() if isinstance(value, cls))
    return f"{kind}:{value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value}"


def _decode_mark(mark: str | None) -> Any:
    if not mark:
        return None
    kind, _sep, text = mark.partition(":")
    try:
        return _MARK_TYPES.get(kind, str)(text)
    except (ValueError, ArithmeticError):
        return None


def shown_mark(mark: str | None) -> str | None:
    """The mark as a person reads it (without its type)."""
    return mark.partition(":")[2] if mark else None


# ------------------------------------------------------------------------------------------------ checks --


def _checked(session: Session, values: dict[str, Any], *, current_id: int | None = None,
             url_changed: bool = True) -> dict[str, Any]:
    """The source's settings cleaned, or one ValidationError naming every problem."""
    errors: dict[str, str] = {}
    out = dict(values)
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        errors["name"] = _("Give the source a name (it is also the source system of what it imports).")
    elif len(name) > 40:
        errors["name"] = _("The name is longer than {n} characters.").format(n=number(40))
    elif session.scalar(select(DataSource.id).where(func.lower(DataSource.name) == name.lower(),
                                                    DataSource.id != (current_id or 0))):
        errors["name"] = _("There is already a data source named {name}.").format(name=name)
    out["name"] = name
    kind = values.get("kind")
    if kind not in available():
        errors["kind"] = _("Choose what the source holds.")
    for key, check in (("url", lambda: check_url(values.get("url") or "", portal_url=config.database_url())),
                       ("query", lambda: check_query(values.get("query") or "")),
                       ("change_column", lambda: check_column(values.get("change_column")))):
        if key == "url" and not url_changed:
            continue
        try:
            result = check()
            out[key] = result if key != "url" else (values.get("url") or "").strip()
        except ValidationError as exc:
            errors |= exc.errors
    profile = session.get(ImportProfile, values["profile_id"]) if values.get("profile_id") else None
    if values.get("profile_id") and (profile is None or profile.kind != kind):
        errors["profile_id"] = _("Choose an import profile for the same kind of records.")
    if kind in available():
        errors |= _mapping_errors(kind, dict(values.get("mapping") or (profile.mapping if profile else {}) or {}))
    options = {k: v for k, v in dict(values.get("options") or {}).items() if k not in _NOT_OPTIONS}
    try:
        runner.check_options(ImportOptions.from_dict(options))
    except ValidationError as exc:
        errors |= exc.errors
    out["options"] = options
    out["mapping"] = {str(f): str(c).strip() for f, c in dict(values.get("mapping") or {}).items() if str(c).strip()}
    out["value_map"] = dict(values.get("value_map") or {})
    try:
        interval = int(values.get("interval_minutes") or 0)
    except (TypeError, ValueError):
        interval = 0
    if not 1 <= interval <= MAX_INTERVAL:
        errors["interval_minutes"] = _("Sync every 1 to {n} minutes.").format(n=number(MAX_INTERVAL))
    out["interval_minutes"] = interval
    if errors:
        raise ValidationError(errors)
    return out


def _mapping_errors(kind: str, mapping: dict[str, str]) -> dict[str, str]:
    k = kind_named(kind)
    errors: dict[str, str] = {}
    names = {f.name for f in k.fields}
    unknown = [f for f in mapping if f not in names and not f.startswith(CUSTOM_PREFIX)]  # custom: checked on a run
    if unknown:
        errors["mapping"] = _("Unknown fields mapped: {fields}.").format(fields=", ".join(unknown))
    missing = [_(k.field(f).label) for f in k.required if not str(mapping.get(f) or "").strip()]
    if missing:
        errors["required"] = _("Choose the columns for: {fields}.").format(fields=", ".join(missing))
    return errors


def _source(session: Session, source_id: int) -> DataSource:
    source = session.get(DataSource, source_id)
    if source is None:
        raise NotFound(_("That data source does not exist."))
    return source


def _audited(source: DataSource) -> dict[str, Any]:
    """The source as the audit log keeps it: the address masked, no lease bookkeeping."""
    out = audit.snapshot(source, exclude=("lease_owner", "lease_until", "version"))
    out["url"] = masked(source.url)
    return out


def _info(source: DataSource) -> SourceInfo:
    holder = None
    if source.lease_owner and source.lease_until and source.lease_until > utcnow():
        holder = lease.Holder(source.lease_owner, source.lease_until)
    return SourceInfo(source.id, source.name, source.kind, masked(source.url), source.query, source.change_column,
                      shown_mark(source.change_mark), dict(source.mapping or {}), dict(source.value_map or {}),
                      dict(source.options or {}), source.interval_minutes, source.active, source.last_sync_at,
                      source.last_batch_id, source.last_error,
                      _("since {since}, by {owner}").format(since=holder.since.isoformat(timespec="minutes")
                                                            if holder.since else "?", owner=holder.who)
                      if holder else None,
                      source.profile_id, source.version)


def _counts_text(report: ImportReport) -> str:
    return ", ".join(f"{k}: {v}" for k, v in report.counts.items() if v)
