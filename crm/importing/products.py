"""Products and stock from a shop, stock-keeping or finance system: one row per SKU; a known SKU is updated."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor
from crm.core.i18n import N_, _
from crm.importing import identity
from crm.importing.kinds import Field, Kind, register
from crm.importing.writing import CleanRow, Context, RowResult, Writer
from db.bulk import insert_rows, reserve_ids
from db.models import ImportRow, Product, ReceiptLine

PRODUCT_FIELDS = ("sku", "name", "category", "price", "cost", "stock")
PRODUCTS = Kind("products", N_("Products and stock"), "product", (
    Field("sku", N_("SKU"), required=True, max_length=40,
          aliases=("sku", "item code", "article", "article number", "product code", "code", "kode barang", "артикул")),
    Field("name", N_("Product name"), max_length=200, aliases=("name", "product", "product name", "item", "description",
                                                                "nama barang", "продукт")),
    Field("category", N_("Category"), type="choice", open_list=True, managed="product_categories", max_length=60,
          aliases=("category", "group", "product group", "kategori", "категория")),
    Field("price", N_("Price"), type="amount", aliases=("price", "unit price", "sales price", "harga", "цена")),
    Field("cost", N_("Cost"), type="amount", aliases=("cost", "unit cost", "purchase price", "biaya", "себестойност")),
    Field("stock", N_("Stock on hand"), type="int", aliases=("stock", "on hand", "quantity on hand", "qty on hand",
                                                             "inventory", "stok", "наличност")),
), help=N_("One row per product: SKU, name, category, price, cost and stock on hand. A SKU the portal knows is "
           "updated (its stock too); a new SKU needs a name."))
_MISSING_NAME = N_("Product name: a new product needs a name.")


class ProductWriter(Writer):
    def write(self, ctx: Context, rows: list[CleanRow]) -> list[RowResult]:
        session = ctx.session
        skus = {r.values["sku"] for r in rows}
        existing = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(skus)))} if skus else {}
        seen: dict[str, int] = ctx.state.setdefault("rows_by_sku", {})
        results: list[RowResult] = []
        new: list[CleanRow] = []
        for r in rows:
            sku = r.values["sku"]
            if sku in seen:
                results.append(RowResult(r.row, "duplicate", reasons=_("same SKU as row {row} of this file").format(
                    row=seen[sku]), name=sku))
                continue
            seen[sku] = r.row
            product = existing.get(sku)
            if product is not None:
                results.append(_update(ctx, product, r))
            elif not r.values.get("name"):
                results.append(RowResult(r.row, "rejected", reasons=_(_MISSING_NAME), name=sku))
            else:
                new.append(r)
        ids = reserve_ids(session, Product.__table__, len(new))
        if new:
            insert_rows(session, Product.__table__,
                        ["id", "sku", "name", "category", "price", "cost", "stock", "active", "import_batch_id"],
                        [(pid, r.values["sku"], r.values["name"], r.values.get("category") or _("Uncategorised"),
                          r.values.get("price") or Decimal(0), r.values.get("cost") or Decimal(0),
                          r.values.get("stock") or 0, True, ctx.batch_id) for pid, r in zip(ids, new)])
            identity.remember(session, ctx.options.source_system, "product",
                              ((r.values["sku"], pid) for pid, r in zip(ids, new)), ctx.batch_id)
        results.extend(RowResult(r.row, "imported", pid, name=r.values["sku"]) for pid, r in zip(ids, new))
        return results

    def revert(self, session: Session, actor: Actor, batch_id: int) -> dict[str, int]:
        created = list(session.scalars(select(Product.id).where(Product.import_batch_id == batch_id)))
        used = set(session.scalars(select(ReceiptLine.product_id).where(ReceiptLine.product_id.in_(created)))) \
            if created else set()
        removable = [p for p in created if p not in used]
        if removable:
            session.execute(delete(Product).where(Product.id.in_(removable)))
        if used:  # sold since: kept, but no longer offered
            session.execute(update(Product).where(Product.id.in_(used)).values(active=False))
        restored = 0
        for row in session.scalars(select(ImportRow).where(ImportRow.batch_id == batch_id,
                                                           ImportRow.outcome == "updated")):
            product = session.get(Product, row.entity_id) if row.entity_id else None
            if product is not None and row.before:
                for key in PRODUCT_FIELDS:
                    if key in row.before:
                        setattr(product, key, _typed(key, row.before[key]))
                restored += 1
        identity.forget_batch(session, batch_id)
        return {"removed": len(removable), "archived": len(used), "restored": restored}


def _typed(key: str, value: Any) -> Any:
    if key in ("price", "cost") and value is not None:
        return Decimal(str(value))
    return value


def _update(ctx: Context, product: Product, r: CleanRow) -> RowResult:
    """A known SKU: the row's non-empty values replace the product's (stock included)."""
    before = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in
              ((k, getattr(product, k)) for k in PRODUCT_FIELDS)}
    changes = {k: v for k, v in r.values.items() if k in PRODUCT_FIELDS and v is not None and getattr(product, k) != v}
    for key, value in changes.items():
        setattr(product, key, value)
    if changes:
        audit.record(ctx.session, ctx.actor, "update", "product", product.id,
                     before={k: before[k] for k in changes},
                     after={k: (str(v) if isinstance(v, Decimal) else v) for k, v in changes.items()},
                     detail=f"import batch {ctx.batch_id}")
    ctx.session.add(ImportRow(batch_id=ctx.batch_id, row_number=r.row, outcome="updated", entity_id=product.id,
                              reasons=None if changes else _("no change"), before=before))
    return RowResult(r.row, "updated", product.id, "" if changes else _("no change"), product.sku)


register(PRODUCTS, ProductWriter())
