"""Custom fields page: an admin adds a field without a code change; staff see it on the customer form, fill it
and find it on the profile; only admins have the page."""
from __future__ import annotations

import pytest

from tests.app.helpers import button, signed_in, texts
from tests.app.test_customers_page import fill_new_customer

PAGE = "pages/settings_fields.py"


def _add_choice_field(at, label: str, choices: str, *, required: bool = False, default: str = ""):  # type: ignore[no-untyped-def]
    at.text_input(key="cf_new_label_en").input(label)
    at.selectbox(key="cf_new_type").set_value("choice").run()
    at.text_area(key="cf_new_choices").input(choices)
    if required:
        at.checkbox(key="cf_new_required").check().run()
        at.text_input(key="cf_new_default").input(default)
    return button(at, "Add field").click().run()


def test_admin_adds_a_field_and_staff_fill_it_on_the_customer_form(app_env) -> None:
    at = signed_in("admin", PAGE)
    assert not at.exception and "No custom fields yet." in texts(at)
    at = _add_choice_field(at, "Preferred branch", "North | Utara\nSouth | Selatan")
    assert not at.exception and "Field “Preferred branch” added." in texts(at)
    shown = at.dataframe[0].value
    assert list(shown["Label"]) == ["Preferred branch"] and list(shown["Choices"]) == ["North, South"]
    assert at.text_input(key="cf_new_label_en").value == ""  # the add form starts afresh

    staff = signed_in("sales", "pages/customers.py")
    branch = staff.selectbox(key="new_cf_preferred_branch")
    assert branch.label == "Preferred branch"
    branch.set_value("south")
    staff = fill_new_customer(staff, {"Name": "Dewi Lestari"})
    assert not staff.exception
    assert [h.value for h in staff.header] == ["Dewi Lestari"]
    assert "**Preferred branch** South" in texts(staff)
    assert staff.selectbox(key=next(s.key for s in staff.selectbox if str(s.key).endswith("_cf_preferred_branch"))
                           ).value == "south"  # the edit form shows the saved value


def test_every_problem_is_shown_at_once_and_a_required_field_asks_for_a_default(app_env) -> None:
    at = signed_in("admin", PAGE)
    at.selectbox(key="cf_new_type").set_value("number").run()
    at.text_input(key="cf_new_min").input("10")
    at.text_input(key="cf_new_max").input("5")
    at.checkbox(key="cf_new_required").check().run()
    button(at, "Add field").click().run()
    errors = " ".join(str(e.value) for e in at.error)
    assert "Nothing was saved" in errors and "English label is required" in errors and "maximum" in errors
    at = _add_choice_field(signed_in("admin", PAGE), "Tier", "Gold\nSilver", required=True)
    errors = " ".join(str(e.value) for e in at.error)
    assert "Existing records without a value" in errors
    at.text_input(key="cf_new_default").input("Gold")
    button(at, "Add field").click().run()
    assert not at.exception and "Field “Tier” added." in texts(at)


def test_admin_deactivates_a_field_and_the_form_no_longer_shows_it(app_env) -> None:
    at = _add_choice_field(signed_in("admin", PAGE), "Preferred branch", "North\nSouth")
    button(at, "Deactivate").click().run()
    assert not at.exception and "deactivated; its values are kept" in texts(at)
    assert list(at.dataframe[0].value["Active"]) == ["No"]
    staff = signed_in("sales", "pages/customers.py")
    assert not [s for s in staff.selectbox if str(s.key).endswith("_cf_preferred_branch")]


