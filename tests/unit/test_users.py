"""Accounts: creation rules, audit in the same transaction, nothing half-written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.core.access import Actor
from crm.core.database import session_scope
from crm.core.errors import PermissionDenied, ValidationError
from crm.accounts.users import SYSTEM, actor_for, create_user, login_credentials
from db.models import AuditEvent, User


def test_admin_creates_user_with_audit_row(db) -> None:
    info = create_user(SYSTEM, username="Dewi", full_name="Dewi Lestari", department="marketing",
                       role="staff", password="long enough pw", session=db)
    db.commit()
    assert info.username == "dewi"
    event = db.scalar(select(AuditEvent).where(AuditEvent.entity == "user"))
    assert event.action == "create" and event.after["role"] == "staff"
    who = actor_for("dewi", session=db)
    assert who is not None and who.department == "marketing"
    creds = login_credentials(session=db)["usernames"]["dewi"]
    assert creds["roles"] == ["staff"] and creds["password"].startswith("$2")


def test_every_problem_reported_and_nothing_written(db_url) -> None:
    with pytest.raises(ValidationError) as err:
        with session_scope(db_url) as s:
            create_user(SYSTEM, username="x", full_name=" ", department="nowhere", role="king",
                        password="short", session=s)
    assert set(err.value.errors) == {"username", "full_name", "department", "role", "password"}
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_staff_cannot_create_users(db) -> None:
    staff = Actor(1, "sales", "Sari", "sales", "staff")
    with pytest.raises(PermissionDenied):
        create_user(staff, username="eve", full_name="Eve", department="it", role="admin",
                    password="long enough pw", session=db)


def test_changing_a_missing_account_is_not_found(db) -> None:
    from crm.accounts.users import reset_password, set_active, update_user
    from crm.core.errors import NotFound

    for attempt in (lambda: update_user(SYSTEM, 999, department="it", role="staff", full_name="X", session=db),
                    lambda: set_active(SYSTEM, 999, False, session=db),
                    lambda: reset_password(SYSTEM, 999, "long enough pw", session=db)):
        with pytest.raises(NotFound):
            attempt()
