"""Reading an import file row by row: CSV (UTF-8 with or without a byte-order mark; comma, semicolon or tab)
or Excel (.xlsx, first sheet), without loading it whole (an export of a million lines stays a stream).

The rules are those of ``crm.customers.importing.read_table`` (same delimiter choice, same messages).
"""
from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crm.core.errors import CRMError
from crm.core.i18n import _
from crm.core.spreadsheet import restore_cell

SAMPLE = 64 * 1024  # bytes read first: encoding, binary content, delimiter and row count are judged on them
EXCEL = (".xlsx", ".xlsm")


class ImportFileError(CRMError):
    """The file cannot be read at all."""


@dataclass
class OpenTable:
    """A file's header row, its other rows as a one-pass iterator, and about how many of them there are."""

    headers: list[str]
    rows: Iterator[list[str]]
    approximate_rows: int | None  # estimated from the file's size: for progress, not for accounting


def open_table(path: str | os.PathLike[str]) -> OpenTable:
    """Open a CSV or Excel file for reading row by row; ``ImportFileError`` (one sentence) when it cannot be."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(_("Cannot read {file}: no such file.").format(file=str(path)))
    if path.stat().st_size == 0:
        raise ImportFileError(_("The file is empty."))
    if path.suffix.lower() in EXCEL:
        return _open_excel(path)
    return _open_csv(path)


def delimiter_of(first_line: str) -> str:
    """The delimiter a CSV's header line uses most: comma, semicolon or tab (comma when it has none)."""
    delimiter = max([",", ";", "\t"], key=first_line.count)
    return delimiter if first_line.count(delimiter) else ","


def _open_csv(path: Path) -> OpenTable:
    with path.open("rb") as raw:
        head = raw.read(SAMPLE)
    sample = _decode_sample(head)
    if "\x00" in sample:
        raise ImportFileError(_("The file looks binary, not CSV. Upload a CSV or an Excel (.xlsx) file."))
    delimiter = delimiter_of(sample.lstrip("\ufeff").split("\n", 1)[0])
    handle = path.open("r", encoding="utf-8-sig", newline="")
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        first = next(reader, None)
    except (UnicodeDecodeError, csv.Error):
        handle.close()
        raise ImportFileError(_("The file is not UTF-8 text. Save it as 'CSV UTF-8' (or Excel) and try again."))
    if not first or not any(cell.strip() for cell in first):
        handle.close()
        raise ImportFileError(_("The file has no header row."))
    return OpenTable([h.strip() for h in first], _csv_rows(reader, handle), _approximate_rows(path, head, sample))


def _approximate_rows(path: Path, head: bytes, sample: str) -> int:
    """Rows after the header: counted in a small file, estimated from the sample's line length in a big one."""
    lines = sample.count("\n") + (0 if sample.endswith("\n") else 1)
    size = path.stat().st_size
    if len(head) < size:
        lines = round(size * max(1, sample.count("\n")) / len(head))
    return max(0, lines - 1)


def _decode_sample(head: bytes) -> str:
    """The sample as text; a multi-byte character cut at the sample's end is not an error."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        return decoder.decode(head, final=False)
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. Save it as 'CSV UTF-8' (or Excel) and try again."))


def _csv_rows(reader: Iterator[list[str]], handle: io.TextIOBase) -> Iterator[list[str]]:
    try:
        for row in reader:
            yield [restore_cell(c) for c in row]
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. Save it as 'CSV UTF-8' (or Excel) and try again."))
    except csv.Error as exc:
        raise ImportFileError(_("The file is not a valid CSV ({error}).").format(error=str(exc)))
    finally:
        handle.close()


def _open_excel(path: Path) -> OpenTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise ImportFileError(_("The Excel file cannot be read ({error}).").format(error=type(exc).__name__))
    if first is None:
        workbook.close()
        raise ImportFileError(_("The first sheet of the Excel file is empty."))
    headers = ["" if v is None else str(v).strip() for v in first]
    if not any(headers):
        workbook.close()
        raise ImportFileError(_("The file has no header row."))
    total = sheet.max_row - 1 if sheet.max_row else None
    return OpenTable(headers, _excel_rows(rows, workbook), total)


def _excel_rows(rows: Iterator[tuple[object, ...]], workbook: object) -> Iterator[list[str]]:
    try:
        for row in rows:
            yield [restore_cell("" if v is None else str(v)) for v in row]
    finally:
        workbook.close()  # type: ignore[attr-defined]
