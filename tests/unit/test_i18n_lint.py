"""No hard-coded English reaches a user: every label on a screen and every service error goes
through the catalogs. A line that must stay as it is (a product name, a code) says ``# i18n: ok``."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREEN_FILES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")])
SERVICE_FILES = sorted([*(ROOT / "crm").rglob("*.py"), *(ROOT / "tools").glob("*.py")])

# Streamlit calls whose first argument (and these keywords) a user reads.
SHOWN_BY = {
    "title", "header", "subheader", "caption", "markdown", "write", "text", "info", "warning", "error",
    "success", "toast", "button", "download_button", "link_button", "page_link", "form_submit_button",
    "text_input", "text_area", "selectbox", "multiselect", "radio", "checkbox", "toggle", "number_input",
    "date_input", "time_input", "slider", "select_slider", "file_uploader", "color_picker", "metric",
    "expander", "popover", "status", "spinner", "progress", "dialog", "segmented_control", "pills",
    "feedback", "chat_input", "TextColumn", "NumberColumn", "CheckboxColumn", "SelectboxColumn",
    "DateColumn", "DatetimeColumn", "LinkColumn", "ListColumn", "ProgressColumn", "Column",
    "title_", "axis_title",
}
SHOWN_KEYWORDS = {"label", "help", "placeholder", "caption", "title", "text", "body"}
DOMAIN_ERRORS = {"ValidationError", "PermissionDenied", "ConflictError", "NotFound", "AuthError", "CRMError"}
_WORDS = re.compile(r"[A-Za-z]{2,}")
_ALLOWED = re.compile(r"^(:[a-z_/]+:|https?://\S+|[#*_`\-\s|:/.,0-9%()]*)$")


def _english(node: ast.AST) -> bool:
    """A literal (or f-string) carrying English words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        return bool(_WORDS.search(text)) and not _ALLOWED.match(text)
    if isinstance(node, ast.JoinedStr):
        return any(_english(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _english(node.left) or _english(node.right)
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_english(e) for e in node.elts)
    return False


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _ok(lines: list[str], node: ast.AST) -> bool:
    end = getattr(node, "end_lineno", node.lineno)
    return any("i18n: ok" in lines[i - 1] for i in range(node.lineno, end + 1))


def screen_findings(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _call_name(node) not in SHOWN_BY:
            continue
        name = _call_name(node)
        shown = list(node.args[:1]) + [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
        if name == "tabs" or name == "columns":
            shown = list(node.args[:1])
        for arg in shown:
            if _english(arg) and not _ok(lines, node):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(arg)[:70]}")
    return found


def service_findings(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        value: ast.AST | None = None
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _call_name(node.exc) in DOMAIN_ERRORS:
            args = node.exc.args[1:] if _call_name(node.exc) == "PermissionDenied" else node.exc.args  # 1st: a code
            for arg in [*args, *(k.value for k in node.exc.keywords)]:
                if _english(arg):
                    value = arg
                elif isinstance(arg, ast.Dict) and any(v is not None and _english(v) for v in arg.values):
                    value = arg
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in {"errors", "problems"}
                for t in node.targets) and _english(node.value):
            value = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
              and isinstance(node.func.value, ast.Name) and node.func.value.id in {"errors", "problems", "reasons"}
              and node.args and _english(node.args[0])):
            value = node.args[0]
        if value is not None and not _ok(lines, node):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(value)[:70]}")
    return found


@pytest.mark.parametrize("path", SCREEN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_screens_show_no_hard_coded_english(path: Path) -> None:
    assert screen_findings(path) == []


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_service_errors_are_translatable(path: Path) -> None:
    assert service_findings(path) == []


def test_the_lint_catches_what_it_is_for(tmp_path: Path) -> None:
    page = tmp_path / "page.py"
    page.write_text('import streamlit as st\nst.title("Customers")\nst.button(_("Save"))\n'
                    'st.metric(label=f"Open {n}", value=3)\nst.caption("—")\n', encoding="utf-8")
    service = tmp_path / "service.py"
    service.write_text('def f(errors):\n    errors["name"] = "Name is required"\n'
                       '    errors["x"] = _("Fine")\n    raise ValidationError({"a": "Bad"})\n', encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert [f.split(":")[1] for f in screen_findings(page)] == ["2", "4"]
        assert [f.split(":")[1] for f in service_findings(service)] == ["2", "4"]
    finally:
        ROOT = saved
