"""`python -m crm import KIND FILE --user U [...]` and `python -m crm export customers --user U --out F`.

The import reads the file as a stream (a million lines are never in memory at once), maps its columns (a saved
profile's mapping, else the usual headers, then ``--map``), checks it once for what needs the operator's word
(ambiguous dates; values the portal does not know), then hands it to the same runner the Import page uses.
Operator output stays English; the per-row reasons come from the services, in the user's language.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import shlex
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from crm.accounts.users import actor_for
from crm.core.access import Actor, require
from crm.core.database import session_scope
from crm.core.errors import CRMError, NotFound
from crm.core.i18n import _
from crm.core.spreadsheet import safe_cell
from crm.core.text import fold
from crm.customers.importing import export_customers
from crm.importing import batches, cleaning, jobs, runner, values
from crm.importing.files import open_table
from crm.importing.kinds import KIND_LABELS, Field, Kind, auto_mapping, available, kind as kind_named
from crm.importing.profiles import Profile, get_profile, mapping_for, options_for, save_profile
from crm.importing.writing import (
    KEEP_AS_NEW,
    LEAVE_EMPTY,
    ON_DUPLICATE,
    REJECT,
    UNKNOWN_PRODUCTS,
    ImportOptions,
    ImportReport,
)
from tools.commands import command

SHOWN_ROWS = 50  # rows that need a look, printed; the rest are in --report
SHOWN_VALUES = 20  # unknown values printed per column
PROGRESS_EVERY = 5.0  # seconds between progress lines on stderr
DATE_SAMPLE = 20_000  # distinct date cells looked at to tell day-first from month-first
_ATTENTION = ("rejected", "possible_duplicate")


class UsageError(Exception):
    """A flag that cannot be applied to this file (exit 2, one line)."""


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=list(KIND_LABELS))
    p.add_argument("file", help="a CSV (UTF-8; comma, semicolon or tab) or Excel (.xlsx) file")
    p.add_argument("--user", required=True, help="the account the import is done as (needs data.import)")
    p.add_argument("--source", help="the system the file comes from (shop, helpdesk...): its ids are kept, "
                                    "so a newer export updates instead of duplicating")
    p.add_argument("--customer-source", help="the system the file's customer references come from "
                                             "(default: --source)")
    p.add_argument("--profile", help="read the file as this saved import profile says")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="read FIELD from the column headed COLUMN (any case); FIELD= leaves the field out")
    p.add_argument("--value", action="append", default=[], metavar="FIELD:FROM=TO",
                   help="store the value FROM of FIELD as TO: a known value, '' or (empty) to leave it empty, "
                        "(new) to keep it as a new value, (reject) to reject the row")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--day-first", dest="day_first", action="store_const", const=True, default=None,
                       help="01/02/1997 is 1 February")
    order.add_argument("--month-first", dest="day_first", action="store_const", const=False,
                       help="01/02/1997 is January 2")
    p.add_argument("--decimal-comma", action="store_true", help="amounts are written 1.234,56")
    p.add_argument("--time-zone", help="time zone of date-times written without one (for example Asia/Jakarta)")
    p.add_argument("--on-duplicate", choices=list(ON_DUPLICATE), help="customers that exist already")
    p.add_argument("--unknown-products", choices=list(UNKNOWN_PRODUCTS),
                   help="receipt lines whose product the portal does not know")
    p.add_argument("--dry-run", action="store_true", help="check and report every row, save nothing")
    p.add_argument("--report", help="write the per-row report to this CSV file")
    p.add_argument("--save-profile", metavar="NAME",
                   help="save the mapping, value map and options used under NAME (created or updated)")


def _actor(username: str, session: Session) -> Actor:
    who = actor_for(username, session=session, source="cli")
    if who is None:
        raise CRMError(_("No active user named {name}.").format(name=repr(username)))
    return who


@command("import", "import customers, products, receipts, interactions or survey answers from a CSV or Excel file",
         _import_args)
def cmd_import(args: argparse.Namespace) -> int:
    if args.kind == "customers" and "customers" not in available():
        return _import_customers_before_the_framework(args)
    if args.kind not in available():
        print(f"Error: importing {args.kind} is not available in this version.", file=sys.stderr)
        return 1
    try:
        return _import(args)
    except UsageError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    k = kind_named(args.kind)
    table = open_table(path)
    headers = table.headers
    with session_scope() as session:
        who = require(_actor(args.user, session), "data.import")
        profile = _profile(who, args, session)
        mapping = mapping_for(profile, headers) if profile else auto_mapping(k, headers)
        mapping.update(_mapping_flags(k, headers, args.map))
        mapping = {f: i for f, i in mapping.items() if i >= 0}
        options = _options(profile, args)
        options.value_map = _merge(options.value_map, _value_flags(k, args.value, session))
        runner.check_mapping(k, headers, mapping)
        runner.check_options(options)
        unknown, dates = _scan(k, headers, _progress(table.rows, table.approximate_rows, "checked"), mapping,
                               options, session)
        _decide_dates(k, headers, mapping, options, dates)
        profile_id = profile.id if profile else None
        if args.save_profile and not args.dry_run:
            saved = _save_profile(who, args, k, headers, mapping, options, session)
            profile_id = saved.id
    # The import is a job: its batch is announced (committed, "running") before its own transaction begins,
    # so that a killed run leaves a batch that says it was interrupted (crm.importing.jobs).
    rows = open_table(path)
    report = jobs.run_import(who, k.name, _progress(rows.rows, rows.approximate_rows, "imported"), headers=headers,
                             mapping=mapping, options=options, filename=path.name, total=rows.approximate_rows,
                             profile_id=profile_id, sessions=session_scope)
    if report.dry_run:  # the records a dry run "created" were rolled back: their ids mean nothing
        report.rows.forget_records(("imported", "possible_duplicate"))
    _print_report(report, args)
    _print_unknown(unknown)
    if args.save_profile:
        print(f"Profile '{args.save_profile}' saved." if not args.dry_run
              else f"Profile '{args.save_profile}' not saved (dry run): run without --dry-run to save it.")
    if args.report:
        _write_report(report, Path(args.report))
        print(f"Report written to {args.report}")
    if args.dry_run:
        print("Dry run: nothing was saved.")
    return 0


# ----------------------------------------------------------------- flags


def _profile(who: Actor, args: argparse.Namespace, session: Session) -> Profile | None:
    if not args.profile:
        return None
    profile = get_profile(who, args.profile, session=session)
    if profile.kind != args.kind:
        raise UsageError(f"profile '{profile.name}' is for importing {profile.kind}, not {args.kind}.")
    return profile


def _field(k: Kind, name: str, flag: str) -> Field:
    """The kind's field called ``name`` (its name or label, any case)."""
    key = fold(name.replace("_", " "))
    for f in k.fields:
        if key in (fold(f.name.replace("_", " ")), fold(f.label)):
            return f
    raise UsageError(f"{flag}: {k.name} have no field '{name}'; the fields are: "
                     f"{', '.join(f.name for f in k.fields)}.")


