"""Import files are read as a stream: the header and a row count estimate at once, the rows one by one, with
the delimiter, byte-order mark and formula guard handled as the customer import always did."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from crm.importing.files import ImportFileError, open_table


def test_a_semicolon_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "excel-export.csv"
    path.write_bytes("\ufeffSKU ; Name;Note\r\nA-1;Kopi;'=1+1\r\nA-2;\"Teh; hijau\";\r\n".encode())
    table = open_table(path)
    assert table.headers == ["SKU", "Name", "Note"]
    assert table.approximate_rows == 2
    assert list(table.rows) == [["A-1", "Kopi", "=1+1"], ["A-2", "Teh; hijau", ""]]


def test_a_big_file_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("SKU,Name,Stock\n")
        out.writelines(f"S-{i:07d},Product {i:07d},{i % 300}\n" for i in range(400_000))
    tracemalloc.start()
    try:
        table = open_table(path)
        first = [next(table.rows) for _ in range(10)]
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.stat().st_size > 10_000_000 and peak < 2_000_000
    assert first[0] == ["S-0000000", "Product 0000000", "0"]
    assert 380_000 <= table.approximate_rows <= 420_000
    assert sum(1 for _ in table.rows) == 400_000 - 10


def test_an_excel_sheet_is_read_row_by_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append([" SKU", "Stock"])
    book.active.append(["A-1", 15])
    book.active.append(["A-2", None])
    path = tmp_path / "stock.xlsx"
    book.save(path)
    table = open_table(path)
    assert table.headers == ["SKU", "Stock"] and list(table.rows) == [["A-1", "15"], ["A-2", ""]]


@pytest.mark.parametrize("content, words", [
    (b"", "empty"), (b"\xff\xfe\x00\x01binary", "UTF-8"), (b"SKU\x00,Name\n", "binary"), (b"\n\n", "header"),
])
def test_a_file_that_cannot_be_read_says_why_in_one_sentence(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=words):
        open_table(path)
