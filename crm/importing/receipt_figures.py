"""The figures a receipts import moves, moved with it in bulk, and moved back by its revert.

- customers: lifetime revenue and cost, purchase count, last purchase, and the date of the first purchase
  (``acquired_on``) when they had none: added per chunk with one ``executemany``;
- ``sales_monthly``: the batch's lines summed per month and product in memory, added once at the end (replaced
  lines subtracted);
- ``customer_months`` and ``buyer_month_counts``: the chunk's receipts per customer and month added to the
  customers' rows, read and written once per chunk (``crm.insights.rollups.add_customer_months``);
- the Insights page's shared cache: emptied when the import commits.

What a customer was before the import touched it (last purchase, first-purchase date) is kept with the batch
as an ``import_rows`` row of row number 0 and outcome "customer"; a replaced receipt's lines and totals are kept
in the ``before`` of the first of its rows (outcome "updated").
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from crm.importing import identity
from crm.importing.writing import RowResult
from crm.insights.cache import figures_changed
from crm.insights.rollups import _month_expr, add_customer_months, month_key
from db.bulk import dialect, execute_many, fetch_in, insert_rows
from db.models import Customer, ImportRow, Product, Receipt, ReceiptLine, SalesMonthly

LineKey = tuple[int, int, Decimal, Decimal]  # product, quantity, unit price, unit cost
Header = tuple[int, dt.datetime, "str | None"]  # customer, purchased at, channel
_IMPORT_ROW_COLUMNS = ["batch_id", "row_number", "outcome", "customer_id", "entity_id", "reasons", "before"]

_ADD_SQLITE = ("UPDATE customers SET lifetime_revenue = lifetime_revenue + ?, lifetime_cost = lifetime_cost + ?, "
               "purchase_count = purchase_count + ?, last_purchase_at = CASE WHEN ? IS NULL OR "
               "(last_purchase_at IS NOT NULL AND last_purchase_at >= ?) THEN last_purchase_at ELSE ? END")
_ADD_PG = ("UPDATE customers SET lifetime_revenue = lifetime_revenue + ?, lifetime_cost = lifetime_cost + ?, "
           "purchase_count = purchase_count + ?, last_purchase_at = GREATEST(last_purchase_at, ?::timestamptz)")
_FIRST_SQLITE = ", acquired_on = CASE WHEN acquired_on IS NULL OR acquired_on > ? THEN ? ELSE acquired_on END"
_FIRST_PG = ", acquired_on = LEAST(acquired_on, ?::date)"
_SALES = ("INSERT INTO sales_monthly (month, product_id, quantity, revenue, cost, lines) VALUES (?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (month, product_id) DO UPDATE SET quantity = sales_monthly.quantity + excluded.quantity, "
          "revenue = sales_monthly.revenue + excluded.revenue, cost = sales_monthly.cost + excluded.cost, "
          "lines = sales_monthly.lines + excluded.lines")


class IdSet:
    """A set of record ids as a bitmap: a million customers take 125 KB instead of tens of megabytes."""

    def __init__(self) -> None:
        self.bits = bytearray()

    def __contains__(self, i: int) -> bool:
        byte = i >> 3
        return byte < len(self.bits) and bool(self.bits[byte] & (1 << (i & 7)))

    def add(self, i: int) -> None:
        byte = i >> 3
        if byte >= len(self.bits):
            self.bits.extend(bytes(byte + 1 - len(self.bits) + len(self.bits) // 2))
        self.bits[byte] |= 1 << (i & 7)

    def update(self, ids: Any) -> None:
        for i in ids:
            self.add(i)


class Figures:
    """The changes of one import (or revert) to customers and summaries, gathered and written in bulk."""

    def __init__(self, session: Session, batch_id: int, *, reverting: bool = False) -> None:
        self.session, self.batch_id, self.reverting = session, batch_id, reverting
        self.sales: dict[tuple[str, int], list[Any]] = {}  # (month, product) -> [units, revenue, cost, lines]
        self.pending: dict[int, list[Any]] = {}  # customer -> [revenue, cost, receipts, latest, earliest]
        self.receipt_totals: dict[int, list[Decimal]] = {}  # receipt created earlier -> [total, cost] to add
        self.months: dict[tuple[int, str], list[Any]] = {}  # (customer, month) -> [receipts, revenue, cost]
        self.recheck: set[int] = set()  # customers whose last purchase is recomputed from their receipts
        self.known = IdSet()  # customers whose figures before the import are kept
        self.filled = IdSet()  # customers without a first-purchase date before the import

    # ---------------------------------------------------------------- gathering
    def sale(self, month: str, product_id: int, units: int, revenue: Decimal, cost: Decimal, lines: int = 1) -> None:
        t = self.sales.get((month, product_id))
        if t is None:
            self.sales[(month, product_id)] = [units, revenue, cost, lines]
        else:
            t[0] += units
            t[1] += revenue
            t[2] += cost
            t[3] += lines

    def customer(self, cid: int, month: str, revenue: Decimal, cost: Decimal, receipts: int,
                 at: dt.datetime | None) -> None:
        """Count (or uncount: negative) receipts of a customer in a month; ``at``: a purchase's time, if any."""
        m = self.months.get((cid, month))
        if m is None:
            self.months[(cid, month)] = [receipts, revenue, cost]
        else:
            m[0] += receipts
            m[1] += revenue
            m[2] += cost
        t = self.pending.get(cid)
        if t is None:
            self.pending[cid] = [revenue, cost, receipts, at, at]
            return
        t[0] += revenue
        t[1] += cost
        t[2] += receipts
        if at is not None:
            if t[3] is None or at > t[3]:
                t[3] = at
            if t[4] is None or at < t[4]:
                t[4] = at

    def add_to_receipt(self, receipt_id: int, total: Decimal, cost: Decimal) -> None:
        t = self.receipt_totals.setdefault(receipt_id, [Decimal(0), Decimal(0)])
        t[0] += total
        t[1] += cost

    def lines(self, lines: list[LineKey], month: str, sign: int) -> tuple[Decimal, Decimal]:
        """Count (sign 1) or uncount (-1) receipt lines in the monthly sales; returns their revenue and cost."""
        revenue = cost = Decimal(0)
        for pid, q, u, c in lines:
            self.sale(month, pid, sign * q, sign * q * u, sign * q * c, sign)
            revenue += q * u
            cost += q * c
        return revenue, cost

    # ------------------------------------------------------ receipts that change
    def append_lines(self, receipt_id: int, first: Header | None, lines: list[LineKey],
                     results: list[RowResult]) -> None:
        """More lines for a receipt this import already replaced (its rows come later in the file)."""
        assert first is not None
        _insert_lines(self.session, receipt_id, lines)
        revenue, cost = self.lines(lines, month_key(first[1]), 1)
        self.add_to_receipt(receipt_id, revenue, cost)
        self.customer(first[0], month_key(first[1]), revenue, cost, 0, first[1])
        self._import_rows(results, None)

    def replace(self, receipt_id: int, snapshot: dict[str, Any], first: Header, lines: list[LineKey],
                earlier: list[RowResult], current: list[RowResult]) -> None:
        """Give a stored receipt the file's header and lines; its rows (``earlier`` ones already kept as
        duplicates) become "updated", the first of them keeping ``snapshot`` for the revert."""
        old_cid, old_at = snapshot["customer_id"], dt.datetime.fromisoformat(snapshot["purchased_at"])
        old_lines = [(p, q, Decimal(u), Decimal(c)) for p, q, u, c in snapshot["lines"]]
        old_revenue, old_cost = self.lines(old_lines, month_key(old_at), -1)
        self.customer(old_cid, month_key(old_at), -Decimal(snapshot["total"]), -Decimal(snapshot["total_cost"]), -1,
                      None)
        cid, at, channel = first
        revenue, cost = self.lines(lines, month_key(at), 1)
        self.customer(cid, month_key(at), revenue, cost, 1, at)
        if (old_cid, old_at) != (cid, at):
            self.recheck.add(old_cid)
        self.session.execute(delete(ReceiptLine).where(ReceiptLine.receipt_id == receipt_id))
        _insert_lines(self.session, receipt_id, lines)
        self.receipt_totals.pop(receipt_id, None)
        self.session.execute(update(Receipt).where(Receipt.id == receipt_id).values(
            customer_id=cid, purchased_at=at, channel=channel if channel is not None else snapshot["channel"],
            total=revenue, total_cost=cost))
        if earlier:
            self.session.execute(update(ImportRow).where(
                ImportRow.batch_id == self.batch_id, ImportRow.row_number.in_([r.row for r in earlier])).values(
                outcome="updated", reasons=None))
            self.session.execute(update(ImportRow).where(
                ImportRow.batch_id == self.batch_id, ImportRow.row_number == earlier[0].row).values(before=snapshot))
            self._import_rows(current, None)
        else:
            self._import_rows(current, snapshot)

    def _import_rows(self, results: list[RowResult], snapshot: dict[str, Any] | None) -> None:
        """The "updated" rows of the report (the runner keeps the others)."""
        if results:
            insert_rows(self.session, ImportRow.__table__, _IMPORT_ROW_COLUMNS,
                        [(self.batch_id, r.row, "updated", None, r.entity_id, None,
                          json.dumps(snapshot, sort_keys=True) if snapshot and i == 0 else None)
                         for i, r in enumerate(results)])

    # ----------------------------------------------------------------- writing
    def flush_customers(self) -> None:
        """Write the gathered changes of customers and receipt totals, then recompute the customers' months."""
        session = self.session
        if self.receipt_totals:
            execute_many(session, "UPDATE receipts SET total = total + ?, total_cost = total_cost + ? WHERE id = ?",
                         [(t, c, rid) for rid, (t, c) in self.receipt_totals.items()])
            self.receipt_totals = {}
        if not self.pending and not self.recheck and not self.months:
            return
        if not self.reverting:
            self._keep_before(sorted(cid for cid in self.pending if cid not in self.known))
        postgres = dialect(session) == "postgresql"
        plain, first = [], []
        for cid, (revenue, cost, receipts, latest, earliest) in sorted(self.pending.items()):  # in index order
            values = (revenue, cost, receipts, latest) if postgres else (revenue, cost, receipts, latest, latest, latest)
            if cid in self.filled and earliest is not None:
                day = earliest.date()
                first.append((*values, day, cid) if postgres else (*values, day, day, cid))
            else:
                plain.append((*values, cid))
        add, acquired = (_ADD_PG, _FIRST_PG) if postgres else (_ADD_SQLITE, _FIRST_SQLITE)
        if plain:
            execute_many(session, add + " WHERE id = ?", plain)
        if first:
            execute_many(session, add + acquired + " WHERE id = ?", first)
        if self.recheck:
            self._last_purchase_from_receipts(sorted(self.recheck))
        add_customer_months(session, self.months)
        self.pending, self.recheck, self.months = {}, set(), {}

    def _keep_before(self, ids: list[int]) -> None:
        """Keep what these customers were before the import first touched them (for the revert)."""
        if not ids:
            return
        rows = []
        for cid, last, acquired in fetch_in(self.session, "SELECT id, last_purchase_at, acquired_on FROM customers "
                                                          "WHERE id IN ({ids})", ids):
            if acquired is None:
                self.filled.add(cid)
            rows.append((self.batch_id, 0, "customer", cid, None, None, json.dumps(
                {"last_purchase_at": _text(last), "acquired_on": _text(acquired)}, sort_keys=True)))
        insert_rows(self.session, ImportRow.__table__, _IMPORT_ROW_COLUMNS, rows)
        self.known.update(ids)

    def _last_purchase_from_receipts(self, ids: list[int]) -> None:
        latest = select(func.max(Receipt.purchased_at)).where(Receipt.customer_id == Customer.id).scalar_subquery()
        for start in range(0, len(ids), identity.CHUNK):
            self.session.execute(update(Customer).where(Customer.id.in_(ids[start:start + identity.CHUNK]))
                                 .values(last_purchase_at=latest), execution_options={"synchronize_session": False})

    def finish(self) -> None:
        """Add the gathered monthly sales (one upsert per month and product) and forget the shared figures."""
        self.flush_customers()
        if self.sales:
            execute_many(self.session, _SALES, [(m, p, q, r, c, n) for (m, p), (q, r, c, n) in sorted(self.sales.items())
                                                if q or r or c or n])
            self.session.execute(delete(SalesMonthly).where(SalesMonthly.lines == 0))
            self.sales = {}
        figures_changed(self.session)