def _mapping_flags(k: Kind, headers: Sequence[str], specs: Iterable[str]) -> dict[str, int]:
    """``--map FIELD=COLUMN``: field -> column index (-1: leave the field out)."""
    by_header: dict[str, int] = {}
    for i, header in enumerate(headers):
        by_header.setdefault(" ".join(fold(header).split()), i)
    out: dict[str, int] = {}
    for spec in specs:
        name, sep, column = spec.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--map {spec}: write FIELD=COLUMN, for example --map sku='Item Code'.")
        f = _field(k, name.strip(), f"--map {spec}")
        if not column.strip():
            out[f.name] = -1
            continue
        index = by_header.get(" ".join(fold(column).split()))
        if index is None:
            raise UsageError(f"--map {spec}: the file has no column '{column.strip()}'; its columns are: "
                             f"{', '.join(headers)}.")
        out[f.name] = index
    return out


def _value_flags(k: Kind, specs: Iterable[str], session: Session) -> dict[str, dict[str, str]]:
    """``--value FIELD:FROM=TO``: field -> {folded value: target}."""
    out: dict[str, dict[str, str]] = {}
    for spec in specs:
        name, colon, rest = spec.partition(":")
        found, equals, target = rest.partition("=")
        if not colon or not equals or not name.strip() or not found.strip():
            raise UsageError(f"--value {spec}: write FIELD:FROM=TO, for example --value status:VIP=customer.")
        f = _field(k, name.strip(), f"--value {spec}")
        if f.type not in ("choice", "country"):
            listed = [x.name for x in k.fields if x.type in ("choice", "country")]
            raise UsageError(f"--value {spec}: {f.name} takes any value; fields with a list of values: "
                             f"{', '.join(listed) or 'none'}.")
        out.setdefault(f.name, {})[fold(found)] = _target(f, target.strip(), spec, session)
    return out


