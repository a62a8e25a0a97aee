"""Sales receipts come in from a shop's export: lines grouped by receipt number, customers found by the id they
have in another system, products by SKU, name or category; re-importing changes nothing, a newer export updates
what changed, every figure (customers, Insights) follows at once and a revert puts every figure back."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.core.errors import PermissionDenied
from crm.importing.batches import revert
from crm.importing.kinds import auto_mapping, kind
from crm.importing.runner import run
from crm.importing.writing import ImportOptions
from crm.insights import figures
from crm.insights.figures import InsightFilters
from crm.insights.rollups import apply_receipt, rebuild_all
from db.models import (
    BuyerMonthCount,
    Customer,
    CustomerMonth,
    ExternalId,
    Product,
    Receipt,
    ReceiptLine,
    SalesMonthly,
)
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

HEADERS = ["Receipt No", "Customer ID", "Order Date", "SKU", "Qty", "Unit Price", "Unit Cost", "Channel"]
LINES = [
    ["S-1", "C-1", "2026-01-05 10:00", "A-1", "2", "12.00", "7.00", "store"],
    ["S-2", "C-2", "2026-01-20 11:00", "A-2", "1", "5.50", "2.00", "online"],
    ["S-1", "C-1", "2026-01-05 10:00", "A-2", "3", "5.50", "2.00", "store"],  # S-1 again, after S-2
    ["", "", "", "", "", "", "", ""],
    ["S-3", "C-3", "2026-02-03 09:30", "A-1", "1", "12.00", "7.00", "online"],
    ["S-4", "C-404", "2026-02-04 09:30", "A-1", "1", "12.00", "7.00", "store"],  # nobody in crm_old
    ["S-5", "C-2", "2026-03-01 08:00", "Z-9", "2", "3.00", "1.00", "store"],  # a SKU the portal does not know
    ["S-1", "C-2", "2026-01-05 10:00", "A-1", "1", "12.00", "7.00", "store"],  # S-1 with another customer
]
F = InsightFilters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 12, 31))
UTC = dt.timezone.utc


@pytest.fixture
def shop(db):
    """A manager, two products, three customers known in the old CRM as C-1..C-3 (C-1 bought once before)."""
    ensure_demo_accounts(session=db)
    coffee = Product(sku="A-1", name="Kopi Luwak", category="Coffee", price=Decimal(12), cost=Decimal(7), stock=5)
    tea = Product(sku="A-2", name="Teh Hijau", category="Tea", price=Decimal("5.50"), cost=Decimal(2), stock=5)
    db.add_all([coffee, tea])
    people = [Customer(name=n, name_key=n.lower(), status="customer", email=f"{n.lower()}@example.org",
                       email_key=f"{n.lower()}@example.org") for n in ("Ana", "Bob", "Cai")]
    db.add_all(people)
    db.flush()
    db.add_all([ExternalId(source_system="crm_old", entity="customer", external_id=f"C-{i}", entity_id=c.id)
                for i, c in enumerate(people, start=1)])
    earlier = Receipt(customer_id=people[0].id, number="OLD-1", purchased_at=dt.datetime(2025, 12, 1, tzinfo=UTC),
                      total=Decimal(24), total_cost=Decimal(14),
                      lines=[ReceiptLine(product_id=coffee.id, quantity=2, unit_price=Decimal(12),
                                         unit_cost=Decimal(7))])
    db.add(earlier)
    db.flush()
    apply_receipt(db, earlier)
    ana = people[0]
    ana.lifetime_revenue, ana.lifetime_cost, ana.purchase_count = Decimal(24), Decimal(14), 1
    ana.last_purchase_at, ana.acquired_on = earlier.purchased_at, dt.date(2025, 12, 1)
    db.commit()
    return make_actor(db, "salesmgr"), {f"C-{i}": c.id for i, c in enumerate(people, start=1)}


def _import(db, who, rows, headers=HEADERS, **options):
    options.setdefault("source_system", "shop")
    options.setdefault("customer_source", "crm_old")
    report = run(who, "receipts", rows, headers=headers, mapping=auto_mapping(kind("receipts"), headers),
                 options=ImportOptions(**options), filename="sales.csv", session=db)
    db.commit()
    return report


def _figures(db) -> dict[str, list[tuple]]:
    """Every figure a receipts import moves: customers' lifetime figures, the summary tables, the rows."""
    out = {model.__tablename__: sorted(tuple(getattr(row, c.key) for c in model.__table__.columns)
                                       for row in db.scalars(select(model)))
           for model in (SalesMonthly, CustomerMonth, BuyerMonthCount)}
    out["customers"] = sorted(db.execute(select(
        Customer.id, Customer.lifetime_revenue, Customer.lifetime_cost, Customer.purchase_count,
        Customer.last_purchase_at, Customer.acquired_on)).all())
    out["receipts"] = sorted(db.execute(select(Receipt.id, Receipt.customer_id, Receipt.number, Receipt.purchased_at,
                                               Receipt.total, Receipt.total_cost)).all())
    out["lines"] = sorted(db.execute(select(ReceiptLine.receipt_id, ReceiptLine.product_id, ReceiptLine.quantity,
                                            ReceiptLine.unit_price, ReceiptLine.unit_cost)).all())
    out["products"] = sorted(db.execute(select(Product.id, Product.sku, Product.active)).all())
    return out


