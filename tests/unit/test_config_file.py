"""The configuration as a file: export, then import into a fresh database gives the same configuration."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.core import access
from crm.core.access import Actor
from crm.core.database import session_scope
from crm.core.errors import PermissionDenied, ValidationError
from crm.settings import config_file, rights
from crm.settings.config_file import Section, dumps, export_config, import_config, loads, plan_import
from db.engine import dispose_all
from db.models import AuditEvent, CapabilityGrant, Setting

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")
NOTE = "test_motto"


def _export_motto(session: Session) -> Any:
    row = session.get(Setting, NOTE)
    return {"motto": row.value if row else ""}


def _motto_changes(session: Session, data: Any) -> list[str]:
    if not isinstance(data, dict) or not isinstance(data.get("motto"), str):
        raise ValidationError({"motto": "The motto must be text."})
    now = _export_motto(session)["motto"]
    return [] if now == data["motto"] else [f"Motto: {now!r} -> {data['motto']!r}"]


def _apply_motto(actor: Actor, data: Any, session: Session) -> None:
    if data["motto"] == "explode":
        raise RuntimeError("the section broke half-way")
    session.merge(Setting(key=NOTE, value=data["motto"]))


@pytest.fixture(autouse=True)
def motto_section(monkeypatch: pytest.MonkeyPatch) -> Section:
    """A section registered by this test only (other subjects register theirs: the code takes whatever is)."""
    import crm.settings.sections  # noqa: F401  (the real sections first)

    section = Section(NOTE, _export_motto, _motto_changes, _apply_motto, order=90)
    monkeypatch.setitem(config_file.SECTIONS, NOTE, section)
    return section


def _configure(url: str) -> None:
    with session_scope(url) as s:
        rights.grant(ADMIN, "insights.read", "staff", "hr_development", session=s)
        rights.revoke(ADMIN, "data.export", "manager", session=s)
        _apply_motto(ADMIN, {"motto": "Customers first"}, s)


def _config(url: str) -> dict[str, Any]:
    with session_scope(url) as s:
        return export_config(ADMIN, session=s)


@pytest.mark.parametrize("filename", ["config.yaml", "config.json"])
def test_export_then_import_into_a_fresh_database_gives_the_same_configuration(db_url, fresh_url, filename) -> None:
    _configure(db_url)
    exported = _config(db_url)
    assert exported["format_version"] == 1 and exported["portal"] == "crm-portal"
    assert exported["rights"] == [
        {"capability": "data.export", "role": "manager", "department": "*", "granted": False},
        {"capability": "insights.read", "role": "staff", "department": "hr_development", "granted": True},
    ]
    text = dumps(exported, filename)
    data = loads(text, filename)
    with session_scope(fresh_url) as s:
        planned = plan_import(ADMIN, data, session=s)
    assert [c.section for c in planned] == ["rights", "rights", NOTE]  # in the order sections apply
    assert "Revoke data.export from Manager in all departments" in [c.description for c in planned]
    with session_scope(fresh_url) as s:
        applied = import_config(ADMIN, data, session=s)
    assert applied == planned
    assert _config(fresh_url) == exported
    with session_scope(fresh_url) as s:  # audited, and the servers told
        assert s.scalar(select(AuditEvent).where(AuditEvent.entity == "configuration")).after["sections"] == [
            "rights", NOTE]
        assert rights.refresh(s) and not access.can(Actor(1, "m", "M", "sales", "manager"), "data.export")
    with session_scope(fresh_url) as s:  # the same file again: nothing left to change
        assert import_config(ADMIN, data, session=s) == []


def test_a_dry_run_shows_the_changes_and_changes_nothing(db_url, fresh_url) -> None:
    _configure(db_url)
    data = _config(db_url)
    before = _config(fresh_url)
    with session_scope(fresh_url) as s:
        shown = import_config(ADMIN, data, dry_run=True, session=s)
    assert len(shown) == 3
    assert _config(fresh_url) == before
    with session_scope(fresh_url) as s:
        assert s.scalar(select(AuditEvent)) is None


def test_a_file_of_another_format_or_portal_is_refused(db) -> None:
    good = export_config(ADMIN, session=db)
    for header, words in (({"format_version": 2}, "format 2"), ({"portal": "other-crm"}, "does not come from")):
        with pytest.raises(ValidationError) as refused:
            plan_import(ADMIN, {**good, **header}, session=db)
        assert words in refused.value.message and "nothing was imported" in refused.value.message
    with pytest.raises(ValidationError):
        import_config(ADMIN, ["not", "a", "mapping"], session=db)


def test_every_problem_of_every_section_is_reported_at_once_and_nothing_applied(db) -> None:
    data = {"format_version": 1, "portal": "crm-portal", "galaxy": {},
            "rights": [{"capability": "insights.fly", "role": "king", "granted": "yes"},
                       {"capability": "insights.read", "role": "staff", "department": "moon", "granted": True}],
            NOTE: {"motto": 42}}
    with pytest.raises(ValidationError) as refused:
        import_config(ADMIN, data, session=db)
    problems = refused.value.errors
    assert set(problems) == {"galaxy", "rights[1].capability", "rights[1].role", "rights[1].granted",
                             "rights[2].department", f"{NOTE}.motto"}
    assert "Rights, entry 2: Unknown department “moon”" in problems["rights[2].department"]
    assert db.scalar(select(CapabilityGrant)) is None


def test_a_section_failing_half_way_leaves_nothing_applied(db_url) -> None:
    data = {"format_version": 1, "portal": "crm-portal",
            "rights": [{"capability": "insights.read", "role": "staff", "department": "*", "granted": True}],
            NOTE: {"motto": "explode"}}
    with pytest.raises(RuntimeError):
        with session_scope(db_url) as s:
            import_config(ADMIN, data, session=s)
    with session_scope(db_url) as s:
        assert s.scalar(select(CapabilityGrant)) is None  # rights (applied first) rolled back too


def test_sections_missing_from_the_file_are_left_alone(db_url) -> None:
    _configure(db_url)
    with session_scope(db_url) as s:
        import_config(ADMIN, {"format_version": 1, "portal": "crm-portal", NOTE: {"motto": "Quality"}}, session=s)
    config = _config(db_url)
    assert config[NOTE] == {"motto": "Quality"} and len(config["rights"]) == 2


def test_an_import_cannot_take_users_manage_from_the_last_administrator(db) -> None:
    from crm.accounts.users import SYSTEM, create_user

    create_user(SYSTEM, username="ada", full_name="Ada Admin", department="it", role="admin",
                password="long enough pw", session=db)
    data = {"format_version": 1, "portal": "crm-portal",
            "rights": [{"capability": "users.manage", "role": "admin", "department": "*", "granted": False}]}
    with pytest.raises(ValidationError) as refused:
        plan_import(ADMIN, data, session=db)
    assert "last administrator" in refused.value.message


def test_only_admins_export_or_import(db) -> None:
    staff = Actor(None, "sari", "Sari", "sales", "staff")
    with pytest.raises(PermissionDenied):
        export_config(staff, session=db)
    with pytest.raises(PermissionDenied):
        import_config(staff, {"format_version": 1, "portal": "crm-portal"}, dry_run=True, session=db)


def test_a_file_that_does_not_parse_or_has_another_extension_is_a_plain_error() -> None:
    with pytest.raises(ValidationError) as bad:
        loads("rights: [unclosed", "c.yaml")
    assert "could not be read as YAML" in bad.value.message
    with pytest.raises(ValidationError):
        loads("{}", "c.txt")
    assert yaml.safe_load(dumps({"format_version": 1, "portal": "crm-portal"}, "c.yml"))["format_version"] == 1


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("CRM_DEMO", None)
    return subprocess.run([sys.executable, "-m", "crm", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120)


def test_cli_exports_and_imports_with_a_dry_run_first(tmp_path: Path, sqlite_template: Path) -> None:
    source, target = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    shutil.copy(sqlite_template, source)
    shutil.copy(sqlite_template, target)
    with session_scope(f"sqlite:///{source}") as s:
        rights.grant(ADMIN, "insights.read", "staff", "hr_development", session=s)
    dispose_all()
    out = tmp_path / "config.yaml"
    exported = run_cli("config", "export", "--out", str(out), url=f"sqlite:///{source}")
    assert exported.returncode == 0, exported.stderr
    assert yaml.safe_load(out.read_text())["rights"][0]["capability"] == "insights.read"
    dry = run_cli("config", "import", str(out), "--dry-run", url=f"sqlite:///{target}")
    assert dry.returncode == 0, dry.stderr
    assert "rights: Grant insights.read to Staff in HR development" in dry.stdout and "Dry run" in dry.stdout
    applied = run_cli("config", "import", str(out), url=f"sqlite:///{target}")
    assert applied.returncode == 0 and "Applied 1 change(s)." in applied.stdout
    again = run_cli("config", "import", str(out), url=f"sqlite:///{target}")
    assert "Nothing to change" in again.stdout
    out.write_text(out.read_text().replace("format_version: 1", "format_version: 7"))
    refused = run_cli("config", "import", str(out), url=f"sqlite:///{target}")
    assert refused.returncode == 1 and "format 7" in refused.stderr
