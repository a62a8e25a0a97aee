"""Cleaning values from other systems' exports on their way into the CRM: text, countries, amounts, dates.

Pure functions: no database, no Streamlit. Each takes the text of one cell and returns the value to
store (``None`` for a blank cell) or raises ``CleaningError`` whose ``message`` a user reads and that
names the value. Column-wide decisions (which decimal mark, which date order) are made once from
sample values by ``amount_format`` and ``date_order`` and passed back in as hints.

Countries are looked up in a table built once per process from Babel (every locale's territory
names) and pycountry (alpha-3 codes, official and common names): see ``country_code``.
"""
from __future__ import annotations

import datetime as dt
import pickle
import re
import unicodedata
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pycountry
from babel import Locale, localedata
from babel.dates import get_day_names, get_month_names
from babel.numbers import get_currency_symbol, list_currencies

from crm.core.i18n import _
from crm.core.text import fold


class CleaningError(ValueError):
    """A value that cannot be read; ``message`` is the sentence a user reads (it names the value)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AmbiguousDate(CleaningError):
    """A numeric date such as 01/02/1997 whose day/month order was not given and cannot be told."""


# ------------------------------------------------------------------ text

_MANY_BREAKS = re.compile(r"\n{3,}")


def clean_text(value: str | None, *, multiline: bool = False) -> str | None:
    """``value`` in Unicode NFC, trimmed, with inner whitespace (NBSP, tabs...) collapsed to one space.

    With ``multiline`` the line breaks are kept: Windows and old Mac breaks become ``\\n``, each line
    loses its trailing spaces and runs of blank lines become one blank line. Blank -> None.
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    if not multiline:
        return " ".join(text.split()) or None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    text = "\n".join(line.rstrip() for line in lines)
    return _MANY_BREAKS.sub("\n\n", text).strip() or None


# ------------------------------------------------------------------ countries

# ISO 3166-1 reserves "UK" for the United Kingdom at its request (an exceptional reservation); XK is the
# user-assigned code for Kosovo that CLDR, the EU and libphonenumber use.
_RESERVED_FOR = {"UK": "GB"}
_EXTRA_CODES = ("XK",)
_PRIORITY_LOCALES = ("en", "id", "bg", "ur")  # the portal's languages: their names win any clash
_FORMAT_CHARS = dict.fromkeys(c for c in range(0x2000, 0x2070) if unicodedata.category(chr(c)) == "Cf")
_NOT_LETTER_ASCII = re.compile(r"[^a-z0-9]+")
_PARENTHESES = re.compile(r"^(.*?)\s*\((.*)\)\s*$")


def _country_key(text: str) -> str:
    """What two spellings of one name have in common: case, accents, punctuation and spaces dropped.

    Accents are dropped (``fold``) only in the alphabets where they are accents (Latin, Greek,
    Cyrillic, Arabic...): in Indic and other scripts the combining marks are the vowels of the word.
    """
    if text.isascii():
        return _NOT_LETTER_ASCII.sub("", text.lower())
    text = text.translate(_FORMAT_CHARS)
    text = fold(text) if all(ord(ch) < 0x0780 for ch in text) else unicodedata.normalize("NFC", text.casefold())
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LMN")


def _unmerged_territories(locale_id: str) -> dict[str, str]:
    """The territory names that one locale's own CLDR file defines (not those it inherits).

    Read straight from Babel's data file, so that the ~1,150 locales are not all kept in Babel's
    cache (that would hold about 160 MB for the life of the process).
    """
    with open(localedata.resolve_locale_filename(locale_id), "rb") as fh:
        return pickle.load(fh).get("territories", {})  # noqa: S301 - Babel's own packaged data


def _country_sources(codes: frozenset[str]) -> Iterator[list[tuple[str, str]]]:
    """(name, code) pairs in falling priority: a name is taken from the first level that has it."""
    yield [(code, code) for code in codes] + list(_RESERVED_FOR.items())
    yield [(c.alpha_3, c.alpha_2) for c in pycountry.countries]
    yield [(getattr(c, attr), c.alpha_2) for c in pycountry.countries
           for attr in ("name", "official_name", "common_name") if hasattr(c, attr)]
    yield [(name, code) for locale_id in _PRIORITY_LOCALES
           for code, name in Locale.parse(locale_id).territories.items() if code in codes]
    every: list[tuple[str, str]] = []
    for locale_id in localedata.locale_identifiers():
        every.extend((name, code) for code, name in _unmerged_territories(locale_id).items() if code in codes)
    yield every
    # "Myanmar (Burma)", "Falkland Islands (Islas Malvinas)": each part alone names the country too.
    yield [(part, code) for name, code in every if (m := _PARENTHESES.match(name)) for part in m.groups()]


