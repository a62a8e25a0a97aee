"""Customer files: read an upload (CSV or Excel), import it, revert an import; export customers.

The import itself is the common import flow (``crm.importing.runner``) with the customer writer
(``crm.importing.customers``: outcomes, duplicate matching, ids of the source system); ``run_import`` and
``revert_import`` are its entry points for a customer file as uploaded.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import CRMError
from crm.core.i18n import _
from crm.core.spreadsheet import csv_bytes, restore_cell, xlsx_bytes
from crm.importing.customers import CUSTOMERS, FIELDS
from crm.importing.writing import ON_DUPLICATE, OUTCOMES, ImportOptions, ImportReport, RowResult
from crm.settings.field_types import FieldDef, as_text
from crm.settings.field_values import values_of
from crm.settings.fields import list_fields
from db.models import Customer, ImportBatch

__all__ = ["FIELDS", "ON_DUPLICATE", "OUTCOMES", "ImportReport", "RowResult", "ImportFileError", "Table",
           "read_table", "auto_mapping", "run_import", "revert_import", "list_batches", "export_customers"]
EXPORT_COLUMNS = ["name", "company", "email", "phone", "country", "city", "address", "status", "segment",
                  "acquisition_source", "notes"]


class ImportFileError(CRMError):
    """The file cannot be read at all."""


# ------------------------------------------------------------------ reading


class Table(NamedTuple):
    """An uploaded file as read: its header row and the rows below it (cells as text)."""

    headers: list[str]
    rows: list[list[str]]


def read_table(data: bytes, filename: str) -> Table:
    """Headers and rows of a CSV (UTF-8 with or without BOM, comma/semicolon/tab) or Excel file."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_excel(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. Save it as 'CSV UTF-8' (or Excel) and try again."))
    if "\x00" in text:
        raise ImportFileError(_("The file looks binary, not CSV. Upload a CSV or an Excel (.xlsx) file."))
    sample = text[:8192]
    first_line = sample.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ImportFileError(_("The file has no header row."))
    headers = [h.strip() for h in rows[0]]
    return Table(headers, [[restore_cell(c) for c in r] for r in rows[1:]])


def _read_excel(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise ImportFileError(_("The Excel file cannot be read ({error}).").format(error=type(exc).__name__))
    sheet = workbook.worksheets[0]
    values = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    if not values:
        raise ImportFileError(_("The first sheet of the Excel file is empty."))
    return Table([h.strip() for h in values[0]], [[restore_cell(c) for c in r] for r in values[1:]])


def auto_mapping(headers: list[str], session: Session | None = None) -> dict[str, int]:
    """Field -> column index for the usual headers of a customer file (any case, stray spaces, a few languages);
    with a session, the custom fields' columns too (by their label in any language)."""
    from crm.importing.kinds import auto_mapping as kind_mapping, kind as kind_named

    k = kind_named("customers", session) if session is not None else CUSTOMERS
    return {f: i for f, i in kind_mapping(k, headers).items() if f in FIELDS or f.startswith("custom.")}


# -------------------------------------------------------------------- import


def run_import(
    actor: Actor,
    filename: str,
    data: bytes,
    *,
    table: Table | None = None,
    mapping: dict[str, int] | None = None,
    on_duplicate: str = "skip",
    progress: Callable[[float], None] | None = None,
    session: Session,
) -> ImportReport:
    """Import every row of a customer file in one transaction; the report accounts for each row.

    ``table`` is the file already read by ``read_table`` (the Import page reads an upload once);
    without it the file is read here. ``mapping`` defaults to the columns recognised by their headers.
    """
    from crm.importing import runner

    require(actor, "data.import")
    runner.check_options(ImportOptions(on_duplicate=on_duplicate))
    headers, rows = table if table is not None else read_table(data, filename)
    mapping = auto_mapping(headers, session) if mapping is None else mapping
    return runner.run(actor, "customers", rows, headers=headers, mapping=mapping,
                      options=ImportOptions(on_duplicate=on_duplicate), filename=filename, total=len(rows),
                      progress=progress, session=session)


def revert_import(actor: Actor, batch_id: int, *, session: Session) -> dict[str, int]:
    """Remove what the import created and restore what it updated; audited (``crm.importing.batches.revert``)."""
    from crm.importing.batches import revert

    return revert(actor, batch_id, session=session)


@dataclass(frozen=True)
class PastImport:
    """One earlier import: its file, where it was started from, its outcome counts, and whether it was reverted."""

    id: int
    created_at: dt.datetime
    filename: str
    source: str  # where it was started: "page", "cli"...
    counts: dict[str, int]  # rows per ``OUTCOMES`` code
    reverted_at: dt.datetime | None


def list_batches(actor: Actor, *, limit: int = 50, session: Session) -> list[PastImport]:
    """The latest imports, newest first."""
    require(actor, "data.import")
    return [PastImport(b.id, b.created_at, b.filename, b.source, dict(b.counts or {}), b.reverted_at)
            for b in session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit))]


