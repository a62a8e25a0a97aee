"""User accounts: passwords (bcrypt), creation, and who the signed-in actor is."""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import DEPARTMENTS, ROLES, Actor, require
from crm.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from crm.core.i18n import LANGUAGES, _, is_time_zone, label_list, ngettext, number
from db.models import Department, ListValue, User
from db.types import utcnow

MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")

SYSTEM = Actor(None, "system", "System", "it", "admin", source="system")


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    full_name: str
    email: str | None
    department: str
    role: str
    active: bool
    language: str


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        department=user.department.code,
        role=user.role,
        active=user.active,
        language=user.language,
    )


def count_users(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def department_id(code: str, *, session: Session) -> int:
    dept = session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        dept = Department(code=code, name=DEPARTMENTS.get(code, code))
        session.add(dept)
        session.flush()
    return dept.id


def ensure_departments(*, session: Session) -> None:
    existing = set(session.scalars(select(Department.code)))
    for code, name in DEPARTMENTS.items():
        if code not in existing:
            session.add(Department(code=code, name=name))
    session.flush()


def _password_too_short() -> str:
    return ngettext("Password must have at least {n} character.", "Password must have at least {n} characters.",
                    MIN_PASSWORD_LENGTH).format(n=number(MIN_PASSWORD_LENGTH))


def validate_new_user(
    username: str, full_name: str, department: str, role: str, password: str | None, *,
    session: Session | None = None, keep: str | None = None,
) -> dict[str, str]:
    """Every problem with an account's fields; with ``session`` the departments are the managed list's active
    ones (``keep``: a user's current department, still accepted when it was deactivated)."""
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(username or ""):
        errors["username"] = _(
            "Username: 2 to 80 characters, lower-case letters, digits, dot, dash or underscore."
        )
    if not (full_name or "").strip():
        errors["full_name"] = _("Full name is required.")
    if session is not None:
        from crm.settings.lists import values
        offered = values(session, "departments")
        if department not in {v.code for v in offered} and not (keep and department == keep):
            errors["department"] = _("Department must be one of: {choices}.").format(
                choices=", ".join(v.label for v in offered))
    elif department not in DEPARTMENTS:
        errors["department"] = _("Department must be one of: {choices}.").format(
            choices=label_list(DEPARTMENTS))
    if role not in ROLES:
        errors["role"] = _("Role must be one of: {choices}.").format(
            choices=label_list(ROLES))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _password_too_short()
    return errors


def create_user(
    actor: Actor,
    *,
    username: str,
    full_name: str,
    department: str,
    role: str,
    password: str,
    email: str | None = None,
    session: Session,
    _password_hash: str | None = None,
) -> UserInfo:
    """Create an account. ``_password_hash`` is for demo seeding only."""
    require(actor, "users.manage")
    username = (username or "").strip().lower()
    errors = validate_new_user(
        username, full_name, department, role, None if _password_hash else password, session=session
    )
    if errors:
        raise ValidationError(errors)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(_("The username '{username}' is already taken.").format(username=username))
    ensure_departments(session=session)
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=(email or None),
        department_id=department_id(department, session=session),
        role=role,
        password_hash=_password_hash or hash_password(password),
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "create", "user", user.id,
        after={"username": username, "department": department, "role": role},
    )
    return _info(user)


def get_user(username: str, *, session: Session) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def actor_for(username: str, *, session: Session, source: str = "page") -> Actor | None:
    """The Actor for an active user, or None."""
    user = get_user(username, session=session)
    if user is None or not user.active:
        return None
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        department=user.department.code,
        role=user.role,
        source=source,
        language=user.language or "en",
        time_zone=user.time_zone,
        department_labels=_department_labels(session, user.department.code),
    )


def _department_labels(session: Session, code: str) -> dict[str, str]:
    """The labels an administrator gave the department (added or renamed in the managed list), if any."""
    labels = session.scalar(select(ListValue.labels).where(ListValue.list_code == "departments",
                                                           ListValue.code == code))
    return dict(labels or {})


@functools.lru_cache(maxsize=1)
def _unusable_hash() -> str:
    import secrets

    return hash_password(secrets.token_urlsafe(32))


def login_credentials(*, session: Session) -> dict[str, dict[str, dict[str, object]]]:
    """The credentials dict streamlit-authenticator expects, for active users."""
    users: dict[str, dict[str, object]] = {}
    now = utcnow()
    for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)):
        locked = bool(user.locked_until and user.locked_until > now)
        users[user.username] = {
            "name": user.full_name,
            "email": user.email or f"{user.username}@example.invalid",
            # locked: a hash of a random secret, so no password works until the lock lifts
            "password": _unusable_hash() if locked else user.password_hash,
            "roles": [user.role],
            "failed_login_attempts": 0,
            "logged_in": False,
        }
    return {"usernames": users}


