"""Customers: search, list, create, edit (optimistic locking), bulk edit, archive.

Search uses the ``customer_tokens`` table: every folded word of the name and
company, the e-mail and the phone digits are tokens; each word of the query
must prefix-match a token of the customer (an index range scan per word).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, bindparam, intersect, or_, select, tuple_, union, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm.core import audit
from crm.core.access import DEPARTMENTS, Actor, can, holders, require
from crm.customers.contact_rules import (CONTACT_MARK, STATUSES, clean_customer_fields, refresh_search_keys,
                                         search_keys, search_tokens_of_keys)
from crm.core import paging
from crm.core.paging import Page
from crm.core.keyset import Slice, slice_ids
from crm.core.errors import ConflictError, NotFound, RateLimited, ValidationError
from crm.core.ratelimit import DistinctRequests
from crm.core.i18n import N_, _, get_language, label, label_list, datetime as format_datetime
from crm.core.text import digits, fold, words
from crm.settings.lists import values
from db.distinct import distinct_values
from db.where import where_given
from db.bulk import insert_rows, reserve_ids
from db.models import AuditEvent, Consent, Customer, CustomerToken, Department, User
from db.types import utcnow
from crm.webhooks import events as webhooks
from crm.settings import field_filters, field_values
from crm.settings.field_filters import FieldFilter
from crm.settings.field_types import plain as plain_custom

PAGE_SIZES = (25, 50, 100)
SORTS = {"name": N_("Name"), "last_contact": N_("Last contact"), "lifetime_revenue": N_("Lifetime revenue")}
CONSENT_PURPOSES = ("marketing", "third_party")
CONSENT_WORDING = "2025-01"
BULK_FIELDS = ("owner_id", "segment", "status")
# The list's columns: the defaults fit a 1400 px wide screen; the others (and each custom field, as
# ``custom.<code>``) can be added by the user.
LIST_COLUMNS = {"name": N_("Name"), "company": N_("Company"), "email": N_("E-mail"), "phone": N_("Phone"),
                "country": N_("Country"), "status": N_("Status"), "segment": N_("Segment"), "owner": N_("Owner"),
                "last_contact_at": N_("Last contact"), "lifetime_revenue": N_("Lifetime revenue")}
DEFAULT_COLUMNS = ("name", "company", "status", "segment", "owner", "last_contact_at", "lifetime_revenue")
CUSTOM_COLUMN = "custom."
_PHONE_QUERY = re.compile(r"^[+\d\s().\-/]+$")
_HIGH = "\uffff"


@dataclass(frozen=True)
class CustomerFilters:
    status: str | None = None
    segment: str | None = None
    owner_id: int | None = None
    country: str | None = None
    acquisition_source: str | None = None
    consent: str | None = None  # marketing | third_party | none
    include_archived: bool = False
    sort: str = "name"
    custom: tuple[FieldFilter, ...] = ()  # filters on custom fields (``crm.settings.field_filters``)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CustomerFilters":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "custom"}
        custom = tuple(FieldFilter.from_params(f) for f in data.get("custom") or () if isinstance(f, dict))
        return cls(**known, custom=custom)


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    country: str | None
    status: str
    segment: str | None
    owner: str | None
    last_contact_at: dt.datetime | None
    lifetime_revenue: Decimal
    archived: bool
    custom: dict[str, Any] = field(default_factory=dict)  # active custom fields' values by code


CustomerPage = Page  # Page[CustomerRow]: one page of rows and the total


@dataclass(frozen=True)
class CustomerDetail:
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
    lifetime_revenue: Decimal
    lifetime_cost: Decimal
    purchase_count: int
    last_contact_at: dt.datetime | None
    archived_at: dt.datetime | None
    erased: bool
    version: int
    updated_at: dt.datetime
    updated_by: str | None
    pii_visible: bool
    custom: dict[str, Any] = field(default_factory=dict)  # active custom fields' values by code (field_values)

    @property
    def lifetime_margin(self) -> Decimal:
        return self.lifetime_revenue - self.lifetime_cost


@dataclass(frozen=True)
class Option:
    id: int
    label: str


@dataclass
class FilterChoices:
    segments: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    owners: list[Option] = field(default_factory=list)
    segment_labels: dict[str, str] = field(default_factory=dict)  # code -> label (managed list)
    source_labels: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------- masking --


def mask_email(email: str | None) -> str | None:
    if not email:
        return email
    local, _at, domain = email.partition("@")
    host, _dot, tld = domain.rpartition(".")
    return f"{local[:1]}•••@{host[:1]}•••.{tld}" if host else f"{local[:1]}•••@•••"


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return f"{phone[:3]} •••• {phone[-3:]}" if len(phone) > 6 else "••••"


def _pii(actor: Actor) -> bool:
    return can(actor, "customers.read_pii")


# ---------------------------------------------------------------- search --


def _token_ids(*prefixes: str) -> Any:
    """The ids of customers with a search token starting with any of ``prefixes``: one range of the token
    index per prefix (a UNION of them when several)."""
    ranges = [select(CustomerToken.customer_id).where(CustomerToken.token >= p, CustomerToken.token < p + _HIGH)
              for p in dict.fromkeys(prefixes) if p]
    return ranges[0] if len(ranges) == 1 else union(*ranges)


def _all_of(sets: list[Any]) -> Any:
    """The ids in every one of ``sets`` (an INTERSECT of them when several)."""
    if len(sets) == 1:
        return sets[0]
    return intersect(*[select(s.subquery().c.customer_id) for s in sets])


def search_condition(query: str, contact_details: bool = True) -> Any | None:
    """The WHERE condition for the search box, or None for an empty query.

    ``contact_details``: whether the searcher may see e-mails and phones. Without it, the query matches
    names and companies only: a search must not tell apart customers whose contact details differ.

    One ``customers.id IN (...)`` of the matching ids, read from the token index alone (a range per word, its
    contact-detail range joined by UNION, words by INTERSECT): SQLite then walks those ids in order and looks up
    only the customers it returns, instead of every customer matching any word (an OR of one IN per range made
    it look up and sort all of them: 49 ms instead of 16 ms for "jos" at 1M customers, bench/README.md).
    """
    query = (query or "").replace(CONTACT_MARK, " ").strip()
    if not query:
        return None
    if contact_details and _PHONE_QUERY.match(query) and len(digits(query)) >= 4:
        d = digits(query)
        candidates = [d]
        if d.startswith("00"):
            candidates.append(d[2:])
        if d.startswith("0"):
            candidates.append(d.lstrip("0"))  # national number typed with its trunk 0
        return Customer.id.in_(_token_ids(*[CONTACT_MARK + c for c in candidates if c]))
    if contact_details and "@" in query:
        return Customer.id.in_(_token_ids(CONTACT_MARK + fold(query)))
    terms = words(query)
    if not terms:
        return None
    if not contact_details:
        return Customer.id.in_(_all_of([_token_ids(term) for term in terms]))
    return Customer.id.in_(_all_of([_token_ids(term, CONTACT_MARK + term) for term in terms]))


def _filtered(session: Session, query: str, filters: CustomerFilters, contact_details: bool) -> Select[Any]:
    stmt = select(Customer.id)
    if filters.custom:
        stmt = stmt.where(*field_filters.conditions(session, "customers", filters.custom, Customer.id))
    condition = search_condition(query, contact_details)
    if condition is not None:
        stmt = stmt.where(condition)
    if not filters.include_archived:
        stmt = stmt.where(Customer.archived_at.is_(None))
    stmt = where_given(stmt, (Customer.status, filters.status), (Customer.segment, filters.segment),
                       (Customer.owner_id, filters.owner_id), (Customer.country, filters.country),
                       (Customer.acquisition_source, filters.acquisition_source))
    if filters.consent == "marketing":
        stmt = stmt.where(Customer.consent_marketing.is_(True))
    elif filters.consent == "third_party":
        stmt = stmt.where(Customer.consent_third_party.is_(True))
    elif filters.consent == "none":
        stmt = stmt.where(Customer.consent_marketing.is_(False), Customer.consent_third_party.is_(False))
    return stmt


def _order(stmt: Select[Any], sort: str, dialect: str = "sqlite") -> Select[Any]:
    if sort == "last_contact":
        return stmt.order_by(Customer.last_contact_at.desc().nulls_last(), Customer.id)
    if sort == "lifetime_revenue":
        return stmt.order_by(Customer.lifetime_revenue.desc(), Customer.id)
    if dialect == "postgresql":  # the user's language's alphabet (ICU), e.g. Bulgarian or Urdu order
        return stmt.order_by(Customer.name.collate(f"{get_language()}-x-icu"), Customer.id)
    # SQLite has no locale collation: folded names (case, accents and letter variants ignored),
    # each script in its Unicode order
    return stmt.order_by(Customer.name_key, Customer.id)


def search_customers(
    actor: Actor,
    query: str = "",
    filters: CustomerFilters | None = None,
    *,
    page: int = 1,
    page_size: int = 25,
    session: Session,
) -> CustomerPage:
    """One page of customers matching the search box and filters, with the total count.

    Different search texts per user are limited (``SEARCHES``): scripted guessing is slowed down and each
    burst of searches shows in the audit log.
    """
    require(actor, "customers.read")
    _count_search(actor, query, session)
    return search_page(session, actor, query, filters, page=page, page_size=page_size)


# per user and minute: at most 60 different search texts; the 30th is recorded in the audit log as a burst
SEARCHES = DistinctRequests(limit=60, burst=30, window=60.0)


def _count_search(actor: Actor, query: str, session: Session) -> None:
    text = fold(query)
    if not text:
        return
    noted = SEARCHES.note(actor.user_id or actor.username, text)
    if noted.burst_started:
        audit.record(session, actor, "search_burst", "customers", None,
                     detail=f"{noted.count} different searches within {int(SEARCHES.window)} s")
    if not noted.allowed:
        raise RateLimited(_("You have searched very often in the last minute. Please wait {seconds} seconds "
                            "and search again.").format(seconds=noted.retry_after), noted.retry_after)


def search_page(session: Session, actor: Actor, query: str = "", filters: CustomerFilters | None = None, *,
                page: int = 1, page_size: int = 25) -> CustomerPage:
    """``search_customers`` for services that have made their own access check (e-mail and phone still
    masked for an actor who may not see them)."""
    filters = filters or CustomerFilters()
    if filters.sort not in SORTS:
        raise ValidationError({"sort": _("Sort must be one of: {choices}.").format(
            choices=label_list(SORTS))})
    page_size = max(1, min(page_size, 200))
    page = max(1, page)
    dialect = session.get_bind().dialect.name
    ordered = _order(_filtered(session, query, filters, _pii(actor)), filters.sort, dialect)
    window = paging.page_window(session, ordered, page, page_size)
    rows = _rows(session, actor, window.ids)
    return CustomerPage(rows=rows, total=window.total, page=page, page_size=page_size, more=window.more)


def _rows(session: Session, actor: Actor, ids: list[int]) -> list[CustomerRow]:
    """The list rows of these customers in this order, e-mail and phone masked for ``actor`` if need be."""
    found = {c.id: (c, owner) for c, owner in session.execute(
        select(Customer, User.full_name).outerjoin(User, User.id == Customer.owner_id)
        .where(Customer.id.in_(ids))).all()}
    show = _pii(actor)
    custom = field_values.values_of(session, "customers", ids) if ids else {}
    return [
        CustomerRow(
            id=c.id, name=c.name, company=c.company,
            email=c.email if show else mask_email(c.email),
            phone=c.phone if show else mask_phone(c.phone),
            country=c.country, status=c.status, segment=c.segment, owner=owner,
            last_contact_at=c.last_contact_at, lifetime_revenue=c.lifetime_revenue or Decimal(0),
            archived=c.archived_at is not None, custom=custom.get(c.id, {}),
        )
        for c, owner in (found[i] for i in ids if i in found)
    ]


def customers_after(actor: Actor, query: str = "", filters: CustomerFilters | None = None, *,
                    after: int | None = None, limit: int = 50, session: Session) -> Slice[CustomerRow]:
    """The customers matching the search box and filters in id order, after id ``after`` (keyset paging, for
    systems reading the whole list while people add customers). The same search, search limit and masking
    as ``search_customers``; a slice that shows contact details is audited (one row, the ids in it)."""
    require(actor, "customers.read")
    _count_search(actor, query, session)
    ids, next_after = slice_ids(session, _filtered(session, query, filters or CustomerFilters(), _pii(actor)),
                                Customer.id, after=after, limit=limit)
    rows = _rows(session, actor, ids)
    if rows and _pii(actor) and any(r.email or r.phone for r in rows):
        audit.record(session, actor, "read_pii", "customer", None, after={"ids": [r.id for r in rows]},
                     detail=f"contact details of {len(rows)} customers listed")
    return Slice(rows, next_after)


def filter_choices(actor: Actor, *, session: Session) -> FilterChoices:
    """Values for the filter drop-downs: the managed lists' active values (with those in use), countries in use."""
    require(actor, "customers.read")

    def distinct(column: Any) -> list[str]:
        return [v for v in distinct_values(session, column) if v]

    segments, sources = values(session, "segments"), values(session, "acquisition_sources")
    return FilterChoices(
        segments=[v.code for v in segments],
        countries=distinct(Customer.country),
        sources=[v.code for v in sources],
        owners=_owners(session),
        segment_labels={v.code: v.label for v in segments},
        source_labels={v.code: v.label for v in sources},
    )