@pytest.mark.parametrize("username", ["salesmgr", "sales"])
def test_only_admins_have_the_custom_fields_page(app_env, username: str) -> None:
    at = signed_in(username)
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_the_interaction_form_shows_custom_fields_and_checks_them_with_the_built_in_ones(app_env) -> None:
    from crm.accounts.users import SYSTEM
    from crm.core.database import session_scope
    from crm.settings.field_values import values_of
    from crm.settings.fields import add_field
    from db.models import Interaction
    from sqlalchemy import func, select

    with session_scope(app_env) as session:
        add_field(SYSTEM, "interactions", {"en": "Satisfaction"}, "number", options={"min": 1, "max": 5},
                  required=True, help={"en": "1 (poor) to 5 (great)"}, default_for_existing="3", session=session)
    at = signed_in("support", "pages/interactions.py")
    at.text_input(key="log_find").input("Иван Петров").run()
    score = at.text_input(key="log_interaction_cf_satisfaction")
    assert score.label == "Satisfaction *" and score.help == "1 (poor) to 5 (great)"
    score.input("9")
    button(at, "Log interaction").click().run()
    errors = " ".join(str(e.value) for e in at.error)
    assert "Subject is required" in errors and "Satisfaction must be at most 5" in errors
    at.text_input(key="log_interaction_cf_satisfaction").input("4")
    next(t for t in at.text_input if t.label == "Subject").input("Asked about the invoice")
    button(at, "Log interaction").click().run()
    assert any("every department sees it now" in str(s.value) for s in at.success), texts(at)
    with session_scope(app_env) as session:
        newest = session.scalar(select(func.max(Interaction.id)))
        assert values_of(session, "interactions", [newest])[newest] == {"satisfaction": 4}
        customer_id = session.get(Interaction, newest).customer_id
    profile = signed_in("support", "pages/customers.py")
    profile.session_state["customer_id"] = customer_id
    profile.run()
    timeline = next(d.value for d in profile.dataframe if "Subject" in d.value.columns and "Who" in d.value.columns
                    and "Channel" in d.value.columns)
    assert "4" in list(timeline["Satisfaction"])  # the timeline shows the interactions' custom fields


def test_saving_the_edit_form_keeps_a_number_as_it_was_stored(app_env) -> None:
    from decimal import Decimal

    from crm.accounts.users import SYSTEM
    from crm.core.database import session_scope
    from crm.customers.service import create_customer, get_customer
    from crm.settings.fields import add_field

    with session_scope(app_env) as session:
        add_field(SYSTEM, "customers", {"en": "Weight"}, "number", options={"decimals": 3}, session=session)
        cid = create_customer(SYSTEM, {"name": "Zed Weigher"}, custom={"weight": Decimal("1234.567")},
                              session=session).id
    at = signed_in("sales", "pages/customers.py")
    at.session_state["customer_id"] = cid
    at.run()
    assert "**Weight** 1,234.567" in texts(at)
    weight = at.text_input(key=f"edit_{cid}_cf_weight")
    assert weight.value == "1234.567"
    button(at, "Save customer").click().run()
    assert not at.exception and "Saved." in texts(at)
    with session_scope(app_env) as session:
        assert get_customer(SYSTEM, cid, session=session).custom == {"weight": Decimal("1234.567")}


def test_each_type_gets_its_own_input_on_the_customer_form(app_env) -> None:
    from crm.core.database import session_scope
    from tests.unit.test_custom_fields import define_every_type

    with session_scope(app_env) as session:
        define_every_type(session)
    at = signed_in("sales", "pages/customers.py")
    kinds = {"text_input": ["nickname", "staff_count", "credit_limit", "billing_e_mail", "website"],
             "text_area": ["story"], "date_input": ["contract_end"], "selectbox": ["key_account", "preferred_branch"],
             "multiselect": ["interests"]}
    for kind, codes in kinds.items():
        keys = {w.key for w in getattr(at, kind)}
        assert {f"new_cf_{code}" for code in codes} <= keys, kind
    assert at.selectbox(key="new_cf_preferred_branch").options == ["(none)", "North", "South"]
    at.selectbox(key="new_cf_key_account").set_value(True)
    at.multiselect(key="new_cf_interests").set_value(["cloud", "support"])
    at.text_input(key="new_cf_credit_limit").input("2.500,75")
    at = fill_new_customer(at, {"Name": "Every Type"})
    assert not at.exception
    assert "**Key account** Yes" in texts(at) and "**Interests** Cloud, Support" in texts(at)
    assert "**Credit limit** 2,500.75" in texts(at)
