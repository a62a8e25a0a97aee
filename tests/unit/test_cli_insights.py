"""`python -m crm insights`: the Insights figures for scheduled jobs, checked against the receipts they count."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from crm.insights.rollups import apply_receipt
from crm.insights.tables import TABLES
from db.models import Customer, Product, Receipt, ReceiptLine
from tests.conftest import make_actor
from tools.cli import main
from tools.seed import ensure_demo_accounts

UTC = dt.timezone.utc
PERIOD = ["--from", "2026-01", "--to", "2026-03"]
MONTHS = ("2026-01", "2026-02", "2026-03")
PRODUCTS = {"W": ("Widget", "Hardware", Decimal("10.50"), Decimal("6.25")),
            "C": ("Course", "Training", Decimal("100.00"), Decimal("40.10"))}
CUSTOMERS = {"Ana": "SMB", "Bob": "SMB", "Cai": "Enterprise", "Dee": "Enterprise"}
# (customer, day, [(sku, quantity)]): the first receipt of each customer is their first purchase (their cohort).
RECEIPTS = [
    ("Ana", dt.date(2026, 1, 5), [("W", 2)]),
    ("Bob", dt.date(2026, 1, 20), [("W", 1), ("C", 1)]),
    ("Ana", dt.date(2026, 1, 28), [("C", 2)]),
    ("Cai", dt.date(2026, 2, 3), [("W", 5)]),
    ("Ana", dt.date(2026, 2, 10), [("C", 1)]),
    ("Dee", dt.date(2026, 2, 14), [("W", 3), ("C", 1)]),
    ("Ana", dt.date(2026, 3, 1), [("W", 1)]),
    ("Cai", dt.date(2026, 3, 31), [("W", 2)]),
    ("Bob", dt.date(2026, 4, 2), [("C", 4)]),  # after the period: never counted
]


@pytest.fixture
def shop(db, db_url, monkeypatch):
    """Four customers and the receipts above, in the database the command line opens."""
    ensure_demo_accounts(session=db)
    products = {sku: Product(sku=sku, name=name, category=category, price=price, cost=cost, stock=10)
                for sku, (name, category, price, cost) in PRODUCTS.items()}
    db.add_all(products.values())
    first = {}
    for name, day, _lines in sorted(RECEIPTS, key=lambda r: r[1]):
        first.setdefault(name, day)
    customers = {name: Customer(name=name, name_key=name.lower(), segment=segment, country="ID", status="customer",
                                acquired_on=first[name]) for name, segment in CUSTOMERS.items()}
    db.add_all(customers.values())
    db.flush()
    for n, (name, day, lines) in enumerate(RECEIPTS):
        receipt = Receipt(customer_id=customers[name].id, number=f"R{n}",
                          purchased_at=dt.datetime.combine(day, dt.time(12), tzinfo=UTC),
                          lines=[ReceiptLine(product_id=products[sku].id, quantity=q, unit_price=products[sku].price,
                                             unit_cost=products[sku].cost) for sku, q in lines])
        receipt.total = sum(products[sku].price * q for sku, q in lines)
        receipt.total_cost = sum(products[sku].cost * q for sku, q in lines)
        db.add(receipt)
        db.flush()
        apply_receipt(db, receipt)
    db.commit()
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["insights", *args])
    out, err = capsys.readouterr()
    return code, out, err


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def counted_sales(segment: str | None = None) -> dict[str, dict[str, object]]:
    """Per month of the period, the sales figures counted straight from ``RECEIPTS``."""
    out: dict[str, dict[str, object]] = {m: {"receipts": 0, "units": 0, "revenue": Decimal(0), "cost": Decimal(0),
                                             "buyers": set()} for m in MONTHS}
    for name, day, lines in RECEIPTS:
        month = day.strftime("%Y-%m")
        if month not in out or (segment and CUSTOMERS[name] != segment):
            continue
        row = out[month]
        row["receipts"] += 1
        row["buyers"].add(name)
        for sku, q in lines:
            row["units"] += q
            row["revenue"] += PRODUCTS[sku][2] * q
            row["cost"] += PRODUCTS[sku][3] * q
    return out


def expected_sales_rows(segment: str | None = None) -> list[dict[str, str]]:
    return [{"month": m, "receipts": str(r["receipts"]), "units": str(r["units"]), "revenue": f"{r['revenue']:.2f}",
             "cost": f"{r['cost']:.2f}", "margin": f"{r['revenue'] - r['cost']:.2f}",
             "active_customers": str(len(r["buyers"]))} for m, r in counted_sales(segment).items()]


def test_sales_by_month_in_csv_are_the_receipts_counted_per_month(shop, capsys) -> None:
    code, out, err = run(capsys, "sales-by-month", *PERIOD, "--user", "budget", "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == "month,receipts,units,revenue,cost,margin,active_customers"
    assert csv_rows(out) == expected_sales_rows()


def test_sales_by_month_with_a_segment_are_that_segments_receipts(shop, capsys) -> None:
    code, out, err = run(capsys, "sales-by-month", *PERIOD, "--user", "budget", "--segment", "Enterprise")
    assert code == 0, err
    assert csv_rows(out) == expected_sales_rows("Enterprise")


def test_sales_by_month_in_json_have_the_same_keys_and_exact_amounts(shop, capsys) -> None:
    code, out, err = run(capsys, "sales-by-month", *PERIOD, "--user", "marketing", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    expected = expected_sales_rows()
    assert [list(r) for r in records] == [list(e) for e in expected]
    for record, want in zip(records, expected):
        assert isinstance(record["receipts"], int) and isinstance(record["revenue"], str)  # counts; exact amounts
        assert {k: str(v) for k, v in record.items()} == want


def test_sales_by_month_add_up_to_the_pages_sales_by_category(shop, capsys) -> None:
    run(capsys, "sales-by-month", *PERIOD, "--user", "budget")
    code, out, err = run(capsys, "sales-by-category", *PERIOD, "--user", "budget")
    assert code == 0, err
    per_month: dict[str, Decimal] = defaultdict(Decimal)
    for row in csv_rows(out):
        per_month[row["month"]] += Decimal(row["revenue"])
    assert {m: f"{v:.2f}" for m, v in per_month.items()} == {
        r["month"]: r["revenue"] for r in expected_sales_rows() if r["revenue"] != "0.00"}


def test_cohort_retention_shares_are_counted_from_first_and_later_purchases(shop, capsys) -> None:
    code, out, err = run(capsys, "cohort-retention", *PERIOD, "--user", "budget", "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == "cohort_month,months_since_first_purchase,customers,share_of_cohort"
    cohort, bought = {}, defaultdict(set)
    for name, day, _lines in sorted(RECEIPTS, key=lambda r: r[1]):
        cohort.setdefault(name, day.strftime("%Y-%m"))
        if day.strftime("%Y-%m") in MONTHS:
            bought[name].add(day.strftime("%Y-%m"))
    size = {m: sum(1 for c in cohort.values() if c == m) for m in MONTHS}
    later: dict[tuple[str, int], int] = defaultdict(int)
    for name, months in bought.items():
        c = cohort[name]
        for m in months:
            offset = (int(m[:4]) - int(c[:4])) * 12 + int(m[5:]) - int(c[5:])
            if offset > 0:
                later[(c, offset)] += 1
    expected = sorted((c, str(k), str(n), f"{100 * n / size[c]:.1f}") for (c, k), n in later.items())
    got = sorted((r["cohort_month"], r["months_since_first_purchase"], r["customers"], r["share_of_cohort"])
                 for r in csv_rows(out))
    assert got == expected
    assert ("2026-01", "1", "1", "50.0") in got  # of Ana and Bob (January), Ana bought again in February


def test_a_user_without_insights_read_is_refused_with_one_line(shop, capsys) -> None:
    code, out, err = run(capsys, "sales-by-month", *PERIOD, "--user", "service")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("Error: ") and "insights.read" in err
    code, _out, err = run(capsys, "sales-by-month", "--user", "nobody")
    assert code == 1 and err.startswith("Error: ") and "nobody" in err


def test_list_names_every_figure_with_a_description(shop, capsys) -> None:
    code, out, _err = run(capsys, "--list")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(TABLES)
    assert {"sales-by-month", "cohort-retention", "products", "nps-by-month", "top-customers"} <= set(TABLES)
    assert all(len(line.split(None, 1)) == 2 for line in lines)  # a name, then its description


@pytest.mark.parametrize("args", [["--from", "2026-13"], ["--to", "March"], ["--from", "2026-03", "--to", "2026-01"]])
def test_a_bad_month_is_one_line_and_exit_2(shop, capsys, args) -> None:
    code, out, err = run(capsys, "sales-by-month", "--user", "budget", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("Error: ")


def test_an_unknown_figure_lists_the_figures_and_exits_2(shop, capsys) -> None:
    code, _out, err = run(capsys, "sales-per-planet", "--user", "budget")
    assert code == 2
    assert "sales-per-planet" in err and all(name in err for name in TABLES)


def test_every_figure_prints_its_columns_and_out_writes_the_same(shop, capsys, tmp_path: Path) -> None:
    for name, table in TABLES.items():
        code, out, err = run(capsys, name, *PERIOD, "--user", "sponsor")
        assert code == 0, (name, err)
        assert out.splitlines()[0].split(",") == table.keys, name
        target = tmp_path / f"{name}.json"
        code, said, err = run(capsys, name, *PERIOD, "--user", "sponsor", "--format", "json", "--out", str(target))
        assert code == 0 and str(target) in said, (name, err)
        records = json.loads(target.read_text(encoding="utf-8"))
        assert len(records) == len(csv_rows(out)) and all(list(r) == table.keys for r in records), name


def test_the_default_period_is_the_pages(shop, capsys) -> None:
    from crm.insights.figures import InsightFilters, customer_trends

    code, out, err = run(capsys, "customer-trends", "--user", "budget")
    assert code == 0, err
    page = customer_trends(make_actor(shop, "budget"), InsightFilters.last_months(12), session=shop)
    assert [r["month"] for r in csv_rows(out)] == page["Month"].tolist()
