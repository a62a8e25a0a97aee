"""`python -m crm import KIND FILE ...` as an operator runs it: products from a stock export, a saved profile
reused for the next export, --map and --value, a dry run that writes nothing, the report file, and one-line
refusals with their exit codes."""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.core import config
from crm.core.database import session_scope
from crm.importing import cleaning
from crm.importing.kinds import available
from db.models import ImportBatch, ImportProfile, Product
from tools.cli import main
from tools.seed import ensure_demo_accounts

STOCK = ("Item Code;Description;Product Group;Unit Price;Unit Cost;On Hand\n"
         "A-1;Kopi Luwak 250g;Coffee;120,00;70,00;15\n"
         "A-2;Teh Hijau;Tea;25,50;10,00;200\n"
         ";;;;;\n"
         "A-3;;Tea;5;1;3\n"
         "A-4;Mug;Gifts;ten;2;1.5\n")
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """``python -m crm ...`` in this process, on the test database with the demo accounts: (exit, out, err)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("CRM_DEMO", raising=False)
    config.reset()
    with session_scope() as session:
        ensure_demo_accounts(session=session)

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    config.reset()


def _file(tmp_path: Path, text: str, name: str = "stock.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


def _products() -> dict[str, tuple]:
    with session_scope() as session:
        return {p.sku: (p.name, p.category, p.price, p.stock) for p in session.scalars(select(Product))
                if p.sku.startswith(("A-", "B-"))}


def test_products_come_in_from_a_stock_export_and_every_row_is_accounted_for(cli: Run, tmp_path: Path) -> None:
    code, out, err = cli("import", "products", _file(tmp_path, STOCK), "--user", "salesmgr", "--source", "shop",
                         "--decimal-comma")
    assert code == 0, err
    assert "Import of stock.csv as products (batch " in out
    for line in ("  2 imported", "  2 rejected", "  1 blank", "  0 updated"):
        assert line + "\n" in out
    assert "row 5: rejected: A-3: Product name: a new product needs a name." in out
    assert "row 6: rejected: Mug:" in out and "Unit Price" in out and "On Hand" in out
    assert _products() == {"A-1": ("Kopi Luwak 250g", "Coffee", Decimal("120.00"), 15),
                           "A-2": ("Teh Hijau", "Tea", Decimal("25.50"), 200)}
    again, out, _err = cli("import", "products", _file(tmp_path, STOCK), "--user", "salesmgr", "--source", "shop",
                           "--decimal-comma")
    assert again == 0 and "  0 imported\n" in out and "  2 updated\n" in out


def test_a_dry_run_writes_nothing_and_says_so(cli: Run, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    code, out, _err = cli("import", "products", _file(tmp_path, STOCK), "--user", "salesmgr", "--dry-run",
                          "--report", report, "--decimal-comma", "--save-profile", "Shop")
    assert code == 0
    assert out.startswith("Dry run of stock.csv as products:") and "  2 imported\n" in out
    assert out.rstrip().endswith("Dry run: nothing was saved.")
    assert _products() == {}
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0
        assert session.scalar(select(func.count()).select_from(ImportProfile)) == 0
    rows = list(csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["row"], r["outcome"], r["record_id"]) for r in rows] == [
        ("2", "imported", ""), ("3", "imported", ""), ("4", "blank", ""), ("5", "rejected", ""),
        ("6", "rejected", "")]


def test_the_report_file_holds_every_row_with_its_reasons(cli: Run, tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.csv"
    report.parent.mkdir()
    code, out, _err = cli("import", "products", _file(tmp_path, STOCK), "--user", "salesmgr", "--report", report,
                          "--decimal-comma")
    assert code == 0 and f"Report written to {report}" in out
    rows = list(csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["row"], r["outcome"], r["name"]) for r in rows] == [
        ("2", "imported", "A-1"), ("3", "imported", "A-2"), ("4", "blank", ""), ("5", "rejected", "A-3"),
        ("6", "rejected", "Mug")]
    assert rows[0]["record_id"].isdigit()
    assert "'ten' is not an amount" in rows[4]["reasons"]


def test_map_and_value_flags_read_an_unusual_export(cli: Run, tmp_path: Path) -> None:
    odd = _file(tmp_path, "Ref,Bezeichnung,Gruppe,Bestand\nB-1,Kettle,hot drinks,4\nB-2,Cup,Cups,9\n", "odd.csv")
    code, _out, err = cli("import", "products", odd, "--user", "salesmgr")
    assert code == 1 and err.startswith("Error: ") and "SKU" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("import", "products", odd, "--user", "salesmgr", "--map", "sku=REF",
                         "--map", "name=bezeichnung", "--map", "Category=Gruppe", "--map", "stock=Bestand",
                         "--value", "category:Hot Drinks=Kitchen", "--value", "category:cups=(empty)")
    assert code == 0, err
    assert _products() == {"B-1": ("Kettle", "Kitchen", Decimal("0.00"), 4),
                           "B-2": ("Cup", "Uncategorised", Decimal("0.00"), 9)}  # left empty: the default


def test_a_saved_profile_reads_the_next_export_of_the_same_system(cli: Run, tmp_path: Path) -> None:
    first = _file(tmp_path, "Ref,Bezeichnung,Gruppe,Bestand\nB-1,Kettle,hot drinks,4\n", "first.csv")
    code, out, err = cli("import", "products", first, "--user", "salesmgr", "--source", "shop",
                         "--map", "sku=Ref", "--map", "name=Bezeichnung", "--map", "category=Gruppe",
                         "--map", "stock=Bestand", "--value", "category:hot drinks=Kitchen",
                         "--save-profile", "Shop stock")
    assert code == 0, err and "Profile 'Shop stock' saved." in out
    # The next export: columns in another order and case, a new product of the same group.
    later = _file(tmp_path, "BESTAND,gruppe,REF,bezeichnung\n7,Hot Drinks,B-1,Kettle\n2,hot drinks,B-2,Teapot\n",
                  "later.csv")
    code, out, err = cli("import", "products", later, "--user", "admin", "--profile", "shop stock")
    assert code == 0, err
    assert "  1 imported\n" in out and "  1 updated\n" in out
    assert _products() == {"B-1": ("Kettle", "Kitchen", Decimal("0.00"), 7),
                           "B-2": ("Teapot", "Kitchen", Decimal("0.00"), 2)}
    with session_scope() as session:
        batch = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        assert batch.source_system == "shop" and batch.profile_id is not None
    # Saving again under the same name updates the profile instead of failing.
    code, out, err = cli("import", "products", later, "--user", "admin", "--profile", "Shop stock",
                         "--source", "erp", "--save-profile", "Shop stock")
    assert code == 0, err
    with session_scope() as session:
        profile = session.scalar(select(ImportProfile))
        assert (profile.source_system, profile.version) == ("erp", 2)


def test_refusals_are_one_line_with_a_non_zero_exit(cli: Run, tmp_path: Path) -> None:
    stock = _file(tmp_path, STOCK)
    cases = {
        ("--user", "sales"): (1, "data.import"),
        ("--user", "nobody"): (1, "No active user named 'nobody'"),
        ("--user", "salesmgr", "--map", "colour=Description"): (2, "products have no field 'colour'"),
        ("--user", "salesmgr", "--map", "sku=Barcode"): (2, "the file has no column 'Barcode'"),
        ("--user", "salesmgr", "--map", "sku"): (2, "write FIELD=COLUMN"),
        ("--user", "salesmgr", "--value", "category=Tea"): (2, "write FIELD:FROM=TO"),
        ("--user", "salesmgr", "--value", "price:1=2"): (2, "price takes any value"),
        ("--user", "salesmgr", "--profile", "Nope"): (1, "no import profile named 'Nope'"),
        ("--user", "salesmgr", "--time-zone", "Mars/Base"): (1, "Mars/Base"),
    }
    for flags, (exit_code, words) in cases.items():
        code, out, err = cli("import", "products", stock, *flags)
        assert (code, err.startswith("Error: "), len(err.strip().splitlines())) == (exit_code, True, 1), (flags, err)
        assert words in err, (flags, err)
    assert _products() == {}


def test_a_file_that_cannot_be_read_gets_one_sentence(cli: Run, tmp_path: Path) -> None:
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01binary")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for path, words in ((tmp_path / "nope.csv", "no such file"), (binary, "UTF-8"), (empty, "empty"),
                        (_file(tmp_path, "\n\nA-1,Kopi\n", "headless.csv"), "no header row")):
        code, _out, err = cli("import", "products", path, "--user", "salesmgr")
        assert code == 1 and err.startswith("Error: ") and words in err and len(err.strip().splitlines()) == 1


def test_an_excel_file_is_read_too(cli: Run, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Name", "Stock"])
    sheet.append(["A-1", "Kopi", 15])
    path = tmp_path / "stock.xlsx"
    book.save(path)
    code, out, err = cli("import", "products", path, "--user", "salesmgr")
    assert code == 0, err and "  1 imported\n" in out
    assert _products() == {"A-1": ("Kopi", "Uncategorised", Decimal("0.00"), 15)}


@pytest.mark.skipif("interactions" not in available(), reason="the interactions kind is not here yet")
def test_unknown_values_of_a_closed_list_are_listed_with_the_flag_that_maps_them(cli: Run, tmp_path: Path) -> None:
    log = _file(tmp_path, "Customer,When,Channel\nnobody@example.com,2024-02-13 10:00,WA\n"
                          "nobody@example.com,2024-02-14 10:00,WA\n", "calls.csv")
    code, out, err = cli("import", "interactions", log, "--user", "salesmgr")
    assert code == 0, err
    assert "'WA': 2 rows  --value channel:WA=CODE" in out
    code, out, err = cli("import", "interactions", log, "--user", "salesmgr", "--value", "channel:wa=(empty)")
    assert code == 0, err and "'WA'" not in out


@pytest.mark.skipif("interactions" not in available() or not cleaning.date_order(["01/02/2024"]).needs_choice,
                    reason="needs the interactions kind and the cleaning that tells ambiguous dates")
def test_dates_that_read_both_ways_need_the_operators_word(cli: Run, tmp_path: Path) -> None:
    log = _file(tmp_path, "Customer,When,Channel\nnobody@example.com,01/02/2024 10:00,email\n", "calls.csv")
    code, out, err = cli("import", "interactions", log, "--user", "salesmgr")
    assert code == 2 and "01/02/2024" in err and "--day-first" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("import", "interactions", log, "--user", "salesmgr", "--day-first", "--dry-run")
    assert code == 0, err
