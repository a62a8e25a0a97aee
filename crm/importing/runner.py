"""One import of any kind: map the columns, clean every cell, hand clean rows to the kind's writer chunk by
chunk, account for every row, all in one transaction (a dry run rolls it back and keeps only the report).
"""
from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ValidationError
from crm.core.i18n import _, label, number
from crm.importing import cleaning, values
from crm.importing.custom_values import clean_cell
from crm.importing.kinds import KIND_LABELS, Field, Kind, kind as kind_named, writer as writer_named
from crm.importing.writing import (
    ON_DUPLICATE,
    UNKNOWN_PRODUCTS,
    CleanRow,
    Context,
    ImportOptions,
    ImportReport,
    RowResult,
    Writer,
)
from db.bulk import dialect, fast_sqlite_writes, gc_paused, insert_rows
from db.models import ImportBatch, ImportRow
from db.types import utcnow

CHUNK = 2000
Progress = Callable[[float], None]


MEMO_SIZE = 20_000  # cleaned cells remembered per column (dates, amounts, SKUs repeat down a file)
_MISS = object()


class RowCleaner:
    """Cleans the mapped cells of one row into typed values, or says what is wrong with each (row and column).

    A cell's value depends only on its text, its field and the import's options, so each column remembers its
    last cleaned cells (text -> value or problem): the quantities, prices, SKUs, channels and dates that repeat
    down a file are parsed once. The memo is emptied when full, so memory stays flat on any file.
    """

    def __init__(self, k: Kind, headers: Sequence[str], mapping: dict[str, int], options: ImportOptions,
                 session: Session | None = None, writer: Writer | None = None) -> None:
        self.kind = k
        self.writer = writer
        self.headers = headers
        self.mapping = {f: i for f, i in mapping.items()}
        self.options = options
        self.fields = [k.field(name) for name in mapping]
        self.known = {f.name: values.known_codes(f, session) for f in self.fields if f.type == "choice"}
        self._columns = [(f, f.name, mapping[f.name], {}) for f in self.fields]

    def raw(self, row: Sequence[str]) -> dict[str, str]:
        n = len(row)
        return {name: (str(row[i]) if i < n and row[i] is not None else "") for _f, name, i, _m in self._columns}

    def clean(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
        """(values by field, problems): every problem names the column and the value."""
        out: dict[str, Any] = {}
        problems: list[str] = []
        failed: set[str] = set()
        for f, name, index, memo in self._columns:
            cell = raw.get(name, "")
            hit = memo.get(cell, _MISS)
            if hit is _MISS:
                try:
                    hit = (self._value(f, cell), None)
                except cleaning.CleaningError as exc:
                    hit = (None, exc.message)
                if len(memo) >= MEMO_SIZE:
                    memo.clear()
                memo[cell] = hit
            value, problem = hit
            if problem is not None:
                problems.append(_("{column}: {problem}").format(column=self.headers[index], problem=problem))
                failed.add(name)
                continue
            out[name] = value
            if value is None and f.required:
                problems.append(_("{column}: a value is required.").format(column=self.headers[index]))
                failed.add(name)
        if self.writer is not None:  # the kind's own rules (an e-mail, a score from 0 to 10...), every one at once
            for name, problem in self.writer.check(out).items():
                if name in failed:
                    continue
                column = self.headers[self.mapping[name]] if name in self.mapping else None
                problems.append(_("{column}: {problem}").format(column=column, problem=problem) if column else problem)
        return out, problems

    def _value(self, f: Field, cell: str) -> Any:
        o = self.options
        if f.type == "custom":
            return clean_cell(f.custom, cell, o.decimal_mark)
        if f.type == "long_text":
            return cleaning.clean_text(cell, multiline=True)
        text = cleaning.clean_text(cell)
        if text is None:
            return None
        if f.type == "int":
            return cleaning.parse_int(text, decimal_mark=o.decimal_mark)
        if f.type == "amount":
            return cleaning.parse_amount(text, decimal_mark=o.decimal_mark)
        if f.type == "datetime":
            return cleaning.parse_datetime(text, day_first=o.day_first, tz=o.time_zone)
        if f.type == "date":
            return cleaning.parse_date(text, day_first=o.day_first)
        if f.type == "country":
            return values.map_country(text, o)
        if f.type == "choice":
            return values.map_choice(f, text, self.known[f.name], o)
        if f.max_length and len(text) > f.max_length:
            raise cleaning.CleaningError(_("longer than {n} characters.").format(n=number(f.max_length)))
        return text


def check_mapping(k: Kind, headers: Sequence[str], mapping: dict[str, int]) -> None:
    """Every required field has a column; nothing is mapped to a column the file does not have."""
    errors: dict[str, str] = {}
    bad = [f for f, i in mapping.items() if f not in {x.name for x in k.fields} or not 0 <= i < len(headers)]
    if bad:
        errors["mapping"] = _("Unknown columns mapped: {columns}.").format(columns=", ".join(bad))
    missing = [_(k.field(f).label) for f in k.required if f not in mapping]
    if missing:
        errors["required"] = _("Choose the columns for: {fields}.").format(fields=", ".join(missing))
    if errors:
        raise ValidationError(errors)


def check_options(options: ImportOptions) -> None:
    errors: dict[str, str] = {}
    if options.on_duplicate not in ON_DUPLICATE:
        errors["on_duplicate"] = _("For duplicates choose skip, update or create.")
    if options.unknown_products not in UNKNOWN_PRODUCTS:
        errors["unknown_products"] = _("For unknown products choose reject or create.")
    if options.decimal_mark not in (None, ".", ","):
        errors["decimal_mark"] = _("The decimal mark is a point or a comma.")
    if options.source_system is not None and not options.source_system.strip():
        options.source_system = None
    if options.source_system and len(options.source_system) > 40:
        errors["source_system"] = _("The source system's name is longer than {n} characters.").format(n=number(40))
    try:
        cleaning.parse_datetime("2000-01-01 00:00", tz=options.time_zone)
    except (cleaning.CleaningError, Exception):  # zoneinfo raises its own kinds for unknown names
        errors["time_zone"] = _("'{zone}' is not a time zone name (for example Asia/Jakarta).").format(
            zone=options.time_zone)
    if errors:
        raise ValidationError(errors)


def new_batch(actor: Actor, kind: str, *, headers: Sequence[str], mapping: dict[str, int], options: ImportOptions,
              filename: str = "", profile_id: int | None = None, data_source_id: int | None = None,
              started_from: str | None = None, status: str = "running") -> ImportBatch:
    """The batch of an import about to run (not yet added to a session): what, from where, by whom, how read."""
    return ImportBatch(kind=kind, filename=(filename or kind)[:300], user_id=actor.user_id,
                       source=started_from or actor.source, source_system=options.source_system,
                       options={"mapping": {f: headers[i] for f, i in mapping.items()}, **options.as_dict()},
                       profile_id=profile_id, data_source_id=data_source_id, status=status, runner=runner_name())


def runner_name() -> str:
    """host:pid of this process (an import's batch names the process running it: when that process is gone
    and the batch still says running, the import was interrupted)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def run(actor: Actor, kind: str, rows: Iterable[Sequence[str]], *, headers: Sequence[str], mapping: dict[str, int],
        options: ImportOptions | None = None, filename: str = "", total: int | None = None,
        progress: Progress | None = None, profile_id: int | None = None, data_source_id: int | None = None,
        started_from: str | None = None, batch_id: int | None = None, session: Session) -> ImportReport:
    """Import ``rows`` (cells as text, the header row left out) of one kind; the report accounts for each row.

    Everything is written in the caller's transaction, and the batch says "done" at its end; with
    ``options.dry_run`` it is rolled back at the end and the report says what would have happened.
    ``batch_id``: the batch announced (committed, "running") before this transaction began
    (``crm.importing.jobs``); without it the batch is created here, in the caller's transaction.
    """
    require(actor, "data.import")
    options = options or ImportOptions()
    k, w = kind_named(kind, session), writer_named(kind)
    check_mapping(k, headers, mapping)
    check_options(options)
    savepoint = session.begin_nested() if options.dry_run else None
    batch = session.get(ImportBatch, batch_id) if batch_id is not None else None
    if batch is None:
        batch = new_batch(actor, kind, headers=headers, mapping=mapping, options=options, filename=filename,
                          profile_id=profile_id, data_source_id=data_source_id, started_from=started_from)
        session.add(batch)
        session.flush()
    report = ImportReport(batch_id=batch.id, filename=filename, kind=kind, dry_run=options.dry_run)
    ctx = Context(session, actor, batch.id, options, utcnow(), columns={f: headers[i] for f, i in mapping.items()})
    cleaner = RowCleaner(k, headers, mapping, options, session, w)
    done = 0
    with fast_sqlite_writes(session), gc_paused():
        for first, chunk in _chunks(rows, CHUNK):
            clean: list[CleanRow] = []
            results: list[RowResult] = []
            for row_no, raw_row in enumerate(chunk, start=first):
                raw = cleaner.raw(raw_row)
                if not any(v.strip() for v in raw.values()):
                    results.append(RowResult(row_no, "blank"))
                    continue
                cells, problems = cleaner.clean(raw)
                if problems:
                    results.append(RowResult(row_no, "rejected", reasons="; ".join(problems),
                                             name=_row_name(k, raw)))
                else:
                    clean.append(CleanRow(row_no, cells))
            results.extend(w.write(ctx, clean))
            results.sort(key=_row_number)
            _keep_rows(session, batch.id, kind, results)
            report.rows.extend(results)
            done += len(chunk)
            if first == 2 and len(chunk) == CHUNK:  # a big import: the planner must know what it wrote so far
                analyze_new_tables(session, w.looked_up)
            if progress:
                progress(min(1.0, done / total) if total else 0.5)
        w.finish(ctx)
    report.rows.sort()
    report.extra = dict(ctx.state.get("extra", {}))
    batch.counts = {**report.counts, **report.extra}
    batch.status, batch.finished_at = "done", utcnow()
    w.done(ctx, batch.counts)
    audit.record(session, actor, "import", "import_batch", batch.id, after=batch.counts,
                 detail=f"{label(KIND_LABELS, kind)}: {filename}: {batch.counts}")
    if savepoint is not None:
        savepoint.rollback()
        report.batch_id = None
    if progress:
        progress(1.0)
    return report


def analyze_new_tables(session: Session, tables: Sequence[str]) -> None:
    """On PostgreSQL, statistics for the tables an import looks rows up in, when the planner has none or thinks
    they are smaller than one chunk (a fresh database: autovacuum has not run yet).

    Without them the look-ups of the next chunks (external ids of a source, receipts by id) are planned for an
    empty table and scan every row already written in this transaction: the first big import of a source ran
    at 24 ms per external-id look-up instead of 0.07 ms. ANALYZE runs inside the transaction and sees its rows.
    """
    if not tables or dialect(session) != "postgresql":
        return
    stale = session.execute(text("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname = ANY(:names) "
                                 "AND relnamespace = current_schema()::regnamespace AND reltuples < :rows"),
                            {"names": list(tables), "rows": CHUNK}).scalars().all()
    for name in sorted(stale):
        session.execute(text(f'ANALYZE "{name}"'))


def _chunks(rows: Iterable[Sequence[str]], size: int) -> Iterable[tuple[int, list[Sequence[str]]]]:
    """(number of the chunk's first row in the file, its rows); the header is row 1."""
    chunk: list[Sequence[str]] = []
    first = 2
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield first, chunk
            first += size
            chunk = []
    if chunk:
        yield first, chunk


def _row_number(r: RowResult) -> int:
    return r.row


def _row_name(k: Kind, raw: dict[str, str]) -> str:
    for name in ("name", "sku", "number", "subject", "customer"):
        if raw.get(name):
            return raw[name].strip()[:200]
    return ""


def _keep_rows(session: Session, batch_id: int, kind: str, results: list[RowResult]) -> None:
    """The report's rows, kept with the batch (updated rows are written by the writer with their "before")."""
    customers = kind == "customers"
    insert_rows(session, ImportRow.__table__, ["batch_id", "row_number", "outcome", "customer_id", "entity_id",
                                               "reasons"],
                [(batch_id, r.row, r.outcome, r.entity_id if customers else None,
                  None if customers else r.entity_id, r.reasons or None)
                 for r in results if r.outcome != "updated"])


@dataclass(frozen=True)
class PreviewRow:
    """One row of the preview: each mapped field as found and as it will be stored, and what is wrong."""

    row: int
    found: dict[str, str]
    stored: dict[str, Any]
    problems: list[str]


def preview(actor: Actor, kind: str, rows: Sequence[Sequence[str]], *, headers: Sequence[str],
            mapping: dict[str, int], options: ImportOptions, limit: int = 20, session: Session) -> list[PreviewRow]:
    """The first rows as they will be stored after cleaning, before anything is written."""
    require(actor, "data.import")
    k = kind_named(kind, session)
    cleaner = RowCleaner(k, headers, mapping, options, session, writer_named(kind))
    out = []
    for n, raw_row in enumerate(rows[:limit], start=2):
        raw = cleaner.raw(raw_row)
        cells, problems = cleaner.clean(raw)
        out.append(PreviewRow(n, raw, cells, problems))
    return out


def date_columns(k: Kind, rows: Sequence[Sequence[str]], mapping: dict[str, int]) -> cleaning.DateOrder | None:
    """How the file writes its dates (day/month order), when it has date columns with numeric day-month dates."""
    indexes = [mapping[f.name] for f in k.fields if f.type in ("date", "datetime") and f.name in mapping]
    if not indexes:
        return None
    sample = {str(r[i]).strip() for r in rows for i in indexes if i < len(r) and r[i]}
    return cleaning.date_order(sample)


def amount_mark(k: Kind, rows: Sequence[Sequence[str]], mapping: dict[str, int]) -> str | None:
    """The decimal mark the file's amount columns use ("." or ","), when it has amount columns."""
    indexes = [mapping[f.name] for f in k.fields if f.type in ("amount", "int") and f.name in mapping]
    if not indexes:
        return None
    return cleaning.amount_format(str(r[i]) for r in rows for i in indexes if i < len(r) and r[i])