def test_headers_of_a_shop_export_are_recognised() -> None:
    mapping = auto_mapping(kind("receipts"), HEADERS)
    assert {f: HEADERS[i] for f, i in mapping.items()} == {
        "number": "Receipt No", "customer": "Customer ID", "purchased_at": "Order Date", "sku": "SKU",
        "quantity": "Qty", "unit_price": "Unit Price", "unit_cost": "Unit Cost", "channel": "Channel"}
    other = ["Invoice", "Email", "Date", "Total", "Units"]
    assert set(auto_mapping(kind("receipts"), other)) == {"number", "customer", "purchased_at", "total", "units"}


def test_lines_are_grouped_by_receipt_and_every_row_is_accounted_for(db, shop) -> None:
    who, ids = shop
    report = _import(db, who, LINES)
    assert [(r.row, r.outcome) for r in report.rows] == [
        (2, "imported"), (3, "imported"), (4, "imported"), (5, "blank"), (6, "imported"), (7, "rejected"),
        (8, "rejected"), (9, "rejected")]
    by_row = {r.row: r for r in report.rows}
    assert by_row[7].reasons == "Customer ID: customer reference 'C-404' matches no customer (source crm_old)."
    assert "SKU" in by_row[8].reasons and "Z-9" in by_row[8].reasons
    assert "Customer ID" in by_row[9].reasons and "S-1" in by_row[9].reasons
    s1 = db.scalar(select(Receipt).where(Receipt.number == "S-1"))
    assert by_row[2].entity_id == by_row[4].entity_id == s1.id
    assert (s1.customer_id, s1.total, s1.total_cost, s1.channel) == (ids["C-1"], Decimal("40.50"), Decimal("20.00"),
                                                                     "store")
    assert sorted((line.quantity, line.unit_price) for line in s1.lines) == [(2, Decimal(12)), (3, Decimal("5.50"))]
    assert db.scalar(select(func.count()).select_from(ExternalId).where(
        ExternalId.source_system == "shop", ExternalId.entity == "receipt")) == 3
    ana = db.get(Customer, ids["C-1"])
    assert (ana.lifetime_revenue, ana.lifetime_cost, ana.purchase_count) == (Decimal("64.50"), Decimal(34), 2)
    assert ana.last_purchase_at == dt.datetime(2026, 1, 5, 10, tzinfo=UTC) and ana.acquired_on == dt.date(2025, 12, 1)
    cai = db.get(Customer, ids["C-3"])
    assert cai.acquired_on == dt.date(2026, 2, 3)  # first purchase date of a customer who had none