def owners(actor: Actor, *, session: Session) -> list[Option]:
    """People who can own customers (``customers.own``): active accounts, by name."""
    require(actor, "customers.read")
    return _owners(session)


def _owners(session: Session) -> list[Option]:
    rows = session.execute(
        select(User.id, User.full_name, Department.code, Department.name)
        .join(Department)
        .where(User.active.is_(True), tuple_(User.role, Department.code).in_(holders("customers.own")))
        .order_by(User.full_name)
    ).all()
    return [Option(uid, _("{name} ({department})").format(
                name=name, department=label(DEPARTMENTS, code) if code in DEPARTMENTS else dept))
            for uid, name, code, dept in rows]


# ----------------------------------------------------------------- read --


def _load_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("Customer #{id} does not exist.").format(id=customer_id))
    return customer


def _detail(actor: Actor, c: Customer | Row[Any], session: Session, names: dict[int, str] | None = None
            ) -> CustomerDetail:
    """``c`` as ``actor`` may see it: a customer, or its row as ``_customer_row`` reads it (with ``names``, the
    full names of its owner and last editor; else they are looked up)."""
    show = _pii(actor)
    if names is None:
        names = _names(session, (c.owner_id, c.updated_by_id))
    return CustomerDetail(
        id=c.id, name=c.name, company=c.company,
        email=c.email if show else mask_email(c.email),
        phone=c.phone if show else mask_phone(c.phone),
        address=c.address if show else ("•••" if c.address else None),
        city=c.city, country=c.country, language=c.language, status=c.status, segment=c.segment,
        acquisition_source=c.acquisition_source, owner_id=c.owner_id,
        owner=names.get(c.owner_id) if c.owner_id else None, notes=c.notes,
        consent_marketing=c.consent_marketing, consent_third_party=c.consent_third_party,
        lifetime_revenue=c.lifetime_revenue or Decimal(0), lifetime_cost=c.lifetime_cost or Decimal(0),
        purchase_count=c.purchase_count or 0, last_contact_at=c.last_contact_at,
        archived_at=c.archived_at, erased=c.erased_at is not None, version=c.version,
        updated_at=c.updated_at, updated_by=names.get(c.updated_by_id) if c.updated_by_id else None,
        pii_visible=show, custom=field_values.values_of(session, "customers", [c.id])[c.id],
    )


