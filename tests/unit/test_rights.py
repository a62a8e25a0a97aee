"""Rights edited by administrators: a preview naming who gains or loses what, seen by every server, last admin kept."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from crm.accounts.users import SYSTEM, actor_for, create_user, set_active
from crm.core import access
from crm.core.access import Actor, can, capability_matrix
from crm.core.database import session_scope
from crm.core.errors import PermissionDenied, ValidationError
from crm.settings import rights
from db.engine import get_sessionmaker
from db.models import AuditEvent, CapabilityGrant

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")


def add_user(session: Session, username: str, full_name: str, department: str, role: str) -> Actor:
    create_user(SYSTEM, username=username, full_name=full_name, department=department, role=role,
                password="long enough pw", session=session)
    session.flush()
    who = actor_for(username, session=session)
    assert who is not None
    return who


@pytest.fixture
def people(db: Session) -> dict[str, Actor]:
    found = {
        "ada": add_user(db, "ada", "Ada Admin", "it", "admin"),
        "hana": add_user(db, "hana", "Hana Putri", "hr_development", "staff"),
        "sari": add_user(db, "sari", "Sari Dewi", "sales", "staff"),
        "tom": add_user(db, "tom", "Tom Training", "training", "staff"),
    }
    db.commit()
    return found


def test_a_grant_previews_the_users_who_gain_and_then_holds(db, people) -> None:
    preview = rights.preview_change(ADMIN, "insights.read", "staff", "hr_development", True, session=db)
    assert [(u.full_name, u.gains, u.loses) for u in preview.users] == [("Hana Putri", ("insights.read",), ())]
    assert preview.refusal is None
    assert "Hana Putri (Staff in HR development) gains insights.read" == rights.describe_user(preview.users[0])
    assert not can(people["hana"], "insights.read")  # a preview changes nothing

    rights.grant(ADMIN, "insights.read", "staff", "hr_development", session=db)
    db.commit()
    rights.refresh(db)  # the next click
    assert can(people["hana"], "insights.read")
    assert not can(people["tom"], "insights.read")
    event = db.scalar(select(AuditEvent).where(AuditEvent.entity == "capability_grant"))
    assert event.action == "create" and event.before is None
    assert event.after == {"capability": "insights.read", "role": "staff", "department": "hr_development",
                           "granted": True}
    assert "hana: +insights.read" in event.detail
    row = next(r for r in capability_matrix() if r.capability == "insights.read")
    assert set(row.departments["staff"]) == {"marketing", "sales", "hr_development"}  # the Users page's table


def test_a_revoke_for_the_whole_role_names_everyone_who_loses(db, people) -> None:
    rights.grant(ADMIN, "insights.read", "staff", "hr_development", session=db)
    preview = rights.revoke(ADMIN, "insights.read", "staff", session=db)
    db.commit()
    assert {u.username: u.loses for u in preview.users} == {"hana": ("insights.read",), "sari": ("insights.read",)}
    rights.refresh(db)
    assert not can(people["sari"], "insights.read") and not can(people["hana"], "insights.read")
    # the role-wide entry replaced the department's own
    assert [(o.role, o.department, o.granted) for o in rights.list_overrides(ADMIN, session=db)] == [
        ("staff", "*", False)]
    rights.reset(ADMIN, "insights.read", "staff", session=db)
    db.commit()
    rights.refresh(db)
    assert can(people["sari"], "insights.read") and not can(people["hana"], "insights.read")
    assert rights.list_overrides(ADMIN, session=db) == []
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "capability_grant")
                         .order_by(AuditEvent.id)).all()
    assert actions == ["create", "create", "delete", "delete"]


def test_the_last_administrator_never_loses_users_manage(db, people) -> None:
    preview = rights.preview_change(ADMIN, "users.manage", "admin", "*", False, session=db)
    assert "last administrator" in preview.refusal and [u.username for u in preview.users] == ["ada"]
    with pytest.raises(ValidationError) as refused:
        rights.revoke(ADMIN, "users.manage", "admin", session=db)
    assert "users.manage" in refused.value.message
    with pytest.raises(ValidationError):  # not by revoking it in Ada's own department either
        rights.revoke(ADMIN, "users.manage", "admin", "it", session=db)
    assert db.scalar(select(CapabilityGrant)) is None

    # a second active administrator elsewhere: the change is allowed
    add_user(db, "fin", "Fina Admin", "finance", "admin")
    rights.revoke(ADMIN, "users.manage", "admin", "it", session=db)
    db.commit()
    # ... and then Fina, the one left who holds it, keeps it
    with pytest.raises(ValidationError):
        rights.revoke(ADMIN, "users.manage", "admin", "finance", session=db)


def test_a_deactivated_administrator_does_not_count(db, people) -> None:
    other = add_user(db, "fin", "Fina Admin", "finance", "admin")
    set_active(SYSTEM, other.user_id, False, session=db)
    db.commit()
    with pytest.raises(ValidationError):
        rights.revoke(ADMIN, "users.manage", "admin", "it", session=db)


def test_every_problem_with_a_change_is_reported_at_once(db, people) -> None:
    with pytest.raises(ValidationError) as err:
        rights.grant(ADMIN, "customers.fly", "king", "moon", session=db)
    assert set(err.value.errors) == {"capability", "role", "department"}


def test_only_admins_change_rights(db, people) -> None:
    calls = [
        lambda who: rights.grant(who, "insights.read", "staff", session=db),
        lambda who: rights.revoke(who, "insights.read", "staff", session=db),
        lambda who: rights.preview_change(who, "insights.read", "staff", session=db),
        lambda who: rights.list_overrides(who, session=db),
    ]
    for who in (people["sari"], Actor(None, "mgr", "Manager", "sales", "manager")):
        for call in calls:
            with pytest.raises(PermissionDenied):
                call(who)
    assert db.scalar(select(CapabilityGrant)) is None


def test_a_second_server_sees_the_change_on_its_next_check(db_url) -> None:
    """Two servers on one database: each has its own engine and its own rights in memory."""
    server_a = get_sessionmaker(db_url)
    server_b = create_engine(db_url)
    try:
        with server_a() as s:
            add_user(s, "ada", "Ada Admin", "it", "admin")
            hana = add_user(s, "hana", "Hana Putri", "hr_development", "staff")
            s.commit()
        with Session(server_b) as s:
            rights.refresh(s)  # server B's request before the change
        b_memory = access.overlay()
        assert not can(hana, "insights.read")
        with server_a() as s:
            rights.grant(ADMIN, "insights.read", "staff", "hr_development", session=s)
            s.commit()
        access.use_overlay(b_memory)  # server B still holds what it read before
        assert not can(hana, "insights.read")
        with Session(server_b) as s:
            assert rights.refresh(s) is True  # its next request: one small query, then the reload
        assert can(hana, "insights.read")
        with Session(server_b) as s:
            assert rights.refresh(s) is False  # nothing changed since: nothing reloaded
    finally:
        server_b.dispose()


CHECKER = """
import sys
from crm.core.access import can
from crm.core.database import session_scope
from crm.accounts.users import actor_for
from crm.settings.rights import refresh
for line in sys.stdin:
    username, capability = line.split()
    with session_scope(sys.argv[1]) as s:
        refresh(s)
        print(can(actor_for(username, session=s), capability), flush=True)
