"""PLACEHOLDER (replaced by the cleaning branch): the contract only."""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import NamedTuple
from zoneinfo import ZoneInfo


class CleaningError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AmbiguousDate(CleaningError):
    pass


class DateOrder(NamedTuple):
    day_first: bool | None
    needs_choice: bool
    conflicting: bool
    examples: list[str]


def clean_text(value: str | None, *, multiline: bool = False) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    if not multiline:
        text = " ".join(text.split())
    return text or None


def country_code(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    if len(value.strip()) == 2 and value.strip().isalpha():
        return value.strip().upper()
    raise CleaningError(f"'{value}' is not a country name or ISO code.")


def parse_amount(value: str | None, *, decimal_mark: str | None = None) -> Decimal | None:
    if not value or not value.strip():
        return None
    try:
        return Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        raise CleaningError(f"'{value}' is not an amount.")


def amount_format(values: Iterable[str]) -> str:
    return "."


def parse_int(value: str | None, *, decimal_mark: str | None = None) -> int | None:
    if not value or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise CleaningError(f"'{value}' is not a whole number.")


def parse_datetime(value: str | None, *, day_first: bool | None = None, tz: str = "UTC") -> dt.datetime | None:
    if not value or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CleaningError(f"'{value}' is not a date.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(dt.timezone.utc)


def parse_date(value: str | None, *, day_first: bool | None = None) -> dt.date | None:
    moment = parse_datetime(value)
    return moment.date() if moment else None


def date_order(values: Iterable[str]) -> DateOrder:
    return DateOrder(None, False, False, [])