def _names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in user_ids if i]
    if not wanted:
        return {}
    return {uid: name for uid, name in session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))}


# a customer with the names of its owner and last editor, in one query (every profile and API read): built once
_OWNER, _EDITOR = User.__table__.alias("owner"), User.__table__.alias("editor")
_CUSTOMER_ROW = (
    select(Customer.__table__, _OWNER.c.full_name.label("owner_full_name"),
           _EDITOR.c.full_name.label("editor_full_name"))
    .select_from(Customer.__table__.outerjoin(_OWNER, _OWNER.c.id == Customer.__table__.c.owner_id)
                 .outerjoin(_EDITOR, _EDITOR.c.id == Customer.__table__.c.updated_by_id))
    .where(Customer.__table__.c.id == bindparam("id")))


def _customer_row(session: Session, customer_id: int) -> tuple[Row[Any], dict[int, str]]:
    """The customer's row (as its columns) and the names of its owner and last editor; NotFound if none."""
    row = session.execute(_CUSTOMER_ROW, {"id": customer_id}).one_or_none()
    if row is None:
        raise NotFound(_("Customer #{id} does not exist.").format(id=customer_id))
    names = {k: v for k, v in ((row.owner_id, row.owner_full_name), (row.updated_by_id, row.editor_full_name)) if k}
    return row, names


