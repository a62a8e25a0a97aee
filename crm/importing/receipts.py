"""Sales receipts from a shop or point-of-sale system: one row per receipt line, or one row per receipt with
only its total; lines of one receipt are grouped by its number wherever they are in the file.

A receipt keeps its number in the system it came from (``external_ids``, entity "receipt"), so a re-import of
the same export changes nothing and a newer export replaces the lines of the receipts that changed. Customers'
lifetime figures and the Insights summaries follow in the same transaction (``crm.importing.receipt_figures``).
Everything is written in bulk per chunk of the file: no ORM object and no audit row per row.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from crm.core.access import Actor
from crm.core.i18n import N_, _
from crm.core.text import fold
from crm.customers.profile import PURCHASE_CHANNELS
from crm.importing import identity
from crm.importing.kinds import Field, Kind, register
from crm.importing.receipt_figures import Figures, LineKey, revert_batch
from crm.importing.writing import CleanRow, Context, RowResult, Writer
from crm.insights.rollups import month_key
from db.bulk import insert_rows, reserve_ids
from db.models import ExternalId, ImportBatch, Product, Receipt, ReceiptLine
from crm.webhooks import events as webhooks

RECEIPTS = Kind("receipts", N_("Sales receipts"), "receipt", (
    Field("number", N_("Receipt number"), required=True, max_length=40,
          aliases=("receipt", "receipt no", "receipt number", "receipt id", "invoice", "invoice no", "invoice number",
                   "order", "order id", "order no", "order number", "transaction", "transaction id", "bill no",
                   "bill number", "ticket", "document no", "no nota", "nomor nota", "no faktur", "номер на бон",
                   "фактура")),
    Field("customer", N_("Customer reference"), type="ref", required=True, max_length=120,
          aliases=("customer", "customer id", "customer no", "customer number", "customer ref", "client",
                   "client id", "member", "member id", "buyer", "email", "e-mail", "customer email",
                   "customer e-mail", "email address", "customer code", "account", "account no", "pelanggan", "id pelanggan",
                   "клиент")),
    Field("purchased_at", N_("Date of purchase"), type="datetime", required=True,
          aliases=("date", "purchase date", "order date", "invoice date", "sale date", "sales date", "timestamp",
                   "datetime", "date time", "created at", "transaction date", "tanggal", "дата")),
    Field("sku", N_("SKU"), max_length=40,
          aliases=("sku", "item code", "article", "article number", "product code", "product id", "item id",
                   "barcode", "kode barang", "артикул")),
    Field("product_name", N_("Product name"), max_length=200,
          aliases=("product", "product name", "item", "item name", "description", "nama barang", "продукт")),
    Field("category", N_("Category"), type="choice", open_list=True, max_length=60,
          aliases=("category", "product category", "group", "product group", "department", "kategori",
                   "категория")),
    Field("quantity", N_("Quantity"), type="int",
          aliases=("quantity", "qty", "units sold", "count", "jumlah", "количество")),
    Field("unit_price", N_("Unit price"), type="amount",
          aliases=("unit price", "price", "sales price", "selling price", "harga", "harga satuan", "цена")),
    Field("unit_cost", N_("Unit cost"), type="amount",
          aliases=("unit cost", "cost", "cost price", "purchase price", "biaya", "себестойност")),
    Field("total", N_("Total"), type="amount",
          aliases=("total", "amount", "line total", "receipt total", "order total", "grand total", "net amount",
                   "subtotal", "jumlah harga", "total harga", "сума", "общо")),
    Field("units", N_("Units"), type="int", aliases=("units", "items", "number of items", "total units")),
    Field("channel", N_("Channel"), type="choice", choices=PURCHASE_CHANNELS, open_list=True, max_length=30,
          aliases=("channel", "sales channel", "store", "shop", "source", "kanal", "канал")),
), help=N_("One row per receipt line (receipt number, customer, date, SKU or product name or category, quantity, "
           "unit price, unit cost), or one row per receipt with only its total (and units). Lines of one receipt "
           "are grouped by its number. Name the source system: its receipt numbers are kept, so a newer export "
           "updates the receipts that changed; without one, numbers are matched among receipts imported without "
           "a source."))

CENT = Decimal("0.01")
UNSPECIFIED_SKU = "UNSPECIFIED"


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def made_sku(prefix: str, folded: str) -> str:
    """The SKU of a product that stands for a category or a name (40 characters at most, unique per text)."""
    sku = f"{prefix}-{folded}"
    if len(sku) <= 40:
        return sku
    return f"{sku[:31]}-{hashlib.sha1(folded.encode()).hexdigest()[:8]}"


class Catalogue:
    """The portal's products, read once per import (by SKU, by folded SKU and by folded name)."""

    def __init__(self, session: Session) -> None:
        self.by_sku: dict[str, tuple[int, Decimal, Decimal]] = {}
        self.by_folded_sku: dict[str, tuple[int, Decimal, Decimal]] = {}
        self.by_name: dict[str, tuple[int, Decimal, Decimal]] = {}
        for pid, sku, name, price, cost in session.execute(
                select(Product.id, Product.sku, Product.name, Product.price, Product.cost).order_by(Product.id)):
            entry = (pid, price or Decimal(0), cost or Decimal(0))
            self.by_sku[sku] = entry
            self.by_folded_sku.setdefault(fold(sku), entry)
            self.by_name.setdefault(fold(name), entry)

    def find(self, key: tuple[str, str]) -> tuple[int, Decimal, Decimal] | None:
        how, text = key
        if how == "sku":
            return self.by_sku.get(text) or self.by_folded_sku.get(fold(text))
        if how == "name":
            return self.by_name.get(text) or self.by_sku.get(made_sku("N", text))
        return self.by_sku.get(text)  # stand-ins: by their made SKU


