"""Users and Audit log pages (admins), lockout on the sign-in screen."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from crm.accounts.security import MAX_FAILED
from tests.app.helpers import APP, signed_in, texts
from tools.seed import DEMO_ACCOUNTS


def test_admin_creates_a_user_and_the_audit_log_shows_it(app_env) -> None:
    at = signed_in("admin", "pages/users.py")
    form = {t.label: t for t in at.text_input}
    form["Username"].input("dewi")
    form["Full name"].input("Dewi Lestari")
    form["Initial password (at least 10 characters)"].input("a long passphrase")
    next(b for b in at.button if b.label == "Create user").click().run()
    assert not at.exception
    assert "Created dewi." in texts(at)
    assert "dewi" in list(at.dataframe[0].value["Username"])
    log = signed_in("admin", "pages/audit_log.py")
    table = log.dataframe[0].value
    created = table[(table["Action"] == "Created") & (table["Record"] == "User: Dewi Lestari")]
    assert len(created) == 1
    row = created.iloc[0]
    assert row["User"] == DEMO_ACCOUNTS["admin"][0]  # a name, not a username or an id
    assert "Username: dewi" in row["Changes (before → after)"] and "Role: Staff" in row["Changes (before → after)"]
    shown = " ".join(str(v) for v in table.to_numpy().ravel())
    assert "{'" not in shown and "sign_in" not in shown and "user 4" not in shown


def test_audit_changes_read_as_labels_and_formatted_values() -> None:
    import datetime as dt

    from crm.core.audit import AuditRow
    from ui.audit_text import changes, record

    def row(entity: str, before: dict, after: dict, **names: str) -> AuditRow:  # type: ignore[type-arg]
        return AuditRow(1, dt.datetime(2026, 3, 1), "admin", "update", entity, "4", "page", before, after, None,
                        **names)

    assert changes(row("user", {"role": "staff", "active": True}, {"role": "manager", "active": False})) == \
        "Role: Staff → Manager; Active: yes → no"
    assert changes(row("budget_plan", {"status": "submitted"}, {"status": "approved"})) == \
        "Status: Submitted → Approved"
    assert changes(row("checklist_item", {"due_on": "2026-03-01"}, {"due_on": "2026-04-15"})) == \
        "Due on: Mar 1, 2026 → Apr 15, 2026"
    assert "1,250.00" in changes(row("budget_plan", {"planned": "1000"}, {"planned": "1250.00"}))
    assert record(row("user", {}, {}, record_name="Dewi Lestari")) == "User: Dewi Lestari"
    assert record(row("interaction", {}, {})) == "Interaction #4"
    assert record(AuditRow(2, dt.datetime(2026, 3, 1), None, "sign_off", "phase", "rollout", "page", None, None,
                           None)) == "Rollout phase: Rollout"


def test_users_page_shows_the_capability_table(app_env) -> None:
    at = signed_in("admin", "pages/users.py")
    matrix = at.dataframe[-1].value
    assert "users.manage" in list(matrix["Capability"])
    users_manage = matrix[matrix["Capability"] == "users.manage"].iloc[0]
    assert users_manage["Administrator"] == "all departments" and users_manage["Staff"] == "-"


@pytest.mark.parametrize("username", ["sales", "salesmgr", "sponsor", "budget"])
def test_non_admins_cannot_open_users_or_audit_log(app_env, username: str) -> None:
    at = signed_in(username)
    for page in ("pages/users.py", "pages/audit_log.py"):
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_repeated_wrong_passwords_lock_the_account_with_a_plain_message(app_env) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    for _ in range(MAX_FAILED):
        at.text_input[0].input("service")
        at.text_input[1].input("wrong password")
        at.button[0].click().run()
    assert "locked until" in texts(at)
    at.text_input[0].input("service")
    at.text_input[1].input("demo")
    at.button[0].click().run()
    assert "actor" not in at.session_state  # even the right password waits for the lock to lift


def test_admin_changes_an_account_from_the_users_page(app_env) -> None:
    at = signed_in("admin", "pages/users.py")
    account = next(s for s in at.selectbox if s.label == "Account")
    account.select(next(o for o in account.options if "(sales)" in o)).run()
    assert not at.exception
    role = [s for s in at.selectbox if s.label == "Role"][-1]  # the account's form (after "New user")
    assert role.value == "staff"
    role.select("manager")  # inside the form: sent with the submit
    next(b for b in at.button if b.label == "Save account").click().run()
    assert not at.exception
    assert "Saved sales" in texts(at)
    table = at.dataframe[0].value
    assert list(table[table["Username"] == "sales"]["Role"]) == ["Manager"]


@pytest.mark.parametrize("page", ["pages/users.py", "pages/audit_log.py"])
@pytest.mark.parametrize("language", ["ur", "bg"])
def test_admin_pages_render_in_other_languages(app_env, page: str, language: str) -> None:
    at = signed_in("admin", page, language=language)
    assert not at.exception, at.exception
    assert at.session_state["crm_language"] == language
    assert at.dataframe  # the page got as far as its table


def test_admin_makes_an_api_key_sees_its_secret_once_and_revokes_it(app_env) -> None:
    at = signed_in("admin", "pages/users.py")
    next(t for t in at.text_input if t.label == "Key name").input("web shop")
    next(s for s in at.selectbox if s.label == "Acts as user").select("sales")
    next(m for m in at.multiselect if m.label.startswith("Only these capabilities")).select("customers.read")
    next(b for b in at.button if b.label == "Create API key").click().run()
    assert not at.exception
    assert "Created the API key web shop" in texts(at)
    secret = at.code[0].value
    assert secret.startswith("crm_")
    at.run()  # the next run lists the key and no longer shows the secret
    assert not any(c.value == secret for c in at.code)
    keys = at.dataframe[1].value
    assert list(keys["Key"]) == ["web shop"] and list(keys["Last used"]) == ["never"]
    next(s for s in at.selectbox if s.label == "Revoke a key").select("web shop").run()
    next(b for b in at.button if b.label == "Revoke key").click().run()
    assert not at.exception
    assert "Revoked the API key web shop" in texts(at)
    assert list(at.dataframe[1].value["Revoked"]) != [""]


def test_admin_picks_the_currency_and_every_screen_shows_amounts_in_it(app_env) -> None:
    from crm.core import i18n

    try:
        budget = signed_in("budget", "pages/budget.py")
        assert next(m.value for m in budget.metric if m.label == "Planned").startswith("$")
        at = signed_in("admin", "pages/users.py")
        box = next(s for s in at.selectbox if s.label == "Currency of every amount")
        assert box.value == "USD"
        box.select("EUR")
        next(b for b in at.button if b.label == "Save currency").click().run()
        assert not at.exception
        assert "Amounts are now shown in Euro, e.g. €1,234.50." in texts(at)
        i18n.set_currency(None)  # what another server process holds: each run reads the setting
        budget = signed_in("budget", "pages/budget.py")
        assert next(m.value for m in budget.metric if m.label == "Planned").startswith("€")
        sales = signed_in("sales", "pages/customers.py")
        sales.text_input(key="cust_query").input("jose alvarez").run()
        sales.selectbox(key="cust_open").select_index(0).run()
        assert next(m.value for m in sales.metric if m.label == "Lifetime revenue").startswith("€")
        insights = signed_in("salesmgr", "pages/insights.py")
        assert next(m.value for m in insights.metric if m.label == "Revenue").startswith("€")
        assert "estimated cost of those not dropped: €" in texts(signed_in("it", "pages/requirements.py"))
    finally:
        i18n.set_currency(None)
