"""Server-side record of signed-in sessions (sign-in audit; ending sessions)."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from crm import audit
from crm.access import Actor
from crm.database import session_scope
from db.models import User, UserSession
from db.types import utcnow


def start_session(actor: Actor) -> str:
    """Record a sign-in (audited) and return the new session id."""
    session_id = secrets.token_urlsafe(32)
    with session_scope() as session:
        session.add(UserSession(id=session_id, user_id=actor.user_id))
        user = session.get(User, actor.user_id)
        if user is not None:
            user.last_login_at = utcnow()
            user.failed_logins = 0
        audit.record(session, actor, "sign_in", "user", actor.user_id)
    return session_id


def sign_in_recorded(session_id: str | None) -> bool:
    if not session_id:
        return False
    with session_scope() as session:
        row = session.get(UserSession, session_id)
        return row is not None and row.ended_at is None


def end_session(session_id: str | None, reason: str) -> None:
    if not session_id:
        return
    with session_scope() as session:
        row = session.get(UserSession, session_id)
        if row is None or row.ended_at is not None:
            return
        row.ended_at = utcnow()
        row.end_reason = reason
        user = session.get(User, row.user_id)
        who = Actor(user.id, user.username, user.full_name, user.department.code, user.role) if user else None
        audit.record(session, who, "sign_out", "user", row.user_id, detail=reason)


def active_sessions(user_id: int) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(
            select(UserSession.id).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        ))
