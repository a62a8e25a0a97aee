"""`python -m crm` as an operator runs it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, db: Path, env: dict[str, str] | None = None, stdin: str | None = None):  # type: ignore[no-untyped-def]
    full_env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", **(env or {})}
    full_env.pop("CRM_DEMO", None)
    return subprocess.run([sys.executable, "-m", "crm", *args], cwd=ROOT, env=full_env, text=True,
                          capture_output=True, input=stdin, timeout=120)


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_cli("--help", db=tmp_path / "x.sqlite3")
    assert result.returncode == 0
    for name in ("migrate", "seed", "create-user"):
        assert name in result.stdout


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite3"
    result = run_cli("migrate", db=db)
    assert result.returncode == 0, result.stderr
    assert "newest schema" in result.stdout
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert conn.execute(text("SELECT COUNT(*) FROM customers")).scalar() == 0


def test_create_first_admin_from_environment_password_then_refuse_duplicates(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    ok = run_cli("create-user", "alice", "--name", "Alice Admin", db=db,
                 env={"CRM_NEW_USER_PASSWORD": "correct horse battery"})
    assert ok.returncode == 0, ok.stderr
    assert "Created user alice" in ok.stdout
    again = run_cli("create-user", "alice", "--name", "Alice Again", db=db,
                    env={"CRM_NEW_USER_PASSWORD": "correct horse battery"})
    assert again.returncode == 1
    assert "already taken" in again.stderr
    with create_engine(f"sqlite:///{db}").connect() as conn:
        row = conn.execute(text("SELECT role, password_hash FROM users WHERE username='alice'")).one()
        assert row.role == "admin" and row.password_hash.startswith("$2")
        audit = conn.execute(text("SELECT source FROM audit_events WHERE action='create'")).scalar()
        assert audit == "cli"


def test_create_user_rejects_short_password_and_missing_password(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite3"
    short = run_cli("create-user", "bob", "--name", "Bob", db=db, env={"CRM_NEW_USER_PASSWORD": "short"})
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    none = run_cli("create-user", "bob", "--name", "Bob", db=db, stdin="")
    assert none.returncode == 2 and "CRM_NEW_USER_PASSWORD" in none.stderr


def test_seed_customers_adds_to_demo_and_demo_accounts_keep_working(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    assert run_cli("seed", "--demo", db=db).returncode == 0
    result = run_cli("seed", "--customers", "200", db=db)
    assert result.returncode == 0, result.stderr
    assert "Added 200 customers" in result.stdout
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM customers")).scalar() == 600
        assert conn.execute(text("SELECT COUNT(*) FROM users WHERE username='sales'")).scalar() == 1
