"""Budget page per role, on the demo database."""
from __future__ import annotations

import pytest

from tests.app.helpers import signed_in, texts

PAGE = "pages/budget.py"


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


def press(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    return at


def test_officer_sees_draft_plan_flags_and_saves(app_env) -> None:
    at = signed_in("budget", PAGE)
    assert not at.exception
    shown = texts(at)
    assert "Budget" in shown and "Goals" in shown
    assert "1 line serves no goal: 'CRM licences and hosting'" in shown
    assert "over-spent" in shown
    assert "Save" in buttons(at) and "Submit for approval" in buttons(at)
    assert "Approve plan" not in buttons(at)
    press(at, "Save")
    assert not at.exception
    assert "Budget lines saved." in texts(at)
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
    assert "Plan approved and locked." in texts(at)
    officer = signed_in("budget", PAGE)
    assert "Save" not in buttons(officer) and "Save actuals" in buttons(officer)
    press(officer, "New revision")
    assert "new draft revision" in texts(officer)
    assert "Save" in buttons(officer)
    assert "revision 2" in officer.selectbox[0].format_func(officer.selectbox[0].value)


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
