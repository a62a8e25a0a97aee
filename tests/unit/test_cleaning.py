"""Cleaning values from other systems' exports: each case is a form some real export writes."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.core.i18n import use_language
from crm.importing.cleaning import (
    AmbiguousDate,
    CleaningError,
    DateOrder,
    amount_format,
    clean_text,
    country_code,
    date_order,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_int,
)

UTC = dt.UTC


# ------------------------------------------------------------------ text

@pytest.mark.parametrize(("raw", "expected"), [
    ("  Siti   Rahayu ", "Siti Rahayu"),
    ("PT\u00a0Sinar\tJaya", "PT Sinar Jaya"),                 # NBSP and a tab from a spreadsheet
    ("Jose\u0301 A\u0301lvarez", "José Álvarez"),             # decomposed accents (macOS files) -> NFC
    ("Иван\u2009Петров\r\n", "Иван Петров"),
    ("   ", None),
    ("", None),
    (None, None),
])
def test_clean_text_single_line(raw, expected) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("line one  \r\nline two\r\n", "line one\nline two"),       # Windows export
    ("old mac\rbreaks", "old mac\nbreaks"),
    ("para one\n\n\n\n\npara two", "para one\n\npara two"),     # runs of blank lines become one
    ("  indented\n    code  ", "indented\n    code"),           # inner indentation kept
    ("\n \n", None),
])
def test_clean_text_multiline(raw, expected) -> None:
    assert clean_text(raw, multiline=True) == expected


# ------------------------------------------------------------------ countries

@pytest.mark.parametrize(("raw", "code"), [
    ("id", "ID"), ("GB", "GB"), (" pk ", "PK"),                  # alpha-2 in any case
    ("IDN", "ID"), ("usa", "US"), ("BGR", "BG"), ("pak", "PK"),   # alpha-3
    ("Indonesia", "ID"), ("BULGARIA", "BG"), ("united kingdom", "GB"), ("United States", "US"),   # English
    ("Amerika Serikat", "US"), ("Britania Raya", "GB"), ("Bulgaria", "BG"),                     # Indonesian
    ("България", "BG"), ("БЪЛГАРИЯ", "BG"), ("Пакистан", "PK"), ("Индонезия", "ID"),           # Bulgarian
    ("پاکستان", "PK"), ("انڈونیشیا", "ID"), ("بلغاریہ", "BG"),                                   # Urdu
    ("Deutschland", "DE"), ("Polska", "PL"), ("中国", "CN"),                                     # other locales
    ("Côte d’Ivoire", "CI"), ("cote d'ivoire", "CI"), ("COTE DIVOIRE", "CI"),                   # accents, quotes
    ("Türkiye", "TR"), ("Turkey", "TR"), ("Myanmar", "MM"), ("Burma", "MM"),
    ("United Kingdom of Great Britain and Northern Ireland", "GB"),                            # pycountry official
    ("UK", "GB"), ("Kosovo", "XK"),
    ("", None), ("  ", None), (None, None),
])
def test_country_codes_and_names_in_any_language(raw, code) -> None:
    assert country_code(raw) == code


@pytest.mark.parametrize("raw", ["Atlantis", "XX", "ZZ", "EU", "001", "Europe", "Kongo", "U.S.S.R."])
def test_what_is_not_one_country_is_refused_with_the_value_named(raw) -> None:
    with pytest.raises(CleaningError) as err:
        country_code(raw)
    assert f"'{raw}' is not a country name or ISO code." == err.value.message


def test_a_refusal_is_in_the_users_language() -> None:
    with use_language("bg"), pytest.raises(CleaningError) as err:
        country_code("Atlantis")
    assert "Atlantis" in err.value.message and "country" not in err.value.message


def test_a_country_lookup_takes_microseconds_once_the_table_is_built() -> None:
    import time

    country_code("Indonesia")  # builds the table once
    start = time.perf_counter()
    for _ in range(1000):
        country_code("پاکستان")
        country_code("Amerika Serikat")
    assert (time.perf_counter() - start) / 2000 < 0.001  # generous: measured ~5 µs


# ------------------------------------------------------------------ amounts

@pytest.mark.parametrize(("raw", "decimal_mark", "expected"), [
    ("1234.5", None, "1234.5"),
    ("1,234.56", None, "1234.56"),            # US/UK
    ("1.234,56", None, "1234.56"),            # Indonesia, Germany
    ("1 234,56", None, "1234.56"),            # Bulgaria, France
    ("1\u00a0234,56", None, "1234.56"),       # NBSP from a spreadsheet
    ("1\u202f234,56", None, "1234.56"),       # narrow NBSP (French locale)
    ("1'234.50", None, "1234.50"),            # Switzerland
    ("1,00,000.50", None, "100000.50"),       # Pakistan/India lakh grouping
    ("€12,50", None, "12.50"),
    ("12,50 €", None, "12.50"),
    ("12.50 USD", None, "12.50"),
    ("US$ 1,000", None, "1000"),
    ("Rp 15.000", ",", "15000"),
    ("Rp. 15.000,00", None, "15000.00"),
    ("Rs. 1,500", None, "1500"),
    ("12,50 лв.", None, "12.50"),
    ("$-5.00", None, "-5.00"),
    ("-$5.00", None, "-5.00"),
    ("-5", None, "-5"),
    ("−5", None, "-5"),                       # Unicode minus sign
    ("(12.00)", None, "-12.00"),              # accounting negative
    ("5.00-", None, "-5.00"),                 # SAP trailing minus
    ("+7", None, "7"),
    ("1.234", None, "1234"),                  # no hint: 3 digits after a lone mark are thousands
    ("1,234", None, "1234"),
    ("1,5", None, "1.5"),                     # 1-2 digits after it: a decimal mark
    ("0.125", None, "0.125"),                 # a zero never has thousands
    ("1.234", ",", "1234"),
    ("1,234", ",", "1.234"),
    ("1.234", ".", "1.234"),
    ("1.234.567", None, "1234567"),
    ("", None, None), ("  ", None, None), (None, None, None),
])
def test_amounts_as_exports_write_them(raw, decimal_mark, expected) -> None:
    result = parse_amount(raw, decimal_mark=decimal_mark)
    assert result == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize("raw", ["abc", "12abc", "1.2.3", "1,2345,678", "--5", "1.234,5.6", "12 apples", "N/A"])
def test_garbage_is_not_an_amount(raw) -> None:
    with pytest.raises(CleaningError) as err:
        parse_amount(raw)
    assert f"'{raw}'" in err.value.message


@pytest.mark.parametrize(("column", "mark"), [
    (["12,50", "1.234", "7"], ","),
    (["1,234", "12.5"], "."),
    (["1.234.567", "8.000"], ","),
    (["1,234", "5,000"], "."),            # nothing tells: the default
    ([], "."),
    (["1.234,56", "2.000,00", "1,234.56"], ","),
])
def test_amount_format_of_a_column(column, mark) -> None:
    assert amount_format(column) == mark


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), ("3.0", 3), ("1,000", 1000), (" 12 ", 12), ("-4", -4),
                                               ("", None), (None, None)])
def test_whole_numbers(raw, expected) -> None:
    assert parse_int(raw) == expected


def test_a_fraction_is_not_a_whole_number() -> None:
    with pytest.raises(CleaningError) as err:
        parse_int("3.5")
    assert "'3.5'" in err.value.message
    assert parse_int("1.000", decimal_mark=",") == 1000


# ------------------------------------------------------------------ dates

def at(*parts: int, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=tz)


@pytest.mark.parametrize(("raw", "day_first", "expected"), [
    ("1997-01-01", None, at(1997, 1, 1)),
    ("1997-01-01T10:30", None, at(1997, 1, 1, 10, 30)),
    ("1997-01-01 10:30:00+07:00", None, at(1997, 1, 1, 3, 30)),
    ("1997-01-01T10:30:00Z", None, at(1997, 1, 1, 10, 30)),
    ("1997-01-01T10:30:00.250Z", None, at(1997, 1, 1, 10, 30, 0, 250000)),
    ("1997/01/31", None, at(1997, 1, 31)),
    ("19970101", None, at(1997, 1, 1)),
    ("19970101103000", None, at(1997, 1, 1, 10, 30)),
    ("19970101T1030", None, at(1997, 1, 1, 10, 30)),
    ("01/02/1997", True, at(1997, 2, 1)),
    ("01/02/1997", False, at(1997, 1, 2)),
    ("1.2.1997", True, at(1997, 2, 1)),
    ("1.2.1997 г.", True, at(1997, 2, 1)),         # Bulgarian
    ("01-02-1997 13:45", True, at(1997, 2, 1, 13, 45)),
    ("01/02/1997 1:45 PM", False, at(1997, 1, 2, 13, 45)),
    ("01/02/1997 12:00 AM", False, at(1997, 1, 2)),
    ("13/01/1997", None, at(1997, 1, 13)),          # the 13 decides the order
    ("01/13/1997 1:45 pm", None, at(1997, 1, 13, 13, 45)),
    ("05/05/1997", None, at(1997, 5, 5)),           # both orders give the same day
    ("31.12.97", None, at(1997, 12, 31)),           # two-digit years
    ("31.12.24", None, at(2024, 12, 31)),
    ("35431", None, at(1997, 1, 1)),                # Excel serial numbers
    ("35431.5", None, at(1997, 1, 1, 12)),
    ("1 Jan 1997", None, at(1997, 1, 1)),
    ("Jan 1, 1997", None, at(1997, 1, 1)),
    ("January 1st, 1997 10:00", None, at(1997, 1, 1, 10)),
    ("01-JAN-97", None, at(1997, 1, 1)),            # Oracle
    ("Wed, 1 Jan 1997 10:00:00 +0000", None, at(1997, 1, 1, 10)),   # e-mail headers
    ("17 Agustus 1945", None, at(1945, 8, 17)),     # Indonesian month names
    ("", None, None), (None, None, None),
])
def test_dates_and_times_as_exports_write_them(raw, day_first, expected) -> None:
    result = parse_datetime(raw, day_first=day_first)
    assert result == expected
    assert result is None or result.tzinfo is not None and result.utcoffset() == dt.timedelta(0)


def test_a_value_without_a_zone_is_in_the_given_zone() -> None:
    assert parse_datetime("1997-01-01 10:30", tz="Asia/Jakarta") == at(1997, 1, 1, 3, 30)
    assert parse_datetime("01.07.2024 12:00", day_first=True, tz="Europe/Sofia") == at(2024, 7, 1, 9)  # summer
    assert parse_datetime("1997-01-01 10:30+01:00", tz="Asia/Jakarta") == at(1997, 1, 1, 9, 30)  # written zone wins


def test_parse_date_keeps_the_date_as_written() -> None:
    assert parse_date("1997-01-01T23:30:00-05:00") == dt.date(1997, 1, 1)
    assert parse_date("01/02/1997", day_first=True) == dt.date(1997, 2, 1)
    assert parse_date("35431.9") == dt.date(1997, 1, 1)
    assert parse_date(" ") is None


def test_an_ambiguous_date_asks_for_the_order() -> None:
    with pytest.raises(AmbiguousDate) as err:
        parse_datetime("01/02/1997")
    assert "'01/02/1997'" in err.value.message
    with pytest.raises(AmbiguousDate):
        parse_date("1.2.97")
    assert isinstance(err.value, CleaningError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize("raw", ["garbage", "31/02/1997", "1997-13-01", "1997-01-01 25:00", "1 Foo 1997", "12",
                                 "123456", "32/13/1997", "13/01/1997", "1234567"])
def test_what_is_not_a_date_is_refused_with_the_value_named(raw) -> None:
    with pytest.raises(CleaningError) as err:
        parse_datetime(raw, day_first=False if raw == "13/01/1997" else None)
    assert f"'{raw}'" in err.value.message and not isinstance(err.value, AmbiguousDate)


@pytest.mark.parametrize(("column", "expected"), [
    (["13/01/1997", "01/02/1997", "1997-05-05"], DateOrder(True, False, False, ["01/02/1997"])),
    (["01/13/1997", "02/01/1997"], DateOrder(False, False, False, ["02/01/1997"])),
    (["01/02/1997", "03/04/1997", "01/02/1997", "05/06/1997", "07/08/1997"],
     DateOrder(None, True, False, ["01/02/1997", "03/04/1997", "05/06/1997"])),
    (["13/01/1997", "01/13/1997"], DateOrder(None, True, True, [])),
    (["13/01/1997", "14/01/1997", "01/13/1997"], DateOrder(True, False, True, [])),
    (["1997-01-01", "Jan 1, 1997", "05/05/1997", ""], DateOrder(None, False, False, [])),
])
def test_date_order_of_a_column(column, expected) -> None:
    assert date_order(column) == expected