@cache
def _country_table() -> dict[str, str | None]:
    """Folded name or code -> alpha-2 code (None for a name that two countries share at one level)."""
    codes = frozenset({c.alpha_2 for c in pycountry.countries} | set(_EXTRA_CODES))
    table: dict[str, str | None] = {}
    for level in _country_sources(codes):
        found: dict[str, set[str]] = {}
        for name, code in level:
            key = _country_key(name)
            if key and key not in table:
                found.setdefault(key, set()).add(code)
        for key, candidates in found.items():
            table[key] = candidates.pop() if len(candidates) == 1 else None
    return table


def country_code(value: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of a country written as a code or a name in any language.

    Accepts alpha-2 ("id", "GB") and alpha-3 ("IDN", "usa") codes, and names in any case, with or
    without accents, in every language CLDR knows ("Indonesia", "BULGARIA", "България", "پاکستان",
    "Amerika Serikat"), plus pycountry's official and common names. Blank -> None.
    """
    text = clean_text(value)
    if text is None:
        return None
    code = _country_table().get(_country_key(text))
    if code is None:
        raise CleaningError(_("'{value}' is not a country name or ISO code.").format(value=text))
    return code


# ------------------------------------------------------------------ amounts

_MINUS = "-\u2212\u2012\u2013"  # hyphen-minus, minus sign, figure dash, en dash
_GROUP_CHARS = str.maketrans("", "", "'\u2019\u02bc_\u066c")  # apostrophes, underscore, Arabic thousands mark
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*|[.,]\d+|\d+(?:[.,]\d+)*[.,]")
_NOT_AFFIX = r"\d\s.,()+" + re.escape(_MINUS)
_PREFIX = re.compile(rf"[^{_NOT_AFFIX}]+")
_SUFFIX = re.compile(rf"[^{_NOT_AFFIX}]+\.?$")


@cache
def _currency_words() -> frozenset[str]:
    """ISO currency codes and the symbols the portal's languages write them with ("Rp", "Rs", "лв")."""
    found = {code.casefold() for code in list_currencies()}
    for locale_id in _PRIORITY_LOCALES:
        found.update(get_currency_symbol(code, locale_id).casefold() for code in list_currencies())
    return frozenset(symbol.rstrip(".") for symbol in found)


def _is_currency(word: str) -> bool:
    """A currency code or symbol: "EUR", "€", "Rp", "US$", "R$"."""
    word = word.casefold().rstrip(".")
    if word in _currency_words():
        return True
    symbols = [ch for ch in word if unicodedata.category(ch) == "Sc"]
    letters = [ch for ch in word if ch.isalpha()]
    return bool(symbols) and len(symbols) + len(letters) == len(word) and len(letters) <= 3


def _without_currency(text: str) -> str | None:
    """``text`` without one currency word before or after the number; None when another word is there."""
    prefix = _PREFIX.match(text)
    if prefix:
        end = prefix.end()
        if prefix.group().isalpha() and text[end:end + 1] == ".":
            end += 1  # "Rp.15.000": the abbreviation's dot
        return text[end:].lstrip() if _is_currency(text[:end]) else None
    suffix = _SUFFIX.search(text)
    if suffix:
        return text[:suffix.start()].rstrip() if _is_currency(suffix.group()) else None
    return text


class _Amount(NamedTuple):
    negative: bool
    digits: str  # only digits and the marks "." and "," (spaces and apostrophes that group digits removed)


def _split_amount(value: str) -> _Amount | None:
    """The sign and the number part of an amount as written, or None when it is not one.

    Peels a currency word, parentheses and a sign off either end, in any order ("-$5", "$-5",
    "(€12.00)", "5.00-").
    """
    text = value.replace("\u066b", ".")  # Arabic decimal separator
    negative = False
    for _round in range(6):
        before = text
        if text.startswith("(") and text.endswith(")") or text[:1] in _MINUS or text[-1:] in _MINUS:
            if negative:
                return None
            negative = True
            text = text[1:-1] if text.startswith("(") else text[1:] if text[:1] in _MINUS else text[:-1]
        elif text[:1] == "+":
            text = text[1:]
        else:
            stripped = _without_currency(text)
            if stripped is None:
                return None
            text = stripped
        text = text.strip()
        if text == before:
            break
    text = "".join(text.split()).translate(_GROUP_CHARS)  # NBSP, thin and narrow spaces group digits too
    if not _NUMBER.fullmatch(text):
        return None
    return _Amount(negative, text)


def _mark_vote(number: str) -> str | None:
    """The decimal mark that ``number`` shows (None when it shows none, as in "1,234" or "1234")."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        return "." if number.rfind(".") > number.rfind(",") else ","
    mark = "." if dots else "," if commas else None
    if mark is None:
        return None
    if number.count(mark) > 1:
        return "," if mark == "." else "."  # a repeated mark groups thousands: the other one is decimal
    integer, fraction = number.split(mark)
    return None if len(fraction) == 3 and integer not in {"", "0"} else mark


def _valid_groups(integer: str, group: str) -> bool:
    """Thousands groups of three ("1,234,567"), or the South Asian lakh groups ("12,34,567")."""
    parts = integer.split(group)
    if len(parts) == 1:
        return True
    head, *middle, last = parts
    return 1 <= len(head) <= 3 and len(last) == 3 and all(len(p) in (2, 3) for p in middle)


def _amount_error(value: str) -> CleaningError:
    return CleaningError(_("'{value}' is not an amount; write it like 1234.56 or 1.234,56.").format(value=value))


def parse_amount(value: str | None, *, decimal_mark: str | None = None) -> Decimal | None:
    """The amount written in ``value``: thousands separators, currency symbols and codes removed.

    Reads "1,234.56", "1.234,56", "1 234,56", "1'234.50", "€12,50", "12.50 USD", "Rp 15.000",
    "$-5.00", "(12.00)" (negative) and "5.00-". When both marks appear the last one is the decimal
    mark; a lone mark is the ``decimal_mark`` given (see ``amount_format``), or without one a
    decimal mark when 1-2 digits (or 4 and more) follow it and a thousands separator before
    exactly 3. Blank -> None.
    """
    text = clean_text(value)
    if text is None:
        return None
    amount = _split_amount(text)
    if amount is None:
        raise _amount_error(text)
    number = amount.digits
    if "." in number and "," in number:
        mark = "." if number.rfind(".") > number.rfind(",") else ","
    elif decimal_mark in {".", ","} and decimal_mark in number:
        mark = decimal_mark
    elif decimal_mark in {".", ","}:
        mark = decimal_mark  # the other mark, if any, groups thousands
    else:  # "1,234" without a hint: the lone mark groups thousands, so the decimal mark is the other one
        mark = _mark_vote(number) or ("," if "." in number else ".")
    group = "," if mark == "." else "."
    if number.count(mark) > 1:
        raise _amount_error(text)
    integer, _sep, fraction = number.partition(mark)
    if group in fraction or not _valid_groups(integer, group):
        raise _amount_error(text)
    integer = integer.replace(group, "")
    try:
        result = Decimal(f"{'-' if amount.negative else ''}{integer or '0'}.{fraction or '0'}")
    except InvalidOperation:
        raise _amount_error(text) from None
    return result if fraction else result.quantize(Decimal(1))


def amount_format(values: Iterable[str]) -> str:
    """The decimal mark ("." or ",") that fits a column of amounts best; "." when nothing tells.

    Each value that shows its decimal mark ("12,50", "1.234,56", "1,234,567") votes for it; values
    like "1,234" that could be either do not vote.
    """
    votes = {".": 0, ",": 0}
    for value in values:
        text = clean_text(value)
        amount = _split_amount(text) if text else None
        mark = _mark_vote(amount.digits) if amount else None
        if mark:
            votes[mark] += 1
    return "," if votes[","] > votes["."] else "."


def parse_int(value: str | None, *, decimal_mark: str | None = None) -> int | None:
    """A whole number: "3", "3.0", "1,000", " 12 ". "3.5" is refused. Blank -> None."""
    amount = parse_amount(value, decimal_mark=decimal_mark)
    if amount is None:
        return None
    if amount != amount.to_integral_value():
        raise CleaningError(_("'{value}' is not a whole number.").format(value=clean_text(value)))
    return int(amount)


# ------------------------------------------------------------------ dates

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug makes day 60 the 29th of Feb)
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_TIME = re.compile(
    r"(?:[T ]|,\s*)?(?P<h>\d{1,2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?|(?P<hm>\d{2})(?P<hs>\d{2})?)?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE)
_ISO = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?=$|[T ,])")
_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?=$|T|\d{4})")
_NUMERIC = re.compile(r"(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?:\.|\s*г\.?)?(?=$|[T ,])")
_WORD = r"[^\W\d_]+\.?"
_DAY_MONTH = re.compile(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th|\.)?[\s-]*(?P<mon>{_WORD})[\s,-]*(?P<y>\d{{4}}|\d{{2}})(?=$|[T ,])",
                        re.IGNORECASE)
_MONTH_DAY = re.compile(rf"(?P<mon>{_WORD})[\s-]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<y>\d{{4}})(?=$|[T ,])",
                        re.IGNORECASE)
_WEEKDAY = re.compile(rf"(?P<w>{_WORD}),?\s+")


@cache
def _month_names() -> dict[str, int]:
    """Folded month names and abbreviations in English and the portal's languages -> month number."""
    found: dict[str, set[int]] = {"sept": {9}}
    for locale_id in _PRIORITY_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale_id).items():
                    found.setdefault(fold(name).rstrip("."), set()).add(number)
    return {name: numbers.pop() for name, numbers in found.items() if len(numbers) == 1}


