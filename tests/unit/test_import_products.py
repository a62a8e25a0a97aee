"""Products and stock come in from a file: new SKUs created, known SKUs updated (stock too), every row reported,
a dry run writes nothing, a revert restores what was there."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.core.errors import PermissionDenied, ValidationError
from crm.importing.batches import list_imports, revert
from crm.importing.kinds import auto_mapping, kind
from crm.importing.runner import run
from crm.importing.writing import ImportOptions
from db.models import ExternalId, Product
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

HEADERS = ["Item Code", "Description", "Product Group", "Unit Price", "Unit Cost", "On Hand"]
ROWS = [
    ["A-1", "Kopi Luwak 250g", "Coffee", "120.00", "70.00", "15"],
    ["A-2", "Teh Hijau", "Tea", "25.50", "10.00", "200"],
    ["", "", "", "", "", ""],
    ["A-3", "", "Tea", "5", "1", "3"],  # a new SKU without a name
    ["A-2", "Teh Hijau again", "Tea", "1", "1", "1"],  # the same SKU twice in the file
    ["A-4", "Mug", "Gifts", "ten", "2", "1.5"],  # two bad cells
]


@pytest.fixture
def manager(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "salesmgr")


def _import(db, who, rows, **options):
    headers = HEADERS
    report = run(who, "products", rows, headers=headers, mapping=auto_mapping(kind("products"), headers),
                 options=ImportOptions(**options), filename="stock.csv", session=db)
    db.commit()
    return report


def test_headers_of_a_stock_export_are_recognised() -> None:
    mapping = auto_mapping(kind("products"), HEADERS)
    assert {f: HEADERS[i] for f, i in mapping.items()} == {
        "sku": "Item Code", "name": "Description", "category": "Product Group", "price": "Unit Price",
        "cost": "Unit Cost", "stock": "On Hand"}


def test_every_row_is_accounted_for_and_bad_cells_name_their_column(db, manager) -> None:
    report = _import(db, manager, ROWS, source_system="shop")
    assert [(r.row, r.outcome) for r in report.rows] == [
        (2, "imported"), (3, "imported"), (4, "blank"), (5, "rejected"), (6, "duplicate"), (7, "rejected")]
    by_row = {r.row: r for r in report.rows}
    assert "name" in by_row[5].reasons
    assert "Unit Price" in by_row[7].reasons and "On Hand" in by_row[7].reasons
    coffee = db.scalar(select(Product).where(Product.sku == "A-1"))
    assert (coffee.name, coffee.category, coffee.price, coffee.cost, coffee.stock) == (
        "Kopi Luwak 250g", "Coffee", Decimal("120.00"), Decimal("70.00"), 15)
    assert db.scalar(select(func.count()).select_from(ExternalId).where(ExternalId.source_system == "shop")) == 2


def test_a_newer_export_updates_stock_instead_of_duplicating(db, manager) -> None:
    _import(db, manager, ROWS[:2])
    report = _import(db, manager, [["A-1", "", "", "", "", "9"], ["A-2", "Teh Hijau", "Tea", "25.50", "10.00", "200"]])
    assert [(r.outcome, r.reasons) for r in report.rows] == [("updated", ""), ("updated", "no change")]
    assert db.scalar(select(Product.stock).where(Product.sku == "A-1")) == 9
    assert db.scalar(select(func.count()).select_from(Product).where(Product.sku.in_(["A-1", "A-2"]))) == 2


def test_revert_removes_new_products_and_restores_updated_ones(db, manager) -> None:
    _import(db, manager, ROWS[:1])
    second = _import(db, manager, [["A-1", "", "", "", "", "3"], ["B-9", "Kettle", "Gifts", "30", "12", "4"]])
    result = revert(manager, second.batch_id, session=db)
    db.commit()
    assert result == {"removed": 1, "archived": 0, "restored": 1}
    assert db.scalar(select(Product.stock).where(Product.sku == "A-1")) == 15
    assert db.scalar(select(Product).where(Product.sku == "B-9")) is None
    assert [b.reverted_at is not None for b in list_imports(manager, kind="products", session=db)] == [True, False]
    with pytest.raises(ValidationError):
        revert(manager, second.batch_id, session=db)


def test_a_dry_run_reports_but_writes_nothing(db, manager) -> None:
    before = db.scalar(select(func.count()).select_from(Product))
    report = _import(db, manager, ROWS, dry_run=True)
    assert report.batch_id is None and report.counts["imported"] == 2
    assert db.scalar(select(func.count()).select_from(Product)) == before
    assert list_imports(manager, kind="products", session=db) == []


def test_a_missing_required_column_is_one_clear_message(db, manager) -> None:
    with pytest.raises(ValidationError) as caught:
        run(manager, "products", ROWS, headers=HEADERS, mapping={"name": 1}, session=db)
    assert "SKU" in " ".join(caught.value.errors.values())


def test_staff_cannot_import(db, manager) -> None:
    with pytest.raises(PermissionDenied):
        run(make_actor(db, "sales"), "products", ROWS, headers=HEADERS,
            mapping=auto_mapping(kind("products"), HEADERS), session=db)
