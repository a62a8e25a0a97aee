"""Privacy: consents with history, subject access, erasure, retention of old prospects."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import NotFound, ValidationError
from crm.core.i18n import N_, Codes, _, label_list
from db.models import (
    AuditEvent,
    Consent,
    Customer,
    CustomerToken,
    ImportRow,
    Interaction,
    Receipt,
    ReceiptLine,
    Setting,
    SurveyResponse,
)
from db.types import utcnow
from crm.webhooks import events as webhooks
from crm.settings import field_values
from crm.settings.field_types import plain as plain_custom

# What a customer consents to (shown with ``label(CONSENT_PURPOSES, code)``).
CONSENT_PURPOSES = Codes("consent purpose", {"marketing": N_("Marketing"), "third_party": N_("Third-party sharing")})
CURRENT_WORDING = "2025-01"
DEFAULT_RETENTION_MONTHS = 24


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    granted: bool
    recorded_at: dt.datetime | None
    source: str | None
    wording_version: str | None


@dataclass(frozen=True)
class ConsentRecord:
    """One decision recorded on a consent (``purpose`` a ``CONSENT_PURPOSES`` code)."""

    recorded_at: dt.datetime
    purpose: str
    granted: bool
    source: str | None
    wording_version: str | None


@dataclass(frozen=True)
class StaleProspect:
    """A prospect without contact for longer than the retention period."""

    id: int
    name: str
    created_at: dt.datetime | None
    last_contact_at: dt.datetime | None


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("Customer #{number} does not exist.").format(number=customer_id))
    return customer


def consent_state(actor: Actor, customer_id: int, *, session: Session) -> list[ConsentState]:
    require(actor, "privacy.manage")
    _customer(session, customer_id)
    out = []
    for purpose in CONSENT_PURPOSES:
        last = session.scalar(select(Consent).where(Consent.customer_id == customer_id, Consent.purpose == purpose)
                              .order_by(Consent.recorded_at.desc(), Consent.id.desc()).limit(1))
        out.append(ConsentState(purpose, bool(last and last.granted), last.recorded_at if last else None,
                                last.source if last else None, last.wording_version if last else None))
    return out


def consent_history(actor: Actor, customer_id: int, *, session: Session) -> list[ConsentRecord]:
    """Every consent decision recorded for the customer, newest first."""
    require(actor, "privacy.manage")
    return [ConsentRecord(c.recorded_at, c.purpose, bool(c.granted), c.source, c.wording_version)
            for c in session.scalars(select(Consent).where(Consent.customer_id == customer_id)
                                     .order_by(Consent.recorded_at.desc(), Consent.id.desc()))]


def record_consent(actor: Actor, customer_id: int, purpose: str, granted: bool, *, source: str,
                   wording_version: str = CURRENT_WORDING, session: Session) -> bool:
    """Give or withdraw a consent (one click either way); history is kept."""
    require(actor, "privacy.manage")
    errors = {}
    if purpose not in CONSENT_PURPOSES:
        errors["purpose"] = _("Purpose must be one of: {purposes}.").format(
            purposes=label_list(CONSENT_PURPOSES))
    if not (source or "").strip():
        errors["source"] = _("Say where the decision came from (form, phone call, letter…).")
    if errors:
        raise ValidationError(errors)
    customer = _customer(session, customer_id)
    session.add(Consent(customer_id=customer_id, purpose=purpose, granted=granted, source=source.strip(),
                        wording_version=wording_version, recorded_by_id=actor.user_id))
    setattr(customer, f"consent_{purpose}", granted)
    session.flush()
    audit.record(session, actor, "consent_given" if granted else "consent_withdrawn", "customer", customer_id,
                 after={"purpose": purpose, "granted": granted, "source": source, "wording": wording_version})
    return True


def _plain(obj: Any) -> dict[str, Any]:
    return audit.snapshot(obj)


def subject_access(actor: Actor, customer_id: int, *, session: Session) -> bytes:
    """Everything held about one customer, as a JSON file."""
    require(actor, "privacy.manage")
    customer = _customer(session, customer_id)
    receipts = list(session.scalars(select(Receipt).where(Receipt.customer_id == customer_id)))
    lines = list(session.scalars(select(ReceiptLine).where(ReceiptLine.receipt_id.in_([r.id for r in receipts]))))
    interactions = list(session.scalars(select(Interaction).where(Interaction.customer_id == customer_id)))
    custom = field_values.values_of(session, "interactions", [i.id for i in interactions], include_inactive=True)
    data = {
        "generated_at": utcnow().isoformat(),
        "customer": _plain(customer),
        "custom_fields": plain_custom(field_values.values_of(session, "customers", [customer_id],
                                                            include_inactive=True)[customer_id]),
        "interactions": [{**_plain(i), "custom_fields": plain_custom(custom[i.id])} for i in interactions],
        "receipts": [_plain(r) for r in receipts],
        "receipt_lines": [_plain(line) for line in lines],
        "surveys": [_plain(s) for s in session.scalars(select(SurveyResponse).where(SurveyResponse.customer_id == customer_id))],
        "consents": [_plain(c) for c in session.scalars(select(Consent).where(Consent.customer_id == customer_id))],
        "audit": [_plain(e) for e in session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "customer", AuditEvent.entity_id == str(customer_id)))],
    }
    audit.record(session, actor, "subject_access", "customer", customer_id, detail="subject access export")
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def erase_customer(actor: Actor, customer_id: int, confirmation: str, *, session: Session) -> int:
    """Replace a customer's personal data with an anonymous placeholder (irreversible).

    Receipts, amounts and dates stay, so revenue and other aggregate figures do not change.
    The person confirms by typing the customer's number.
    """
    require(actor, "privacy.manage")
    customer = _customer(session, customer_id)
    if (confirmation or "").strip() != str(customer_id):
        raise ValidationError({"confirmation": _("Type the customer number {number} to confirm the erasure.").format(
            number=customer_id)})
    if customer.erased_at is not None:
        raise ValidationError({"customer": _("This customer was already erased.")})
    _erase(session, actor, customer)
    return customer_id


def _erase(session: Session, actor: Actor, customer: Customer) -> None:
    """``erase_customer`` once checked (also used by the retention purge)."""
    customer_id = customer.id
    secrets = [v for v in (customer.email, customer.phone, customer.name, customer.address) if v]
    placeholder = f"Erased customer #{customer_id}"  # i18n: ok - stored data, the same for every reader
    for key in ("company", "email", "phone", "address", "city", "notes", "language", "company_key", "email_key",
                "phone_digits"):
        setattr(customer, key, None)
    customer.name = placeholder
    customer.name_key = placeholder.lower()
    customer.erased_at = utcnow()
    customer.consent_marketing = False
    customer.consent_third_party = False
    session.execute(delete(CustomerToken).where(CustomerToken.customer_id == customer_id))
    interaction_ids = list(session.scalars(select(Interaction.id).where(Interaction.customer_id == customer_id)))
    field_values.delete_values(session, "customers", [customer_id])
    field_values.delete_values(session, "interactions", interaction_ids)
    # an interaction's audit rows may quote its custom values (and its subject): kept without them
    for start in range(0, len(interaction_ids), 10_000):
        session.execute(update(AuditEvent).where(
            AuditEvent.entity == "interaction",
            AuditEvent.entity_id.in_([str(i) for i in interaction_ids[start:start + 10_000]]))
            .values(before=None, after=None))
    session.execute(update(Interaction).where(Interaction.customer_id == customer_id)
                    .values(subject="(erased)", notes=None, outcome=None))
    session.execute(update(SurveyResponse).where(SurveyResponse.customer_id == customer_id).values(comment=None))
    session.execute(update(Consent).where(Consent.customer_id == customer_id).values(source="(erased)"))
    session.execute(update(ImportRow).where(ImportRow.customer_id == customer_id).values(before=None))
    # audit rows keep who did what and when, without the personal data
    session.execute(update(AuditEvent).where(AuditEvent.entity == "customer",
                                             AuditEvent.entity_id == str(customer_id))
                    .values(before=None, after=None))
    if secrets:
        mentions = or_(*[cast(AuditEvent.detail, String).contains(s) for s in secrets],
                       *[cast(AuditEvent.before, String).contains(s) for s in secrets],
                       *[cast(AuditEvent.after, String).contains(s) for s in secrets])
        session.execute(update(AuditEvent).where(mentions).values(before=None, after=None, detail="(erased)"))
    session.flush()
    audit.record(session, actor, "erase", "customer", customer_id, detail="personal data erased")
    # the delivery log keeps no copy of the person's data either; the event itself names only the id and time
    webhooks.forget_customer(session, customer_id)
    webhooks.emit(session, webhooks.CUSTOMER_ERASED, {"customer_id": customer_id, "erased_at": customer.erased_at})


# ----------------------------------------------------------------- retention


def retention_months(*, session: Session) -> int:
    value = session.get(Setting, "retention_months")
    return int(value.value) if value and value.value else DEFAULT_RETENTION_MONTHS


def retention_months_for_page(actor: Actor, *, session: Session) -> int:
    require(actor, "privacy.manage")
    return retention_months(session=session)


def set_retention_months(actor: Actor, months: int, *, session: Session) -> None:
    require(actor, "privacy.manage")
    if not 1 <= int(months) <= 120:
        raise ValidationError({"months": _("The retention period must be between 1 and 120 months.")})
    before = retention_months(session=session)
    session.merge(Setting(key="retention_months", value=int(months)))
    audit.record(session, actor, "update", "setting", "retention_months", before={"value": before},
                 after={"value": int(months)})


def stale_prospects(actor: Actor, *, today: dt.date | None = None, limit: int = 500,
                    session: Session) -> list[StaleProspect]:
    """Prospects without any contact for longer than the retention period, longest untouched first."""
    require(actor, "privacy.manage")
    return [StaleProspect(i, n, c, lc) for i, n, c, lc in _stale(session, today, limit)]


def _stale(session: Session, today: dt.date | None, limit: int | None) -> list[Any]:
    """(id, name, created, last contact) of the stale prospects, longest untouched first."""
    months = retention_months(session=session)
    cutoff = dt.datetime.combine((today or dt.date.today()) - dt.timedelta(days=30 * months), dt.time(),
                                 tzinfo=dt.timezone.utc)
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.created_at, Customer.last_contact_at)
        .where(Customer.status == "prospect", Customer.erased_at.is_(None),
               or_(Customer.last_contact_at < cutoff,
                   and_(Customer.last_contact_at.is_(None), Customer.created_at < cutoff)))
        .order_by(func.coalesce(Customer.last_contact_at, Customer.created_at)).limit(limit)
    ).all()
    return list(rows)


def purge_prospects(actor: Actor, customer_ids: list[int], *, session: Session) -> int:
    """Erase the personal data of the listed stale prospects (only those still stale)."""
    require(actor, "privacy.manage")
    stale = {row[0] for row in _stale(session, None, None)}
    todo = [cid for cid in customer_ids if cid in stale]
    for cid in todo:
        _erase(session, actor, _customer(session, cid))
    audit.record(session, actor, "purge", "customers", None, detail=f"{len(todo)} stale prospects erased")
    return len(todo)