@cache
def _weekday_names() -> frozenset[str]:
    return frozenset(fold(name).rstrip(".") for locale_id in _PRIORITY_LOCALES for width in ("wide", "abbreviated")
                     for name in get_day_names(width, "format", locale_id).values())


class _Parsed(NamedTuple):
    date: dt.date
    time: dt.time
    tz: dt.tzinfo | None  # the zone written in the value, if any


def _date_error(value: str) -> CleaningError:
    return CleaningError(_("'{value}' is not a date; write it like 1997-01-31 or 1997-01-31 14:30.").format(value=value))


def _no_such_day(value: str) -> CleaningError:
    return CleaningError(_("'{value}' is not a real date (there is no such day).").format(value=value))


def _full_year(year: str) -> int:
    """A year as written; two digits are the latest year that is at most ten years from now."""
    if len(year) == 4:
        return int(year)
    pivot = dt.date.today().year + 10
    full = pivot - pivot % 100 + int(year)
    return full if full <= pivot else full - 100


def _tzinfo(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text.upper() in {"Z", "UTC", "GMT"}:
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return dt.timezone(sign * dt.timedelta(minutes=minutes))


def _time_of(rest: str, value: str) -> tuple[dt.time, dt.tzinfo | None]:
    """The time of day (and zone) written after a date; midnight when nothing is."""
    rest = rest.strip()
    if not rest:
        return dt.time(), None
    match = _TIME.fullmatch(rest)
    if match is None or (match["m"] is None and match["hm"] is None and not match["ampm"]):
        raise _date_error(value)
    hour = int(match["h"])
    minute = int(match["m"] or match["hm"] or 0)
    second = int(match["s"] or match["hs"] or 0)
    micro = int((match["f"] or "0")[:6].ljust(6, "0"))
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise _date_error(value)
        hour = hour % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
    try:
        return dt.time(hour, minute, second, micro), _tzinfo(match["tz"])
    except ValueError:
        raise _date_error(value) from None


def _day_first_of(a: int, b: int, day_first: bool | None, value: str) -> bool:
    """Whether "a/b" is day/month: as told, or as the numbers show (a 13 cannot be a month)."""
    if day_first is not None:
        return day_first
    if a > 12 and b > 12:
        raise _no_such_day(value)
    if a > 12 >= b:
        return True
    if b > 12 >= a:
        return False
    if a == b:
        return True
    raise AmbiguousDate(_("'{value}' could be day/month or month/day; choose the order of the dates.").format(
        value=value))


def _excel_serial(text: str) -> _Parsed | None:
    if not _EXCEL_SERIAL.fullmatch(text):
        return None
    serial = Decimal(text)
    if not 1 <= serial <= 2958465:
        return None
    moment = _EXCEL_EPOCH + dt.timedelta(days=int(serial), seconds=round((serial % 1) * 86400))
    return _Parsed(moment.date(), moment.time(), None)


def _parse(value: str | None, day_first: bool | None) -> _Parsed | None:
    text = clean_text(value)
    if text is None:
        return None
    serial = _excel_serial(text)
    if serial is not None:
        return serial
    weekday = _WEEKDAY.match(text)
    if weekday and fold(weekday["w"]).rstrip(".") in _weekday_names():
        text = text[weekday.end():]
    try:
        if match := _ISO.match(text) or _COMPACT.match(text):
            date = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        elif match := _NUMERIC.match(text):
            a, b = int(match["a"]), int(match["b"])
            day, month = (a, b) if _day_first_of(a, b, day_first, clean_text(value) or "") else (b, a)
            date = dt.date(_full_year(match["y"]), month, day)
        elif match := _DAY_MONTH.match(text) or _MONTH_DAY.match(text):
            month = _month_names().get(fold(match["mon"]).rstrip("."))
            if month is None:
                raise _date_error(clean_text(value) or "")
            date = dt.date(_full_year(match["y"]), month, int(match["d"]))
        else:
            raise _date_error(clean_text(value) or "")
    except ValueError as exc:
        if isinstance(exc, CleaningError):
            raise
        raise _no_such_day(clean_text(value) or "") from None
    time, tz = _time_of(text[match.end():], clean_text(value) or "")
    return _Parsed(date, time, tz)


def parse_datetime(value: str | None, *, day_first: bool | None = None, tz: str = "UTC") -> dt.datetime | None:
    """The moment written in ``value``, as a timezone-aware datetime in UTC.

    Reads ISO dates and date-times ("1997-01-01", "1997-01-01T10:30", "1997-01-01 10:30:00+07:00",
    "...Z"), compact ones ("19970101", "19970101103000", "19970101T1030"), numeric day/month dates
    ("01/02/1997", "1.2.1997", "01-02-97") with an optional time ("13:45", "1:45 PM"), month names
    ("1 Jan 1997", "Jan 1, 1997") and Excel serial numbers ("35431", "35431.5"). The day/month order
    is ``day_first``; unset, it is taken from a part above 12, else ``AmbiguousDate`` is raised. A
    value without a zone is in ``tz`` (an IANA name). Blank -> None.
    """
    parsed = _parse(value, day_first)
    if parsed is None:
        return None
    moment = dt.datetime.combine(parsed.date, parsed.time, parsed.tz or ZoneInfo(tz))
    return moment.astimezone(dt.UTC)


def parse_date(value: str | None, *, day_first: bool | None = None) -> dt.date | None:
    """The date written in ``value`` (same forms as ``parse_datetime``), as written: no zone conversion."""
    parsed = _parse(value, day_first)
    return None if parsed is None else parsed.date


class DateOrder(NamedTuple):
    """What a column of dates says about its day/month order."""

    day_first: bool | None  # decided from the values (None when every value is ambiguous or none is numeric d/m)
    needs_choice: bool  # the user must confirm the order (some values are ambiguous, or conflict, and nothing decides)
    conflicting: bool  # some values only fit day-first and others only month-first
    examples: list[str]  # up to 3 ambiguous example values to show the user


def date_order(values: Iterable[str]) -> DateOrder:
    """Decide the day/month order of a column of numeric dates ("13/01/1997" tells; "01/02/1997" does not).

    When some values fit only day-first and others only month-first, the order most of them fit
    is returned (None on a tie) and ``conflicting`` is set: the values that do not fit are wrong.
    """
    day_only = month_only = 0
    examples: list[str] = []
    ambiguous = False
    for value in values:
        text = clean_text(value)
        match = _NUMERIC.match(text) if text else None
        if match is None:
            continue
        a, b = int(match["a"]), int(match["b"])
        if a > 12 >= b:
            day_only += 1
        elif b > 12 >= a:
            month_only += 1
        elif a != b and a <= 12 and b <= 12:
            ambiguous = True
            if len(examples) < 3 and text not in examples:
                examples.append(text)
    conflicting = bool(day_only and month_only)
    day_first = None if day_only == month_only else day_only > month_only
    return DateOrder(day_first, day_first is None and (ambiguous or conflicting), conflicting, examples)
