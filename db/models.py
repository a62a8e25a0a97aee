"""SQLAlchemy 2 models for the whole CRM domain.

Conventions:
- timestamps are ``UTCDateTime`` (UTC, timezone-aware on read);
- money is ``Numeric(14, 2)``;
- rows that users edit concurrently carry a ``version`` column used for
  optimistic locking (``__mapper_args__ = {"version_id_col": ...}``);
- ``*_key`` columns hold search-folded text (lower case, no accents, single
  spaces) maintained by the service layer, indexed for prefix search.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import JSONText, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --------------------------------------------------------------------------
# Organisation and accounts
# --------------------------------------------------------------------------


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    role: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    last_login_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    sessions_revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    language: Mapped[str] = mapped_column(String(10), default="en")
    time_zone: Mapped[Optional[str]] = mapped_column(String(64))  # IANA name; None: the browser's zone
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship()

    __mapper_args__ = {"version_id_col": version}


class UserSession(Base):
    """A signed-in browser session, so that the server can end it."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    end_reason: Mapped[Optional[str]] = mapped_column(String(40))


# --------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[Optional[str]] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    phone: Mapped[Optional[str]] = mapped_column(String(40))  # E.164
    address: Mapped[Optional[str]] = mapped_column(Text)
    city: Mapped[Optional[str]] = mapped_column(String(120))
    country: Mapped[Optional[str]] = mapped_column(String(2))  # ISO 3166 alpha-2
    language: Mapped[Optional[str]] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="prospect")
    segment: Mapped[Optional[str]] = mapped_column(String(60))
    acquisition_source: Mapped[Optional[str]] = mapped_column(String(60))
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[Optional[str]] = mapped_column(Text)

    # search keys (folded: lower case, no accents, single spaces)
    name_key: Mapped[str] = mapped_column(String(200), default="")
    company_key: Mapped[Optional[str]] = mapped_column(String(200))
    email_key: Mapped[Optional[str]] = mapped_column(String(254))
    phone_digits: Mapped[Optional[str]] = mapped_column(String(40))

    # current consents (history in ``consents``)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_third_party: Mapped[bool] = mapped_column(Boolean, default=False)

    # figures maintained on write so that lists sort without aggregating
    acquired_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    last_contact_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    last_purchase_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    lifetime_revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    lifetime_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    purchase_count: Mapped[int] = mapped_column(Integer, default=0)

    archived_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    erased_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id"))
    import_batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batches.id"))

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[Optional[User]] = relationship(foreign_keys=[owner_id])
    updated_by: Mapped[Optional[User]] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_customers_name_key", "name_key"),
        Index("ix_customers_company_key", "company_key"),
        Index("ix_customers_email_key", "email_key"),
        Index("ix_customers_phone_digits", "phone_digits"),
        # covering: counts of active customers per status (Home), lost customers by last purchase (Insights)
        Index("ix_customers_status", "status", "archived_at", "last_purchase_at"),
        Index("ix_customers_owner_id", "owner_id"),
        Index("ix_customers_country", "country"),
        Index("ix_customers_segment", "segment"),
        Index("ix_customers_last_contact_at", "last_contact_at"),
        Index("ix_customers_lifetime_revenue", "lifetime_revenue"),
        Index("ix_customers_acquired_on", "acquired_on"),
        Index("ix_customers_acquisition_source", "acquisition_source"),
    )


