"""Data quality: completeness, invalid contact data, duplicate clusters and merging, neglected customers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.customers.contact_rules import normalize_email, refresh_search_keys
from crm.core.errors import NotFound, ValidationError
from crm.core.text import similar_names
from crm.core.i18n import N_, Codes, _
from crm.insights.rollups import refresh_customers
from db.models import Consent, Customer, ExternalId, Interaction, Receipt, SurveyResponse, User
from db.types import utcnow
from crm.webhooks import events as webhooks

COMPLETENESS_FIELDS = ("company", "email", "phone", "country", "city", "segment", "acquisition_source", "owner_id")
FUZZY_THRESHOLD = 90
# The fields ``completeness`` reports on (``FieldCompleteness.field``) and the label shown for each.
FIELD_LABELS = Codes("completeness field", {
    "company": N_("company"), "email": N_("email"), "phone": N_("phone"), "country": N_("country"),
    "city": N_("city"), "segment": N_("segment"), "acquisition source": N_("acquisition source"),
    "owner": N_("owner")})
# Cluster reasons (codes the page translates with _()).
SAME_EMAIL = N_("same e-mail")
SAME_PHONE = N_("same phone")
SIMILAR_NAME = N_("very similar name at the same company")
# What can be wrong with a customer's contact data (``InvalidContact.problems``).
CONTACT_PROBLEMS = Codes("contact problem", {"email": N_("invalid e-mail"),
                                             "phone": N_("phone not in international format")})


@dataclass(frozen=True)
class FieldCompleteness:
    """How many active customers have one field filled (``field`` a ``FIELD_LABELS`` code)."""

    field: str
    filled: int
    missing: int
    complete_pct: float  # 0-100, one decimal


@dataclass(frozen=True)
class InvalidContact:
    """A customer whose e-mail or phone does not validate (``problems``: ``CONTACT_PROBLEMS`` codes)."""

    id: int
    name: str
    email: str | None
    phone: str | None
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ClusterMember:
    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    created_at: dt.datetime | None


@dataclass(frozen=True)
class Cluster:
    """Customers that may be one person, and why (``reason``: ``SAME_EMAIL``, ``SAME_PHONE`` or ``SIMILAR_NAME``)."""

    reason: str
    customers: tuple[ClusterMember, ...]


@dataclass(frozen=True)
class UnownedCustomer:
    id: int
    name: str
    status: str  # a customer status code
    created_at: dt.datetime | None


@dataclass(frozen=True)
class QuietCustomer:
    id: int
    name: str
    status: str  # a customer status code
    last_contact_at: dt.datetime | None
    owner: str | None  # the owner's full name


@dataclass(frozen=True)
class Neglected:
    """Active customers without an owner, and customers without contact for a while."""

    no_owner: list[UnownedCustomer]
    no_contact: list[QuietCustomer]


def _live():  # type: ignore[no-untyped-def]
    return (Customer.archived_at.is_(None), Customer.erased_at.is_(None))


def completeness(actor: Actor, *, session: Session) -> list[FieldCompleteness]:
    """Share of (active) customers with each field filled, counted in SQL."""
    require(actor, "data.quality")
    columns = [func.count(getattr(Customer, f)) for f in COMPLETENESS_FIELDS]
    total, *filled = session.execute(select(func.count(), *columns).where(*_live())).one()
    return [FieldCompleteness(f.replace("_id", "").replace("_", " "), n, total - n,
                              round(100 * n / total, 1) if total else 100.0)
            for f, n in zip(COMPLETENESS_FIELDS, filled)]


def invalid_contacts(actor: Actor, *, limit: int = 200, session: Session) -> list[InvalidContact]:
    """E-mails that do not validate and phones not in international format."""
    require(actor, "data.quality")
    out = []
    suspicious = session.execute(
        select(Customer.id, Customer.name, Customer.email, Customer.phone).where(
            *_live(),
            or_(Customer.email.not_like("%_@_%._%"), Customer.email.like("% %"),
                Customer.phone.not_like("+%"), func.length(Customer.phone) < 8))
        .limit(limit)
    ).all()
    for cid, name, email, phone in suspicious:
        bad_email = bool(email and normalize_email(email)[1])
        bad_phone = bool(phone and (not phone.startswith("+") or len(phone) < 8))
        if bad_email or bad_phone:
            out.append(InvalidContact(cid, name, email, phone,
                                      tuple(code for code, bad in (("email", bad_email), ("phone", bad_phone)) if bad)))
    return out


def duplicate_clusters(actor: Actor, *, limit: int = 50, session: Session) -> list[Cluster]:
    """Groups of customers sharing an e-mail or phone, or with very similar names at one company."""
    require(actor, "data.quality")
    clusters: list[Cluster] = []
    seen: set[frozenset[int]] = set()

    def add(reason: str, ids: list[int]) -> None:
        key = frozenset(ids)
        if len(key) < 2 or key in seen:
            return
        seen.add(key)
        rows = session.execute(select(Customer.id, Customer.name, Customer.company, Customer.email, Customer.phone,
                                      Customer.created_at).where(Customer.id.in_(ids)).order_by(Customer.id)).all()
        clusters.append(Cluster(reason, tuple(ClusterMember(*r) for r in rows)))

    for column, reason in ((Customer.email_key, SAME_EMAIL), (Customer.phone_digits, SAME_PHONE)):
        keys = session.scalars(select(column).where(column.is_not(None), *_live()).group_by(column)
                               .having(func.count() > 1).limit(limit))
        for key in list(keys):
            add(reason, list(session.scalars(select(Customer.id).where(column == key, *_live()))))
    companies = session.scalars(select(Customer.company_key).where(Customer.company_key.is_not(None), *_live())
                                .group_by(Customer.company_key).having(func.count() > 1).limit(limit * 4))
    for company in list(companies):
        people = session.execute(select(Customer.id, Customer.name_key)
                                 .where(Customer.company_key == company, *_live())).all()
        for i, (a_id, a_name) in enumerate(people):
            group = [a_id] + [b_id for b_id, b_name in people[i + 1:]
                              if similar_names(a_name, b_name, FUZZY_THRESHOLD)]
            if len(group) > 1:
                add(SIMILAR_NAME, group)
        if len(clusters) >= limit:
            break
    return clusters[:limit]


def merge_customers(actor: Actor, keep_id: int, merge_id: int, *, session: Session) -> dict[str, int]:
    """Move everything of ``merge_id`` onto ``keep_id``; the merged one is archived, not deleted."""
    require(actor, "data.quality")
    if keep_id == merge_id:
        raise ValidationError({"merge": _("Choose two different customers.")})
    keep, gone = session.get(Customer, keep_id), session.get(Customer, merge_id)
    if keep is None or gone is None:
        raise NotFound(_("One of the customers no longer exists."))
    if gone.merged_into_id is not None:
        raise ValidationError({"merge": _("That customer was already merged.")})
    before = audit.snapshot(keep)
    moved = {}
    for model, label in ((Interaction, "interactions"), (Receipt, "receipts"), (SurveyResponse, "surveys"),
                         (Consent, "consents")):
        result = session.execute(update(model).where(model.customer_id == merge_id).values(customer_id=keep_id))
        moved[label] = result.rowcount or 0
    refresh_customers(session, [keep_id, merge_id])  # the kept customer now has the other's purchase months
    # the merged customer's ids in other systems now name the kept one (later imports from there find it)
    session.execute(update(ExternalId).where(ExternalId.entity == "customer", ExternalId.entity_id == merge_id)
                    .values(entity_id=keep_id))
    for key in ("company", "email", "phone", "address", "city", "country", "segment", "acquisition_source",
                "owner_id", "language"):
        if getattr(keep, key) in (None, "") and getattr(gone, key) not in (None, ""):
            setattr(keep, key, getattr(gone, key))
    keep.lifetime_revenue = (keep.lifetime_revenue or Decimal(0)) + (gone.lifetime_revenue or Decimal(0))
    keep.lifetime_cost = (keep.lifetime_cost or Decimal(0)) + (gone.lifetime_cost or Decimal(0))
    keep.purchase_count = (keep.purchase_count or 0) + (gone.purchase_count or 0)
    keep.consent_marketing = keep.consent_marketing or gone.consent_marketing
    keep.consent_third_party = keep.consent_third_party or gone.consent_third_party
    for attr in ("last_contact_at", "last_purchase_at"):
        values = [v for v in (getattr(keep, attr), getattr(gone, attr)) if v]
        setattr(keep, attr, max(values) if values else None)
    keep.updated_at = utcnow()
    keep.updated_by_id = actor.user_id
    gone.merged_into_id = keep_id
    gone.archived_at = utcnow()
    gone.lifetime_revenue = Decimal(0)
    gone.lifetime_cost = Decimal(0)
    gone.purchase_count = 0
    session.flush()
    session.execute(update(SurveyResponse).where(SurveyResponse.customer_id == keep_id)  # the moved answers
                    .values(segment=keep.segment, country=keep.country))
    refresh_search_keys(keep, session=session)
    b, a = audit.diff(before, audit.snapshot(keep))
    audit.record(session, actor, "merge", "customer", keep_id, before=b, after={**a, "merged": merge_id, **moved})
    audit.record(session, actor, "archive", "customer", merge_id, detail=f"merged into #{keep_id}")
    webhooks.emit(session, webhooks.CUSTOMER_MERGED, {"customer_id": keep_id, "merged_customer_id": merge_id,
                                                      "version": keep.version, "changed": a, "moved": moved})
    return moved


def neglected(actor: Actor, *, months: int = 6, today: dt.date | None = None, limit: int = 200,
              session: Session) -> Neglected:
    """Customers without an owner, and customers without contact for ``months`` months."""
    require(actor, "data.quality")
    cutoff = dt.datetime.combine((today or dt.date.today()) - dt.timedelta(days=30 * months), dt.time(),
                                 tzinfo=dt.timezone.utc)
    no_owner = session.execute(select(Customer.id, Customer.name, Customer.status, Customer.created_at)
                               .where(Customer.owner_id.is_(None), *_live()).order_by(Customer.name_key).limit(limit)).all()
    quiet = session.execute(
        select(Customer.id, Customer.name, Customer.status, Customer.last_contact_at, User.full_name)
        .outerjoin(User, User.id == Customer.owner_id)
        .where(*_live(), Customer.status != "former",
               or_(Customer.last_contact_at < cutoff, Customer.last_contact_at.is_(None)))
        .order_by(Customer.last_contact_at.nulls_first()).limit(limit)).all()
    return Neglected([UnownedCustomer(*r) for r in no_owner], [QuietCustomer(*r) for r in quiet])
