"""The one rule of direction (shared/ARCHITECTURE.md), checked on every import in the tree."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBJECTS = ("crm.customers", "crm.interactions", "crm.insights", "crm.budget", "crm.rollout", "crm.accounts")


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names), at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def offending(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imports(path) if any(m == f or m.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("path", [p for p in files("crm") if p.name != "__main__.py"], ids=str)
def test_the_service_layer_never_imports_streamlit_or_the_layers_above(path: Path) -> None:
    assert offending(path, ("streamlit", "ui", "pages", "tools", "bench", "app", "api")) == []


@pytest.mark.parametrize("path", files("crm/core"), ids=str)
def test_the_kernel_imports_no_subject(path: Path) -> None:
    assert offending(path, SUBJECTS) == []


@pytest.mark.parametrize("path", [*files("pages"), *files("ui")], ids=str)
def test_screens_never_touch_sqlalchemy_or_the_models(path: Path) -> None:
    assert offending(path, ("sqlalchemy", "db")) == []


@pytest.mark.parametrize("path", files("api"), ids=str)
def test_the_http_api_goes_through_the_service_layer_only(path: Path) -> None:
    # an entry point like pages/: no SQL, no models, and none of the screens' Streamlit code
    assert offending(path, ("sqlalchemy", "db", "streamlit", "ui", "pages", "tools", "bench", "app")) == []


def test_the_http_api_has_routes_to_check() -> None:
    assert files("api"), "api/ holds the HTTP routes mounted by app.py"


@pytest.mark.parametrize("path", files("db"), ids=str)
def test_the_database_layer_knows_nothing_above_it(path: Path) -> None:
    assert offending(path, ("crm", "ui", "pages", "tools", "streamlit", "api")) == []


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    page = tmp_path / "page.py"
    page.write_text("def f():\n    from db.models import Customer\n    import sqlalchemy.orm\n")
    assert offending(page, ("sqlalchemy", "db")) == ["db.models", "sqlalchemy.orm"]
