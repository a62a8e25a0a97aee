"""Filters that apply only when given: equal values, and a range of whole days on a UTC timestamp."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select


def where_given(stmt: Select[Any], *pairs: tuple[Any, Any]) -> Select[Any]:
    """``stmt`` with ``column == value`` for every ``(column, value)`` whose value is given (not empty)."""
    conditions = [column == value for column, value in pairs if value]
    return stmt.where(*conditions) if conditions else stmt


def within_days(stmt: Select[Any], column: Any, first: dt.date | None, last: dt.date | None) -> Select[Any]:
    """``stmt`` kept to rows whose UTC timestamp ``column`` falls on the days ``first`` .. ``last`` (both
    included; either may be None)."""
    if first:
        stmt = stmt.where(column >= dt.datetime.combine(first, dt.time(), tzinfo=dt.timezone.utc))
    if last:
        stmt = stmt.where(column < dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc))
    return stmt