@dataclass
class Existing:
    """A receipt of the file that the portal already holds: its stored lines, and this import's rows of it."""

    number: str
    receipt_id: int
    customer_id: int
    purchased_at: dt.datetime
    channel: str | None
    total: Decimal
    total_cost: Decimal
    stored: list[LineKey]
    left: Counter[LineKey]  # stored lines not matched yet by a line of the file
    lines: list[LineKey] = field(default_factory=list)  # the file's lines of it so far
    fresh: list[LineKey] = field(default_factory=list)  # ... of them, those of the current chunk
    results: list[RowResult] = field(default_factory=list)  # its rows reported in earlier chunks
    current: list[RowResult] = field(default_factory=list)  # its rows of the current chunk
    first: tuple[int, dt.datetime, str | None] | None = None  # customer, date, channel of its first row
    replaced: bool = False

    def snapshot(self) -> dict[str, Any]:
        """What the receipt was before this import replaced it (kept with the import, for its revert)."""
        return {"receipt_id": self.receipt_id, "customer_id": self.customer_id,
                "purchased_at": self.purchased_at.isoformat(), "channel": self.channel, "total": str(self.total),
                "total_cost": str(self.total_cost), "lines": [[p, q, str(u), str(c)] for p, q, u, c in self.stored]}

    @property
    def changed_header(self) -> bool:
        assert self.first is not None
        cid, at, channel = self.first
        return cid != self.customer_id or at != self.purchased_at or (channel is not None and channel != self.channel)


class ReceiptWriter(Writer):
    looked_up = ("external_ids", "receipts", "receipt_lines", "customer_months")

    def write(self, ctx: Context, rows: list[CleanRow]) -> list[RowResult]:
        return _Chunk(ctx, rows).write()

    def finish(self, ctx: Context) -> None:
        if "figures" not in ctx.state:
            return
        figures: Figures = ctx.state["figures"]
        for ex in ctx.state["existing"].values():
            if not ex.replaced and ex.lines and +ex.left:  # a newer export left out lines of this receipt
                _replace(ctx, figures, ex)
        figures.flush_customers()
        figures.finish()

    def done(self, ctx: Context, counts: dict[str, int]) -> None:
        """One receipt.imported per import (never one per receipt or line), with its counts."""
        if ctx.options.dry_run:
            return
        batch = ctx.session.get(ImportBatch, ctx.batch_id)
        webhooks.emit(ctx.session, webhooks.RECEIPT_IMPORTED, {
            "import_batch_id": ctx.batch_id, "source_system": ctx.options.source_system,
            "filename": batch.filename if batch else None, "counts": dict(counts)})

    def revert(self, session: Session, actor: Actor, batch_id: int) -> dict[str, int]:
        return revert_batch(session, batch_id)