def _target(f: Field, target: str, spec: str, session: Session) -> str:
    """What a value is mapped to: a known code (given as code or label), empty, kept as new, or rejected."""
    if target in ("", "(empty)"):
        return LEAVE_EMPTY
    if target == REJECT:
        return REJECT
    if target == KEEP_AS_NEW:
        if not f.open_list:
            raise UsageError(f"--value {spec}: {f.name} takes only known values; (new) is for open lists.")
        return KEEP_AS_NEW
    if f.type == "country":
        try:
            code = cleaning.country_code(target)
        except cleaning.CleaningError:
            code = None
        if not code:
            raise UsageError(f"--value {spec}: '{target}' is not a country name or ISO code.")
        return code
    code = values.known_codes(f, session).get(fold(target))
    if code is not None:
        return code
    if f.open_list:
        return " ".join(target.split())
    raise UsageError(f"--value {spec}: '{target}' is not a value of {f.name}; choose one of: "
                     f"{', '.join(f.choices or {})}, (empty), (reject).")


def _merge(base: dict[str, dict[str, str]], extra: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out = {f: dict(m) for f, m in base.items()}
    for f, m in extra.items():
        out.setdefault(f, {}).update(m)
    return out


def _options(profile: Profile | None, args: argparse.Namespace) -> ImportOptions:
    """The profile's options (or the defaults) with the flags given on top."""
    base = options_for(profile) if profile else ImportOptions()
    given = {"source_system": args.source, "customer_source": args.customer_source, "day_first": args.day_first,
             "decimal_mark": "," if args.decimal_comma else None, "time_zone": args.time_zone,
             "on_duplicate": args.on_duplicate, "unknown_products": args.unknown_products}
    return dataclasses.replace(base, dry_run=args.dry_run, **{k: v for k, v in given.items() if v is not None})


def _save_profile(who: Actor, args: argparse.Namespace, k: Kind, headers: Sequence[str], mapping: dict[str, int],
                  options: ImportOptions, session: Session) -> Profile:
    try:
        version: int | None = get_profile(who, args.save_profile, session=session).version
    except NotFound:
        version = None
    kept = {key: value for key, value in options.as_dict().items()
            if key not in ("source_system", "value_map", "dry_run")}
    return save_profile(who, name=args.save_profile, kind=k.name, source_system=options.source_system,
                        mapping={f: headers[i] for f, i in mapping.items()}, value_map=options.value_map,
                        options=kept, version=version, session=session)


# ----------------------------------------------------------------- the check before the import


def _scan(k: Kind, headers: Sequence[str], rows: Iterator[list[str]], mapping: dict[str, int],
          options: ImportOptions, session: Session) -> tuple[list[values.UnknownValues], cleaning.DateOrder | None]:
    """One pass over the file: the values nobody mapped yet, and how its dates are written."""
    date_indexes = [mapping[f.name] for f in k.fields if f.type in ("date", "datetime") and f.name in mapping]
    listed = any(f.type in ("choice", "country") and f.name in mapping for f in k.fields)
    if not date_indexes and not listed:
        return [], None
    seen: set[str] = set()
    sample: list[list[str]] = []  # rows that brought a new date cell: what date_columns looks at

    def passing() -> Iterator[list[str]]:
        for row in rows:
            if date_indexes and len(seen) < DATE_SAMPLE:
                cells = {row[i].strip() for i in date_indexes if i < len(row) and row[i].strip()} - seen
                if cells:
                    seen.update(cells)
                    sample.append(row)
            yield row

    unknown = values.unknown_values(k, headers, passing(), mapping, options, session)
    return unknown, runner.date_columns(k, sample, mapping) if sample else None


def _decide_dates(k: Kind, headers: Sequence[str], mapping: dict[str, int], options: ImportOptions,
                  order: cleaning.DateOrder | None) -> None:
    """Refuse ambiguous dates the operator did not decide; else read them as the file's other dates show."""
    if order is None or options.day_first is not None:
        return
    if order.needs_choice:
        columns = ", ".join(f"'{headers[mapping[f.name]]}'" for f in k.fields
                            if f.type in ("date", "datetime") and f.name in mapping)
        example = f" (for example {order.examples[0]})" if order.examples else ""
        raise UsageError(f"the dates in {columns} can be read day first or month first{example}: "
                         "add --day-first or --month-first.")
    if order.day_first is not None:
        options.day_first = order.day_first
        print(f"Dates read {'day' if order.day_first else 'month'} first, as the file's other dates show.")


# ----------------------------------------------------------------- output


def _progress(rows: Iterator[list[str]], total: int | None, verb: str) -> Iterator[list[str]]:
    """The rows, with a line on stderr every few seconds: how many, how fast, about how far."""
    started = last = time.monotonic()
    done = 0
    for row in rows:
        done += 1
        if done % 1000 == 0:
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY:
                last = now
                share = f", about {min(99, done * 100 // total)}%" if total else ""
                print(f"  {done:,} rows {verb} ({done / (now - started):,.0f} rows/s{share})", file=sys.stderr,
                      flush=True)
        yield row


def _print_report(report: ImportReport, args: argparse.Namespace) -> None:
    what = f"Dry run of {report.filename}" if report.dry_run else f"Import of {report.filename}"
    batch = "" if report.batch_id is None else f" (batch {report.batch_id})"
    print(f"{what} as {args.kind}{batch}:")
    for outcome, count in report.counts.items():
        print(f"  {count:,} {outcome.replace('_', ' ')}")
    for key, count in report.extra.items():
        print(f"  {count:,} {key.replace('_', ' ')}")
    attention = [r for r in report.rows if r.outcome in _ATTENTION]
    for r in attention[:SHOWN_ROWS]:
        about = f"{r.name}: " if r.name else ""
        print(f"  row {r.row}: {r.outcome.replace('_', ' ')}: {about}{r.reasons}")
    if len(attention) > SHOWN_ROWS:
        where = "see the report" if args.report else "see --report"
        print(f"  ... and {len(attention) - SHOWN_ROWS:,} more ({where})")


def _write_report(report: ImportReport, path: Path) -> None:
    """``report.as_csv()`` written row by row: a million rows' report is not built in memory first."""
    id_column = "customer_id" if report.kind == "customers" else "record_id"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "outcome", id_column, "name", "reasons"])
        writer.writerows([r.row, r.outcome, r.entity_id or "", safe_cell(r.name), safe_cell(r.reasons)]
                         for r in report.rows)


