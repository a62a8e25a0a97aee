"""Files for spreadsheets: the one formula guard, and CSV and Excel files written from the same rows."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# A text cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets
# (CSV injection); tab and carriage return start the same trick after a separator.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet may show it: text that would run as a formula gets a leading apostrophe.

    Anything that is not text (numbers, dates, None) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The text ``safe_cell`` guarded, read back from a file this portal (or a careful tool) wrote."""
    if value.startswith("'") and value[1:2] in FORMULA_START:
        return value[1:]
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8 with a byte-order mark, so that Excel reads the accents) with every cell guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell("" if v is None else v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """An Excel workbook of one sheet with every text cell guarded (numbers stay numbers)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])  # Excel's limit on a sheet name
    worksheet.append([safe_cell(h) for h in header])
    for row in rows:
        worksheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def frame_csv_bytes(frame: Any) -> bytes:
    """``csv_bytes`` of a pandas table of figures (its column names as header, missing values as empty cells)."""
    cells = frame.astype(object).where(frame.notna(), None)
    return csv_bytes([str(c) for c in frame.columns], cells.itertuples(index=False, name=None))