class _Chunk:
    """One chunk of rows: customers and receipts looked up once, products from the catalogue, rows grouped
    into receipts and written in bulk."""

    def __init__(self, ctx: Context, rows: list[CleanRow]) -> None:
        self.ctx, self.rows, self.session = ctx, rows, ctx.session
        st = ctx.state
        if "catalogue" not in st:
            st["catalogue"] = Catalogue(ctx.session)
            st["new"] = {}  # number -> (receipt id, customer id, purchased at): receipts this import created
            st["existing"] = {}  # number -> Existing, while its rows may still change it
            st["settled"] = set()  # numbers of receipts held already and found unchanged
            st["figures"] = Figures(ctx.session, ctx.batch_id)
            mapping = (ctx.session.get(ImportBatch, ctx.batch_id).options or {}).get("mapping", {})
            st["columns"] = {f.name: mapping.get(f.name) or _(f.label) for f in RECEIPTS.fields}
            st.setdefault("extra", {})["products_created"] = 0
        self.catalogue: Catalogue = st["catalogue"]
        self.new: dict[str, tuple[int, int, dt.datetime]] = st["new"]
        self.existing: dict[str, Existing] = st["existing"]
        self.settled: set[str] = st["settled"]
        self.columns: dict[str, str] = st["columns"]
        self.figures: Figures = st["figures"]

    def write(self) -> list[RowResult]:
        ctx, results = self.ctx, []
        source = ctx.options.customers_from
        if "customer_ids" not in ctx.state:  # receipts add no customer ids: asked once per import
            ctx.state["customer_ids"] = identity.has_ids(self.session, source, "customer")
        customers = identity.customers_by_reference(self.session, source, (r.values["customer"] for r in self.rows),
                                                    source_ids=ctx.state["customer_ids"])
        numbers = {r.values["number"] for r in self.rows}
        self._find_existing(numbers - self.new.keys() - self.existing.keys())
        fresh = sorted(numbers - self.new.keys() - self.existing.keys())
        ids = dict(zip(fresh, reserve_ids(self.session, Receipt.__table__, len(fresh))))
        wanted: list[tuple[CleanRow, int, tuple[str, str], str]] = []
        for r in self.rows:
            cid = customers.get(r.values["customer"].strip())
            if cid is None:
                results.append(self._reject(r, "customer", self._no_customer(r.values["customer"])))
                continue
            key, shown = _product_key(r.values)
            if key is None:
                results.append(self._reject(r, None, _(
                    "A receipt line needs a SKU, a product name or a category; a receipt row without them needs "
                    "a total.")))
                continue
            wanted.append((r, cid, key, shown))
        self._create_products(wanted)
        # number -> [id, customer, at, channel, total, cost, month, receipts]: receipts new in this chunk, and
        # (grown) receipts this import created in an earlier chunk that get more lines in this one
        created: dict[str, list[Any]] = {}
        grown: dict[str, list[Any]] = {}
        month_of = _months()
        lines: list[tuple[int, int, int, Decimal, Decimal]] = []
        touched: dict[int, Existing] = {}
        figures = self.figures
        for r, cid, key, shown in wanted:
            v = r.values
            product = self.catalogue.find(key)
            if product is None:
                results.append(self._reject(r, "sku" if key[0] == "sku" else "product_name", _(
                    "product '{product}' is not known (choose \"Create the product\" to add it).").format(
                    product=shown)))
                continue
            made = _lines(v, product)
            if isinstance(made, str):
                results.append(self._reject(r, "total", made))
                continue
            number, at, channel = v["number"], v["purchased_at"], v.get("channel")
            ex = self.existing.get(number)
            if ex is not None:
                problem = _differs(number, ex.first, cid, at)
                if problem:
                    results.append(self._reject(r, *problem))
                    continue
                ex.first = ex.first or (cid, at, channel)
                ex.fresh.extend(made)
                result = RowResult(r.row, "duplicate", ex.receipt_id, name=number)
                ex.current.append(result)
                results.append(result)
                touched[ex.receipt_id] = ex
                continue
            seen = self.new.get(number)
            if seen is None:
                rid = ids[number]
                seen = self.new[number] = (rid, cid, at)
                totals = created[number] = [rid, cid, at, channel, Decimal(0), Decimal(0), month_of(at), 1]
            else:
                problem = _differs(number, (seen[1], seen[2], None), cid, at)
                if problem:
                    results.append(self._reject(r, *problem))
                    continue
                totals = created.get(number)
                if totals is None:  # a receipt this import created in an earlier chunk: its figures move here
                    totals = grown.get(number)
                    if totals is None:
                        totals = grown[number] = [seen[0], cid, at, channel, Decimal(0), Decimal(0), month_of(at), 0]
            rid, month = seen[0], totals[6]
            for pid, q, u, c in made:
                lines.append((rid, pid, q, u, c))
                revenue, cost = q * u, q * c
                totals[4] += revenue
                totals[5] += cost
                figures.sale(month, pid, q, revenue, cost)
            results.append(RowResult(r.row, "imported", rid, name=number))
        for totals in (*created.values(), *grown.values()):
            figures.customer(totals[1], totals[6], totals[4], totals[5], totals[7], totals[2])
        self._write(created, {t[0]: t[4:6] for t in grown.values()}, lines)
        for ex in touched.values():
            if _settle(ctx, figures, ex):
                del self.existing[ex.number]
                self.settled.add(ex.number)
        figures.flush_customers()
        # receipts of earlier chunks are looked up again if their number comes back: memory stays flat
        self.ctx.state["new"] = {n: self.new[n] for n in numbers if n in self.new}
        return results

    def _find_existing(self, numbers: set[str]) -> None:
        """The receipts of these numbers that the portal holds (of the source system; without one, among
        receipts that came without a source), with their lines."""
        if not numbers:
            return
        source = self.ctx.options.source_system
        ordered = sorted(numbers)
        if source:
            ids = identity.find(self.session, source, "receipt", ordered)
        else:
            ids = {}
            sourced = exists().where(ExternalId.entity == "receipt", ExternalId.entity_id == Receipt.id)
            for start in range(0, len(ordered), identity.CHUNK):
                part = ordered[start:start + identity.CHUNK]
                for rid, number in self.session.execute(select(Receipt.id, Receipt.number).where(
                        Receipt.number.in_(part), ~sourced).order_by(Receipt.id.desc())):
                    ids[number] = rid  # the oldest receipt of a number, when there are several
        if not ids:
            return
        by_id = {rid: number for number, rid in ids.items()}
        ordered_ids = sorted(by_id)
        for start in range(0, len(ordered_ids), identity.CHUNK):
            part = ordered_ids[start:start + identity.CHUNK]
            stored: dict[int, list[LineKey]] = {}
            for rid, pid, q, u, c in self.session.execute(
                    select(ReceiptLine.receipt_id, ReceiptLine.product_id, ReceiptLine.quantity,
                           ReceiptLine.unit_price, ReceiptLine.unit_cost)
                    .where(ReceiptLine.receipt_id.in_(part)).order_by(ReceiptLine.id)):
                stored.setdefault(rid, []).append((pid, q, _cents(Decimal(u)), _cents(Decimal(c))))
            for rid, cid, at, channel, total, cost, batch in self.session.execute(
                    select(Receipt.id, Receipt.customer_id, Receipt.purchased_at, Receipt.channel, Receipt.total,
                           Receipt.total_cost, Receipt.import_batch_id).where(Receipt.id.in_(part))):
                number, lines = by_id[rid], stored.get(rid, [])
                if batch == self.ctx.batch_id and number not in self.settled:  # this import's, from an earlier chunk
                    self.new[number] = (rid, cid, at)
                    continue
                ex = Existing(number, rid, cid, at, channel, _cents(Decimal(total or 0)), _cents(Decimal(cost or 0)),
                              lines, Counter(lines))
                if number in self.settled:  # found unchanged in an earlier chunk: its rows come back
                    ex.left, ex.lines, ex.first = Counter(), list(lines), (cid, at, None)
                    self.settled.discard(number)
                self.existing[number] = ex

    def _create_products(self, wanted: list[tuple[CleanRow, int, tuple[str, str], str]]) -> None:
        """Products the chunk names that the portal does not know: stand-ins for a category or for unspecified
        sales always, named products when the user chose to create them."""
        create = self.ctx.options.unknown_products == "create"
        new: dict[str, tuple[str, str, str, Decimal, Decimal]] = {}
        for r, _cid, key, _shown in wanted:
            if self.catalogue.find(key) is not None:
                continue
            v = r.values
            if key[0] == "stand-in":
                if key[1] == UNSPECIFIED_SKU:
                    new.setdefault(key[1], (key[1], _("Unspecified sales"), _("Unspecified"), CENT * 0, CENT * 0))
                else:
                    new.setdefault(key[1], (key[1], v["category"], v["category"], CENT * 0, CENT * 0))
            elif create:
                sku = v["sku"] if key[0] == "sku" else made_sku("N", key[1])
                new.setdefault(sku, (sku, v.get("product_name") or sku, v.get("category") or _("Uncategorised"),
                                     _cents(v.get("unit_price")) or CENT * 0, _cents(v.get("unit_cost")) or CENT * 0))
        if not new:
            return
        ids = reserve_ids(self.session, Product.__table__, len(new))
        insert_rows(self.session, Product.__table__,
                    ["id", "sku", "name", "category", "price", "cost", "stock", "active", "import_batch_id"],
                    [(pid, sku, name[:200], category[:60], price, cost, 0, True, self.ctx.batch_id)
                     for pid, (sku, name, category, price, cost) in zip(ids, new.values())])
        for pid, (sku, name, _category, price, cost) in zip(ids, new.values()):
            entry = (pid, price, cost)
            self.catalogue.by_sku[sku] = entry
            self.catalogue.by_folded_sku.setdefault(fold(sku), entry)
            self.catalogue.by_name.setdefault(fold(name), entry)
        identity.remember(self.session, self.ctx.options.source_system, "product",
                          ((sku, pid) for pid, sku in zip(ids, new)), self.ctx.batch_id)
        self.ctx.state["extra"]["products_created"] += len(new)

    def _write(self, created: dict[str, list[Any]], added: dict[int, list[Decimal]],
               lines: list[tuple[int, int, int, Decimal, Decimal]]) -> None:
        """The chunk's new receipts, their external ids and lines, in bulk; totals of receipts it continued."""
        ctx = self.ctx
        if created:
            insert_rows(self.session, Receipt.__table__,
                        ["id", "customer_id", "number", "purchased_at", "channel", "total", "total_cost",
                         "import_batch_id"],
                        [(rid, cid, number, at, channel, total, cost, ctx.batch_id)
                         for number, (rid, cid, at, channel, total, cost, _month, _n) in created.items()])
            if ctx.options.source_system:
                insert_rows(self.session, ExternalId.__table__,
                            ["source_system", "entity", "external_id", "entity_id", "import_batch_id"],
                            [(ctx.options.source_system, "receipt", number, receipt[0], ctx.batch_id)
                             for number, receipt in created.items()])
        if lines:
            insert_rows(self.session, ReceiptLine.__table__,
                        ["receipt_id", "product_id", "quantity", "unit_price", "unit_cost"], lines)
        for rid, (total, cost) in added.items():
            self.figures.add_to_receipt(rid, total, cost)

    def _reject(self, r: CleanRow, column: str | None, reason: str) -> RowResult:
        if column:
            reason = _("{column}: {problem}").format(column=self.columns[column], problem=reason)
        return RowResult(r.row, "rejected", reasons=reason, name=r.values.get("number") or "")

    def _no_customer(self, ref: str) -> str:
        source = self.ctx.options.customers_from
        if source:
            return _("customer reference '{reference}' matches no customer (source {source}).").format(
                reference=ref, source=source)
        return _("customer reference '{reference}' matches no customer (by e-mail or customer number).").format(
            reference=ref)


