"""API keys: how another system (the web shop, the helpdesk...) calls the HTTP API as a named integration user.

A key acts as its user, optionally narrowed to a subset of that user's capabilities. The secret is shown once
when the key is made and stored only as a SHA-256 hash; its first characters (the prefix) find the key. Every
call checks the key in the database (revoked, expired, user deactivated), so a revocation is seen at once by
every server.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import CAPABILITIES, Actor, capabilities_of, require
from crm.core.errors import NotFound, ValidationError
from crm.core.i18n import _, number
from db.models import ApiKey, Department, User
from db.types import utcnow

SECRET_START = "crm_"  # every secret starts so (a leaked one is recognisable in a log or a repository)
PREFIX_LENGTH = 12  # "crm_" and 8 random characters: finds the key through a unique index
NAME_LENGTH = 40
DEFAULT_RATE = 600  # requests per minute and key (counted per server process)
LAST_USE_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often per key


@dataclass(frozen=True)
class ApiKeyInfo:
    """A key as admins see it (never its secret)."""

    id: int
    name: str
    username: str
    capabilities: tuple[str, ...] | None  # None: every capability of the user
    rate_per_minute: int
    expires_on: dt.date | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    prefix: str

    def active_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and (self.expires_on is None or self.expires_on >= day)


@dataclass(frozen=True)
class KeyCaller:
    """A caller whose key was accepted: the actor the services see, and the key's name and rate."""

    actor: Actor
    key_id: int
    key_name: str
    rate_per_minute: int


def _info(key: ApiKey, username: str) -> ApiKeyInfo:
    return ApiKeyInfo(key.id, key.name, username, tuple(key.capabilities) if key.capabilities is not None else None,
                      key.rate_per_minute, key.expires_on, key.created_at, key.revoked_at, key.last_used_at,
                      key.prefix)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret(session: Session) -> str:
    while True:
        secret = SECRET_START + secrets.token_urlsafe(32)
        if session.scalar(select(ApiKey.id).where(ApiKey.prefix == secret[:PREFIX_LENGTH])) is None:
            return secret


def _checked(session: Session, name: str, username: str, capabilities: list[str] | None,
             expires_on: dt.date | None, rate_per_minute: int, today: dt.date) -> tuple[str, User]:
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("Name is required.")
    elif len(name) > NAME_LENGTH:
        errors["name"] = _("The key's name is longer than {n} characters.").format(n=number(NAME_LENGTH))
    elif session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        errors["name"] = _("An API key named {name} exists already.").format(name=name)
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None or not user.active:
        errors["username"] = _("No active user named {name}.").format(name=repr(username))
    if capabilities is not None:
        unknown = sorted(set(capabilities) - set(CAPABILITIES))
        if unknown:
            errors["capabilities"] = _("Unknown capabilities: {names}.").format(names=", ".join(unknown))
        elif user is not None and user.active:
            held = set(capabilities_of(user.role, user.department.code))
            beyond = sorted(set(capabilities) - held)
            if beyond:
                errors["capabilities"] = _("The user's role does not hold: {names}.").format(names=", ".join(beyond))
        if not capabilities and "capabilities" not in errors:
            errors["capabilities"] = _("Choose at least one capability, or none to give all of the user's.")
    if expires_on is not None and expires_on < today:
        errors["expires_on"] = _("The expiry date is in the past.")
    if not 1 <= rate_per_minute <= 100_000:
        errors["rate_per_minute"] = _("The rate must be between 1 and {n} requests a minute.").format(
            n=number(100_000))
    if errors:
        raise ValidationError(errors)
    assert user is not None
    return name, user


def create_key(actor: Actor, name: str, username: str, capabilities: list[str] | None = None,
               expires_on: dt.date | None = None, *, rate_per_minute: int = DEFAULT_RATE, session: Session,
               today: dt.date | None = None) -> tuple[ApiKeyInfo, str]:
    """A new key acting as ``username`` (narrowed to ``capabilities`` when given); returns it with its secret,
    which is shown this once and never stored."""
    require(actor, "api_keys.manage")
    wanted = None if capabilities is None else sorted(set(capabilities))
    name, user = _checked(session, name, username, wanted, expires_on, rate_per_minute, today or dt.date.today())
    secret = _new_secret(session)
    key = ApiKey(name=name, user_id=user.id, capabilities=wanted, prefix=secret[:PREFIX_LENGTH],
                 secret_hash=hash_secret(secret), rate_per_minute=rate_per_minute, expires_on=expires_on,
                 created_at=utcnow(), created_by_id=actor.user_id)
    session.add(key)
    session.flush()
    audit.record(session, actor, "create", "api_key", key.id,
                 after={"name": name, "user": user.username, "capabilities": wanted,
                        "expires_on": expires_on.isoformat() if expires_on else None,
                        "rate_per_minute": rate_per_minute})
    return _info(key, user.username), secret