def _print_unknown(unknown: list[values.UnknownValues]) -> None:
    """Each unknown value with its rows and the flag that maps it."""
    closed = [u for u in unknown if not u.open_list]
    opened = [u for u in unknown if u.open_list]
    if closed:
        print("Values the portal does not know (their rows are rejected; map each with --value):")
        for u in closed:
            _print_values(u, "CODE")
    if opened:
        print("New values (kept as new; map them with --value to store a known value instead):")
        for u in opened:
            _print_values(u, "VALUE")


def _print_values(u: values.UnknownValues, placeholder: str) -> None:
    known = f"; known values: {', '.join(code for code, _label in u.choices)}" if u.choices else ""
    print(f"  {u.field} (column '{u.column}'){known}")
    for value, count in u.values[:SHOWN_VALUES]:
        rows = "1 row" if count == 1 else f"{count:,} rows"
        print(f"    '{value}': {rows}  --value {shlex.quote(f'{u.field}:{value}={placeholder}')}")
    if len(u.values) > SHOWN_VALUES:
        print(f"    ... and {len(u.values) - SHOWN_VALUES:,} more values")


# ----------------------------------------------------------------- customers before their kind is registered


def _import_customers_before_the_framework(args: argparse.Namespace) -> int:
    """The customer import of crm.customers.importing (until customers are a kind of the import framework)."""
    from crm.customers.importing import run_import

    path = Path(args.file)
    if not path.is_file():
        print(f"Error: cannot read {path}: no such file.", file=sys.stderr)
        return 1
    with session_scope() as session:
        who = _actor(args.user, session)
        report = run_import(who, path.name, path.read_bytes(), on_duplicate=args.on_duplicate or "skip",
                            session=session)
    counts = report.counts
    print(f"Import of {path.name} (batch {report.batch_id}): "
          + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    for r in report.rows:
        if r.outcome in _ATTENTION:  # the rows someone has to look at
            print(f"  row {r.row}: {r.outcome.replace('_', ' ')}: {r.reasons}")
    if args.report:
        Path(args.report).write_bytes(report.as_csv())
        print(f"Report written to {args.report}")
    return 0


# ----------------------------------------------------------------- earlier imports


def _imports_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", required=True, help="the account asking (needs data.import)")
    p.add_argument("--kind", choices=list(KIND_LABELS), help="only imports of this kind")
    p.add_argument("--limit", type=int, default=20, help="how many, newest first (default 20)")


@command("imports", "list the latest imports and how each ended (running, done, failed, interrupted)",
         _imports_args)
def cmd_imports(args: argparse.Namespace) -> int:
    """Earlier imports; those whose process was stopped (killed, server restarted) are marked interrupted."""
    with session_scope() as session:
        past = batches.list_imports(_actor(args.user, session), kind=args.kind, limit=max(1, args.limit),
                                    session=session)
    for b in past:
        how = {"interrupted": "interrupted: nothing was imported"}.get(b.status, b.status)
        if b.error:
            how += f": {b.error}"
        counts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in (b.counts or {}).items() if v)
        reverted = " (reverted)" if b.reverted_at else ""
        print(f"#{b.id} {b.created_at:%Y-%m-%d %H:%M} UTC  {b.kind}  {b.filename}  from {b.source}: {how}"
              f"{reverted}{'; ' + counts if counts else ''}")
    if not past:
        print("No imports yet.")
    return 0


# ----------------------------------------------------------------- export


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=["customers"])
    p.add_argument("--user", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--third-party", action="store_true",
                   help="only customers who consented to sharing with third parties")


@command("export", "export customers to CSV (formula-safe, consent-aware)", _export_args)
def cmd_export(args: argparse.Namespace) -> int:
    with session_scope() as session:
        who = _actor(args.user, session)
        export = export_customers(who, third_party=args.third_party, session=session)
    Path(args.out).write_bytes(export.csv())
    extra = f"; {export.left_out} left out for lack of consent" if args.third_party else ""
    print(f"Exported {export.included} customers to {args.out}{extra}")
    return 0
