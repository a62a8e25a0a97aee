"""Optimistic locking: load the row an edit is about, refusing it when it is gone or was saved since it was read."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from crm.core.errors import ConflictError, NotFound

Row = TypeVar("Row")


def load_for_edit(session: Session, model: type[Row], row_id: Any, expected_version: int, *,
                  missing: str, changed: str) -> Row:
    """The row to change: ``NotFound(missing)`` when it no longer exists, ``ConflictError(changed)`` when its
    version is no longer ``expected_version`` (someone saved it after it was read)."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    if row.version != expected_version:  # type: ignore[attr-defined]
        raise ConflictError(changed)
    return row
