"""/api/v1/customers: search (the portal's search, filters, cursor), read, create, update (version), archive, and a
customer's contact history. The same services and masking as the Customers page."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api import cursor
from api.auth import Key
from api.custom import CUSTOM_IN, CUSTOM_OUT, FILTER_HELP, custom_of, query_filters
from api.common import DEFAULT_LIMIT, Id, Input, Limit, Money, Page, Short, Text, page_of, plain
from api.errors import responses
from api.interactions import InteractionOut
from crm.accounts.api_keys import KeyCaller
from crm.core.database import Session
from crm.customers import service
from crm.customers.service import CustomerFilters
from crm.interactions.service import InteractionFilters, interactions_after

router = APIRouter(prefix="/v1/customers", tags=["customers"])
Status = Literal["prospect", "customer", "former"]


class CustomerRowOut(BaseModel):
    id: int
    name: str
    company: str | None
    email: str | None = Field(description="Masked (a•••@e•••.com) for keys without customers.read_pii")
    phone: str | None = Field(description="Masked for keys without customers.read_pii")
    country: str | None
    status: str
    segment: str | None
    owner: str | None
    last_contact_at: dt.datetime | None
    lifetime_revenue: Money
    archived: bool
    custom: dict[str, Any] = CUSTOM_OUT


class CustomerOut(BaseModel):
    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    address: str | None
    city: str | None
    country: str | None
    language: str | None
    status: str
    segment: str | None
    acquisition_source: str | None
    owner_id: int | None
    owner: str | None
    notes: str | None
    consent_marketing: bool
    consent_third_party: bool
    lifetime_revenue: Money
    lifetime_cost: Money
    purchase_count: int
    last_contact_at: dt.datetime | None
    archived_at: dt.datetime | None
    erased: bool
    version: int = Field(description="Send it back with an update: a stale version is refused with 409")
    updated_at: dt.datetime
    updated_by: str | None
    pii_visible: bool = Field(description="False: e-mail, phone and address are masked for this key")
    custom: dict[str, Any] = CUSTOM_OUT


class CustomerIn(Input):
    """A customer's fields as on the Customers page's form (name required when creating)."""

    name: Short | None = None
    company: Short | None = None
    email: Short | None = None
    phone: Short | None = None
    address: Text | None = None
    city: Short | None = None
    country: Short | None = Field(None, description="A country name or ISO code")
    language: Short | None = None
    status: Short | None = Field(None, description="prospect, customer or former")
    segment: Short | None = None
    acquisition_source: Short | None = None
    owner_id: Id | None = None
    notes: Text | None = None
    consent_marketing: bool | None = None
    consent_third_party: bool | None = None
    custom: dict[str, Any] | None = CUSTOM_IN


class CustomerChanges(CustomerIn):
    version: int = Field(ge=0, le=2_147_483_647, description="The version read: 409 when someone saved since")


def _detail(d: service.CustomerDetail) -> CustomerOut:
    return CustomerOut.model_validate(plain(d))


@router.get("", response_model=Page[CustomerRowOut], responses=responses(400, 422),
            summary="Search customers (newest last; cursor paging)", description=FILTER_HELP)
async def search(request: Request, call: Key,
                 q: Short = Query("", description="The portal's search: name, company, e-mail or phone"),
                 status: Status | None = None, segment: Short | None = None, country: Short | None = None,
                 owner: Id | None = Query(None, description="The owner's user id"),
                 include_archived: bool = False, cursor_: str | None = Query(None, alias="cursor", max_length=100),
                 limit: Limit = DEFAULT_LIMIT) -> Response:
    def work(who: KeyCaller, session: Session) -> Page[CustomerRowOut]:
        filters = CustomerFilters(status=status, segment=segment, country=country, owner_id=owner,
                                  include_archived=include_archived,
                                  custom=query_filters(request, who.actor, "customers", session=session))
        found = service.customers_after(who.actor, q, filters, after=cursor.decode(cursor_), limit=limit,
                                        session=session)
        return page_of(found, CustomerRowOut)
    return await call.answer(work)


@router.get("/{customer_id}", response_model=CustomerOut, responses=responses(404), summary="One customer")
async def get(customer_id: Id, call: Key) -> Response:
    return await call.answer(lambda who, session: _detail(service.get_customer(who.actor, customer_id,
                                                                               session=session)))


@router.post("", response_model=CustomerOut, status_code=201, responses=responses(403, 422),
             summary="Create a customer")
async def create(body: CustomerIn, call: Key) -> Response:
    fields = body.model_dump(exclude_unset=True)
    custom = custom_of(fields)
    return await call.answer(lambda who, session: _detail(service.create_customer(who.actor, fields, custom=custom,
                                                                                  session=session)), status=201)


@router.patch("/{customer_id}", response_model=CustomerOut, responses=responses(403, 404, 409, 422),
              summary="Change some fields of a customer (optimistic locking by version)")
async def update(customer_id: Id, body: CustomerChanges, call: Key) -> Response:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    custom = custom_of(changes)
    return await call.answer(lambda who, session: _detail(service.update_customer(
        who.actor, customer_id, changes, version, custom=custom, session=session)))


@router.post("/{customer_id}/archive", response_model=CustomerOut, responses=responses(403, 404),
             summary="Archive a customer (hidden from lists unless include_archived)")
async def archive(customer_id: Id, call: Key) -> Response:
    def work(who: KeyCaller, session: Session) -> CustomerOut:
        service.archive_customer(who.actor, customer_id, session=session)
        return _detail(service.get_customer(who.actor, customer_id, session=session))
    return await call.answer(work)


@router.get("/{customer_id}/history", response_model=Page[InteractionOut], responses=responses(404),
            summary="A customer's contact history, newest first (cursor paging)")
async def history(customer_id: Id, call: Key, cursor_: str | None = Query(None, alias="cursor", max_length=100),
                  limit: Limit = DEFAULT_LIMIT) -> Response:
    def work(who: KeyCaller, session: Session) -> Page[InteractionOut]:
        found = interactions_after(who.actor, InteractionFilters(customer_id=customer_id),
                                   after=cursor.decode(cursor_), limit=limit, newest_first=True, session=session)
        return page_of(found, InteractionOut)
    return await call.answer(work)
