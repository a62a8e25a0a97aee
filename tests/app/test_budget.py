"""Budget page per role, on the demo database."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from streamlit.testing.v1.element_tree import ElementTree

from crm.budget import export, plans
from crm.core.database import session_scope
from tests.app.helpers import signed_in, texts
from tests.conftest import make_actor

PAGE = "pages/budget.py"


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


def press(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    return at


def edit_table(at, monkeypatch, key_prefix: str, edits: dict) -> None:
    """Send ``edits`` (the data editor's edited/added/deleted rows) with the next run, as the browser does."""
    table = next(t for t in at.data_editor if (t.key or "").startswith(key_prefix))
    original = ElementTree.get_widget_states

    def with_edits(tree):
        states = original(tree)
        state = states.widgets.add()
        state.id = table.proto.id
        state.string_value = json.dumps({"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edits})
        monkeypatch.setattr(ElementTree, "get_widget_states", original)  # this run only
        return states

    monkeypatch.setattr(ElementTree, "get_widget_states", with_edits)


def test_officer_sees_draft_plan_flags_and_saves(app_env, monkeypatch) -> None:
    at = signed_in("budget", PAGE)
    assert not at.exception
    shown = texts(at)
    assert "Budget" in shown and "Goals" in shown
    assert "1 line serves no goal: 'CRM licences and hosting'" in shown
    assert "over-spent" in shown
    assert "Save" in buttons(at) and "Submit for approval" in buttons(at)
    assert "Approve plan" not in buttons(at)
    assert at.metric[1].value == "$158,000.00"
    edit_table(at, monkeypatch, "budget_lines_", {"edited_rows": {"0": {"q1": 9999}}})  # first line: 6,000
    press(at, "Save")
    assert not at.exception
    assert "1 line changed." in texts(at)
    assert at.metric[1].value == "$161,999.00"  # 158,000 - 6,000 + 9,999
    with session_scope(app_env) as s:
        officer = make_actor(s, "budget")
        shown = plans.get_plan(officer, at.selectbox[0].value, session=s, measure=False)
        assert shown.lines[0]["q1"] == Decimal("9999")
    press(at, "Save")  # no edits this time
    assert "Nothing changed." in texts(at) and "line changed" not in texts(at)
    press(at, "Submit for approval")
    assert "Plan submitted for approval." in texts(at)
    assert "Save" not in buttons(at)  # submitted: locked until a decision


def test_sponsor_returns_with_comment_then_approves(app_env) -> None:
    officer = signed_in("budget", PAGE)
    press(officer, "Submit for approval")
    at = signed_in("sponsor", PAGE)
    assert "Approve plan" in buttons(at) and "Save" not in buttons(at)
    press(at, "Return plan")
    assert "Nothing was saved" in texts(at) and "Say why" in texts(at)
    at.text_area[0].input("Cut the trade fairs").run()
    press(at, "Return plan")
    assert "Plan returned to the budget officer." in texts(at)
    assert "Returned by Susan Park: Cut the trade fairs" in texts(at)
    officer = signed_in("budget", PAGE)
    assert "Cut the trade fairs" in texts(officer)
    press(officer, "Submit for approval")
    at = signed_in("sponsor", PAGE)
    press(at, "Approve plan")
    assert [m.value for m in at.success] == ["Approved by Susan Park and locked."]  # one green banner
    officer = signed_in("budget", PAGE)
    assert "Save" not in buttons(officer) and "Save actuals" in buttons(officer)
    press(officer, "New revision")
    assert "new draft revision" in texts(officer)
    assert "Save" in buttons(officer)
    assert "revision 2" in officer.selectbox[0].format_func(officer.selectbox[0].value)


def test_one_run_reads_the_plan_once_and_builds_no_export(app_env, monkeypatch) -> None:
    reads: list[int] = []
    built: list[str] = []
    get_plan, export_csv, export_xlsx = plans.get_plan, export.export_csv, export.export_xlsx

    def counted_get_plan(who, plan_id, **kwargs):
        reads.append(plan_id)
        return get_plan(who, plan_id, **kwargs)

    def counted(name, fn):
        def build(*args, **kwargs):
            built.append(name)
            return fn(*args, **kwargs)
        return build

    monkeypatch.setattr(plans, "get_plan", counted_get_plan)
    monkeypatch.setattr(export, "export_csv", counted("csv", export_csv))
    monkeypatch.setattr(export, "export_xlsx", counted("xlsx", export_xlsx))
    at = signed_in("budget")
    reads.clear()
    at.switch_page(PAGE).run()
    assert not at.exception
    shown = at.selectbox[0].value
    assert reads.count(shown) == 1  # the plan on screen: read once, not once per tab
    assert len(reads) == 2  # and the plan it is compared with (the "Compare with" box), once
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download Excel"]
    assert built == []  # files are made when a download button is clicked, not on every run


def test_manager_reads_without_save(app_env) -> None:
    at = signed_in("salesmgr", PAGE)
    assert not at.exception
    assert "Goals" in texts(at)
    assert not {"Save", "Submit for approval", "Approve plan", "Save actuals"} & set(buttons(at))
    assert len(at.dataframe) >= 2


@pytest.mark.parametrize("username", ["sales", "support"])
def test_staff_cannot_open_budget(app_env, username: str) -> None:
    at = signed_in(username)
    with pytest.raises(ValueError):
        at.switch_page(PAGE).run()




@pytest.mark.parametrize("language", ["ur", "bg", "id"])
@pytest.mark.parametrize("username", ["budget", "sponsor", "salesmgr"])
def test_page_renders_in_every_language(app_env, monkeypatch, username: str, language: str) -> None:
    english = [m.value for m in signed_in(username, PAGE).metric]
    at = signed_in(username, PAGE, language=language)
    assert not at.exception
    assert len(at.dataframe) >= 2
    if language != "ur":  # Urdu writes $158,000.00 like English
        assert [m.value for m in at.metric][1] != english[1]  # the planned total is written the language's way