class CustomerToken(Base):
    """Search tokens of a customer (folded words of name, company, email, phone).

    Lets the search box answer a prefix query on any word with an index
    range scan instead of a ``LIKE '%x%'`` table scan.
    """

    __tablename__ = "customer_tokens"

    token: Mapped[str] = mapped_column(String(120), primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    __table_args__ = (Index("ix_customer_tokens_customer_id", "customer_id"),)


class Consent(Base):
    """Consent history: one row per decision (given or withdrawn)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(30))  # marketing | third_party
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(60))  # web form, phone, paper, import...
    wording_version: Mapped[str] = mapped_column(String(30))
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class SavedView(Base):
    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    page: Mapped[str] = mapped_column(String(40), default="customers")
    name: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --------------------------------------------------------------------------
# Contact history
# --------------------------------------------------------------------------


class Interaction(Base):
    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    channel: Mapped[str] = mapped_column(String(30))  # call, email, meeting, chat, visit, support_ticket
    direction: Mapped[str] = mapped_column(String(10), default="inbound")  # inbound | outbound
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    subject: Mapped[str] = mapped_column(String(300))
    notes: Mapped[Optional[str]] = mapped_column(Text)
    outcome: Mapped[Optional[str]] = mapped_column(String(300))
    follow_up_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    follow_up_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    follow_up_done_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    feedback_kind: Mapped[Optional[str]] = mapped_column(String(30))  # feature_request, complaint, praise
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    import_batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batches.id"), index=True)

    tags: Mapped[list["InteractionTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_interactions_customer_occurred", "customer_id", "occurred_at"),
        Index("ix_interactions_occurred_at", "occurred_at"),
        Index("ix_interactions_department_occurred", "department_id", "occurred_at"),
        Index("ix_interactions_followup", "follow_up_user_id", "follow_up_done_at", "follow_up_on"),
        Index("ix_interactions_feedback_kind", "feedback_kind"),
    )


class InteractionTag(Base):
    __tablename__ = "interaction_tags"

    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    __table_args__ = (Index("ix_interaction_tags_tag", "tag"),)


# --------------------------------------------------------------------------
# Products, sales and surveys
# --------------------------------------------------------------------------


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    cost: Mapped[Decimal] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    import_batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batches.id"), index=True)


class Receipt(Base):
    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))  # as the selling system wrote it; unique per source system
    purchased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    channel: Mapped[Optional[str]] = mapped_column(String(30))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    import_batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batches.id"))

    lines: Mapped[list["ReceiptLine"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_receipts_customer_purchased", "customer_id", "purchased_at"),
        Index("ix_receipts_purchased_at", "purchased_at"),
        Index("ix_receipts_number", "number"),
        Index("ix_receipts_import_batch_id", "import_batch_id"),
    )


class ReceiptLine(Base):
    __tablename__ = "receipt_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    unit_cost: Mapped[Decimal] = mapped_column(Money)


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    # covering: NPS, reasons and the breakdowns of a period are read from this index alone
    __table_args__ = (Index("ix_survey_responses_answered_at", "answered_at", "score", "reason_first", "reason_again",
                            "segment", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    score: Mapped[int] = mapped_column(Integer)  # 0..10, likelihood to recommend
    reason_first: Mapped[Optional[str]] = mapped_column(String(120))
    reason_again: Mapped[Optional[str]] = mapped_column(String(120))
    comment: Mapped[Optional[str]] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(30), default="form")
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    import_batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batches.id"), index=True)
    # the customer's segment and country, copied so that answers per segment need no look-up among a million
    # customers: set when the answer is written, kept equal by the trigger customers_groups_to_months (0010)
    segment: Mapped[Optional[str]] = mapped_column(String(60))
    country: Mapped[Optional[str]] = mapped_column(String(2))


# --------------------------------------------------------------------------
# Budget
# --------------------------------------------------------------------------


class BudgetPlan(Base):
    __tablename__ = "budget_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    scenario: Mapped[str] = mapped_column(String(80), default="Base")
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, submitted, approved, returned
    ceiling: Mapped[Optional[Decimal]] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    previous_revision_id: Mapped[Optional[int]] = mapped_column(ForeignKey("budget_plans.id"))
    copied_from_id: Mapped[Optional[int]] = mapped_column(ForeignKey("budget_plans.id"))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    decision_comment: Mapped[Optional[str]] = mapped_column(Text)
    # the budget categories of the template when the plan was created, in order ([{"code", "labels"}]);
    # None: the built-in ones (plans made before templates)
    categories: Mapped[Optional[list[Any]]] = mapped_column(JSONText)
    version: Mapped[int] = mapped_column(Integer, default=1)

    goals: Mapped[list["BudgetGoal"]] = relationship(
        cascade="all, delete-orphan", order_by="BudgetGoal.id"
    )
    lines: Mapped[list["BudgetLine"]] = relationship(
        cascade="all, delete-orphan", order_by="BudgetLine.id"
    )

    __mapper_args__ = {"version_id_col": version}


class BudgetGoal(Base):
    __tablename__ = "budget_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("budget_plans.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kpi: Mapped[str] = mapped_column(String(60))  # new_customers, retention_rate, nps, repeat_revenue, support_response, custom
    unit: Mapped[Optional[str]] = mapped_column(String(30))
    baseline: Mapped[Optional[Decimal]] = mapped_column(Numeric(16, 4))
    baseline_measured_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    target: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    deadline: Mapped[Optional[dt.date]] = mapped_column(Date)


class BudgetLine(Base):
    __tablename__ = "budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("budget_plans.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("budget_goals.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(30))  # marketing, products, customer_service, maintenance, training
    description: Mapped[str] = mapped_column(String(300))
    q1: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    q2: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    q3: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    q4: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    actual_q1: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    actual_q2: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    actual_q3: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    actual_q4: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))


# --------------------------------------------------------------------------
# Rollout: checklist, sign-offs, requirements, stakeholders
# --------------------------------------------------------------------------


class ChecklistItem(Base):
    __tablename__ = "checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(30), index=True)  # pre_implementation, rollout, maintenance
    category: Mapped[str] = mapped_column(String(30))  # technical, human, data, vendor, maintenance
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[Optional[str]] = mapped_column(Text)
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    start_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    due_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="todo")  # todo, in_progress, blocked, done, not_applicable
    blocked_reason: Mapped[Optional[str]] = mapped_column(Text)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    evidence: Mapped[Optional[str]] = mapped_column(Text)
    completed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    recurrence_months: Mapped[Optional[int]] = mapped_column(Integer)
    expires_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    template_key: Mapped[Optional[str]] = mapped_column(String(60))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[Optional[User]] = relationship(foreign_keys=[owner_id])

    __mapper_args__ = {"version_id_col": version}


class PhaseSignoff(Base):
    __tablename__ = "phase_signoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(30), index=True)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    revoked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[Optional[str]] = mapped_column(Text)


class Requirement(Base):
    __tablename__ = "requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # functional, technology, vendor, operational
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[Optional[str]] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10), default="should")  # must, should, could, wont
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed, agreed, in_progress, met, dropped
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    company_goal: Mapped[Optional[str]] = mapped_column(String(300))
    estimated_cost: Mapped[Optional[Decimal]] = mapped_column(Money)
    checklist_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("checklist_items.id", ondelete="SET NULL"))
    budget_line_id: Mapped[Optional[int]] = mapped_column(ForeignKey("budget_lines.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Stakeholder(Base):
    __tablename__ = "stakeholders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    title: Mapped[Optional[str]] = mapped_column(String(200))
    expectations: Mapped[Optional[str]] = mapped_column(Text)
    needs: Mapped[Optional[str]] = mapped_column(Text)
    influence: Mapped[str] = mapped_column(String(10), default="medium")  # low, medium, high
    consulted: Mapped[bool] = mapped_column(Boolean, default=False)
    consulted_on: Mapped[Optional[dt.date]] = mapped_column(Date)


# --------------------------------------------------------------------------
# Audit and imports
# --------------------------------------------------------------------------


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    username: Mapped[Optional[str]] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))  # create, update, archive, sign_in, refused, read_pii...
    entity: Mapped[Optional[str]] = mapped_column(String(60))
    entity_id: Mapped[Optional[str]] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(20), default="page")  # page, import, cli, system
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONText)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONText)
    detail: Mapped[Optional[str]] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_entity", "entity", "entity_id"),
        Index("ix_audit_events_user_id", "user_id"),
        Index("ix_audit_events_action", "action"),
        Index("ix_audit_events_source", "source"),
        Index("ix_audit_events_username", "username"),
    )


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default="customers")
    filename: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(20), default="page")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    counts: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONText)
    reverted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    reverted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    source_system: Mapped[Optional[str]] = mapped_column(String(40))  # shop, helpdesk... (None: the portal's own)
    options: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONText)  # mapping, value mapping and options used
    profile_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_profiles.id", ondelete="SET NULL"))
    data_source_id: Mapped[Optional[int]] = mapped_column(ForeignKey("data_sources.id", ondelete="SET NULL"))
    # running (announced before the import's own transaction), done, failed, interrupted (its server died)
    status: Mapped[Optional[str]] = mapped_column(String(20))
    runner: Mapped[Optional[str]] = mapped_column(String(120))  # host:pid of the process running it
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())


class ExternalId(Base):
    """A record's id in another system: re-importing it, or a newer export of it, finds the record again.

    One record may have ids in several systems (the same customer in the shop and in the helpdesk).
    """

    __tablename__ = "external_ids"
    __table_args__ = (Index("ix_external_ids_entity", "entity", "entity_id"),)

    source_system: Mapped[str] = mapped_column(String(40), primary_key=True)
    entity: Mapped[str] = mapped_column(String(30), primary_key=True)  # customer, product, receipt, interaction...
    external_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer)
    import_batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batches.id"), index=True)


class ImportProfile(Base):
    """How files (or a source database) of one system are read: column mapping, value mapping and options."""

    __tablename__ = "import_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(30))  # customers, products, receipts, interactions, surveys
    source_system: Mapped[Optional[str]] = mapped_column(String(40))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONText)  # field -> column name in the file
    value_map: Mapped[dict[str, Any]] = mapped_column(JSONText)  # field -> {value as found: value to store}
    options: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class DataSource(Base):
    """A departmental database read by the sync: connection, what to read, how to map it, how far it got."""

    __tablename__ = "data_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)  # also the source system of what it imports
    kind: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(Text)  # SQLAlchemy URL, password included: never shown back nor logged
    query: Mapped[str] = mapped_column(Text)  # a table name or a read-only SELECT
    change_column: Mapped[Optional[str]] = mapped_column(String(120))  # updated-at or growing id: incremental
    change_mark: Mapped[Optional[str]] = mapped_column(Text)  # the highest change value read so far
    profile_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_profiles.id", ondelete="SET NULL"))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    value_map: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sync_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    last_batch_id: Mapped[Optional[int]] = mapped_column(Integer)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    lease_owner: Mapped[Optional[str]] = mapped_column(String(120))  # who is syncing now (host:pid:nonce)
    lease_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ImportRow(Base):
    """What happened to one row of an import (for the report and the revert)."""

    __tablename__ = "import_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # imported, updated, duplicate, rejected, blank
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    entity_id: Mapped[Optional[int]] = mapped_column(Integer)  # the product, receipt, interaction... of the row
    reasons: Mapped[Optional[str]] = mapped_column(Text)
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONText)


class SalesMonthly(Base):
    """Summary of receipt lines per month and product, kept equal to the lines (see crm.insights.rollups)."""

    __tablename__ = "sales_monthly"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    lines: Mapped[int] = mapped_column(Integer, default=0)


class InteractionMonthly(Base):
    """Interactions per month, department and channel, kept equal to the interactions (see crm.insights.rollups)."""

    __tablename__ = "interaction_monthly"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    interactions: Mapped[int] = mapped_column(Integer, default=0)


class CustomerMonth(Base):
    """One row per customer and month with purchases: receipts, revenue and cost (see crm.insights.rollups).

    Answers "who bought in these months" without touching receipts: active customers per month, repeat buyers,
    cohorts and customer groups over a period. Each row also names the customer's previous and next month with
    purchases, so "bought in the period" and "bought only once in it" are counts of rows, not of distinct
    customers: a customer's first row in the period is the one whose previous month is before it.
    """

    __tablename__ = "customer_months"
    __table_args__ = (  # covering: every Insights figure over a period reads this index alone
        Index("ix_customer_months_month", "month", "previous_month", "next_month", "receipts", "segment", "country",
              "acquisition_source", "cohort", "revenue", "cost"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    receipts: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    previous_month: Mapped[Optional[str]] = mapped_column(String(7))
    next_month: Mapped[Optional[str]] = mapped_column(String(7))
    # the customer's groups, copied so that figures per group need no look-up of a million customers; kept equal
    # to the customer by the database trigger customers_groups_to_months (migration 0009) on every change
    segment: Mapped[Optional[str]] = mapped_column(String(60))
    country: Mapped[Optional[str]] = mapped_column(String(2))
    acquisition_source: Mapped[Optional[str]] = mapped_column(String(60))
    cohort: Mapped[Optional[str]] = mapped_column(String(7))  # YYYY-MM of acquired_on


class BuyerMonthCount(Base):
    """How many customers bought in a month, by their previous and next month with purchases and by whether
    they bought once in it: ``customer_months`` counted by everything but the customer (see crm.insights.rollups).

    A few thousand rows answer the headline figures of any period of whole months without reading one row
    per customer: active customers per month, buyers in the period (those whose previous month is before it)
    and repeat buyers. '' stands for "none" in ``previous_month`` and ``next_month`` (it sorts before every
    month), so both can be part of the key.
    """

    __tablename__ = "buyer_month_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    previous_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    next_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    once: Mapped[bool] = mapped_column(Boolean, primary_key=True)  # one receipt in the month
    customers: Mapped[int] = mapped_column(Integer, default=0)


class ApiKey(Base):
    """A key another system calls the API with: it acts as a named integration user, maybe with fewer rights."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    capabilities: Mapped[Optional[list[str]]] = mapped_column(JSONText)  # None: every capability of the user
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # the secret's first characters: finds the key
    secret_hash: Mapped[str] = mapped_column(String(128))  # SHA-256 of the whole secret (never the secret)
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    expires_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())