def get_customer(actor: Actor, customer_id: int, *, session: Session) -> CustomerDetail:
    require(actor, "customers.read")
    return _read_customer(actor, customer_id, session)


def _read_customer(actor: Actor, customer_id: int, session: Session) -> CustomerDetail:
    """One customer as ``actor`` may see it; a read of contact details is audited."""
    customer, names = _customer_row(session, customer_id)
    detail = _detail(actor, customer, session, names)
    if detail.pii_visible and (customer.email or customer.phone or customer.address):
        audit.record(session, actor, "read_pii", "customer", customer.id, detail="contact details shown")
    return detail


# ---------------------------------------------------------------- write --


def _set_consents(
    session: Session, actor: Actor, customer: Customer, wanted: dict[str, bool], source: str
) -> None:
    for purpose in CONSENT_PURPOSES:
        if purpose not in wanted:
            continue
        attr = f"consent_{purpose}"
        if bool(getattr(customer, attr)) == bool(wanted[purpose]):
            continue
        setattr(customer, attr, bool(wanted[purpose]))
        session.add(Consent(customer_id=customer.id, purpose=purpose, granted=bool(wanted[purpose]),
                            source=source, wording_version=CONSENT_WORDING, recorded_by_id=actor.user_id))


def _split_consents(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bool]]:
    fields = dict(data)
    consents = {p: bool(fields.pop(f"consent_{p}")) for p in CONSENT_PURPOSES if f"consent_{p}" in fields}
    return fields, consents


