"""Summary tables that keep the Insights page fast, and how they stay correct.

``sales_monthly`` holds, per month and product, the units, revenue, cost and
number of receipt lines. It is changed in the same transaction as the lines it
summarises: ``apply_receipt`` adds a new receipt's lines (an upsert per
month/product, so concurrent writers add up instead of overwriting), and
``rebuild_all`` recomputes the table from the lines (after a bulk load, or to
repair). A test checks that random incremental writes equal a full rebuild.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Receipt, ReceiptLine, SalesMonthly


def _month_expr(session: Session):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(Receipt.purchased_at, literal_column("'YYYY-MM'"))
    return func.strftime(literal_column("'%Y-%m'"), Receipt.purchased_at)


def rebuild_all(session: Session) -> int:
    """Recompute ``sales_monthly`` from every receipt line; returns the number of summary rows."""
    month = _month_expr(session)
    session.execute(delete(SalesMonthly))
    rows = session.execute(
        select(month, ReceiptLine.product_id, func.sum(ReceiptLine.quantity),
               func.sum(ReceiptLine.quantity * ReceiptLine.unit_price),
               func.sum(ReceiptLine.quantity * ReceiptLine.unit_cost), func.count())
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .group_by(month, ReceiptLine.product_id)
    ).all()
    if rows:
        session.execute(insert(SalesMonthly), [
            {"month": m, "product_id": p, "quantity": int(q), "revenue": Decimal(str(r)).quantize(Decimal("0.01")),
             "cost": Decimal(str(c)).quantize(Decimal("0.01")), "lines": int(n)}
            for m, p, q, r, c, n in rows
        ])
    return len(rows)


def apply_receipt(session: Session, receipt: Receipt) -> None:
    """Add one receipt's lines to the summary (call in the transaction that writes the receipt)."""
    month = receipt.purchased_at.strftime("%Y-%m")
    totals: dict[int, list] = {}
    for line in receipt.lines:
        t = totals.setdefault(line.product_id, [0, Decimal(0), Decimal(0), 0])
        t[0] += line.quantity
        t[1] += Decimal(line.quantity) * Decimal(line.unit_price)
        t[2] += Decimal(line.quantity) * Decimal(line.unit_cost)
        t[3] += 1
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    for product_id, (q, r, c, n) in totals.items():
        stmt = make(SalesMonthly).values(month=month, product_id=product_id, quantity=q, revenue=r, cost=c, lines=n)
        stmt = stmt.on_conflict_do_update(
            index_elements=["month", "product_id"],
            set_={"quantity": SalesMonthly.quantity + q, "revenue": SalesMonthly.revenue + r,
                  "cost": SalesMonthly.cost + c, "lines": SalesMonthly.lines + n},
        )
        session.execute(stmt)