def _text(value: Any) -> str | None:
    """A date or timestamp as read through the driver (text on SQLite), as ISO text."""
    return None if value is None else value if isinstance(value, str) else value.isoformat()


def _insert_lines(session: Session, receipt_id: int, lines: list[LineKey]) -> None:
    if lines:
        insert_rows(session, ReceiptLine.__table__, ["receipt_id", "product_id", "quantity", "unit_price", "unit_cost"],
                    [(receipt_id, *line) for line in lines])


def revert_batch(session: Session, batch_id: int) -> dict[str, int]:
    """Undo a receipts import: its receipts, lines and products (those not sold since) removed, the receipts it
    replaced restored, and every figure moved back (customers, monthly sales, customers' months)."""
    figures = Figures(session, batch_id, reverting=True)
    restored = _restore_replaced(session, figures, batch_id)
    removed = _remove_created(session, figures, batch_id)
    befores = [(cid, before) for cid, before in session.execute(
        select(ImportRow.customer_id, ImportRow.before).where(
            ImportRow.batch_id == batch_id, ImportRow.outcome == "customer", ImportRow.customer_id.is_not(None)))
        if before is not None]
    deltas, figures.pending, months = figures.pending, {}, figures.months
    figures.months = {}
    affected = sorted(set(deltas) | {cid for cid, _before in befores})
    # sums first (moved back by what this import added: exact whatever was imported since), then the dates
    postgres = dialect(session) == "postgresql"
    execute_many(session, (_ADD_PG if postgres else _ADD_SQLITE) + " WHERE id = ?",
                 [((r, c, n, None, cid) if postgres else (r, c, n, None, None, None, cid))
                  for cid, (r, c, n, _latest, _earliest) in deltas.items()])
    if befores:
        execute_many(session, "UPDATE customers SET last_purchase_at = ? WHERE id = ?",
                     [(_moment(b.get("last_purchase_at")), cid) for cid, b in befores])
        execute_many(session, "UPDATE customers SET acquired_on = NULL WHERE id = ?",
                     [(cid,) for cid, b in befores if b.get("acquired_on") is None])
    _later_purchases(session, affected)
    add_customer_months(session, months)
    figures.finish()
    products = _remove_products(session, batch_id)
    identity.forget_batch(session, batch_id)
    return {"removed": removed, "restored": restored, "products_removed": products}


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _restore_replaced(session: Session, figures: Figures, batch_id: int) -> int:
    """Receipts the import replaced get back the lines and header kept in their first row."""
    snapshots = [b for b in session.scalars(select(ImportRow.before).where(
        ImportRow.batch_id == batch_id, ImportRow.outcome == "updated", ImportRow.before.is_not(None))) if b]
    for snap in snapshots:
        rid = snap["receipt_id"]
        current = session.execute(select(Receipt.customer_id, Receipt.purchased_at, Receipt.total, Receipt.total_cost)
                                  .where(Receipt.id == rid)).one_or_none()
        if current is None:  # removed since
            continue
        lines = [(p, q, Decimal(str(u)), Decimal(str(c))) for p, q, u, c in session.execute(
            select(ReceiptLine.product_id, ReceiptLine.quantity, ReceiptLine.unit_price, ReceiptLine.unit_cost)
            .where(ReceiptLine.receipt_id == rid))]
        figures.lines(lines, month_key(current.purchased_at), -1)
        figures.customer(current.customer_id, month_key(current.purchased_at), -_money(current.total),
                         -_money(current.total_cost), -1, None)
        old_at = dt.datetime.fromisoformat(snap["purchased_at"])
        old_lines = [(p, q, Decimal(u), Decimal(c)) for p, q, u, c in snap["lines"]]
        figures.lines(old_lines, month_key(old_at), 1)
        figures.customer(snap["customer_id"], month_key(old_at), Decimal(snap["total"]), Decimal(snap["total_cost"]), 1,
                         None)
        session.execute(delete(ReceiptLine).where(ReceiptLine.receipt_id == rid))
        _insert_lines(session, rid, old_lines)
        session.execute(update(Receipt).where(Receipt.id == rid).values(
            customer_id=snap["customer_id"], purchased_at=old_at, channel=snap["channel"],
            total=Decimal(snap["total"]), total_cost=Decimal(snap["total_cost"])))
    return len(snapshots)


