"""The one spreadsheet guard: no exported text cell runs as a formula, and what it guarded reads back unchanged."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.core.spreadsheet import FORMULA_START, csv_bytes, frame_csv_bytes, restore_cell, safe_cell, xlsx_bytes

ATTACKS = [
    "=HYPERLINK(\"http://evil\",\"click\")",
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "+62 811 2233 4455",  # a phone in international form is text, not a sum
    "-",
]
HARMLESS = ["Siti Rahayu", "", "a=b", "e-mail", "1+1", " =1+1", "'quoted", "'", "Иван", "عمران", "100%"]


@pytest.mark.parametrize("text", ATTACKS)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_left_alone(text: str) -> None:
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [None, 0, -5, 3.5, Decimal("-1.25"), True, dt.date(2026, 12, 3)])
def test_values_that_are_not_text_are_left_alone(value: object) -> None:
    assert safe_cell(value) is value


@pytest.mark.parametrize("text", ATTACKS + HARMLESS)
def test_what_the_guard_wrote_reads_back_as_it_was(text: str) -> None:
    assert restore_cell(safe_cell(text)) == text


def test_every_formula_start_is_guarded() -> None:
    assert all(safe_cell(start + "x").startswith("'") for start in FORMULA_START)


def test_csv_guards_every_cell_and_the_header_and_keeps_accents_for_excel() -> None:
    data = csv_bytes(["name", "=evil"], [["=1+1", "Иван"], [None, -3], ["@corp", "plain"]])
    assert data.startswith("\ufeff".encode("utf-8"))  # the BOM: Excel opens UTF-8 with the accents right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "'=evil"], ["'=1+1", "Иван"], ["", "-3"], ["'@corp", "plain"]]


def test_excel_guards_text_cells_and_keeps_numbers_as_numbers() -> None:
    data = xlsx_bytes("A sheet name longer than thirty-one characters", ["name", "amount"],
                      [["=1+1", 12.5], ["+62 811", -3], ["Siti", None]])
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert len(sheet.title) == 31
    assert list(sheet.iter_rows(values_only=True)) == [("name", "amount"), ("'=1+1", 12.5), ("'+62 811", -3),
                                                        ("Siti", None)]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula anywhere


def test_an_insights_table_downloads_with_formulas_guarded_and_gaps_empty() -> None:
    # the Insights page's "Download data (CSV)" writes its tables through frame_csv_bytes
    import pandas as pd

    frame = pd.DataFrame({"Customer": ["=HYPERLINK(\"http://evil\",\"click\")", "Siti Rahayu"],
                          "Revenue": [1200.5, None], "Month": ["2026-01", "2026-02"]})
    text = frame_csv_bytes(frame).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Customer", "Revenue", "Month"]
    assert rows[1] == ["'=HYPERLINK(\"http://evil\",\"click\")", "1200.5", "2026-01"]
    assert rows[2] == ["Siti Rahayu", "", "2026-02"]
