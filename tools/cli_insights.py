"""`python -m crm insights FIGURE --user U`: the figures of the Insights page as CSV or JSON, for scheduled jobs.

The tables come from ``crm.insights.tables`` (the page's figure services, renamed), read as the given user: the
services refuse a user without insights.read (exit 1, one line). Operator output, in English like the other
commands.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from crm.core.database import session_scope
from crm.core.spreadsheet import safe_cell
from crm.insights.figures import InsightFilters
from crm.insights.tables import COUNT, DECIMALS, TABLES, TEXT, FigureTable, read_table
from tools.cli_data import _actor
from tools.commands import command

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EPILOG = """\
Period: --from and --to are months (YYYY-MM), both included; without them the page's default, the last 12
months up to today (a missing bound takes the default's). --segment, --country and --department are the
page's filters (the department only changes the interactions).

Output: a header row (CSV) or a list of objects with the same keys (JSON). Months are YYYY-MM. Counts are
whole numbers. Amounts have 2 decimals and percentages 1 (average scores 2), without thousands separators:
plain numbers in CSV, and strings in JSON ("1234.50") so that a JSON reader keeps them exact. A
figure without a value (NPS without answers) is an empty cell in CSV and null in JSON. Text cells that a
spreadsheet would run as a formula get a leading apostrophe in CSV.

Exit codes: 0 done; 1 refused (the user lacks insights.read, or is unknown) or the file cannot be written;
2 bad arguments (unknown figure, bad month).
"""


def _insights_args(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    p.add_argument("figure", nargs="?", metavar="FIGURE", help="the figure to print (see --list)")
    p.add_argument("--list", action="store_true", help="list the figures with a one-line description")
    p.add_argument("--from", dest="month_from", metavar="YYYY-MM", help="first month of the period")
    p.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month of the period")
    p.add_argument("--user", help="the account the figures are read as (needs insights.read)")
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="output format (default: csv)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    p.add_argument("--segment", help="only customers of this segment")
    p.add_argument("--country", help="only customers of this country (ISO code, e.g. ID)")
    p.add_argument("--department", help="only interactions of this department (code, e.g. sales)")


def _figure_list() -> str:
    width = max(len(name) for name in TABLES)
    return "\n".join(f"{name.ljust(width)}  {table.description}" for name, table in TABLES.items())


class BadPeriod(ValueError):
    """A --from/--to that is not a month, or a period that ends before it starts."""


def _month(value: str, option: str) -> dt.date:
    """The first day of the month ``value`` ('YYYY-MM')."""
    match = MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BadPeriod(f"{option} must be a month written YYYY-MM, like 2026-01 (got {value!r}).")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def period(month_from: str | None, month_to: str | None, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The days of the period: from the first day of ``month_from`` to the last day of ``month_to`` (today
    when that month is the current one, as on the page); a bound not given is the page's default."""
    default = InsightFilters.last_months(12, today=today)
    today = default.date_to
    start = _month(month_from, "--from") if month_from else default.date_from
    end = default.date_to
    if month_to:
        first = _month(month_to, "--to")
        end = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        if first <= today < end:
            end = today
    if start > end:
        raise BadPeriod(f"The period ends before it starts ({start:%Y-%m} to {end:%Y-%m}).")
    return start, end


def plain(value: Any, kind: str) -> Any:
    """A value as the output writes it: counts as int, amounts and percentages as fixed-decimal strings,
    text as str, a missing value as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == COUNT:
        return int(value)
    if kind in DECIMALS:
        return f"{Decimal(str(value)):.{DECIMALS[kind]}f}"
    return str(value)


def rows(table: FigureTable, frame: pd.DataFrame) -> list[dict[str, Any]]:
    kinds = dict(table.columns)
    return [{key: plain(value, kinds[key]) for key, value in zip(table.keys, record)}
            for record in frame.itertuples(index=False, name=None)]


def as_csv(table: FigureTable, records: list[dict[str, Any]]) -> str:
    kinds = dict(table.columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.keys)
    for record in records:
        writer.writerow(["" if v is None else safe_cell(v) if kinds[k] == TEXT else v for k, v in record.items()])
    return buffer.getvalue()


def as_json(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


@command("insights", "print an Insights figure (sales-by-month, cohort-retention, ...) as CSV or JSON",
         _insights_args)
def cmd_insights(args: argparse.Namespace) -> int:
    if args.list:
        print(_figure_list())
        return 0
    if args.figure not in TABLES:
        problem = f"unknown figure {args.figure!r}" if args.figure else "no figure given"
        print(f"Error: {problem}; the figures are: {', '.join(TABLES)}.", file=sys.stderr)
        return 2
    if not args.user:
        print("Error: --user is required (the account the figures are read as).", file=sys.stderr)
        return 2
    try:
        start, end = period(args.month_from, args.month_to)
    except BadPeriod as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    filters = InsightFilters(start, end, segment=args.segment or None, country=args.country or None,
                             department=args.department or None)
    table = TABLES[args.figure]
    with session_scope() as session:
        frame = read_table(_actor(args.user, session), table.name, filters, session=session)
    records = rows(table, frame)
    text = as_json(records) if args.format == "json" else as_csv(table, records)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote {len(records)} rows of {table.name} ({start:%Y-%m} to {end:%Y-%m}) to {args.out}")
    else:
        sys.stdout.write(text)
    return 0