def _months() -> Any:
    """``month_key`` remembered per moment (the lines of a receipt share theirs)."""
    memo: dict[dt.datetime, str] = {}

    def month_of(at: dt.datetime) -> str:
        month = memo.get(at)
        if month is None:
            month = memo[at] = month_key(at)
        return month
    return month_of


def _product_key(v: dict[str, Any]) -> tuple[tuple[str, str] | None, str]:
    """How a row names its product: ("sku" | "name" | "stand-in", text), and the text as the file wrote it."""
    if v.get("sku"):
        return ("sku", v["sku"]), v["sku"]
    if v.get("product_name"):
        return ("name", fold(v["product_name"])), v["product_name"]
    if v.get("category"):
        return ("stand-in", made_sku("CAT", fold(v["category"]))), v["category"]
    if v.get("total") is not None:
        return ("stand-in", UNSPECIFIED_SKU), ""
    return None, ""


def _lines(v: dict[str, Any], product: tuple[int, Decimal, Decimal]) -> list[LineKey] | str:
    """The receipt lines of one row, or what is wrong with it. A line without a unit price takes it from its
    total, else from the product; without a unit cost, the product's. A receipt given by its total is one line
    of its units (two when the total does not split evenly into cents: the sum stays exact)."""
    pid, price, cost = product
    line_shape = bool(v.get("sku") or v.get("product_name") or v.get("category"))
    quantity = v.get("quantity")
    if not line_shape and v.get("units") is not None:
        quantity = v["units"]
    quantity = 1 if quantity is None else quantity
    unit_cost = _cents(v.get("unit_cost"))
    if unit_cost is None:
        unit_cost = _cents(Decimal(cost)) if line_shape else CENT * 0
    unit_price = _cents(v.get("unit_price"))
    if unit_price is not None or v.get("total") is None:
        return [(pid, quantity, unit_price if unit_price is not None else _cents(Decimal(price)), unit_cost)]
    total = _cents(v["total"])
    if quantity == 0:
        return _("a total with no units.")
    each = (total / quantity).quantize(CENT, rounding=ROUND_DOWN)
    rest = total - each * (quantity - 1)
    if rest == each or quantity == 1:
        return [(pid, quantity, rest, unit_cost)]
    return [(pid, quantity - 1, each, unit_cost), (pid, 1, rest, unit_cost)]


