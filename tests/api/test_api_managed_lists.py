"""Values an administrator adds to a managed list work through the API as on the pages: a new channel is
logged and filtered on; a value that is in no list is refused with the list's choices."""
from __future__ import annotations

from crm.core.database import session_scope
from crm.settings.lists import add_value
from tests.api.conftest import bearer, new_key
from tests.conftest import make_actor


def test_a_channel_added_by_an_administrator_is_logged_and_filtered_through_the_api(client) -> None:
    with session_scope() as session:
        add_value(make_actor(session, "admin"), "channels", {"en": "WhatsApp"}, session=session)
    secret = new_key("support")
    logged = client.post("/api/v1/interactions", headers=bearer(secret), json={
        "customer_id": 1, "channel": "whatsapp", "subject": "Asked for the invoice again"})
    assert logged.status_code == 201, logged.text
    assert logged.json()["channel"] == "whatsapp"

    found = client.get("/api/v1/interactions", params={"channel": "whatsapp"}, headers=bearer(secret))
    assert found.status_code == 200
    assert [r["subject"] for r in found.json()["items"]] == ["Asked for the invoice again"]

    refused = client.post("/api/v1/interactions", headers=bearer(secret), json={
        "customer_id": 1, "channel": "telegram", "subject": "Hello"})
    assert refused.status_code == 422
    assert "WhatsApp" in refused.text and "channel" in refused.text
