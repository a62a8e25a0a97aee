"""Keyset paging ("give me the next rows after id N"): pages that stay right while rows are being added.

Offset paging (page 3 of 25) repeats or skips rows when rows are inserted in front of the page being read;
a keyset page continues after the last id the reader saw, so a reader walking a list while others insert
sees every row that existed when it started exactly once (and the new ones once, at the end). Used by the
HTTP API; the pages keep their numbered pages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_LIMIT = 200  # no slice is ever longer


@dataclass(frozen=True)
class Slice(Generic[T]):
    """Some rows of a list in id order, and where the next slice starts (None: this was the last)."""

    rows: list[T]
    next_after: int | None

    @property
    def has_more(self) -> bool:
        return self.next_after is not None


def slice_ids(session: Session, ids: Select[Any], id_column: Any, *, after: int | None, limit: int,
              newest_first: bool = False) -> tuple[list[int], int | None]:
    """Up to ``limit`` ids of ``ids`` (a SELECT of ``id_column``) after ``after`` in id order (descending with
    ``newest_first``), and the id to continue after when more follow."""
    limit = max(1, min(limit, MAX_LIMIT))
    if after is not None:
        ids = ids.where(id_column < after if newest_first else id_column > after)
    found = list(session.scalars(ids.order_by(id_column.desc() if newest_first else id_column).limit(limit + 1)))
    page = found[:limit]
    return page, (page[-1] if len(found) > limit else None)
