"""A real import as a job whose batch says what happened, even when the process running it dies.

Three transactions, one after the other (never two open at once in one thread: on SQLite each holds the
database's write lock from its first statement):

1. ``announce``: the batch is written and committed on its own, status "running", with the process running it
   (host:pid, ``runner.runner_name``);
2. the import itself (``runner.run(..., batch_id=...)``), which sets the batch "done" in the same transaction
   that commits everything it wrote;
3. on an error, ``fail`` marks the batch "failed" (with the one-line reason) after the import rolled back.

If the process is killed during 2, its transaction never commits: the database holds none of the import and
the batch still says "running" with a process that no longer exists. ``mark_interrupted`` (at server start,
when earlier imports are listed, before each new import) turns such batches into "interrupted".
"""
from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.database import transaction
from crm.core.errors import CRMError
from crm.importing import runner
from crm.importing.kinds import kind as kind_named
from crm.importing.writing import ImportOptions, ImportReport
from db.models import ImportBatch
from db.types import utcnow

Sessions = Callable[[], AbstractContextManager[Session]]
RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"
# A batch still "running" on another host after this long is taken as interrupted (its process cannot be
# asked); generous: the largest imports take minutes.
STALE_AFTER = dt.timedelta(hours=6)
CLOCK_SLACK = dt.timedelta(seconds=2)  # a process's start time from /proc is exact to about a second


def sessions_of(session: Session) -> Sessions:
    """Sessions on ``session``'s database, each its own transaction: committed when its block ends, rolled back
    on an error (for callers that were handed one session, like a page's service call)."""
    bind = session.get_bind()
    return lambda: transaction(Session(bind=bind, expire_on_commit=False))


def run_import(actor: Actor, kind: str, rows: Iterable[Sequence[str]], *, headers: Sequence[str],
               mapping: dict[str, int], options: ImportOptions, filename: str = "", total: int | None = None,
               progress: runner.Progress | None = None, profile_id: int | None = None,
               data_source_id: int | None = None, started_from: str | None = None,
               sessions: Sessions) -> ImportReport:
    """Import ``rows`` as ``runner.run`` does, announced first and marked failed on an error (a dry run is
    just run: it writes nothing, so there is nothing to announce). ``sessions``: a factory like
    ``crm.core.database.session_scope``; the caller holds no open transaction on the database meanwhile."""
    require(actor, "data.import")
    with sessions() as session:  # the kind's custom fields are mapping targets too
        runner.check_mapping(kind_named(kind, session), headers, mapping)
    runner.check_options(options)
    given = dict(options=options, filename=filename, profile_id=profile_id, data_source_id=data_source_id,
                 started_from=started_from)
    if options.dry_run:
        with sessions() as session:
            return runner.run(actor, kind, rows, headers=headers, mapping=mapping, total=total, progress=progress,
                              session=session, **given)
    batch_id = announce(actor, kind, headers=headers, mapping=mapping, sessions=sessions, **given)
    try:
        with sessions() as session:
            return runner.run(actor, kind, rows, headers=headers, mapping=mapping, total=total, progress=progress,
                              batch_id=batch_id, session=session, **given)
    except BaseException as exc:
        fail(actor, batch_id, exc, sessions=sessions)
        raise


def announce(actor: Actor, kind: str, *, headers: Sequence[str], mapping: dict[str, int], options: ImportOptions,
             filename: str = "", profile_id: int | None = None, data_source_id: int | None = None,
             started_from: str | None = None, sessions: Sessions) -> int:
    """Write the import's batch as "running" by this process and commit it; returns its id. Batches of
    processes that died are marked interrupted first."""
    with sessions() as session:
        mark_interrupted(session)
        batch = runner.new_batch(actor, kind, headers=headers, mapping=mapping, options=options, filename=filename,
                                 profile_id=profile_id, data_source_id=data_source_id, started_from=started_from)
        session.add(batch)
        session.flush()
        return batch.id


def fail(actor: Actor, batch_id: int, exc: BaseException, *, sessions: Sessions) -> None:
    """After the import's transaction rolled back: its batch says failed, with the one-line reason (audited);
    stopped from outside (Ctrl-C, a page left) it says interrupted. Never hides the original error."""
    status = FAILED if isinstance(exc, Exception) else INTERRUPTED
    why = reason(exc)
    try:
        with sessions() as session:
            batch = session.get(ImportBatch, batch_id)
            if batch is None or batch.status != RUNNING:
                return
            batch.status, batch.finished_at = status, utcnow()
            batch.options = {**(batch.options or {}), "error": why}
            audit.record(session, actor, f"import_{status}", "import_batch", batch_id, detail=why)
    except Exception:  # the database itself may be what failed: the batch is then marked interrupted later
        pass


def reason(exc: BaseException) -> str:
    """One line a person can read: a domain error's message, else the kind of error and its first line."""
    if isinstance(exc, CRMError):
        text = exc.message
    else:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return " ".join(text.split())[:300]


def mark_interrupted(session: Session, now: dt.datetime | None = None) -> int:
    """Batches still "running" whose process is gone become "interrupted" (their import's transaction never
    committed: nothing of it was kept); returns how many. Flushed in the caller's transaction."""
    now = now or utcnow()
    gone = [b.id for b in session.scalars(select(ImportBatch).where(ImportBatch.status == RUNNING))
            if not _alive(b.runner, b.created_at, now)]
    if gone:
        session.execute(update(ImportBatch).where(ImportBatch.id.in_(gone), ImportBatch.status == RUNNING)
                        .values(status=INTERRUPTED, finished_at=now))
        session.expire_all()
    return len(gone)


def _alive(runner_name: str | None, started: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the process that announced a batch may still be running it."""
    if started is not None and started.tzinfo is None:
        started = started.replace(tzinfo=dt.timezone.utc)
    host, _sep, pid = (runner_name or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return started is not None and now - started < STALE_AFTER
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    since = _process_start(int(pid))  # a live pid may be a newer process that reused the number
    return since is None or started is None or since <= started + CLOCK_SLACK


def _process_start(pid: int) -> dt.datetime | None:
    """When process ``pid`` started (Linux's /proc; None where that cannot be read)."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return dt.datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), dt.timezone.utc)
    except (OSError, ValueError, IndexError, StopIteration):
        return None
