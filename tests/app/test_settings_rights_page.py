"""The Rights page: an admin previews who gains or loses what, applies it, and the user's menu follows."""
from __future__ import annotations

import pytest

from tests.app.helpers import signed_in, texts
from tools.seed import DEMO_ACCOUNTS

PAGE = "pages/settings_rights.py"


def choose(at, capability: str, role: str, department: str, change: str) -> None:  # type: ignore[no-untyped-def]
    boxes = {s.label: s for s in at.selectbox}
    boxes["Capability"].select(capability)
    boxes["Role"].select(role)
    boxes["Department"].select(department)
    next(r for r in at.radio if r.label == "Change").set_value(change)
    at.run()


def test_admin_grants_a_right_after_seeing_who_gains_it(app_env) -> None:
    hr_name = DEMO_ACCOUNTS["hr"][0]
    with pytest.raises(ValueError):  # HR staff has no Insights yet
        signed_in("hr").switch_page("pages/insights.py")
    at = signed_in("admin", PAGE)
    assert not at.exception, at.exception
    assert "No changes: the built-in table is in force." in texts(at)
    choose(at, "insights.read", "staff", "hr_development", "grant")
    preview = at.dataframe[0].value
    assert list(preview["Name"]) == [hr_name] and list(preview["Gains"]) == ["insights.read"]
    next(b for b in at.button if b.label == "Apply this change").click().run()
    assert not at.exception, at.exception
    assert "Applied: Grant insights.read for Staff in HR development." in texts(at)
    assert "Grant insights.read to Staff in HR development" in list(at.dataframe[0].value["Change"])
    signed_in("hr").switch_page("pages/insights.py")  # the HR user's next click: Insights is in the menu
    table = signed_in("admin", "pages/users.py").dataframe[-1].value  # and the Users page shows it
    row = table[table["Capability"] == "insights.read"].iloc[0]
    assert "HR development" in row["Staff"]


def test_the_last_administrator_cannot_lose_users_manage_on_the_page(app_env) -> None:
    at = signed_in("admin", PAGE)
    choose(at, "users.manage", "admin", "*", "revoke")
    assert "last administrator" in texts(at)
    assert next(b for b in at.button if b.label == "Apply this change").disabled


def test_the_page_offers_the_configuration_file(app_env) -> None:
    at = signed_in("admin", PAGE)
    assert "Configuration file" in [h.value for h in at.header]
    assert [h.value for h in at.header] == ["Change a right", "Changes in force", "Who may do what",
                                            "Configuration file"]


@pytest.mark.parametrize("username", ["sales", "salesmgr", "sponsor"])
def test_non_admins_cannot_open_rights(app_env, username: str) -> None:
    at = signed_in(username)
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


@pytest.mark.parametrize("language", ["ur", "bg"])
def test_the_rights_page_speaks_the_users_language(app_env, language: str) -> None:
    at = signed_in("admin", PAGE, language=language)
    assert not at.exception, at.exception
    assert at.title[0].value != "Rights" and at.dataframe  # translated, and it got as far as its tables


def test_a_department_added_by_an_administrator_gets_rights_on_the_page_and_shows_in_the_table(app_env) -> None:
    from crm.core.database import session_scope
    from crm.settings.lists import add_value
    from tests.conftest import make_actor

    with session_scope() as session:
        add_value(make_actor(session, "admin"), "departments", {"en": "Key accounts"}, session=session)
    at = signed_in("admin", PAGE)
    assert "Key accounts" in next(s for s in at.selectbox if s.label == "Department").options
    choose(at, "insights.read", "staff", "key_accounts", "grant")
    next(b for b in at.button if b.label == "Apply this change").click().run()
    assert not at.exception, at.exception
    table = signed_in("admin", "pages/users.py").dataframe[-1].value
    row = table[table["Capability"] == "insights.read"].iloc[0]
    assert "Key accounts" in row["Staff"]
