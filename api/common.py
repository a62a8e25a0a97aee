"""Types shared by the API's request and response models: ids, text without NUL, pages of a list."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api import cursor
from crm.core.keyset import MAX_LIMIT, Slice

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
# text as people type it: no NUL character (no database stores one), at most 10,000 characters
Text = Annotated[str, StringConstraints(max_length=10_000, pattern=r"^[^\x00]*$")]
Short = Annotated[str, StringConstraints(max_length=300, pattern=r"^[^\x00]*$")]
Money = Annotated[str, Field(description="A decimal amount as text, e.g. \"1234.50\"")]
DEFAULT_LIMIT = 50
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})")]


class Input(BaseModel):
    """A request body: unknown fields are an error (a typo is reported, not ignored)."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list. Pass ``next_cursor`` as ``cursor`` for the next page; keyset paging (by id), so pages
    stay right while records are added: nothing is skipped or repeated."""

    items: list[T]
    next_cursor: str | None
    has_more: bool


def page_of(found: Slice[Any], model: type[M]) -> Page[M]:
    """A service's slice of rows as a page of ``model``."""
    return Page[model](items=[model.model_validate(plain(row)) for row in found.rows],  # type: ignore[valid-type]
                       next_cursor=cursor.encode(found.next_after), has_more=found.has_more)


def plain(value: Any) -> Any:
    """A service's dataclass as JSON-ready values (amounts as decimal text, tuples as lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A date-time sent without a zone is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value