def _differs(number: str, first: tuple[int, dt.datetime, str | None] | None, cid: int,
             at: dt.datetime) -> tuple[str, str] | None:
    """(column, reason) when a row of a receipt names another customer or date than its first row."""
    if first is None:
        return None
    if first[0] != cid:
        return "customer", _("receipt {number} has another customer in an earlier row.").format(number=number)
    if first[1] != at:
        return "purchased_at", _("receipt {number} has another date in an earlier row.").format(number=number)
    return None


def _settle(ctx: Context, figures: Figures, ex: Existing) -> bool:
    """A receipt the portal held, after a chunk of its rows: rows equal to stored lines are duplicates; a
    changed line or header replaces its lines (rows "updated"); rows of a replaced receipt add lines.
    True when every stored line has been matched and nothing changed (the receipt can leave memory)."""
    if ex.replaced:
        for r in ex.current:
            r.outcome = "updated"
        figures.append_lines(ex.receipt_id, ex.first, ex.fresh, ex.current)
        ex.lines.extend(ex.fresh)
        ex.fresh, ex.current = [], []
        return False
    left = Counter(ex.left)
    changed = ex.changed_header
    for line in ex.fresh:
        if left[line] > 0:
            left[line] -= 1
        else:
            changed = True
    ex.lines.extend(ex.fresh)
    ex.fresh = []
    if changed:
        _replace(ctx, figures, ex)
        return False
    ex.left = +left
    for r in ex.current:
        r.reasons = _("already imported, unchanged")
    ex.results.extend(ex.current)
    ex.current = []
    return not ex.left


def _replace(ctx: Context, figures: Figures, ex: Existing) -> None:
    """Give a receipt the file's lines and header; its rows become "updated" (also those of earlier chunks,
    already reported as duplicates); what it was is kept with the first of them for the revert."""
    assert ex.first is not None
    figures.replace(ex.receipt_id, ex.snapshot(), ex.first, ex.lines, ex.results, ex.current)
    for r in (*ex.results, *ex.current):
        r.outcome, r.reasons = "updated", ""
    ex.replaced = True
    ex.results, ex.current, ex.stored, ex.left = [], [], [], Counter()


register(RECEIPTS, ReceiptWriter())