def test_unknown_products_are_created_when_the_user_says_so(db, shop) -> None:
    who, ids = shop
    report = _import(db, who, LINES, unknown_products="create")
    assert report.extra == {"products_created": 1} and report.rows[6].outcome == "imported"
    made = db.scalar(select(Product).where(Product.sku == "Z-9"))
    assert (made.price, made.cost, made.stock, made.import_batch_id) == (Decimal(3), Decimal(1), 0, report.batch_id)


def test_products_found_by_name_or_category_and_receipts_given_by_total(db, shop) -> None:
    who, ids = shop
    headers = ["Order ID", "Customer", "Date", "Item", "Category", "Quantity", "Price", "Total", "Units"]
    rows = [["N-1", "C-2", "2026-04-01", "kopi luwak", "", "1", "", "", ""],  # by name, the product's price
            ["N-2", "C-2", "2026-04-02", "", "Gifts", "2", "4.00", "", ""],  # a category: its stand-in product
            ["N-3", "C-3", "2026-04-03", "", "", "", "", "10.00", "3"]]  # only a total: 3.33 + 3.33 + 3.34
    report = _import(db, who, rows, headers)
    assert [r.outcome for r in report.rows] == ["imported"] * 3
    assert report.extra == {"products_created": 2}
    by_number = {r.number: r for r in db.scalars(select(Receipt).where(Receipt.number.in_(["N-1", "N-2", "N-3"])))}
    assert by_number["N-1"].total == Decimal(12) and by_number["N-1"].total_cost == Decimal(7)
    gifts = db.scalar(select(Product).where(Product.sku == "CAT-gifts"))
    assert gifts.category == "Gifts" and by_number["N-2"].lines[0].product_id == gifts.id
    n3 = by_number["N-3"]
    assert n3.total == Decimal("10.00") and sum(line.quantity for line in n3.lines) == 3
    assert db.get(Product, n3.lines[0].product_id).sku == "UNSPECIFIED"


def test_the_same_file_again_changes_nothing(db, shop) -> None:
    who, _ids = shop
    _import(db, who, LINES)
    before = _figures(db)
    again = _import(db, who, LINES)
    assert [r.outcome for r in again.rows] == ["duplicate"] * 3 + ["blank", "duplicate"] + ["rejected"] * 3
    assert _figures(db) == before


def test_a_newer_export_replaces_the_receipts_that_changed(db, shop) -> None:
    who, ids = shop
    first = _import(db, who, LINES[:5])
    newer = [LINES[0], LINES[1], ["S-1", "C-1", "2026-01-05 10:00", "A-2", "4", "5.50", "2.00", "store"], LINES[4],
             ["S-9", "C-2", "2026-05-05 10:00", "A-1", "1", "12.00", "7.00", "store"]]
    report = _import(db, who, newer)
    assert [r.outcome for r in report.rows] == ["updated", "duplicate", "updated", "duplicate", "imported"]
    s1 = db.scalar(select(Receipt).where(Receipt.number == "S-1"))
    assert s1.total == Decimal(46) and db.get(Customer, ids["C-1"]).lifetime_revenue == Decimal(70)
    assert db.scalar(select(func.count()).select_from(Receipt).where(Receipt.number == "S-1")) == 1
    # a later export without one of S-1's lines: S-1 loses it
    shorter = _import(db, who, [LINES[0]])
    assert [r.outcome for r in shorter.rows] == ["updated"]
    assert db.scalar(select(Receipt.total).where(Receipt.number == "S-1")) == Decimal(24)
    incremental = _figures(db)
    rebuild_all(db)
    assert _figures(db) == incremental
    assert first.batch_id != report.batch_id


def test_receipts_without_a_source_are_matched_among_receipts_without_one(db, shop) -> None:
    who, ids = shop
    headers = ["Invoice", "Email", "Date", "Total", "Units"]
    rows = [["OLD-1", "ana@example.org", "2025-12-01", "24.00", "2"], ["T-1", "bob@example.org", "2026-06-01", "9", ""]]
    report = _import(db, who, rows, headers, source_system=None, customer_source=None)
    assert [r.outcome for r in report.rows] == ["updated", "imported"]  # OLD-1 now has one unspecified line
    assert db.scalar(select(func.count()).select_from(Receipt).where(Receipt.number == "OLD-1")) == 1
    again = _import(db, who, rows, headers, source_system=None, customer_source=None)
    assert [r.outcome for r in again.rows] == ["duplicate", "duplicate"]


