"""Interactions: log what happened, browse, follow-ups, and the feedback board.

What one department logs, every department sees: interactions are read with
``customers.read`` and written with ``interactions.write`` under the
author's own department.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, can, require
from crm.customers.service import touch_last_contact
from crm.core.paging import Page, page_window
from crm.core.keyset import Slice, slice_ids
from crm.core.errors import NotFound, PermissionDenied, ValidationError
from crm.core.i18n import N_, Codes, _, ngettext, number
from crm.insights.rollups import apply_interaction
from crm.accounts.users import department_id
from db.models import Customer, Department, Interaction, InteractionTag, User
from db.where import where_given, within_days
from db.types import utcnow
from crm.webhooks import events as webhooks
from crm.settings.lists import values
from crm.settings import field_values
from crm.settings import field_filters
from crm.settings.field_filters import FieldFilter
from crm.settings.field_types import plain as plain_custom

# Stored codes and their labels (shown with ``label(CHANNELS, code)``...).
CHANNELS = Codes("interaction channel", {"call": N_("Call"), "email": N_("E-mail"), "meeting": N_("Meeting"),
                                         "chat": N_("Chat"), "visit": N_("Visit"),
                                         "support_ticket": N_("Support ticket")})
DIRECTIONS = Codes("interaction direction", {"inbound": N_("Inbound"), "outbound": N_("Outbound")})
FEEDBACK_KINDS = Codes("feedback kind", {"feature_request": N_("Feature request"), "complaint": N_("Complaint"),
                                         "praise": N_("Praise")})
MAX_TAGS = 10


@dataclass(frozen=True)
class InteractionRow:
    id: int
    customer_id: int
    customer: str
    occurred_at: dt.datetime
    department: str
    user: str | None
    channel: str
    direction: str
    subject: str
    notes: str | None
    outcome: str | None
    follow_up_on: dt.date | None
    follow_up_done: bool
    feedback_kind: str | None
    tags: tuple[str, ...]
    custom: dict[str, Any] = field(default_factory=dict)  # active custom fields' values by code (field_values)


@dataclass(frozen=True)
class InteractionFilters:
    department: str | None = None
    channel: str | None = None
    feedback_kind: str | None = None
    user_id: int | None = None
    customer_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    custom: tuple[FieldFilter, ...] = ()  # filters on custom fields (``crm.settings.field_filters``)


InteractionPage = Page  # Page[InteractionRow]: one page of rows and the total


@dataclass(frozen=True)
class FollowUpRow:
    interaction_id: int
    customer_id: int
    customer: str
    subject: str
    due_on: dt.date
    overdue: bool
    due_today: bool


@dataclass(frozen=True)
class FollowUps:
    """Open follow-ups of one person: the first rows (overdue first) and the counts of all of them."""

    rows: list[FollowUpRow]
    total: int
    overdue: int
    due_today: int


@dataclass(frozen=True)
class FeedbackCustomer:
    """A customer behind one feedback item: how often and when they last raised it."""

    id: int
    name: str
    company: str | None
    mentions: int
    last_raised: dt.datetime


@dataclass
class FeedbackItem:
    """One line of the feedback board: a kind and a topic (``tag`` None: the feedback given without a tag)."""

    kind: str
    tag: str | None
    mentions: int
    customers: int
    departments: list[str] = field(default_factory=list)


def _clean_tags(tags: Any) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    out: list[str] = []
    for tag in tags or []:
        t = " ".join(str(tag).split()).lower()[:60]
        if t and t not in out:
            out.append(t)
    return out


def log_interaction(actor: Actor, customer_id: int, *, session: Session, **fields: Any) -> InteractionRow:
    """Record a contact with a customer under the actor's own department.

    ``fields``: channel and subject (required), direction, notes, outcome, follow_up_on, feedback_kind,
    tags, occurred_at, custom (custom field values by code; required ones are checked even when not given)
    (see ``_log``).
    """
    require(actor, "interactions.write")
    fields["custom"] = fields.get("custom") or {}
    return _log(actor, customer_id, session=session, **fields)


def schedule_follow_up(actor: Actor, customer_id: int, *, due_on: dt.date, subject: str,
                       channel: str = "call", session: Session) -> InteractionRow:
    """Plan a follow-up: an outbound entry on the timeline with a due date for the actor."""
    require(actor, "interactions.write")
    if due_on is None:
        raise ValidationError({"due_on": _("Choose the date of the follow-up.")})
    if due_on < dt.date.today():
        raise ValidationError({"due_on": _("A follow-up cannot be due in the past.")})
    # The default subject and outcome are stored in the language of the person planning it (as if typed).
    return _log(actor, customer_id, channel=channel, direction="outbound",
                subject=subject or _("Follow-up"), follow_up_on=due_on,
                outcome=_("Follow-up planned"), session=session)


def _log(
    actor: Actor,
    customer_id: int,
    *,
    channel: str,
    subject: str,
    direction: str = "inbound",
    notes: str | None = None,
    outcome: str | None = None,
    follow_up_on: dt.date | None = None,
    feedback_kind: str | None = None,
    tags: Any = None,
    occurred_at: dt.datetime | None = None,
    custom: dict[str, Any] | None = None,
    session: Session,
) -> InteractionRow:
    """Validate and write one interaction with its audit row (the caller has checked the actor's right).

    ``custom`` None (a planned follow-up) leaves custom fields unchecked and empty."""
    if session.get(Customer, customer_id) is None:
        raise NotFound(_("Customer #{id} does not exist.").format(id=customer_id))
    errors: dict[str, str] = {}
    channels = values(session, "channels")
    if channel not in {v.code for v in channels}:
        errors["channel"] = _("Channel must be one of: {choices}.").format(
            choices=", ".join(v.label for v in channels))
    if direction not in DIRECTIONS:
        errors["direction"] = _("Direction must be inbound or outbound.")
    subject = " ".join((subject or "").split())
    if not subject:
        errors["subject"] = _("Subject is required.")
    elif len(subject) > 300:
        errors["subject"] = _("Subject is longer than {n} characters.").format(n=number(300))
    kinds = values(session, "feedback_kinds")
    if feedback_kind is not None and feedback_kind not in {v.code for v in kinds}:
        errors["feedback_kind"] = _("Feedback kind must be one of: {choices}.").format(
            choices=", ".join(v.label for v in kinds))
    clean_tags = _clean_tags(tags)
    if clean_tags and not feedback_kind:
        errors["tags"] = _("Tags describe feedback: choose a feedback kind too.")
    if len(clean_tags) > MAX_TAGS:
        errors["tags"] = ngettext("At most {n} tag.", "At most {n} tags.", MAX_TAGS).format(n=number(MAX_TAGS))
    now = utcnow()
    occurred_at = occurred_at or now
    if occurred_at > now + dt.timedelta(minutes=5):
        errors["occurred_at"] = _("An interaction cannot happen in the future.")
    if follow_up_on is not None and follow_up_on < occurred_at.date():
        errors["follow_up_on"] = _("The follow-up date cannot be before the interaction.")
    custom_clean: dict[str, Any] = {}
    if custom is not None:
        custom_clean, custom_errors = field_values.validate_values(session, "interactions", custom)
        errors.update(custom_errors)
    if errors:
        raise ValidationError(errors)
    interaction = Interaction(
        customer_id=customer_id, user_id=actor.user_id,
        department_id=department_id(actor.department, session=session),
        channel=channel, direction=direction, occurred_at=occurred_at, subject=subject,
        notes=(notes or "").strip() or None, outcome=(outcome or "").strip() or None,
        follow_up_on=follow_up_on, follow_up_user_id=actor.user_id if follow_up_on else None,
        feedback_kind=feedback_kind, created_at=now,
        tags=[InteractionTag(tag=t) for t in clean_tags],
    )
    session.add(interaction)
    session.flush()
    field_values.set_values(session, "interactions", interaction.id, custom_clean)
    apply_interaction(session, interaction)
    touch_last_contact(session, customer_id, occurred_at)
    audit.record(session, actor, "create", "interaction", interaction.id,
                 after={"customer_id": customer_id, "channel": channel, "subject": subject,
                        "department": actor.department, "feedback_kind": feedback_kind,
                        "tags": clean_tags, "follow_up_on": follow_up_on.isoformat() if follow_up_on else None,
                        **({"custom": plain_custom(stored)} if (stored := {k: v for k, v in custom_clean.items()
                                                                          if v not in (None, [])}) else {})})
    logged = {"interaction_id": interaction.id, "customer_id": customer_id, "user_id": actor.user_id,
              "department": actor.department, "channel": channel, "direction": direction,
              "occurred_at": occurred_at, "subject": subject, "notes": interaction.notes,
              "outcome": interaction.outcome, "follow_up_on": follow_up_on, "feedback_kind": feedback_kind,
              "tags": clean_tags}
    webhooks.emit(session, webhooks.INTERACTION_LOGGED, logged)
    if feedback_kind:
        webhooks.emit(session, webhooks.FEEDBACK_RECEIVED, logged)
    return _row(session, interaction)


def _row(session: Session, i: Interaction) -> InteractionRow:
    customer = session.get(Customer, i.customer_id)
    dept = session.get(Department, i.department_id)
    user = session.get(User, i.user_id) if i.user_id else None
    return InteractionRow(
        id=i.id, customer_id=i.customer_id, customer=customer.name if customer else "?",
        occurred_at=i.occurred_at, department=dept.code if dept else "?",
        user=user.full_name if user else None, channel=i.channel, direction=i.direction,
        subject=i.subject, notes=i.notes, outcome=i.outcome, follow_up_on=i.follow_up_on,
        follow_up_done=i.follow_up_done_at is not None, feedback_kind=i.feedback_kind,
        tags=tuple(sorted(t.tag for t in i.tags)),
        custom=field_values.values_of(session, "interactions", [i.id])[i.id],
    )


def _tags_for(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    if ids:
        for iid, tag in session.execute(
            select(InteractionTag.interaction_id, InteractionTag.tag)
            .where(InteractionTag.interaction_id.in_(ids)).order_by(InteractionTag.tag)
        ):
            out.setdefault(iid, []).append(tag)
    return {k: tuple(v) for k, v in out.items()}


def _listing(filters: InteractionFilters, session: Session) -> Any:
    stmt = select(Interaction.id)
    if filters.department:
        stmt = stmt.where(Interaction.department_id == department_id(filters.department, session=session))
    stmt = where_given(stmt, (Interaction.channel, filters.channel), (Interaction.feedback_kind, filters.feedback_kind),
                       (Interaction.user_id, filters.user_id), (Interaction.customer_id, filters.customer_id))
    if filters.custom:
        stmt = stmt.where(*field_filters.conditions(session, "interactions", filters.custom, Interaction.id))
    return within_days(stmt, Interaction.occurred_at, filters.date_from, filters.date_to)


def list_interactions(actor: Actor, filters: InteractionFilters | None = None, *, page: int = 1,
                      page_size: int = 50, session: Session) -> InteractionPage:
    """Newest first, filtered and paginated in SQL."""
    require(actor, "customers.read")
    return _interactions(filters or InteractionFilters(), page=page, page_size=page_size, session=session)


def _interactions(filters: InteractionFilters, *, page: int, page_size: int, session: Session) -> InteractionPage:
    """One page of interactions, newest first (the caller has checked the actor's right)."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationError({"dates": _("The start date is after the end date.")})
    page_size = max(1, min(page_size, 200))
    ordered = _listing(filters, session).order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    window = page_window(session, ordered, page, page_size)
    rows = _rows(session, window.ids)
    return InteractionPage(rows=rows, total=window.total, page=max(1, page), page_size=page_size, more=window.more)


def _rows(session: Session, ids: list[int]) -> list[InteractionRow]:
    """The rows of these interactions, in the order of ``ids``."""
    stmt = (
        select(Interaction, Customer.name, Department.code, User.full_name)
        .join(Customer, Customer.id == Interaction.customer_id)
        .join(Department, Department.id == Interaction.department_id)
        .outerjoin(User, User.id == Interaction.user_id)
        .where(Interaction.id.in_(ids))
    )
    results = {r[0].id: r for r in session.execute(stmt).all()}
    tags = _tags_for(session, list(results))
    custom = field_values.values_of(session, "interactions", list(results))
    return [
        InteractionRow(
            id=i.id, customer_id=i.customer_id, customer=cname, occurred_at=i.occurred_at,
            department=dcode, user=uname, channel=i.channel, direction=i.direction, subject=i.subject,
            notes=i.notes, outcome=i.outcome, follow_up_on=i.follow_up_on,
            follow_up_done=i.follow_up_done_at is not None, feedback_kind=i.feedback_kind,
            tags=tags.get(i.id, ()), custom=custom.get(i.id, {}),
        )
        for i, cname, dcode, uname in (results[x] for x in ids if x in results)
    ]


def interactions_after(actor: Actor, filters: InteractionFilters | None = None, *, after: int | None = None,
                       limit: int = 50, newest_first: bool = False, session: Session) -> Slice[InteractionRow]:
    """Interactions in id order (the order they were logged; newest first when asked) after id ``after``:
    keyset paging for systems that follow what is logged. A customer that does not exist is NotFound."""
    require(actor, "customers.read")
    filters = filters or InteractionFilters()
    if filters.customer_id is not None and session.get(Customer, filters.customer_id) is None:
        raise NotFound(_("Customer #{id} does not exist.").format(id=filters.customer_id))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationError({"dates": _("The start date is after the end date.")})
    ids, next_after = slice_ids(session, _listing(filters, session), Interaction.id, after=after, limit=limit,
                                newest_first=newest_first)
    return Slice(_rows(session, ids), next_after)


def my_follow_ups(actor: Actor, *, today: dt.date | None = None, limit: int = 500,
                  session: Session) -> FollowUps:
    """Open follow-ups assigned to me, overdue first (the first ``limit``), and how many are open in all."""
    require(actor, "customers.read")
    return _open_follow_ups(session, actor.user_id, today=today or dt.date.today(), limit=limit)


def _open_follow_ups(session: Session, user_id: int | None, *, today: dt.date, limit: int) -> FollowUps:
    """The one follow-ups query (Home and Interactions): counted in SQL, listed up to ``limit``."""
    mine = (Interaction.follow_up_user_id == user_id, Interaction.follow_up_done_at.is_(None),
            Interaction.follow_up_on.is_not(None))
    total, overdue, due_today = session.execute(
        select(func.count(),
               func.count().filter(Interaction.follow_up_on < today),
               func.count().filter(Interaction.follow_up_on == today))
        .select_from(Interaction).where(*mine)
    ).one()
    rows = session.execute(
        select(Interaction.id, Interaction.customer_id, Customer.name, Interaction.subject,
               Interaction.follow_up_on)
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(*mine)
        .order_by(Interaction.follow_up_on, Interaction.id)
        .limit(limit)
    ).all()
    return FollowUps(rows=[FollowUpRow(i, c, n, s, d, d < today, d == today) for i, c, n, s, d in rows],
                     total=total or 0, overdue=overdue or 0, due_today=due_today or 0)


def complete_follow_up(actor: Actor, interaction_id: int, *, session: Session) -> None:
    """Mark a follow-up done (the person it is assigned to, or a manager)."""
    require(actor, "interactions.write")
    interaction = session.get(Interaction, interaction_id)
    if interaction is None or interaction.follow_up_on is None:
        raise NotFound(_("That follow-up no longer exists."))
    if interaction.follow_up_user_id != actor.user_id and not can(actor, "interactions.complete_any"):
        raise PermissionDenied("interactions.write",  # i18n: ok (capability code)
                               _("This follow-up is assigned to someone else."))
    if interaction.follow_up_done_at is not None:
        return
    interaction.follow_up_done_at = utcnow()
    session.flush()
    audit.record(session, actor, "complete_follow_up", "interaction", interaction.id,
                 before={"follow_up_done_at": None},
                 after={"follow_up_done_at": interaction.follow_up_done_at.isoformat()})


def feedback_board(actor: Actor, *, kind: str | None = None, since: dt.date | None = None,
                   limit: int = 50, session: Session) -> list[FeedbackItem]:
    """Feature requests, complaints and praise across customers and departments, most mentioned first.

    Every feedback item counts: once per tag, and feedback without a tag as its own line (tag None).
    """
    require(actor, "customers.read")
    kinds = values(session, "feedback_kinds", include_inactive=True)
    if kind is not None and kind not in {v.code for v in kinds}:
        raise ValidationError({"kind": _("Feedback kind must be one of: {choices}.").format(
            choices=", ".join(v.label for v in kinds))})
    period = _feedback_in(kind, since)
    stmt = (
        select(Interaction.feedback_kind, InteractionTag.tag, func.count(Interaction.id),
               func.count(func.distinct(Interaction.customer_id)))
        .outerjoin(InteractionTag, InteractionTag.interaction_id == Interaction.id)
        .where(*period)
        .group_by(Interaction.feedback_kind, InteractionTag.tag)
        .order_by(func.count(Interaction.id).desc(), InteractionTag.tag.is_(None), InteractionTag.tag)
        .limit(limit)
    )
    items = [FeedbackItem(k, t, n, c) for k, t, n, c in session.execute(stmt).all()]
    if items:
        dept_rows = session.execute(
            select(Interaction.feedback_kind, InteractionTag.tag, Department.code)
            .outerjoin(InteractionTag, InteractionTag.interaction_id == Interaction.id)
            .join(Department, Department.id == Interaction.department_id)
            .where(*period)
            .group_by(Interaction.feedback_kind, InteractionTag.tag, Department.code)
        ).all()
        by_key: dict[tuple[str, str | None], list[str]] = {}
        for k, t, d in dept_rows:
            by_key.setdefault((k, t), []).append(d)
        for item in items:
            item.departments = sorted(by_key.get((item.kind, item.tag), []))
    return items


def feedback_customers(actor: Actor, kind: str, tag: str | None, *, since: dt.date | None,
                       session: Session) -> list[FeedbackCustomer]:
    """The customers behind one line of the feedback board (``tag`` None: feedback without a tag), in the
    board's period (``since``), with how often and when they raised it."""
    require(actor, "customers.read")
    stmt = (
        select(Customer.id, Customer.name, Customer.company, func.count(Interaction.id),
               func.max(Interaction.occurred_at))
        .join(Interaction, Interaction.customer_id == Customer.id)
        .where(*_feedback_in(kind, since))
        .group_by(Customer.id, Customer.name, Customer.company)
        .order_by(func.count(Interaction.id).desc(), Customer.name)
        .limit(200)
    )
    if tag is None:
        stmt = stmt.where(~select(InteractionTag.interaction_id)
                          .where(InteractionTag.interaction_id == Interaction.id).exists())
    else:
        stmt = (stmt.join(InteractionTag, InteractionTag.interaction_id == Interaction.id)
                .where(InteractionTag.tag == tag))
    return [FeedbackCustomer(i, n, c, m, last) for i, n, c, m, last in session.execute(stmt).all()]


def _feedback_in(kind: str | None, since: dt.date | None) -> list[Any]:
    """The conditions of the board's feedback: of ``kind`` (any when None), given on or after ``since``."""
    conditions: list[Any] = [Interaction.feedback_kind.is_not(None)]
    if kind:
        conditions.append(Interaction.feedback_kind == kind)
    if since:
        conditions.append(Interaction.occurred_at >= dt.datetime.combine(since, dt.time(), tzinfo=dt.timezone.utc))
    return conditions