# ------------------------------------------------------------ administration


@dataclass(frozen=True)
class Account:
    """One account as the Users page lists it."""

    id: int
    username: str
    full_name: str
    department: str  # code (DEPARTMENTS)
    role: str  # code (ROLES)
    active: bool
    locked_until: dt.datetime | None  # None unless locked now
    last_login_at: dt.datetime | None


def list_users(actor: Actor, *, session: Session) -> list[Account]:
    """Every account, by username."""
    require(actor, "users.manage")
    now = utcnow()
    return [
        Account(id=u.id, username=u.username, full_name=u.full_name, department=u.department.code, role=u.role,
                active=u.active, locked_until=u.locked_until if u.locked_until and u.locked_until > now else None,
                last_login_at=u.last_login_at)
        for u in session.scalars(select(User).order_by(User.username))
    ]


def _load_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("That user does not exist."))
    return user


def update_user(actor: Actor, user_id: int, *, department: str, role: str, full_name: str,
                session: Session) -> UserInfo:
    require(actor, "users.manage")
    user = _load_user(session, user_id)
    errors = validate_new_user(user.username, full_name, department, role, None, session=session,
                               keep=user.department.code)
    if errors:
        raise ValidationError(errors)
    before = {"department": user.department.code, "role": user.role, "full_name": user.full_name}
    user.department_id = department_id(department, session=session)
    user.role = role
    user.full_name = full_name.strip()
    session.flush()
    session.refresh(user)
    after = {"department": department, "role": role, "full_name": user.full_name}
    if before != after:
        audit.record(session, actor, "update", "user", user.id, before=before, after=after)
        if before["role"] != role or before["department"] != department:
            from crm.accounts.security import end_all_sessions

            end_all_sessions(user.id, "rights changed", session=session, actor=actor)
    return _info(user)


def set_active(actor: Actor, user_id: int, active: bool, *, session: Session) -> None:
    """Deactivate (ending every session at once) or reactivate an account."""
    require(actor, "users.manage")
    user = _load_user(session, user_id)
    if user.id == actor.user_id and not active:
        raise ValidationError({"user": _("You cannot deactivate your own account.")})
    if user.active == active:
        return
    user.active = active
    audit.record(session, actor, "activate" if active else "deactivate", "user", user.id,
                 before={"active": not active}, after={"active": active})
    if not active:
        from crm.accounts.security import end_all_sessions

        end_all_sessions(user.id, "deactivated", session=session, actor=actor)


def reset_password(actor: Actor, user_id: int, new_password: str | None = None, *, session: Session) -> str:
    """Set a new password (given, or generated and returned to be shown once); ends the user's sessions."""
    require(actor, "users.manage")
    import secrets

    user = _load_user(session, user_id)
    password = new_password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": _password_too_short()})
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "reset_password", "user", user.id)
    from crm.accounts.security import end_all_sessions

    end_all_sessions(user.id, "password reset", session=session, actor=actor)
    return password


def save_my_language(actor: Actor, language: str, *, session: Session) -> str:
    """Save the signed-in user's own choice of language with their account; returns the code saved."""
    if actor.user_id is None:
        raise PermissionDenied("users.language", _("Only a signed-in user has a saved language."))  # i18n: ok
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    user = _load_user(session, actor.user_id)
    if user.language != language:
        before = user.language
        user.language = language
        audit.record(session, actor, "update", "user", user.id,
                     before={"language": before}, after={"language": language})
    return language


def save_my_time_zone(actor: Actor, time_zone: str | None, *, session: Session) -> str | None:
    """Save the signed-in user's own time zone (an IANA name) with their account; None goes back to the
    browser's zone. Returns the zone saved."""
    if actor.user_id is None:
        raise PermissionDenied("users.time_zone", _("Only a signed-in user has a saved time zone."))  # i18n: ok
    if time_zone is not None and not is_time_zone(time_zone):
        raise ValidationError({"time_zone": _("Choose one of the offered time zones.")})
    user = _load_user(session, actor.user_id)
    if user.time_zone != time_zone:
        before = user.time_zone
        user.time_zone = time_zone
        audit.record(session, actor, "update", "user", user.id,
                     before={"time_zone": before}, after={"time_zone": time_zone})
    return time_zone
