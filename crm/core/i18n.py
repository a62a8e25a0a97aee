"""The user's language: translated messages (gettext catalogs) and locale formatting (Babel).

Every user-facing string goes through ``_()`` (or ``ngettext``); text defined at import time
(labels in tables, page titles) is marked with ``N_()`` and translated where it is shown.
The language is per run of a script (a context variable), set by ``app.py`` from the user's
choice, so a service called from a page raises its errors in that user's language.

Customer data is never passed through ``_()``: only text written in this code is translated.
Stored codes (a status, a department, a channel...) stay codes until shown: each kind of code has one
table of labels (``Codes``, kept beside the code that owns them) and ``label(kind, code)`` shows one.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
# Each language named in its own language, as the selector shows it.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "id": "Bahasa Indonesia",
    "bg": "Български",
    "ur": "اردو",
}
TRANSLATED = ("id", "bg", "ur")  # English is the source language: its catalog is the message ids

_language: contextvars.ContextVar[str] = contextvars.ContextVar("crm_language", default=DEFAULT_LANGUAGE)
DEFAULT_TIME_ZONE = "UTC"  # the clock of the command line, and of a person whose browser names no zone
_time_zone: contextvars.ContextVar[str] = contextvars.ContextVar("crm_time_zone", default=DEFAULT_TIME_ZONE)


def normalize_language(code: str | None) -> str:
    """A supported language code for ``code`` ('bg_BG', 'ur-PK' ...), else English."""
    base = (code or "").replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def set_language(code: str | None) -> str:
    """Use ``code`` for messages and formats in this run (thread/task); returns the code in use."""
    lang = normalize_language(code)
    _language.set(lang)
    return lang


def get_language() -> str:
    return _language.get()


@contextlib.contextmanager
def use_language(code: str) -> Iterator[str]:
    """Temporarily switch language (tests, CLI, e-mails written for another user)."""
    token = _language.set(normalize_language(code))
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def is_time_zone(zone: str | None) -> bool:
    """Whether ``zone`` names a time zone of the IANA database ('Asia/Karachi', 'UTC')."""
    if not zone or not isinstance(zone, str):
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    """Every time zone a user may choose, by name ('Africa/Abidjan' ... 'UTC')."""
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + ["UTC"]


def set_time_zone(zone: str | None) -> str:
    """Show dates and times on the clock of ``zone`` in this run (thread/task); UTC for an unknown zone."""
    name = zone if is_time_zone(zone) else DEFAULT_TIME_ZONE
    _time_zone.set(name)
    return name


def get_time_zone() -> str:
    return _time_zone.get()


@contextlib.contextmanager
def use_time_zone(zone: str | None) -> Iterator[str]:
    """Temporarily show times on another clock (tests, files written for another user)."""
    token = _time_zone.set(zone if is_time_zone(zone) else DEFAULT_TIME_ZONE)
    try:
        yield _time_zone.get()
    finally:
        _time_zone.reset(token)


def is_rtl(code: str | None = None) -> bool:
    return Locale.parse(code or get_language()).character_order == "right-to-left"


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of ``lang`` (compiled in memory from its .po file, once per process)."""
    path = catalog_path(lang)
    if lang == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def gettext(message: str) -> str:
    """``message`` in the current language (the English text when no translation exists)."""
    if not message:
        return message
    return translations(get_language()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for the catalog without translating it now (translate where shown)."""
    return message


class Codes(dict[str, str]):
    """The stored codes of one kind, in display order, each with its label marked ``N_()``.

    A dict (code -> untranslated label), so ``list(CODES)`` gives the codes and ``code in CODES``
    checks one; ``kind`` names the vocabulary ("customer status", "plan status"...).
    """

    def __init__(self, kind: str, labels: Mapping[str, str]) -> None:
        super().__init__(labels)
        self.kind = kind

    def __repr__(self) -> str:
        return f"Codes({self.kind!r}, {dict(self)!r})"


def label(kind: Mapping[str, str], code: str | None) -> str:
    """The label of stored ``code`` of ``kind`` in the current language.

    '' for no code; a code the table does not know is shown as it is (data, never translated).
    """
    if code is None or code == "":
        return ""
    text = kind.get(code)
    return gettext(text) if text is not None else str(code)


def label_list(kind: Mapping[str, str]) -> str:
    """Every label of ``kind`` in the current language, in order, for "must be one of: ..." messages."""
    return ", ".join(label(kind, code) for code in kind)


# ---------------------------------------------------------------- formatting (Babel)

def _locale() -> str:
    return get_language()


def number(value: float | int | Decimal | None, digits: int = 0) -> str:
    """A number with the locale's grouping and decimal signs ('—' when there is none)."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


DEFAULT_CURRENCY = "USD"
# The portal's one currency (an admin setting, crm.settings.currency): the same for every user, so
# process-wide; the entry point loads it once per run (ui.currency.apply_currency).
_currency = DEFAULT_CURRENCY


def set_currency(code: str | None) -> str:
    """Use ISO 4217 ``code`` for every money amount from now on (this process); returns the code in use."""
    global _currency
    _currency = (code or DEFAULT_CURRENCY).upper()
    return _currency


def get_currency() -> str:
    return _currency


def money(value: float | int | Decimal | None, currency: str | None = None, digits: int | None = None) -> str:
    """An amount in ``currency`` (the portal's currency unless given) the way the locale writes money."""
    if value is None:
        return "—"
    currency = currency or _currency
    if digits == 0:
        pattern = Locale.parse(_locale()).currency_formats["standard"].pattern.split(";")[0]
        return format_currency(round(value), currency, locale=_locale(), format=pattern.replace(".00", ""),
                               currency_digits=False)
    return format_currency(value, currency, locale=_locale())


def percent(value: float | None, digits: int = 0) -> str:
    """``value`` as a share (0.25 → 25 %)."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value, format=pattern, locale=_locale())


def is_missing(value: object) -> bool:
    """No value: None, an empty text, or a table's missing mark (NaN, NaT: the values unequal to themselves)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _on_the_clock(value: dt.datetime, tz: str | None) -> dt.datetime:
    """``value`` (UTC, as stored; naive from SQLite, aware from PostgreSQL) on the clock of ``tz``
    (the run's time zone when None)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    zone = tz if tz is not None else get_time_zone()
    return value.astimezone(get_timezone(zone) if is_time_zone(zone) else dt.timezone.utc)


def date(value: dt.date | None, style: str = "medium", tz: str | None = None) -> str:
    """A date in the locale's way ('' for none); a moment (datetime) gives its day on the user's clock."""
    if is_missing(value):
        return ""
    if isinstance(value, dt.datetime):  # a pandas Timestamp is one too
        value = _on_the_clock(value, tz).date()
    return format_date(value, format=style, locale=_locale())


def datetime(value: dt.datetime | None, style: str = "medium", tz: str | None = None) -> str:
    """Date and time (UTC, as stored) in the locale's way, on the clock of time zone ``tz``
    (an IANA name such as 'Asia/Karachi'; the user's zone of this run when None, see ``set_time_zone``).
    '' when there is none."""
    if is_missing(value):
        return ""
    if not isinstance(value, dt.datetime):  # a bare date has no time of day
        return date(value, style)
    return format_datetime(_on_the_clock(value, tz), format=style, locale=_locale())


def month(value: dt.date | str) -> str:
    """A month ('2026-11' or a date) as the locale names it, e.g. 'Nov 2026'."""
    if isinstance(value, str):
        value = dt.date(int(value[:4]), int(value[5:7]), 1)
    return format_skeleton("yMMM", value, locale=_locale())


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
