"""`python -m crm fields add|list` as an operator runs it."""
from __future__ import annotations

from pathlib import Path

from tests.unit.test_cli import run_cli


def test_fields_add_then_list_and_refusals(tmp_path: Path) -> None:
    db = tmp_path / "f.sqlite3"
    ok = run_cli("fields", "add", "customers", "Preferred branch", "--type", "choice", "--options", "North,South",
                 db=db)
    assert ok.returncode == 0, ok.stderr
    assert "customers.preferred_branch" in ok.stdout
    assert run_cli("fields", "add", "interactions", "Score", "--type", "number", "--min", "0", "--max", "10",
                   "--required", db=db).returncode == 0  # no interactions yet: no default needed
    again = run_cli("fields", "add", "customers", "preferred  branch", "--type", "text", db=db)
    assert again.returncode == 1 and "already exists" in again.stderr
    listed = run_cli("fields", "list", db=db)
    assert listed.returncode == 0
    assert "customers.preferred_branch\tPreferred branch\tChoice; choices: north, south" in listed.stdout
    assert "interactions.score\tScore\tNumber; required" in listed.stdout