def _random_file(seed: int) -> list[list[str]]:
    """60 lines of 25 receipts of the three customers over 2026, in random order (lines of a receipt apart)."""
    rng = random.Random(seed)
    rows = []
    for n in range(25):
        customer = rng.choice(["C-1", "C-2", "C-3"])
        when = dt.datetime(2026, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)
        for _ in range(rng.randint(1, 4)):
            rows.append([f"R-{n}", customer, when.strftime("%Y-%m-%d %H:%M"), rng.choice(["A-1", "A-2"]),
                         str(rng.randint(1, 5)), f"{rng.randint(100, 2000) / 100:.2f}",
                         f"{rng.randint(50, 900) / 100:.2f}", "store"])
    rng.shuffle(rows)
    return rows


def test_insights_after_an_import_equal_the_file_counted_by_hand(db, shop) -> None:
    who, ids = shop
    rows = _random_file(7)
    report = _import(db, who, rows)
    assert report.counts["imported"] == len(rows)
    reader = make_actor(db, "marketing")
    month = lambda r: r[2][:7]  # noqa: E731
    expected = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    receipts: dict[str, tuple[str, str]] = {}
    for r in rows:
        t = expected[(month(r), {"A-1": "Coffee", "A-2": "Tea"}[r[3]])]
        t[0] += int(r[4])
        t[1] += int(r[4]) * Decimal(r[5])
        t[2] += int(r[4]) * Decimal(r[6])
        receipts[r[0]] = (r[1], month(r))
    sales = figures.sales_by_month(reader, F, session=db)
    assert {(m, c): [u, Decimal(str(rv)).quantize(Decimal("0.01")), Decimal(str(co)).quantize(Decimal("0.01"))]
            for m, c, u, rv, co in sales[["Month", "Category", "Units", "Revenue", "Cost"]].itertuples(index=False)} \
        == {k: [u, rv, co] for k, (u, rv, co) in expected.items()}
    active = defaultdict(set)
    per_customer = defaultdict(int)
    for customer, m in receipts.values():
        active[m].add(customer)
        per_customer[customer] += 1
    trends = figures.customer_trends(reader, F, session=db).set_index("Month")
    assert {m: int(trends.loc[m, "Active"]) for m in trends.index if trends.loc[m, "Active"]} == \
        {m: len(c) for m, c in active.items()}
    rate, repeaters, buyers = figures.repeat_purchase_rate(reader, F, session=db)
    assert (repeaters, buyers) == (sum(1 for n in per_customer.values() if n >= 2), len(per_customer))
    value = figures.lifetime_value(reader, F, session=db)
    assert Decimal(str(value.revenue)).quantize(Decimal("0.01")) == 24 + sum(int(r[4]) * Decimal(r[5]) for r in rows)
    incremental = _figures(db)
    rebuild_all(db)
    assert _figures(db) == incremental


def test_the_insights_cache_forgets_figures_when_an_import_commits(db, shop) -> None:
    who, _ids = shop
    reader = make_actor(db, "marketing")
    empty = figures.sales_by_month(reader, F, session=db, cache=figures.SHARED_FIGURES)
    assert empty.empty
    _import(db, who, LINES)
    assert not figures.sales_by_month(reader, F, session=db, cache=figures.SHARED_FIGURES).empty


def test_revert_restores_every_figure(db, shop) -> None:
    who, _ids = shop
    initial = _figures(db)
    first = _import(db, who, _random_file(3) + LINES, unknown_products="create")
    after_first = _figures(db)
    newer = _random_file(3)[:-5] + [["R-1", "C-2", "2026-07-07 07:07", "A-1", "9", "1.00", "0.50", "online"]]
    second = _import(db, who, newer)
    assert second.counts["updated"] and second.counts["duplicate"]
    revert(who, second.batch_id, session=db)
    db.commit()
    assert _figures(db) == after_first
    revert(who, first.batch_id, session=db)
    db.commit()
    assert _figures(db) == initial