# -------------------------------------------------------------------- export


@dataclass(frozen=True)
class CustomerExport:
    """One export of the customers: the same rows, as a CSV file or as an Excel workbook.

    After the built-in columns comes one column per active custom field, headed by its label in the user's
    language: plain text in the CSV (``as_text``, read back by an import), typed cells in Excel.
    """

    rows: list[list[str]]
    left_out: int  # customers left out of a third-party export for lack of consent
    fields: tuple[FieldDef, ...] = ()
    custom: tuple[dict[str, Any], ...] = ()  # each row's custom values by code, in the order of ``rows``
    labels: tuple[str, ...] = ()  # the fields' labels in the language of the user who exported

    @property
    def included(self) -> int:
        return len(self.rows)

    @property
    def header(self) -> list[str]:
        return [*EXPORT_COLUMNS, *self.labels]

    def _custom(self, index: int, typed: bool) -> list[Any]:
        values = self.custom[index] if index < len(self.custom) else {}
        return [_typed(f, values.get(f.code)) if typed else as_text(f, values.get(f.code)) for f in self.fields]

    def csv(self) -> bytes:
        return csv_bytes(self.header, ([*row, *self._custom(i, False)] for i, row in enumerate(self.rows)))

    def xlsx(self) -> bytes:
        return xlsx_bytes("Customers", self.header, ([*row, *self._custom(i, True)] for i, row in enumerate(self.rows)))


def _typed(f: FieldDef, value: Any) -> Any:
    """An Excel cell: numbers, money, dates and yes/no as themselves; the rest as ``as_text`` writes it."""
    if value is None or value == []:
        return None
    if f.type in ("number", "money"):
        return float(value)
    if f.type in ("date", "yes_no"):
        return value
    return as_text(f, value)


def export_customers(actor: Actor, *, third_party: bool = False, include_archived: bool = False,
                     session: Session) -> CustomerExport:
    """The customers to export (formula-safe as files); for a third party only those who consented. Audited once."""
    require(actor, "data.export")
    stmt = select(Customer).where(Customer.erased_at.is_(None)).order_by(Customer.id)
    if not include_archived:
        stmt = stmt.where(Customer.archived_at.is_(None))
    rows: list[list[str]] = []
    ids: list[int] = []
    left_out = 0
    for customer in session.scalars(stmt.execution_options(yield_per=2000)):
        if third_party and not customer.consent_third_party:
            left_out += 1
            continue
        rows.append([getattr(customer, c) or "" for c in EXPORT_COLUMNS])
        ids.append(customer.id)
    fields = tuple(list_fields(session, "customers"))
    values = values_of(session, "customers", ids) if fields else {}
    audit.record(session, actor, "export", "customers", None,
                 detail=f"{'third-party ' if third_party else ''}export: {len(rows)} customers, {left_out} left out "
                        "for lack of consent" if third_party else f"export: {len(rows)} customers")
    return CustomerExport(rows, left_out, fields, tuple(values.get(i, {}) for i in ids) if fields else (),
                          tuple(f.label for f in fields))
