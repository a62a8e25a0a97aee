"""Customers page per role: search, open a profile, create with errors shown, masking."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm.core.i18n import use_language
from tests.app.helpers import exportable, signed_in, texts

PAGE = "pages/customers.py"
ROOT = Path(__file__).resolve().parents[2]


def test_search_finds_accented_name_and_opens_the_profile(app_env) -> None:
    at = signed_in("sales", PAGE)
    at.text_input(key="cust_query").input("jose alvarez").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["José Álvarez"]
    at.selectbox(key="cust_open").select_index(0).run()
    assert [h.value for h in at.header] == ["José Álvarez"]
    shown = texts(at)
    assert "jose.alvarez@alvarez-hermanos.es" in shown and "+34612345678" in shown
    assert any(m.label == "Lifetime margin" for m in at.metric)
    assert [t.label for t in at.tabs] == ["Timeline", "Products and purchases", "Support calls", "Surveys",
                                          "Consent history"]


def test_cyrillic_search_and_masking_for_roles_without_pii(app_env) -> None:
    at = signed_in("training", PAGE)
    at.text_input(key="cust_query").input("иван").run()
    at.multiselect(key="cust_columns").select("email").select("phone").run()
    table = at.dataframe[0].value
    assert "Иван Петров" in list(table["Name"])
    row = table[table["Name"] == "Иван Петров"].iloc[0]
    assert "•" in row["E-mail"] and "•" in row["Phone"]
    assert "New customer" not in [e.label for e in at.expander]  # training may not create customers


def fill_new_customer(at, values: dict[str, str]):  # type: ignore[no-untyped-def]
    """Type ``values`` (label -> text) into the new-customer form and press Save customer."""
    form_inputs = {t.label: t for t in at.text_input if t.key is None or not t.key.startswith("cust_")}
    for label, value in values.items():
        form_inputs[label].input(value)
    return next(b for b in at.button if b.label == "Save customer").click().run()


def test_create_customer_shows_every_error_and_saves_nothing(app_env) -> None:
    at = fill_new_customer(signed_in("service", PAGE), {
        "E-mail": "not-an-email", "Phone": "12", "Country (ISO code, e.g. ID, BG, PK)": "ES"})
    errors = " ".join(str(e.value) for e in at.error)
    assert "Nothing was saved" in errors
    assert "Name is required" in errors and "E-mail" in errors and "Phone" in errors
    at.text_input(key="cust_query").input("not-an-email").run()
    assert "0 customers" in texts(at)


def test_create_customer_then_profile_opens(app_env) -> None:
    at = fill_new_customer(signed_in("sales", PAGE), {
        "Name": "Dewi Lestari", "Company": "PT Maju", "Phone": "0811 2233 4455",
        "Country (ISO code, e.g. ID, BG, PK)": "id"})
    assert not at.exception
    assert [h.value for h in at.header] == ["Dewi Lestari"]
    assert "+6281122334455" in texts(at)


@pytest.mark.parametrize("username", ["hr", "comp", "budget", "sponsor", "it"])
def test_read_only_roles_see_the_list_but_no_write_tools(app_env, username: str) -> None:
    at = signed_in(username, PAGE)
    assert not at.exception
    assert "customers" in texts(at)
    labels = [e.label for e in at.expander]
    assert "New customer" not in labels and "Bulk edit" not in labels


def test_managers_export_from_the_list_page_once_per_click(app_env) -> None:
    from tests.app.test_import_page import _exports

    at = signed_in("salesmgr", PAGE)
    assert not at.get("download_button")
    before = _exports(app_env)
    next(b for b in at.button if b.label == "Prepare export files").click().run()
    assert not at.exception
    assert _exports(app_env) == before + 1  # one click, one export, one audit row
def test_managers_export_from_the_list_page(app_env) -> None:
    everyone, consenting = exportable(app_env)
    assert 0 < consenting < everyone  # the demo data has both kinds of customer
    at = signed_in("salesmgr", PAGE)
    assert not at.get("download_button")  # nothing is prepared before the click
    next(b for b in at.button if b.label == "Prepare export files").click().run()
    assert not at.exception
    assert f"{everyone} customers." in [c.value for c in at.caption]
    assert [d.proto.label for d in at.get("download_button")] == ["Download CSV", "Download Excel"]


def test_export_for_a_third_party_leaves_out_customers_without_consent(app_env) -> None:
    everyone, consenting = exportable(app_env)
    at = signed_in("salesmgr", PAGE)
    at.checkbox(key="cust_export_third").check().run()
    next(b for b in at.button if b.label == "Prepare export files").click().run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert f"{consenting} customers; {everyone - consenting} left out without consent." in captions
    assert f"{everyone} customers." not in captions
    assert [d.proto.label for d in at.get("download_button")] == ["Download CSV", "Download Excel"]


@pytest.mark.parametrize("language", ["ur", "bg", "id"])
def test_list_and_profile_render_in_every_language(app_env, tmp_path, language: str) -> None:
    # AppTest.switch_page runs the page without app.py, so app.py's apply_language() never reaches the
    # page: a wrapper sets the language and runs the page. (signed_in(..., language=...) also stops
    # at "database is locked" in app.py for now: the language is saved in a second transaction
    # while current_actor's is still open -- reported to the lead.)
    who = signed_in("sales").session_state["actor"]
    wrapper = tmp_path / "page_in_language.py"
    wrapper.write_text(
        "import runpy\nimport streamlit as st\nfrom crm.core.i18n import set_language\n"
        "set_language(st.session_state['crm_language'])\n"
        f"runpy.run_path({str(ROOT / PAGE)!r}, run_name='__main__')\n", encoding="utf-8")
    at = AppTest.from_file(str(wrapper), default_timeout=30)
    at.session_state["actor"] = who
    at.session_state["crm_language"] = language
    with use_language(language):  # AppTest calls the widgets' format_func in this thread
        at.run()
        assert not at.exception
        assert at.dataframe  # the list
        at.selectbox(key="cust_open").select_index(0).run()
        assert not at.exception
        assert at.header  # the profile opened


@pytest.mark.parametrize("language, headers, online", [
    (None, ["Receipt", "Date", "Channel", "Total", "Margin"], "Online"),
    ("bg", ["Касова бележка", "Дата", "Канал", "Общо", "Марж"], "Онлайн"),
])
def test_profile_purchases_show_translated_headers_and_channel_labels(app_env, language, headers, online) -> None:
    at = signed_in("sales", PAGE, language=language)
    at.text_input(key="cust_query").input("Jaiman Sudiati").run()
    at.selectbox(key="cust_open").select_index(0).run()
    assert not at.exception
    purchases = next(d.value for d in at.dataframe if list(d.value.columns) == headers)
    assert list(purchases[headers[2]]) == [online]  # the stored code "online", shown as its label


def test_logging_an_interaction_on_the_profile_updates_its_timeline_at_once(app_env) -> None:
    at = signed_in("support", PAGE)
    at.text_input(key="cust_query").input("jose alvarez").run()
    at.selectbox(key="cust_open").select_index(0).run()

    def timeline_caption() -> str:
        return next(str(c.value) for c in at.caption if "from every department, newest first" in str(c.value))

    before = timeline_caption()
    count = int(before.split()[0])
    subjects = [t for t in at.text_input if t.label == "Subject"]
    subjects[0].input("Asked about the mobile app")
    next(b for b in at.button if b.label == "Log interaction").click().run()
    assert not at.exception
    assert any("every department sees it now" in str(s.value) for s in at.success)
    assert timeline_caption().startswith(f"{count + 1} interaction")
    assert "Asked about the mobile app" in list(at.dataframe[0].value["Subject"])