def _validated(session: Session, fields: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The cleaned form fields, or ValidationError with every field error at once (the owner's included)."""
    clean, _custom = _validated_with_custom(session, fields, None, partial=partial)
    return clean


def _validated_with_custom(session: Session, fields: dict[str, Any], custom: dict[str, Any] | None, *,
                           partial: bool = False, current: dict[str, Any] | None = None,
                           ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cleaned built-in and custom fields (``custom`` None: not checked), or ValidationError with every
    error of both at once."""
    errors: dict[str, str] = {}
    try:
        clean = clean_customer_fields(fields, partial=partial)
    except ValidationError as exc:
        errors.update(exc.errors)
        clean = {}
    _check_owner(session, fields.get("owner_id"), errors)
    custom_clean: dict[str, Any] = {}
    if custom is not None:
        custom_clean, custom_errors = field_values.validate_values(session, "customers", custom, partial=partial,
                                                                   current=current)
        errors.update(custom_errors)
    if errors:
        raise ValidationError(errors)
    return clean, custom_clean


def _check_owner(session: Session, owner_id: Any, errors: dict[str, str]) -> None:
    if owner_id and session.get(User, owner_id) is None:
        errors["owner_id"] = _("The chosen owner does not exist.")


def create_customer(actor: Actor, data: dict[str, Any], *, custom: dict[str, Any] | None = None,
                    session: Session) -> CustomerDetail:
    """Create a customer from form fields and custom field values (by code; required ones checked even when
    ``custom`` is not given); every field error, built-in or custom, is reported at once."""
    require(actor, "customers.write")
    fields, consents = _split_consents(data)
    clean, custom_clean = _validated_with_custom(session, fields, custom or {})
    session.flush()
    (customer_id,) = reserve_ids(session, Customer.__table__, 1)
    new = _customer_rows(actor, customer_id, clean, now=utcnow(), consents=consents)
    stored_custom = {k: v for k, v in custom_clean.items() if v not in (None, [])}
    if stored_custom:
        new.audit["after"]["custom"] = plain_custom(stored_custom)
    _write_customers(session, [new])
    field_values.set_values(session, "customers", customer_id, custom_clean)
    for purpose in CONSENT_PURPOSES:  # the consent history starts with what the form granted
        if consents.get(purpose):
            session.add(Consent(customer_id=customer_id, purpose=purpose, granted=True, source="form",
                                wording_version=CONSENT_WORDING, recorded_by_id=actor.user_id))
    session.flush()
    webhooks.emit(session, webhooks.CUSTOMER_CREATED, {"customer_id": customer_id, "fields": clean,
                                                       "consents": {p: bool(consents.get(p)) for p in CONSENT_PURPOSES}})
    return _detail(actor, _load_customer(session, customer_id), session)


@dataclass(frozen=True)
class _NewCustomer:
    """One customer about to be created: its row, its search tokens and its audit row."""

    row: dict[str, Any]  # every column of ``customers``
    tokens: set[str]
    audit: dict[str, Any]  # every column of ``audit_events`` but the id


_CUSTOMER_COLUMNS = tuple(c.name for c in Customer.__table__.columns)
_AUDIT_COLUMNS = ("at", "user_id", "username", "action", "entity", "entity_id", "source", "before", "after",
                  "detail")
_HIDDEN_FROM_AUDIT = {"name_key", "company_key", "email_key", "phone_digits"}  # derived, as in ``audit.snapshot``


def _audit_value(value: Any) -> Any:
    """A column value as ``audit.snapshot`` writes it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


_NEW_ROW = dict.fromkeys(_CUSTOMER_COLUMNS) | {  # the models' fixed defaults (status, figures, version...)
    c.name: c.default.arg for c in Customer.__table__.columns  # type: ignore[attr-defined]
    if c.default is not None and not callable(c.default.arg)}  # type: ignore[attr-defined]
_NEW_AFTER = {k: _audit_value(v) for k, v in _NEW_ROW.items() if k not in _HIDDEN_FROM_AUDIT}


def _customer_rows(actor: Actor, customer_id: int, clean: dict[str, Any], *, now: dt.datetime,
                   consents: dict[str, bool] | None = None, import_batch_id: int | None = None,
                   source: str | None = None, detail: str | None = None,
                   keys: dict[str, Any] | None = None) -> _NewCustomer:
    """The row, search tokens and "create" audit row of a new customer from the fields
    ``clean_customer_fields`` returned; the one way a customer comes into being, typed or imported."""
    keys = keys or search_keys(clean.get("name"), clean.get("company"), clean.get("email"), clean.get("phone"))
    fixed = {"id": customer_id, "updated_by_id": actor.user_id, "import_batch_id": import_batch_id,
             **{f"consent_{p}": bool((consents or {}).get(p)) for p in CONSENT_PURPOSES}}
    row = {**_NEW_ROW, **clean, **keys, **fixed, "created_at": now, "updated_at": now}
    stamp = now.isoformat()
    after = {**_NEW_AFTER, **clean, **fixed, "created_at": stamp, "updated_at": stamp}  # clean: text and ids only
    event = {"at": now, "user_id": actor.user_id, "username": actor.username, "action": "create",
             "entity": "customer", "entity_id": str(customer_id), "source": source or actor.source, "before": None,
             "after": after, "detail": detail}
    return _NewCustomer(row, search_tokens_of_keys(keys, row["phone"]), event)


def _write_customers(session: Session, new: list[_NewCustomer]) -> None:
    """Insert the customers, their search tokens and their audit rows, many at once, in the session's transaction."""
    if not new:
        return
    insert_rows(session, Customer.__table__, _CUSTOMER_COLUMNS,
                [tuple(n.row[c] for c in _CUSTOMER_COLUMNS) for n in new])
    insert_rows(session, CustomerToken.__table__, ["token", "customer_id"],
                sorted((t, n.row["id"]) for n in new for t in n.tokens))
    _write_audit_rows(session, [n.audit for n in new])


def _write_audit_rows(session: Session, events: list[dict[str, Any]]) -> None:
    """Audit rows (dicts of ``_AUDIT_COLUMNS``) written many at once, ``before``/``after`` stored as ``record`` stores them."""
    as_json = AuditEvent.__table__.c.after.type.process_bind_param
    insert_rows(session, AuditEvent.__table__, _AUDIT_COLUMNS,
                [tuple(as_json(e[c], None) if c in ("before", "after") else e[c] for c in _AUDIT_COLUMNS)
                 for e in events])


def _conflict(session: Session, customer: Customer) -> ConflictError:
    who = session.get(User, customer.updated_by_id) if customer.updated_by_id else None
    if who is None:
        return ConflictError(
            _("This customer was changed by someone else while you were editing. "
              "Nothing was saved: reload to see their changes, then edit again.")
        )
    if customer.updated_at is None:
        return ConflictError(
            _("This customer was changed by {name} while you were editing. "
              "Nothing was saved: reload to see their changes, then edit again.").format(name=who.full_name)
        )
    return ConflictError(
        _("This customer was changed by {name} at {when} UTC while you were editing. "
          "Nothing was saved: reload to see their changes, then edit again.").format(
            name=who.full_name, when=format_datetime(customer.updated_at, "short"))
    )


def update_customer(
    actor: Actor, customer_id: int, changes: dict[str, Any], expected_version: int, *,
    custom: dict[str, Any] | None = None, session: Session
) -> CustomerDetail:
    """Apply ``changes`` (and ``custom`` field values by code: only those given change) if nobody saved this
    customer since ``expected_version`` was loaded; every error, built-in or custom, is reported at once."""
    require(actor, "customers.write")
    customer = _load_customer(session, customer_id)
    if customer.version != expected_version:
        raise _conflict(session, customer)
    if customer.erased_at is not None:
        raise ValidationError({"customer": _("This customer's data was erased; it cannot be edited.")})
    fields, consents = _split_consents(changes)
    # keep country with phone so national numbers parse
    if "phone" in fields and "country" not in fields:
        fields["country"] = customer.country
    current_custom = field_values.values_of(session, "customers", [customer.id])[customer.id]
    clean, custom_clean = _validated_with_custom(session, fields, custom, partial=True, current=current_custom)
    before = audit.snapshot(customer)
    try:
        # a savepoint: a refused write is undone without touching the caller's other work in this session
        with session.begin_nested():
            for key, value in clean.items():
                setattr(customer, key, value)
            _set_consents(session, actor, customer, consents, source="form")
            customer.updated_at = utcnow()
            customer.updated_by_id = actor.user_id
            session.flush()
            field_values.set_values(session, "customers", customer.id, custom_clean)
    except StaleDataError:
        raise ConflictError(_("This customer was changed by someone else just now. Reload and try again."))
    if {"name", "company", "email", "phone"} & set(clean):
        refresh_search_keys(customer, session=session)
    after = audit.snapshot(customer)
    if custom_clean:  # the custom values that changed, in the same audit row as the built-in ones
        old = plain_custom(current_custom)
        new = plain_custom(field_values.values_of(session, "customers", [customer.id])[customer.id])
        keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
        if keys:
            before["custom"] = {k: old.get(k) for k in keys}
            after["custom"] = {k: new.get(k) for k in keys}
    b, a = audit.diff(before, after)
    if a:
        audit.record(session, actor, "update", "customer", customer.id, before=b, after=a)
        webhooks.emit(session, webhooks.CUSTOMER_UPDATED, _changed(customer, a))
    return _detail(actor, customer, session)


def _changed(customer: Customer, after: dict[str, Any]) -> dict[str, Any]:
    """A customer.updated payload: the id, the new version and the changed fields' new values."""
    return {"customer_id": customer.id, "version": customer.version,
            "changed": {k: v for k, v in after.items() if k not in _HIDDEN_FROM_AUDIT}}


def bulk_update(actor: Actor, customer_ids: list[int], changes: dict[str, Any], *,
                custom: dict[str, Any] | None = None, session: Session) -> int:
    """Change owner, segment, status and custom field values (by code; only those given change, an empty
    value clears) of several customers at once, in one transaction; each changed customer audited."""
    require(actor, "customers.write")
    errors: dict[str, str] = {}
    unknown = set(changes) - set(BULK_FIELDS)
    if unknown:
        errors["fields"] = _("Only owner, segment and status can be changed in bulk (not {fields}).").format(
            fields=", ".join(sorted(unknown)))
    if not customer_ids:
        errors["customers"] = _("Select at least one customer.")
    if "status" in changes and changes["status"] not in STATUSES:
        errors["status"] = _("Status '{status}' is not allowed; use prospect, customer or former.").format(
            status=changes["status"])
    _check_owner(session, changes.get("owner_id"), errors)
    if "segment" in changes:
        changes = {**changes, "segment": (" ".join(str(changes["segment"] or "").split()) or None)}
    custom_clean: dict[str, Any] = {}
    if custom:
        custom_clean, custom_errors = field_values.validate_values(session, "customers", custom, partial=True)
        errors.update(custom_errors)
    if errors:
        raise ValidationError(errors)
    customers = list(session.scalars(select(Customer).where(Customer.id.in_(customer_ids))))
    missing = set(customer_ids) - {c.id for c in customers}
    if missing:
        raise NotFound(_("Customers not found: {ids}.").format(ids=", ".join(map(str, sorted(missing)))))
    if custom_clean and any(c.erased_at is not None for c in customers):
        raise ValidationError({"customers": _("Erased customers cannot be edited; leave them out of the selection.")})
    old_custom = field_values.values_of(session, "customers", customer_ids) if custom_clean else {}
    new_custom = plain_custom(custom_clean)
    now = utcnow()
    changed: list[tuple[Customer, dict[str, Any]]] = []
    for customer in customers:
        before = audit.snapshot(customer)
        for key, value in changes.items():
            setattr(customer, key, value)
        b, a = audit.diff(before, audit.snapshot(customer))
        old = plain_custom(old_custom.get(customer.id, {}))
        keys = [k for k in custom_clean if _stored_form(old.get(k)) != _stored_form(new_custom.get(k))]
        if keys:
            field_values.set_values(session, "customers", customer.id, {k: custom_clean[k] for k in keys})
            b["custom"] = {k: old.get(k) for k in keys}
            a["custom"] = {k: new_custom.get(k) for k in keys}
        if a:
            customer.updated_at = now
            customer.updated_by_id = actor.user_id
            audit.record(session, actor, "bulk_update", "customer", customer.id, before=b, after=a)
            changed.append((customer, a))
    session.flush()
    webhooks.emit_each(session, webhooks.CUSTOMER_UPDATED, [_changed(c, a) for c, a in changed])
    return len(changed)


def _stored_form(value: Any) -> Any:
    """A custom value as compared for a change (an empty multiple choice is no value)."""
    return None if value == [] or value == "" else value


def archive_customer(actor: Actor, customer_id: int, *, session: Session) -> None:
    require(actor, "customers.write")
    customer = _load_customer(session, customer_id)
    if customer.archived_at is not None:
        return
    customer.archived_at = utcnow()
    customer.updated_at = customer.archived_at
    customer.updated_by_id = actor.user_id
    session.flush()
    audit.record(session, actor, "archive", "customer", customer.id,
                 before={"archived_at": None}, after={"archived_at": customer.archived_at.isoformat()})
    webhooks.emit(session, webhooks.CUSTOMER_UPDATED, _changed(customer, {"archived_at": customer.archived_at}))


def restore_customer(actor: Actor, customer_id: int, *, session: Session) -> None:
    require(actor, "customers.write")
    customer = _load_customer(session, customer_id)
    if customer.archived_at is None:
        return
    before = customer.archived_at.isoformat()
    customer.archived_at = None
    customer.updated_at = utcnow()
    customer.updated_by_id = actor.user_id
    session.flush()
    audit.record(session, actor, "restore", "customer", customer.id,
                 before={"archived_at": before}, after={"archived_at": None})
    webhooks.emit(session, webhooks.CUSTOMER_UPDATED, _changed(customer, {"archived_at": None}))


def touch_last_contact(session: Session, customer_id: int, at: dt.datetime) -> None:
    """Move ``last_contact_at`` forward without bumping the version (edits stay valid)."""
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id,
               or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < at))
        .values(last_contact_at=at)
        .execution_options(synchronize_session=False)
    )
