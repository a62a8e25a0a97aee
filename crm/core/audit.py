"""The audit trail: every write records who, when, what, before and after.

``record`` writes the event in the caller's session, so it commits (or rolls
back) together with the change it describes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from crm.core.access import Actor
from crm.core.i18n import datetime as format_datetime
from crm.core.paging import Page
from crm.core.spreadsheet import safe_cell
from db.models import AuditEvent
from db.where import where_given, within_days
from db.types import utcnow


def snapshot(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The column values of a model instance, JSON-friendly."""
    mapper = sa_inspect(obj).mapper
    out: dict[str, Any] = {}
    for column in mapper.column_attrs:
        key = column.key
        if key in exclude or key.endswith("_key") or key == "phone_digits":
            continue
        out[key] = _plain(getattr(obj, key))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k) and k not in {"version", "updated_at"}]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str | None = None,
    entity_id: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Write the event in the session's transaction (one Core INSERT: every audited read writes one, and the
    unit of work's bookkeeping cost a third of it)."""
    session.execute(insert(_EVENTS), [{
        "at": at or utcnow(),
        "user_id": actor.user_id if actor else None,
        "username": actor.username if actor else None,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "source": actor.source if actor else "system",
        "before": before,
        "after": after,
        "detail": detail,
    }])


_EVENTS = AuditEvent.__table__


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    username: str | None
    action: str
    entity: str | None
    entity_id: str | None
    source: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str | None
    user_name: str | None = None  # the acting user's full name (None: the system, or an unknown name)
    record_name: str | None = None  # the record's name or title when it has one (a user, a customer, a plan...)


@dataclass(frozen=True)
class AuditFilters:
    username: str | None = None
    action: str | None = None
    entity: str | None = None
    source: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _filtered(filters: AuditFilters):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    stmt = select(AuditEvent)
    stmt = where_given(stmt, (AuditEvent.username, filters.username), (AuditEvent.action, filters.action),
                       (AuditEvent.entity, filters.entity), (AuditEvent.source, filters.source))
    return within_days(stmt, AuditEvent.at, filters.date_from, filters.date_to)


def list_events(actor: Actor, filters: AuditFilters | None = None, *, page: int = 1, page_size: int = 100,
                session: Session) -> Page[AuditRow]:
    """Newest first, filtered and paginated in SQL; read-only (no service edits or deletes audit rows)."""
    from sqlalchemy import func, select

    from crm.core.access import require

    require(actor, "audit.read")
    stmt = _filtered(filters or AuditFilters())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(page_size)
                                .offset((max(1, page) - 1) * page_size)))
    people = _names(session, "user", {str(e.user_id) for e in rows if e.user_id is not None})
    records = {entity: _names(session, entity, {e.entity_id for e in rows if e.entity == entity and e.entity_id})
               for entity in {e.entity for e in rows if e.entity in NAMED}}
    return Page(rows=[AuditRow(e.id, e.at, e.username, e.action, e.entity, e.entity_id, e.source, e.before,
                               e.after, e.detail, people.get(str(e.user_id)),
                               records.get(e.entity or "", {}).get(e.entity_id or ""))
                      for e in rows],
                total=total, page=max(1, page), page_size=page_size)


def _named_models() -> dict[str, tuple[Any, str]]:
    from db import models

    return {"user": (models.User, "full_name"), "customer": (models.Customer, "name"),
            "budget_plan": (models.BudgetPlan, "name"), "checklist_item": (models.ChecklistItem, "title"),
            "requirement": (models.Requirement, "title"), "stakeholder": (models.Stakeholder, "name"),
            "data_source": (models.DataSource, "name"), "import_profile": (models.ImportProfile, "name"),
            "webhook": (models.Webhook, "name"), "product": (models.Product, "name")}


NAMED = ("user", "customer", "budget_plan", "checklist_item", "requirement", "stakeholder", "data_source",
         "import_profile", "webhook", "product")


def _names(session: Session, entity: str, ids: set[str]) -> dict[str, str]:
    """Record id (as the audit row stores it) -> the record's name, for the records that still exist."""
    from sqlalchemy import select

    model, column = _named_models()[entity]
    numbers = [int(i) for i in ids if i.isdigit()]
    if not numbers or not hasattr(model, column):
        return {}
    rows = session.execute(select(model.id, getattr(model, column)).where(model.id.in_(numbers)))
    return {str(key): name for key, name in rows if name}


def export_events_csv(actor: Actor, filters: AuditFilters | None = None, *, limit: int = 100_000,
                      session: Session) -> bytes:
    """The audit rows (filtered) as a CSV file; times in the user's language, on their clock (this run's zone)."""
    import csv
    import io
    import json

    from crm.core.access import require

    require(actor, "audit.read")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "at", "user", "action", "entity", "entity_id", "source", "before", "after", "detail"])
    for e in session.scalars(_filtered(filters or AuditFilters()).order_by(AuditEvent.id.desc()).limit(limit)):
        cells = [e.id, format_datetime(e.at), e.username or "", e.action, e.entity or "", e.entity_id or "", e.source,
                 json.dumps(e.before, ensure_ascii=False) if e.before else "",
                 json.dumps(e.after, ensure_ascii=False) if e.after else "", e.detail or ""]
        writer.writerow([safe_cell(c) for c in cells])
    record(session, actor, "export", "audit_events", None, detail="audit log exported")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def distinct_values(actor: Actor, *, session: Session) -> dict[str, list[str]]:
    from crm.core.access import require
    from db.distinct import distinct_values as index_values

    require(actor, "audit.read")

    def values(column: Any) -> list[str]:
        return [v for v in index_values(session, column) if v]

    return {"username": values(AuditEvent.username), "action": values(AuditEvent.action),
            "entity": values(AuditEvent.entity), "source": values(AuditEvent.source)}
