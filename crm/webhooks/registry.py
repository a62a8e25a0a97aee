"""Webhooks registered by admins: the address, the events it wants, its signing secret (shown once).

Deliveries go only where an admin points them: the address is checked to be http(s) and nothing more, so
registering one is an admin's decision (``webhooks.manage``), audited like every write; the secret is never
written to the audit log or shown again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ConflictError, ValidationError
from crm.core.i18n import N_, _, number
from crm.core.versions import load_for_edit
from crm.webhooks.events import EVENTS
from crm.webhooks.signing import new_secret
from db.models import Webhook, WebhookDelivery
from db.types import utcnow

RECENT = dt.timedelta(days=7)  # the delivery counts shown beside each webhook
MAX_URL = 2000
_MISSING = N_("That webhook no longer exists.")
_CHANGED = N_("Someone changed this webhook since you opened it; reload and try again.")


@dataclass(frozen=True)
class WebhookInfo:
    """A webhook as its list shows it, with the deliveries of the last 7 days by status (never the secret)."""

    id: int
    name: str
    url: str
    events: tuple[str, ...]
    active: bool
    created_at: dt.datetime
    version: int
    pending: int = 0
    delivered: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Registered:
    """A webhook just registered, or its secret just rotated: the secret is here once, never again."""

    id: int
    name: str
    secret: str
    version: int


def register_webhook(actor: Actor, name: str, url: str, events: list[str], *, session: Session) -> Registered:
    """Register ``url`` to hear of ``events``; returns the signing secret (shown once)."""
    require(actor, "webhooks.manage")
    clean = _checked(session, name, url, events)
    hook = Webhook(**clean, secret=new_secret(), active=True, created_at=utcnow(), created_by_id=actor.user_id)
    session.add(hook)
    session.flush()
    audit.record(session, actor, "create", "webhook", hook.id, after=_audited(hook))
    return Registered(hook.id, hook.name, hook.secret, hook.version)


def list_webhooks(actor: Actor, *, now: dt.datetime | None = None, session: Session) -> list[WebhookInfo]:
    """Every webhook by name, with its recent delivery counts (one GROUP BY)."""
    require(actor, "webhooks.manage")
    since = (now or utcnow()) - RECENT
    counts: dict[int, dict[str, int]] = {}
    for webhook_id, status, n in session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count())
            .where(WebhookDelivery.created_at >= since)
            .group_by(WebhookDelivery.webhook_id, WebhookDelivery.status)):
        counts.setdefault(webhook_id, {})[status] = n
    return [WebhookInfo(h.id, h.name, h.url, tuple(h.events or ()), h.active, h.created_at, h.version,
                        **{s: counts.get(h.id, {}).get(s, 0) for s in ("pending", "delivered", "failed")})
            for h in session.scalars(select(Webhook).order_by(Webhook.name))]


def update_webhook(actor: Actor, webhook_id: int, *, version: int, events: list[str] | None = None,
                   active: bool | None = None, url: str | None = None, session: Session) -> WebhookInfo:
    """Change the events, the address or pause/resume (``version``: the one the admin saw). A paused webhook
    queues nothing new; what was queued before waits and is sent when it is resumed."""
    require(actor, "webhooks.manage")
    hook = _load(session, webhook_id, version)
    before = _audited(hook)
    clean = _checked(session, hook.name, hook.url if url is None else url, hook.events if events is None else events,
                     current_id=hook.id)
    hook.url, hook.events = clean["url"], clean["events"]
    if active is not None:
        hook.active = bool(active)
    _flush(session)
    b, a = audit.diff(before, _audited(hook))
    if a:
        audit.record(session, actor, "update", "webhook", hook.id, before=b, after=a)
    return _info(hook)


def rotate_secret(actor: Actor, webhook_id: int, *, version: int, session: Session) -> Registered:
    """A new signing secret (shown once); every delivery from now on, retries included, is signed with it."""
    require(actor, "webhooks.manage")
    hook = _load(session, webhook_id, version)
    hook.secret = new_secret()
    _flush(session)
    audit.record(session, actor, "rotate_secret", "webhook", hook.id, detail=hook.name)
    return Registered(hook.id, hook.name, hook.secret, hook.version)


def delete_webhook(actor: Actor, webhook_id: int, *, version: int, session: Session) -> str:
    """Remove a webhook with its delivery log (its queued deliveries are never sent); returns its name."""
    require(actor, "webhooks.manage")
    hook = _load(session, webhook_id, version)
    before = _audited(hook)
    session.query(WebhookDelivery).filter(WebhookDelivery.webhook_id == hook.id).delete(synchronize_session=False)
    session.delete(hook)
    _flush(session)
    audit.record(session, actor, "delete", "webhook", webhook_id, before=before)
    return str(before["name"])


def _load(session: Session, webhook_id: int, version: int) -> Webhook:
    return load_for_edit(session, Webhook, webhook_id, version, missing=_(_MISSING), changed=_(_CHANGED))


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(_(_CHANGED)) from exc


def _checked(session: Session, name: str, url: str, events: list[str], *,
             current_id: int | None = None) -> dict[str, Any]:
    """The name, address and events, cleaned; every problem at once as a ``ValidationError``."""
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    url = (url or "").strip()
    wanted = [e for e in EVENTS if e in set(events or ())]
    if not name:
        errors["name"] = _("Give the webhook a name.")
    elif len(name) > 80:
        errors["name"] = _("The name is longer than 80 characters.")
    elif session.scalar(select(Webhook.id).where(Webhook.name == name, Webhook.id != (current_id or 0))):
        errors["name"] = _("A webhook named {name} exists already.").format(name=name)
    problem = url_problem(url)
    if problem:
        errors["url"] = problem
    unknown = sorted(set(events or ()) - set(EVENTS))
    if unknown:
        errors["events"] = _("Unknown events: {names}.").format(names=", ".join(unknown))
    elif not wanted:
        errors["events"] = _("Choose at least one event.")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "url": url, "events": wanted}


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive deliveries, or None: an http(s) address with a host and no password in it
    (receivers check the signature instead; an address is shown on the page)."""
    if not url:
        return _("Give the address that receives the deliveries.")
    if len(url) > MAX_URL:
        return _("The address is longer than {n} characters.").format(n=number(MAX_URL))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return _("The address is not a valid web address.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("The address must start with https:// or http:// and name a host.")
    if parts.username or parts.password:
        return _("Put no user name or password in the address: receivers check the signature instead.")
    return None


def _audited(hook: Webhook) -> dict[str, Any]:
    return {"name": hook.name, "url": hook.url, "events": list(hook.events or ()), "active": hook.active}


def _info(hook: Webhook) -> WebhookInfo:
    return WebhookInfo(hook.id, hook.name, hook.url, tuple(hook.events or ()), hook.active, hook.created_at,
                       hook.version)
