"""/api/v1/products and /api/v1/receipts: create or update records by source and external id, exactly as the Import
page does (the same runner, writers, cleaning and report), one import batch per call."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints
from starlette.responses import Response

from api.auth import ApiCall, Key
from api.common import Input, Short
from api.errors import responses
from crm.accounts.api_keys import KeyCaller
from crm.core.database import Session
from crm.importing.runner import run
from crm.importing.writing import ImportOptions, ImportReport

router = APIRouter(prefix="/v1", tags=["products and receipts"])
MAX_RECORDS = 1000
Source = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[^\x00]*$")]
Amount = Annotated[Decimal, Field(ge=Decimal("-1e12"), le=Decimal("1e12"), allow_inf_nan=False)]
Count = Annotated[int, Field(ge=-1_000_000_000, le=1_000_000_000)]


class ProductRecord(Input):
    sku: Short = Field(description="The product's SKU in the source system: the record's identity")
    name: Short | None = Field(None, description="Required for a new product")
    category: Short | None = None
    price: Amount | None = None
    cost: Amount | None = None
    stock: Count | None = None


class ReceiptRecord(Input):
    """One receipt line (or a whole receipt with only its total); lines of one receipt share its number."""

    number: Short = Field(description="The receipt's number in the source system: its identity")
    customer: Short = Field(description="The customer's reference in the source system, e-mail or portal id")
    purchased_at: dt.datetime = Field(description="Without a zone: UTC")
    sku: Short | None = None
    product_name: Short | None = None
    category: Short | None = None
    quantity: Count | None = None
    unit_price: Amount | None = None
    unit_cost: Amount | None = None
    total: Amount | None = None
    units: Count | None = None
    channel: Short | None = Field(None, description="store, online or partner")


class ProductsIn(Input):
    source: Source = Field(description="The system the records come from (e.g. shop): its ids are kept")
    records: list[ProductRecord] = Field(min_length=1, max_length=MAX_RECORDS)


class ReceiptsIn(Input):
    source: Source
    records: list[ReceiptRecord] = Field(min_length=1, max_length=MAX_RECORDS)
    unknown_products: Literal["reject", "create"] = Field("reject", description="A line whose product is unknown")
    customer_source: Source | None = Field(None, description="Where the customer references come from "
                                                             "(default: source)")


class RecordOutcome(BaseModel):
    index: int = Field(description="The record's position in the request, from 0")
    outcome: str = Field(description="imported, updated, duplicate, possible_duplicate, rejected or blank")
    id: int | None = Field(description="The product's or receipt's id in the portal")
    reasons: str = Field(description="Why a record was rejected (the Import page's words)")


class ImportOut(BaseModel):
    batch_id: int | None = Field(description="The import batch (Import page, audit log)")
    counts: dict[str, int]
    records: list[RecordOutcome]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).isoformat()
    return str(value)


async def _import(call: ApiCall, kind: str, records: list[Input], options: ImportOptions) -> Response:
    """The records as the rows of an imported file (one column per field) through the import runner."""
    headers = list(type(records[0]).model_fields)
    rows = [[_cell(getattr(r, f)) for f in headers] for r in records]

    def work(who: KeyCaller, session: Session) -> ImportOut:
        report = run(who.actor, kind, rows, headers=headers, mapping={f: i for i, f in enumerate(headers)},
                     options=options, filename=f"api:{who.key_name}", total=len(rows), started_from="api",
                     session=session)
        return _outcome(report)
    return await call.answer(work)


def _outcome(report: ImportReport) -> ImportOut:
    return ImportOut(batch_id=report.batch_id, counts=report.counts, records=[
        RecordOutcome(index=r.row - 2, outcome=r.outcome, id=r.entity_id, reasons=r.reasons) for r in report.rows])


@router.post("/products", response_model=ImportOut, responses=responses(403),
             summary="Create or update products by source and SKU (as the import does)")
async def products(body: ProductsIn, call: Key) -> Response:
    return await _import(call, "products", list(body.records),
                         ImportOptions(source_system=body.source, decimal_mark=".", day_first=False))


@router.post("/receipts", response_model=ImportOut, responses=responses(403),
             summary="Create or update receipts by source and number (as the import does)")
async def receipts(body: ReceiptsIn, call: Key) -> Response:
    return await _import(call, "receipts", list(body.records),
                         ImportOptions(source_system=body.source, customer_source=body.customer_source,
                                       unknown_products=body.unknown_products, decimal_mark=".", day_first=False))