class Webhook(Base):
    """An address that hears of changes: the events it wants and the secret its deliveries are signed with."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSONText)
    secret: Mapped[str] = mapped_column(String(100))  # whsec_... (Standard Webhooks): needed to sign
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class WebhookDelivery(Base):
    """One event for one webhook: queued in the transaction of the change, sent and retried by the sender."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
                      Index("ix_webhook_deliveries_webhook", "webhook_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id header (msg_...)
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONText)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())  # a sender is on it until then
    last_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    last_status: Mapped[Optional[int]] = mapped_column(Integer)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    delivered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())


class Setting(Base):
    """Small key/value settings editable by admins (e.g. retention period)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONText)


class ListValue(Base):
    """One value of a managed list (segments, channels, departments... or a custom field's choices).

    ``list_code`` names the list; ``code`` is what records store; ``labels`` maps a language code
    (en, id, bg, ur) to the label shown (English when a language has none); an inactive value stays
    on the records that hold it and is no longer offered.
    """

    __tablename__ = "list_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_code: Mapped[str] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(60))
    labels: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("uq_list_values_list_code_code", "list_code", "code", unique=True),
    )


class CapabilityGrant(Base):
    """An administrator's grant (or revocation) of a capability to a role, in one department or all (``*``).

    Laid over the capability table of crm/core/access.py; the department's own row wins over the role's ``*``
    row. Every change bumps the ``rights_version`` setting, which each server checks on every request.
    """

    __tablename__ = "capability_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    capability: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(30))
    department: Mapped[str] = mapped_column(String(40), default="*")
    granted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[Optional[str]] = mapped_column(String(80))

    __table_args__ = (
        Index("uq_capability_grants_capability_role_department", "capability", "role", "department", unique=True),
    )


class ChecklistTemplateItem(Base):
    """One item of the rollout checklist template that a new project's checklist is copied from.

    ``days`` is the due date's distance from the project start (one-off items); a maintenance item has
    ``recurrence_months`` instead (and ``certification`` when it carries an expiry). ``owner_department``
    names the department whose first user owns the item in a new checklist.
    """

    __tablename__ = "checklist_template_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    phase: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    days: Mapped[Optional[int]] = mapped_column(Integer)
    recurrence_months: Mapped[Optional[int]] = mapped_column(Integer)
    certification: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_department: Mapped[Optional[str]] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class CustomField(Base):
    """A field an administrator added to customers or interactions (``entity``), without a code change.

    ``code`` is the stable key (made from the English label); ``labels`` and ``help`` map a language
    (en, id, bg, ur) to text; ``type`` is one of ``crm.settings.fields.TYPES``; ``options`` holds the
    type's settings (number: min/max/decimals; choice types: ``list_code`` of the managed list). An
    inactive field is hidden and keeps its values.
    """

    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(60))
    labels: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    help: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("uq_custom_fields_entity_code", "entity", "code", unique=True),
    )


class CustomValue(Base):
    """One value of a custom field on one record (a customer's or an interaction's id).

    Typed columns, so that filters use an index: ``value_text`` (text, e-mail, URL, the code of a
    choice; one row per chosen value of a multiple choice), ``value_long`` (long text, not indexed),
    ``value_number`` (number, money, yes/no as 1/0), ``value_date``. An empty value has no row.
    """

    __tablename__ = "custom_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id"))
    record_id: Mapped[int] = mapped_column(Integer)
    value_text: Mapped[Optional[str]] = mapped_column(String(500))
    value_long: Mapped[Optional[str]] = mapped_column(Text)
    value_number: Mapped[Optional[Decimal]] = mapped_column(Numeric(20, 6))
    value_date: Mapped[Optional[dt.date]] = mapped_column(Date)

    __table_args__ = (
        Index("ix_custom_values_text", "field_id", "value_text", "record_id"),
        Index("ix_custom_values_number", "field_id", "value_number", "record_id"),
        Index("ix_custom_values_date", "field_id", "value_date", "record_id"),
        Index("ix_custom_values_record", "record_id", "field_id"),
    )


__all__ = [
    "CustomField",
    "CustomValue",
    "Base",
    "Department",
    "User",
    "UserSession",
    "Customer",
    "CustomerToken",
    "Consent",
    "SavedView",
    "Interaction",
    "InteractionTag",
    "Product",
    "Receipt",
    "ReceiptLine",
    "SurveyResponse",
    "BudgetPlan",
    "BudgetGoal",
    "BudgetLine",
    "ChecklistItem",
    "PhaseSignoff",
    "Requirement",
    "Stakeholder",
    "AuditEvent",
    "ImportBatch",
    "ImportRow",
    "ExternalId",
    "ImportProfile",
    "DataSource",
    "SalesMonthly",
    "InteractionMonthly",
    "CustomerMonth",
    "BuyerMonthCount",
    "Setting",
    "ListValue",
    "CapabilityGrant",
    "ChecklistTemplateItem",
    "ApiKey",
    "Webhook",
    "WebhookDelivery",
]
