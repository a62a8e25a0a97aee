"""Summary tables that keep the Insights page fast, and how they stay correct.

- ``sales_monthly``: per month and product, the units, revenue, cost and number of receipt lines;
- ``customer_months``: per customer and month with purchases, the receipts, revenue and cost;
- ``interaction_monthly``: per month, department and channel, the number of interactions;
- ``buyer_month_counts``: ``customer_months`` counted by month, previous and next purchase month and
  single receipt (the headline figures of a period without one row per customer).

Each is changed in the same transaction as the rows it summarises: ``apply_receipt`` and
``apply_interaction`` add a new row (upserts, so concurrent writers add up instead of overwriting),
``add_interactions`` adds (or takes away) the counts of an import at once,
``refresh_customers`` recomputes the customers whose receipts moved (a merge); both move the customers'
rows in ``buyer_month_counts`` from their old counts to their new ones; and ``rebuild_all``
recomputes everything with INSERT ... SELECT (after a bulk load, or to repair). Tests check that random
incremental writes equal a full rebuild.

``customer_months`` rows and survey answers also carry their customer's segment, country (and, for the
months, acquisition source and cohort): written here and by the survey services when a row is new, and
copied by the database trigger ``customers_groups_to_months`` (migrations 0009-0010) whenever a customer's
groups change, whatever code changes them.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from db.bulk import execute_many, fetch_in
from db.models import (
    BuyerMonthCount,
    Customer,
    CustomerMonth,
    Interaction,
    InteractionMonthly,
    Receipt,
    ReceiptLine,
    SalesMonthly,
    SurveyResponse,
)


GROUPS = ("segment", "country", "acquisition_source", "cohort")  # the customer's, copied into customer_months


def _month_expr(session: Session, column: Any = Receipt.purchased_at) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.strftime(literal_column("'%Y-%m'"), column)


def month_key(moment: dt.datetime) -> str:
    """'YYYY-MM' of a timestamp in UTC, as the summaries store it (naive values are taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m")


def _upsert(session: Session, model: Any, keys: dict[str, Any], amounts: dict[str, Any],
            new_only: dict[str, Any] | None = None) -> None:
    """Insert the row, or add ``amounts`` to the existing one (atomic on both databases); ``new_only`` values
    are written when the row is new."""
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(model).values(**keys, **amounts, **(new_only or {})).on_conflict_do_update(
        index_elements=list(keys), set_={k: getattr(model, k) + v for k, v in amounts.items()})
    session.execute(stmt)


def rebuild_all(session: Session) -> int:
    """Recompute every summary table from the data; returns the number of ``sales_monthly`` rows."""
    rebuild_interactions(session)
    refresh_customers(session, None)
    copy_survey_groups(session)
    return rebuild_sales(session)


def copy_survey_groups(session: Session) -> None:
    """Set every survey answer's segment and country to its customer's (a repair; writes keep them equal)."""
    def of_customer(column: Any) -> Any:
        return select(column).where(Customer.id == SurveyResponse.customer_id).scalar_subquery()

    session.execute(update(SurveyResponse).values(segment=of_customer(Customer.segment),
                                                  country=of_customer(Customer.country)))


def rebuild_interactions(session: Session) -> None:
    month = _month_expr(session, Interaction.occurred_at)
    session.execute(delete(InteractionMonthly))
    session.execute(insert(InteractionMonthly).from_select(
        ["month", "department_id", "channel", "interactions"],
        select(month, Interaction.department_id, Interaction.channel, func.count())
        .group_by(month, Interaction.department_id, Interaction.channel)))


def refresh_customers(session: Session, customer_ids: list[int] | None) -> None:
    """Recompute ``customer_months`` of these customers (all when None) from their receipts, and the counts."""
    before = _links(session, customer_ids) if customer_ids is not None else None
    month = _month_expr(session).label("month")
    grouped = (select(Receipt.customer_id.label("customer_id"), month, func.count().label("receipts"),
                      func.sum(Receipt.total).label("revenue"), func.sum(Receipt.total_cost).label("cost"))
               .group_by(Receipt.customer_id, month))
    clear = delete(CustomerMonth)
    if customer_ids is not None:
        grouped = grouped.where(Receipt.customer_id.in_(customer_ids))
        clear = clear.where(CustomerMonth.customer_id.in_(customer_ids))
    g = grouped.subquery()
    session.execute(clear)
    session.execute(insert(CustomerMonth).from_select(
        ["customer_id", "month", "receipts", "revenue", "cost", "previous_month", "next_month", *GROUPS],
        select(g.c.customer_id, g.c.month, g.c.receipts, g.c.revenue, g.c.cost,
               func.lag(g.c.month).over(partition_by=g.c.customer_id, order_by=g.c.month),
               func.lead(g.c.month).over(partition_by=g.c.customer_id, order_by=g.c.month),
               Customer.segment, Customer.country, Customer.acquisition_source,
               _month_expr(session, Customer.acquired_on))
        .join(Customer, Customer.id == g.c.customer_id)))
    if before is None:
        rebuild_buyer_counts(session)
    else:
        _count(session, before, _links(session, customer_ids))


def rebuild_buyer_counts(session: Session) -> None:
    """Recompute ``buyer_month_counts`` from ``customer_months`` (one GROUP BY)."""
    previous, following = func.coalesce(CustomerMonth.previous_month, ""), func.coalesce(CustomerMonth.next_month, "")
    once = CustomerMonth.receipts == 1
    session.execute(delete(BuyerMonthCount))
    session.execute(insert(BuyerMonthCount).from_select(
        ["month", "previous_month", "next_month", "once", "customers"],
        select(CustomerMonth.month, previous, following, once, func.count())
        .group_by(CustomerMonth.month, previous, following, once)))


LinkKey = tuple[str, str, str, bool]


def _links(session: Session, customer_ids: list[int]) -> Counter[LinkKey]:
    """The ``buyer_month_counts`` keys of these customers' rows (a handful per customer)."""
    rows = session.execute(select(CustomerMonth.month, CustomerMonth.previous_month, CustomerMonth.next_month,
                                  CustomerMonth.receipts).where(CustomerMonth.customer_id.in_(customer_ids)))
    return Counter((m, p or "", n or "", r == 1) for m, p, n, r in rows)


def _count(session: Session, before: Counter[LinkKey], after: Counter[LinkKey]) -> None:
    """Move counts from the old keys to the new ones (one upsert per key, in one ``executemany``, in key order);
    a count that reaches zero is removed."""
    delta = Counter(after)
    delta.subtract(before)
    changes = [(month, previous, following, once, change)
               for (month, previous, following, once), change in sorted(delta.items()) if change]
    if not changes:
        return
    execute_many(session, "INSERT INTO buyer_month_counts (month, previous_month, next_month, once, customers) "
                          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (month, previous_month, next_month, once) "
                          "DO UPDATE SET customers = buyer_month_counts.customers + excluded.customers", changes)
    if any(change < 0 for *_key, change in changes):
        session.execute(delete(BuyerMonthCount).where(BuyerMonthCount.customers == 0))


MonthDelta = list  # [receipts, revenue, cost] to add to one customer's month (negative to take away)
_MONTH_UPSERT = ("INSERT INTO customer_months (customer_id, month, receipts, revenue, cost, previous_month, next_month, "
                 "segment, country, acquisition_source, cohort) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (customer_id, month) DO UPDATE SET receipts = excluded.receipts, "
                 "revenue = excluded.revenue, cost = excluded.cost, previous_month = excluded.previous_month, "
                 "next_month = excluded.next_month")


def add_customer_months(session: Session, deltas: dict[tuple[int, str], MonthDelta]) -> None:
    """Add receipts to ``customer_months`` in bulk (an import or its revert), by (customer, month) -> [receipts,
    revenue, cost]: the customers' rows are read once, changed and linked again in Python, and only the rows that
    changed are written (one upsert and one delete ``executemany``); ``buyer_month_counts`` moves by the
    difference. The result equals ``refresh_customers`` of the same customers, without reading their receipts."""
    if not deltas:
        return
    by_customer: dict[int, list[tuple[str, MonthDelta]]] = {}
    for (cid, month), change in deltas.items():
        by_customer.setdefault(cid, []).append((month, change))
    ids = sorted(by_customer)
    rows: dict[int, dict[str, tuple[Any, ...]]] = {}
    for cid, month, receipts, revenue, cost, previous, following in fetch_in(
            session, "SELECT customer_id, month, receipts, revenue, cost, previous_month, next_month "
                     "FROM customer_months WHERE customer_id IN ({ids})", ids):
        rows.setdefault(cid, {})[month] = (receipts, _money(revenue), _money(cost), previous, following)
    before: Counter[LinkKey] = Counter()
    after: Counter[LinkKey] = Counter()
    written: list[list[Any]] = []
    gone: list[tuple[int, str]] = []
    for cid in ids:
        old = rows.get(cid, {})
        months = {m: [r, rev, cost] for m, (r, rev, cost, _p, _n) in old.items()}
        for month, (receipts, revenue, cost) in by_customer[cid]:
            row = months.setdefault(month, [0, Decimal(0), Decimal(0)])
            row[0] += receipts
            row[1] += revenue
            row[2] += cost
        kept = sorted(m for m, row in months.items() if row[0] > 0)
        for month, (receipts, _revenue, _cost, previous, following) in old.items():
            before[(month, previous or "", following or "", receipts == 1)] += 1
        for i, month in enumerate(kept):
            receipts, revenue, cost = months[month]
            previous, following = kept[i - 1] if i else None, kept[i + 1] if i + 1 < len(kept) else None
            after[(month, previous or "", following or "", receipts == 1)] += 1
            if old.get(month) != (receipts, revenue, cost, previous, following):
                written.append([cid, month, receipts, revenue, cost, previous, following, None, None, None, None])
        gone.extend((cid, month) for month in old if month not in kept)
    new_of = {r[0] for r in written if r[1] not in rows.get(r[0], {})}
    if new_of:
        groups = {cid: (segment, country, source, str(acquired)[:7] if acquired else None)
                  for cid, segment, country, source, acquired in fetch_in(
                      session, "SELECT id, segment, country, acquisition_source, acquired_on FROM customers "
                               "WHERE id IN ({ids})", sorted(new_of))}
        for r in written:
            r[7:11] = groups.get(r[0], (None,) * 4)
    if gone:
        execute_many(session, "DELETE FROM customer_months WHERE customer_id = ? AND month = ?", gone)
    if written:
        execute_many(session, _MONTH_UPSERT, written)
    _count(session, before, after)


def _money(value: Any) -> Decimal:
    """An amount as read through the driver (a float on SQLite), to the cent."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _relink(session: Session, customer_id: int) -> None:
    """Set each month's previous and next purchase month of one customer (a handful of rows)."""
    other = aliased(CustomerMonth)
    same = other.customer_id == CustomerMonth.customer_id
    session.execute(update(CustomerMonth).where(CustomerMonth.customer_id == customer_id).values(
        previous_month=select(func.max(other.month)).where(same, other.month < CustomerMonth.month)
        .correlate(CustomerMonth).scalar_subquery(),
        next_month=select(func.min(other.month)).where(same, other.month > CustomerMonth.month)
        .correlate(CustomerMonth).scalar_subquery()))


def apply_interaction(session: Session, interaction: Interaction) -> None:
    """Count one new interaction (call in the transaction that writes it)."""
    _upsert(session, InteractionMonthly,
            {"month": month_key(interaction.occurred_at), "department_id": interaction.department_id,
             "channel": interaction.channel}, {"interactions": 1})


InteractionKey = tuple[str, int, str]  # month, department id, channel


def interaction_key(occurred_at: dt.datetime, department_id: int, channel: str) -> InteractionKey:
    """The ``interaction_monthly`` row an interaction is counted in."""
    return month_key(occurred_at), department_id, channel


def add_interactions(session: Session, counts: Counter[InteractionKey]) -> None:
    """Add many interactions at once (negative counts take them away: a revert, a moved interaction); a row
    that reaches zero is removed. One upsert per month, department and channel, not per interaction."""
    for (month, department, channel), change in sorted(counts.items()):
        if not change:
            continue
        keys = {"month": month, "department_id": department, "channel": channel}
        _upsert(session, InteractionMonthly, keys, {"interactions": change})
        if change < 0:
            session.execute(delete(InteractionMonthly).where(
                *(getattr(InteractionMonthly, k) == v for k, v in keys.items()), InteractionMonthly.interactions <= 0))


def rebuild_sales(session: Session) -> int:
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
    month = month_key(receipt.purchased_at)
    # One writer per customer at a time, taken first so every writer locks in the same order. NO KEY UPDATE:
    # it does not wait for the key-share lock that inserting a receipt of this customer holds.
    segment, country, source, acquired_on = session.execute(
        select(Customer.segment, Customer.country, Customer.acquisition_source, Customer.acquired_on)
        .where(Customer.id == receipt.customer_id).with_for_update(key_share=True)).one()
    groups = {"segment": segment, "country": country, "acquisition_source": source,
              "cohort": acquired_on.strftime("%Y-%m") if acquired_on else None}
    before = _links(session, [receipt.customer_id])
    totals: dict[int, list] = {}
    for line in receipt.lines:
        t = totals.setdefault(line.product_id, [0, Decimal(0), Decimal(0), 0])
        t[0] += line.quantity
        t[1] += Decimal(line.quantity) * Decimal(line.unit_price)
        t[2] += Decimal(line.quantity) * Decimal(line.unit_cost)
        t[3] += 1
    for product_id, (q, r, c, n) in sorted(totals.items()):  # rows locked in one order by every writer
        _upsert(session, SalesMonthly, {"month": month, "product_id": product_id},
                {"quantity": q, "revenue": r, "cost": c, "lines": n})
    _upsert(session, CustomerMonth, {"customer_id": receipt.customer_id, "month": month},
            {"receipts": 1, "revenue": receipt.total or Decimal(0), "cost": receipt.total_cost or Decimal(0)},
            groups)
    _relink(session, receipt.customer_id)
    _count(session, before, _links(session, [receipt.customer_id]))