"""


def test_another_process_sees_the_change_on_its_next_request(db_url) -> None:
    with session_scope(db_url) as s:
        add_user(s, "ada", "Ada Admin", "it", "admin")
        add_user(s, "hana", "Hana Putri", "hr_development", "staff")
    other = subprocess.Popen([sys.executable, "-c", CHECKER, db_url], cwd=ROOT, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ})
    try:
        other.stdin.write("hana insights.read\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "False"
        with session_scope(db_url) as s:
            rights.grant(ADMIN, "insights.read", "staff", "hr_development", session=s)
        other.stdin.write("hana insights.read\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "True"
    finally:
        other.stdin.close()
        other.wait(timeout=60)


# ------------------------------------------------------------------ command line


def run_cli(*args: str, db: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", **(env or {})}
    full_env.pop("CRM_DEMO", None)
    return subprocess.run([sys.executable, "-m", "crm", *args], cwd=ROOT, env=full_env, text=True,
                          capture_output=True, timeout=120)


def test_cli_grant_and_revoke_print_who_gains_and_loses(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    password = {"CRM_NEW_USER_PASSWORD": "correct horse battery"}
    assert run_cli("create-user", "ada", "--name", "Ada Admin", db=db, env=password).returncode == 0
    assert run_cli("create-user", "hana", "--name", "Hana Putri", "--role", "staff", "--department",
                   "hr_development", db=db, env=password).returncode == 0
    granted = run_cli("rights", "grant", "insights.read", "--role", "staff", "--department", "hr_development", db=db)
    assert granted.returncode == 0, granted.stderr
    assert "Hana Putri (Staff in HR development) gains insights.read" in granted.stdout
    assert "Granted insights.read for Staff in HR development" in granted.stdout
    listed = run_cli("rights", "list", db=db)
    assert "Grant insights.read to Staff in HR development" in listed.stdout
    revoked = run_cli("rights", "revoke", "insights.read", "--role", "staff", db=db)
    assert revoked.returncode == 0 and "Hana Putri (Staff in HR development) loses insights.read" in revoked.stdout
    guarded = run_cli("rights", "revoke", "users.manage", "--role", "admin", db=db)
    assert guarded.returncode == 1 and "last administrator" in guarded.stderr
    unknown = run_cli("rights", "grant", "insights.read", "--role", "king", db=db)
    assert unknown.returncode == 1 and "Unknown role" in unknown.stderr
    with create_engine(f"sqlite:///{db}").connect() as conn:
        sources = conn.execute(select(AuditEvent.source, AuditEvent.action)
                               .where(AuditEvent.entity == "capability_grant")).all()
    assert [tuple(r) for r in sources] == [("cli", "create"), ("cli", "create"), ("cli", "delete")]
