"""Lockout that lifts by itself, idle expiry, and sessions ended on the server."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm.core.errors import PermissionDenied, ValidationError
from crm.accounts.security import (
    IDLE_MINUTES,
    LOCK_MINUTES,
    MAX_FAILED,
    check_session,
    cookie_still_valid,
    end_all_sessions,
    locked_until,
    record_failed_sign_in,
    start_session,
)
from tools.seed import ensure_demo_accounts
from crm.accounts.users import login_credentials, reset_password, set_active, update_user, verify_password
from db.models import AuditEvent, User
from db.types import utcnow
from tests.conftest import make_actor


@pytest.fixture
def accounts(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "admin"), make_actor(db, "sales")


def test_five_wrong_passwords_lock_for_a_while_then_the_lock_lifts(db, accounts) -> None:
    now = utcnow()
    for attempt in range(MAX_FAILED - 1):
        assert record_failed_sign_in("sales", session=db, now=now) is None
    until = record_failed_sign_in("sales", session=db, now=now)
    assert until == now + dt.timedelta(minutes=LOCK_MINUTES)
    assert locked_until("sales", session=db, now=now + dt.timedelta(minutes=1)) == until
    # while locked, even the right password cannot work: the login credentials carry an unusable hash
    creds = login_credentials(session=db)["usernames"]["sales"]
    assert not verify_password("demo", creds["password"])
    assert locked_until("sales", session=db, now=until + dt.timedelta(seconds=1)) is None
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity == "user",
                                                                     AuditEvent.entity_id == str(accounts[1].user_id)))]
    assert actions.count("sign_in_failed") == MAX_FAILED and "locked" in actions


def test_idle_session_expires_and_active_one_is_kept(db, accounts) -> None:
    _, sales = accounts
    sid = start_session(sales.user_id, session=db)
    db.flush()
    now = utcnow()
    assert check_session(sid, session=db, now=now + dt.timedelta(minutes=IDLE_MINUTES - 1)).allowed
    later = now + dt.timedelta(minutes=2 * IDLE_MINUTES)
    result = check_session(sid, session=db, now=later)
    assert not result.allowed and "without activity" in result.message
    assert not check_session(sid, session=db, now=later).allowed  # stays ended


def test_logout_password_reset_and_deactivation_end_sessions_and_old_cookies(db, accounts) -> None:
    admin, sales = accounts
    issued = utcnow() - dt.timedelta(minutes=5)
    sid = start_session(sales.user_id, session=db)
    db.flush()
    assert cookie_still_valid("sales", issued, session=db)
    end_all_sessions(sales.user_id, "logout", session=db)
    assert not check_session(sid, session=db).allowed
    assert not cookie_still_valid("sales", issued, session=db)  # a copied cookie no longer signs in
    assert cookie_still_valid("sales", utcnow() + dt.timedelta(seconds=1), session=db)  # a new sign-in does

    sid2 = start_session(sales.user_id, session=db)
    db.flush()
    password = reset_password(admin, sales.user_id, session=db)
    assert len(password) >= 10 and not check_session(sid2, session=db).allowed
    assert verify_password(password, db.get(User, sales.user_id).password_hash)

    sid3 = start_session(sales.user_id, session=db)
    db.flush()
    set_active(admin, sales.user_id, False, session=db)
    assert not check_session(sid3, session=db).allowed
    assert not cookie_still_valid("sales", utcnow(), session=db)
    assert "sales" not in login_credentials(session=db)["usernames"]


def test_only_admins_manage_accounts(db, accounts) -> None:
    admin, sales = accounts
    for username in ("sales", "salesmgr", "sponsor", "budget"):
        who = make_actor(db, username)
        with pytest.raises(PermissionDenied):
            reset_password(who, admin.user_id, session=db)
        with pytest.raises(PermissionDenied):
            set_active(who, admin.user_id, False, session=db)
    with pytest.raises(ValidationError):
        set_active(admin, admin.user_id, False, session=db)  # not yourself
    info = update_user(admin, sales.user_id, department="marketing", role="manager", full_name="Sari W.",
                       session=db)
    assert (info.department, info.role) == ("marketing", "manager")
