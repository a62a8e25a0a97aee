"""Webhooks page: an admin registers a webhook and sees its secret once, pauses it and reads the delivery log;
managers and staff have no such page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.core.database import session_scope
from db.models import Webhook
from tests.app.helpers import button, signed_in, texts

PAGE = "pages/webhooks.py"


def test_an_admin_registers_a_webhook_and_sees_its_secret_once(app_env) -> None:
    at = signed_in("admin", PAGE)
    assert not at.exception and "No webhooks yet." in texts(at)
    at.text_input(key="wh_name").input("shop")
    at.text_input(key="wh_url").input("https://shop.example.org/crm-hooks")
    at.multiselect(key="wh_events").set_value(["customer.created", "customer.erased"])
    button(at, "Register webhook").click().run()
    assert not at.exception
    with session_scope(app_env) as session:
        secret = session.scalar(select(Webhook.secret))
    assert [c.value for c in at.code] == [secret] and "not shown again" in texts(at)
    shown = at.dataframe[0].value
    assert list(shown["Name"]) == ["shop"] and list(shown["Events"]) == ["Customer created, Customer erased"]
    at.toggle(key=f"wh_active_{1}").set_value(False)
    button(at, "Save changes").click().run()
    assert not at.exception and "shop saved." in texts(at)
    assert secret not in "".join(c.value for c in at.code)  # shown once only
    assert list(at.dataframe[0].value["Active"]) == [False]
    assert "No deliveries." in texts(at)


def test_a_bad_address_is_refused_with_every_problem(app_env) -> None:
    at = signed_in("admin", PAGE)
    at.text_input(key="wh_url").input("ftp://files.example.org")
    button(at, "Register webhook").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Nothing was saved" in shown and "https://" in shown and "at least one event" in shown
    assert not at.code


@pytest.mark.parametrize("username", ["salesmgr", "sales", "sponsor", "budget"])
def test_managers_and_staff_have_no_webhooks_page(app_env, username: str) -> None:
    at = signed_in(username)
    with pytest.raises(ValueError):
        at.switch_page(PAGE)
