"""Earlier imports of every kind: the list, and the revert of one (by the writer of its kind)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import NotFound, ValidationError
from crm.core.i18n import _
from crm.importing import jobs
from crm.importing.kinds import writer
from db.models import ImportBatch
from db.types import utcnow


@dataclass(frozen=True)
class PastImport:
    """One earlier import: what kind, from which file or source, its outcome counts, whether it was reverted."""

    id: int
    created_at: dt.datetime
    kind: str
    filename: str
    source: str  # where it was started: "page", "cli", "sync"...
    source_system: str | None
    counts: dict[str, int]  # rows per outcome code (and extras such as products created)
    reverted_at: dt.datetime | None
    status: str = "done"  # running, done, failed, interrupted (crm.importing.jobs)
    error: str | None = None  # why it failed, in one line
    finished_at: dt.datetime | None = None


def list_imports(actor: Actor, *, kind: str | None = None, limit: int = 50, session: Session) -> list[PastImport]:
    """The latest imports, newest first (of one kind when given); imports whose process died are marked
    interrupted first."""
    require(actor, "data.import")
    jobs.mark_interrupted(session)
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(ImportBatch.kind == kind)
    return [PastImport(b.id, b.created_at, b.kind, b.filename, b.source, b.source_system, dict(b.counts or {}),
                       b.reverted_at, b.status or jobs.DONE, (b.options or {}).get("error"), b.finished_at)
            for b in session.scalars(stmt)]


def revert(actor: Actor, batch_id: int, *, session: Session) -> dict[str, int]:
    """Undo an import of any kind: what it created is removed (or archived when already in use), what it
    updated is restored, and every summary follows; audited."""
    require(actor, "data.import")
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(_("That import does not exist."))
    if batch.reverted_at is not None:
        raise ValidationError({"batch": _("This import was already reverted.")})
    if (batch.status or jobs.DONE) != jobs.DONE:
        raise ValidationError({"batch": _("This import did not finish: nothing of it was kept, so there is "
                                          "nothing to revert.")})
    result = writer(batch.kind).revert(session, actor, batch_id)
    batch.reverted_at = utcnow()
    batch.reverted_by_id = actor.user_id
    audit.record(session, actor, "revert_import", "import_batch", batch_id, after=result)
    return result