def _remove_created(session: Session, figures: Figures, batch_id: int) -> int:
    """The receipts the import created, uncounted (sums per month and product, per customer) and deleted."""
    mine = Receipt.import_batch_id == batch_id
    month = _month_expr(session)
    for m, pid, q, r, c, n in session.execute(
            select(month, ReceiptLine.product_id, func.sum(ReceiptLine.quantity),
                   func.sum(ReceiptLine.quantity * ReceiptLine.unit_price),
                   func.sum(ReceiptLine.quantity * ReceiptLine.unit_cost), func.count())
            .join(Receipt, Receipt.id == ReceiptLine.receipt_id).where(mine).group_by(month, ReceiptLine.product_id)):
        figures.sale(m, pid, -int(q), -_money(r), -_money(c), -int(n))
    count = 0
    for cid, m, total, cost, n in session.execute(
            select(Receipt.customer_id, month, func.sum(Receipt.total), func.sum(Receipt.total_cost), func.count())
            .where(mine).group_by(Receipt.customer_id, month)):
        figures.customer(cid, m, -_money(total), -_money(cost), -int(n), None)
        count += int(n)
    session.execute(delete(ReceiptLine).where(ReceiptLine.receipt_id.in_(select(Receipt.id).where(mine))))
    session.execute(delete(Receipt).where(mine))
    return count


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _later_purchases(session: Session, ids: list[int]) -> None:
    """A customer's last purchase is at least their latest receipt still there (bought again since)."""
    latest = select(func.max(Receipt.purchased_at)).where(Receipt.customer_id == Customer.id).scalar_subquery()
    later = exists().where(Receipt.customer_id == Customer.id, (Customer.last_purchase_at.is_(None))
                           | (Receipt.purchased_at > Customer.last_purchase_at))
    for start in range(0, len(ids), identity.CHUNK):
        session.execute(update(Customer).where(Customer.id.in_(ids[start:start + identity.CHUNK]), later)
                        .values(last_purchase_at=latest), execution_options={"synchronize_session": False})


def _remove_products(session: Session, batch_id: int) -> int:
    """Products the import created: removed unless sold since (those are kept, no longer offered)."""
    created = list(session.scalars(select(Product.id).where(Product.import_batch_id == batch_id)))
    if not created:
        return 0
    used = set(session.scalars(select(ReceiptLine.product_id).where(ReceiptLine.product_id.in_(created))))
    removable = [p for p in created if p not in used]
    if removable:
        session.execute(delete(SalesMonthly).where(SalesMonthly.product_id.in_(removable)))
        session.execute(delete(Product).where(Product.id.in_(removable)))
    if used:
        session.execute(update(Product).where(Product.id.in_(used)).values(active=False))
    return len(removable)
