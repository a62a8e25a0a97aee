"""Settings pages: an admin adds, renames, deactivates and merges list values and edits the templates; the
interaction form then offers only active channels; staff and managers have no such pages."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.core.database import session_scope
from db.models import ChecklistTemplateItem, Customer, ListValue
from tests.app.helpers import button, signed_in, texts

LISTS = "pages/settings_lists.py"
TEMPLATES = "pages/settings_templates.py"


def test_an_admin_adds_renames_and_deactivates_a_channel_and_forms_stop_offering_it(app_env) -> None:
    at = signed_in("admin", LISTS)
    assert not at.exception and "Lists of values" in texts(at)
    at.selectbox(key="lists_chosen").set_value("channels").run()
    at.text_input(key="lists_channels_add_en").input("Fax")
    at.text_input(key="lists_channels_add_id").input("Faks")
    button(at, "Add value").click().run()
    assert not at.exception and "Added “Fax”." in texts(at)
    assert "Fax" in list(at.dataframe[0].value["Value"])

    at.selectbox(key="lists_channels_chosen").set_value("chat").run()
    button(at, "Deactivate").click().run()
    assert not at.exception and "no longer offered" in texts(at)

    form = signed_in("sales", "pages/interactions.py")
    channels = [s for s in form.selectbox if s.label == "Channel"]  # the form's and the filter's
    assert channels and all("Fax" in s.options and "Chat" not in s.options for s in channels)


def test_a_duplicate_value_is_refused_with_a_message(app_env) -> None:
    at = signed_in("admin", LISTS)
    at.selectbox(key="lists_chosen").set_value("feedback_kinds").run()
    at.text_input(key="lists_feedback_kinds_add_en").input("complaint")
    button(at, "Add value").click().run()
    assert not at.exception and "already in this list" in texts(at)


def test_an_admin_merges_two_segments(app_env) -> None:
    with session_scope(app_env) as session:
        segments = [s for s, in session.execute(select(Customer.segment).where(Customer.segment.is_not(None))
                                                .group_by(Customer.segment).order_by(func.count().desc()))]
        moved = session.scalar(select(func.count()).select_from(Customer).where(Customer.segment == segments[1]))
    at = signed_in("admin", LISTS)
    at.selectbox(key="lists_segments_src").set_value(segments[1]).run()
    at.selectbox(key="lists_segments_dst").set_value(segments[0]).run()
    button(at, "Merge values").click().run()
    assert not at.exception and f"{moved} records moved" in texts(at).replace(",", "")
    with session_scope(app_env) as session:
        assert not session.scalar(select(func.count()).select_from(Customer).where(Customer.segment == segments[1]))


def test_an_admin_adds_a_checklist_template_item_and_a_budget_category(app_env) -> None:
    at = signed_in("admin", TEMPLATES)
    assert not at.exception and "Checklist template" in texts(at)
    at.text_input(key="tpl_add_title").input("Celebrate the launch")
    at.number_input(key="tpl_add_days").set_value(120)
    button(at, "Add item").click().run()
    assert not at.exception and "Added “Celebrate the launch” to the template." in texts(at)
    at.text_input(key="tpl_budget_add_en").input("Events")
    next(b for b in at.button if b.label == "Add value").click().run()
    assert not at.exception and "Added “Events”." in texts(at)
    with session_scope(app_env) as session:
        assert session.scalar(select(ChecklistTemplateItem.days).where(
            ChecklistTemplateItem.title == "Celebrate the launch")) == 120
        assert session.scalar(select(ListValue.code).where(ListValue.list_code == "budget_categories")) == "events"


@pytest.mark.parametrize("username", ["sales", "salesmgr", "sponsor", "it"])
@pytest.mark.parametrize("page", [LISTS, TEMPLATES])
def test_staff_and_managers_have_no_settings_pages(app_env, username: str, page: str) -> None:
    at = signed_in(username)
    with pytest.raises(ValueError):
        at.switch_page(page)
