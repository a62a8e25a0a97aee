"""The audit trail: every write records who, when, what, before and after.

``record`` adds the event to the caller's session, so it commits (or rolls
back) together with the change it describes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from crm.access import Actor
from db.models import AuditEvent
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
) -> AuditEvent:
    event = AuditEvent(
        at=at or utcnow(),
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else None,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        source=actor.source if actor else "system",
        before=before,
        after=after,
        detail=detail,
    )
    session.add(event)
    return event


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