def list_keys(actor: Actor, *, session: Session) -> list[ApiKeyInfo]:
    """Every key, newest first, with its last use (revoked ones too: the record of who had access)."""
    require(actor, "api_keys.manage")
    rows = session.execute(select(ApiKey, User.username).join(User, User.id == ApiKey.user_id)
                           .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).all()
    return [_info(key, username) for key, username in rows]


def revoke_key(actor: Actor, name: str, *, session: Session) -> ApiKeyInfo:
    """Refuse the key from now on, on every server (each call checks the database)."""
    require(actor, "api_keys.manage")
    row = session.execute(select(ApiKey, User.username).join(User, User.id == ApiKey.user_id)
                          .where(ApiKey.name == " ".join((name or "").split()))).first()
    if row is None:
        raise NotFound(_("No API key named {name}.").format(name=repr(name)))
    key, username = row
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by_id = actor.user_id
        session.flush()
        audit.record(session, actor, "revoke", "api_key", key.id, detail=key.name,
                     before={"revoked_at": None}, after={"revoked_at": key.revoked_at.isoformat()})
    return _info(key, username)


# one query for the key, its user and the user's department (it runs on every API call: built once, in Core)
_keys, _users, _departments = ApiKey.__table__, User.__table__, Department.__table__
_KEY_AND_USER = (
    select(_keys.c.id, _keys.c.name, _keys.c.secret_hash, _keys.c.revoked_at, _keys.c.expires_on,
           _keys.c.last_used_at, _keys.c.capabilities, _keys.c.rate_per_minute, _users.c.id.label("user_id"),
           _users.c.username, _users.c.full_name, _users.c.role, _users.c.active, _users.c.language,
           _users.c.time_zone, _departments.c.code.label("department"))
    .select_from(_keys.join(_users, _users.c.id == _keys.c.user_id)
                 .join(_departments, _departments.c.id == _users.c.department_id))
    .where(_keys.c.prefix == bindparam("prefix")))


def authenticate(secret: str, *, session: Session, now: dt.datetime | None = None) -> KeyCaller | None:
    """The caller for ``secret``, or None when it is no valid key (unknown, wrong, revoked, expired, its user
    deactivated). Notes the key's last use, at most once a minute."""
    secret = (secret or "").strip()
    if not secret.startswith(SECRET_START) or len(secret) < PREFIX_LENGTH + 8 or len(secret) > 200:
        return None
    key = session.connection().execute(_KEY_AND_USER, {"prefix": secret[:PREFIX_LENGTH]}).one_or_none()
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        return None
    now = now or utcnow()
    if key.revoked_at is not None or (key.expires_on is not None and key.expires_on < now.date()):
        return None
    if not key.active:
        return None
    if key.last_used_at is None or _naive(key.last_used_at) <= _naive(now) - LAST_USE_EVERY:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now)
                        .execution_options(synchronize_session=False))
    only = frozenset(key.capabilities) if key.capabilities is not None else None
    # what crm.accounts.users.actor_for gives for the key's user (source "api"), named after the key
    actor = Actor(user_id=key.user_id, username=key_username(key.username, key.name), full_name=key.full_name,
                  department=key.department, role=key.role, source="api", language=key.language or "en",
                  time_zone=key.time_zone, only=only)
    return KeyCaller(actor, key.id, key.name, key.rate_per_minute)


def key_username(username: str, key_name: str) -> str:
    """How a key's calls are named in the audit log: its user and the key ("shopsync (key web shop)")."""
    return f"{username} (key {key_name})"[:80]


def _naive(value: dt.datetime) -> dt.datetime:
    """UTC without its zone (PostgreSQL returns aware, SQLite naive values)."""
    return value.replace(tzinfo=None) if value.tzinfo else value
