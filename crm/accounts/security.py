"""Account security: lockout after failed sign-ins, idle expiry, ending sessions on the server.

- ``MAX_FAILED`` wrong passwords in a row lock the account for ``LOCK_MINUTES``;
  the lock then lifts by itself (an attacker cannot lock anyone out for good).
- A browser session idle for ``IDLE_MINUTES`` ends.
- Logout, a password change or a deactivation set ``sessions_revoked_at``: every
  session and every sign-in cookie issued before it stops working.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor
from crm.core.i18n import _, ngettext, number
from db.models import User, UserSession
from db.types import utcnow

MAX_FAILED = 5
LOCK_MINUTES = 15
IDLE_MINUTES = 30


@dataclass(frozen=True)
class SignInCheck:
    allowed: bool
    message: str | None = None


def _actor(user: User, source: str = "page") -> Actor:
    return Actor(user.id, user.username, user.full_name, user.department.code, user.role, source=source)


def locked_until(username: str, *, session: Session, now: dt.datetime | None = None) -> dt.datetime | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    now = now or utcnow()
    if user and user.locked_until and user.locked_until > now:
        return user.locked_until
    return None


def record_failed_sign_in(username: str, *, session: Session, now: dt.datetime | None = None) -> dt.datetime | None:
    """Count a wrong password; returns the lock's end when this attempt locked the account."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        audit.record(session, None, "sign_in_failed", "user", None, detail=f"unknown username {username[:80]!r}")
        return None
    if user.locked_until and user.locked_until > now:
        return user.locked_until
    user.failed_logins = (user.failed_logins or 0) + 1
    audit.record(session, _actor(user), "sign_in_failed", "user", user.id,
                 detail=f"wrong password ({user.failed_logins} of {MAX_FAILED})")
    if user.failed_logins >= MAX_FAILED:
        user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        user.failed_logins = 0
        audit.record(session, _actor(user), "locked", "user", user.id,
                     detail=f"locked until {user.locked_until:%H:%M} UTC after {MAX_FAILED} failed sign-ins")
        return user.locked_until
    return None


def start_session(user_id: int, *, session: Session) -> str:
    session_id = secrets.token_urlsafe(32)
    session.add(UserSession(id=session_id, user_id=user_id))
    user = session.get(User, user_id)
    if user is not None:
        user.last_login_at = utcnow()
        user.failed_logins = 0
        audit.record(session, _actor(user), "sign_in", "user", user.id)
    return session_id


def check_session(session_id: str, *, session: Session, now: dt.datetime | None = None) -> SignInCheck:
    """Is this browser session still valid? Touches it when it is; ends it when idle too long."""
    now = now or utcnow()
    row = session.get(UserSession, session_id)
    if row is None or row.ended_at is not None:
        return SignInCheck(False, _("Your session has ended. Please sign in again."))
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        _end(row, now, "deactivated")
        return SignInCheck(False, _("Your account is no longer active."))
    if user.sessions_revoked_at and row.created_at <= user.sessions_revoked_at:
        _end(row, now, "revoked")
        return SignInCheck(False, _("Your session was ended (sign-out, password change or an administrator). "
                                    "Please sign in again."))
    if now - row.last_seen_at > dt.timedelta(minutes=IDLE_MINUTES):
        _end(row, now, "expired")
        audit.record(session, _actor(user), "session_expired", "user", user.id)
        return SignInCheck(False, ngettext("You were signed out after {n} minute without activity.",
                                           "You were signed out after {n} minutes without activity.",
                                           IDLE_MINUTES).format(n=number(IDLE_MINUTES)))
    row.last_seen_at = now
    return SignInCheck(True)


def cookie_still_valid(username: str, issued_at: dt.datetime | None, *, session: Session) -> bool:
    """A sign-in cookie is refused when it was issued before the user's sessions were revoked."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return False
    if user.locked_until and user.locked_until > utcnow():
        return False
    if user.sessions_revoked_at is None:
        return True
    return issued_at is not None and issued_at > user.sessions_revoked_at


def _end(row: UserSession, now: dt.datetime, reason: str) -> None:
    row.ended_at = now
    row.end_reason = reason


def end_all_sessions(user_id: int, reason: str, *, session: Session, actor: Actor | None = None) -> int:
    """End every session of a user on the server and invalidate their sign-in cookies."""
    now = utcnow()
    user = session.get(User, user_id)
    if user is not None:
        user.sessions_revoked_at = now
    result = session.execute(
        update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    audit.record(session, actor or (_actor(user) if user else None), "sessions_ended", "user", user_id,
                 detail=reason)
    return result.rowcount or 0