def test_staff_cannot_import_receipts(db, shop) -> None:
    with pytest.raises(PermissionDenied):
        run(make_actor(db, "sales"), "receipts", LINES, headers=HEADERS,
            mapping=auto_mapping(kind("receipts"), HEADERS), session=db)


def test_receipts_whose_lines_are_in_different_chunks(db, shop, monkeypatch) -> None:
    """Chunks of 4 rows: every receipt's lines are spread over chunks; the outcome is the same as in one."""
    who, _ids = shop
    monkeypatch.setattr("crm.importing.runner.CHUNK", 4)
    rows = _random_file(11)
    first = _import(db, who, rows)
    assert first.counts["imported"] == len(rows)
    by_number = defaultdict(Decimal)
    for r in rows:
        by_number[r[0]] += int(r[4]) * Decimal(r[5])
    stored = dict(db.execute(select(Receipt.number, Receipt.total).where(Receipt.number.like("R-%"))).all())
    assert stored == by_number
    imported = _figures(db)
    again = _import(db, who, rows)
    assert again.counts["duplicate"] == len(rows) and _figures(db) == imported
    newer = rows[:-1]  # the last line is gone from its receipt
    changed = _import(db, who, newer)
    gone = rows[-1][0]
    assert {r.name for r in changed.rows if r.outcome == "updated"} == {gone}
    assert db.scalar(select(Receipt.total).where(Receipt.number == gone)) == \
        by_number[gone] - int(rows[-1][4]) * Decimal(rows[-1][5])
    incremental = _figures(db)
    rebuild_all(db)
    assert _figures(db) == incremental
    revert(who, changed.batch_id, session=db)
    db.commit()
    assert _figures(db) == imported


def test_repeated_cells_and_the_report_of_every_row(db, shop, monkeypatch) -> None:
    """Cells repeated down the file (a bad date, the same price) are judged alike on every row, and the report
    lists every row in file order, imported rows with their receipt, also in its CSV."""
    who, _ids = shop
    monkeypatch.setattr("crm.importing.runner.CHUNK", 3)
    rows = [["T-1", "C-1", "2026-04-01 10:00", "A-1", "1", "12.00", "7.00", "store"],
            ["T-1", "C-1", "2026-04-01 10:00", "A-2", "2", "5.50", "2.00", "store"],
            ["T-2", "C-2", "31/31/2026", "A-1", "1", "12.00", "7.00", "store"],
            ["T-3", "C-2", "2026-04-02 10:00", "A-1", "1", "12.00", "7.00", "store"],
            ["T-4", "C-3", "31/31/2026", "A-2", "1", "5.50", "2.00", "store"],
            ["T-3", "C-2", "2026-04-02 10:00", "A-2", "1", "5.50", "2.00", "store"]]
    report = _import(db, who, rows)
    assert [(r.row, r.outcome) for r in report.rows] == [
        (2, "imported"), (3, "imported"), (4, "rejected"), (5, "imported"), (6, "rejected"), (7, "imported")]
    assert report.rows[2].reasons == report.rows[4].reasons and "Order Date" in report.rows[4].reasons
    assert len(report.rows) == 6 and report.rows[-1].row == 7 and report.counts["imported"] == 4
    receipt = dict(db.execute(select(Receipt.number, Receipt.id)).all())
    lines = report.as_csv().decode("utf-8-sig").splitlines()
    assert lines[0] == "row,outcome,record_id,name,reasons"
    assert lines[1:3] == [f"2,imported,{receipt['T-1']},T-1,", f"3,imported,{receipt['T-1']},T-1,"]
    assert lines[6] == f"7,imported,{receipt['T-3']},T-3,"
    assert db.get(Receipt, receipt["T-3"]).total == Decimal("17.50")
