"""One page of a list, with the total found (lists are paged in SQL)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    page: int
    page_size: int
    more: bool = False  # True: at least ``total`` found; counting stopped there (see COUNT_LIMIT)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


COUNT_LIMIT = 1000  # lists count matches up to here ("1,000+"): an exact count of a million rows costs a scan


@dataclass(frozen=True)
class Window:
    """The ids on one page of an ordered list, and how many the list holds (up to COUNT_LIMIT)."""

    ids: list[Any]
    total: int
    more: bool  # more than ``total`` match


def page_window(session: Session, ordered_ids: Select[Any], page: int, page_size: int) -> Window:
    """One ordered query for the first COUNT_LIMIT + 1 ids gives both the count and the page (a
    separate COUNT would match and sort everything a second time); pages past the counted window
    are fetched with OFFSET."""
    limit = COUNT_LIMIT
    ids = list(session.scalars(ordered_ids.limit(limit + 1)))
    offset = (max(1, page) - 1) * page_size
    if offset + page_size <= limit:
        page_ids = ids[offset:offset + page_size]
    else:
        page_ids = list(session.scalars(ordered_ids.limit(page_size).offset(offset)))
    return Window(page_ids, min(len(ids), limit), len(ids) > limit)
