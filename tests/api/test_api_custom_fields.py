"""Custom fields in the API: read as `custom: {code: value}`, written with the same validation (422 with every
field at once), filtered with `custom.<code>=value`, described in the OpenAPI schema as an object."""
from __future__ import annotations

import pytest

from crm.core.access import Actor
from crm.core.database import session_scope
from crm.settings.fields import add_field
from tests.api.conftest import bearer, new_key, server

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")


@pytest.fixture
def api(any_api: str):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        add_field(ADMIN, "customers", {"en": "Preferred branch"}, "choice", choices=["North", "South"], required=True,
                  session=session)
        add_field(ADMIN, "customers", {"en": "Credit limit"}, "money", session=session)
        add_field(ADMIN, "customers", {"en": "Contract end"}, "date", session=session)
        add_field(ADMIN, "interactions", {"en": "Satisfaction"}, "number", options={"min": 1, "max": 5},
                  session=session)
    with server() as client:
        yield client, bearer(new_key("admin", name="crm sync"))


def test_create_read_update_and_filter_with_custom_fields(api) -> None:
    client, auth = api
    created = client.post("/api/v1/customers", headers=auth, json={
        "name": "Ayu", "custom": {"preferred_branch": "North", "credit_limit": "1500.5", "contract_end": "2027-03-31"}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["custom"] == {"preferred_branch": "north", "credit_limit": "1500.50", "contract_end": "2027-03-31"}
    client.post("/api/v1/customers", headers=auth, json={"name": "Budi", "custom": {"preferred_branch": "South"}})
    changed = client.patch(f"/api/v1/customers/{body['id']}", headers=auth, json={
        "version": body["version"], "custom": {"credit_limit": None}})
    assert changed.status_code == 200 and changed.json()["custom"] == {"preferred_branch": "north",
                                                                       "contract_end": "2027-03-31"}
    assert client.get(f"/api/v1/customers/{body['id']}", headers=auth).json()["custom"]["preferred_branch"] == "north"
    found = client.get("/api/v1/customers", headers=auth, params={"custom.preferred_branch": "south"}).json()
    assert [c["name"] for c in found["items"]] == ["Budi"] and found["items"][0]["custom"] == {
        "preferred_branch": "south"}
    ranged = client.get("/api/v1/customers", headers=auth, params={"custom.contract_end": "2027-01-01.."}).json()
    assert [c["name"] for c in ranged["items"]] == ["Ayu"]
    unknown = client.get("/api/v1/customers", headers=auth, params={"custom.shoe_size": "42"})
    assert unknown.status_code == 422 and "custom.shoe_size" in unknown.json()["error"]["fields"]


def test_every_error_built_in_and_custom_in_one_422(api) -> None:
    client, auth = api
    refused = client.post("/api/v1/customers", headers=auth, json={
        "name": "", "email": "not-an-address", "custom": {"credit_limit": "lots", "contract_end": "31/02/2027",
                                                          "shoe_size": "42"}})
    assert refused.status_code == 422
    fields = refused.json()["error"]["fields"]
    assert {"name", "email", "preferred_branch", "credit_limit", "contract_end", "fields"} <= set(fields)


def test_interactions_take_and_give_custom_values_and_the_schema_describes_them(api) -> None:
    client, auth = api
    cid = client.post("/api/v1/customers", headers=auth,
                      json={"name": "Ayu", "custom": {"preferred_branch": "North"}}).json()["id"]
    bad = client.post("/api/v1/interactions", headers=auth, json={
        "customer_id": cid, "channel": "call", "subject": "Check-in", "custom": {"satisfaction": "9"}})
    assert bad.status_code == 422 and "satisfaction" in bad.json()["error"]["fields"]
    logged = client.post("/api/v1/interactions", headers=auth, json={
        "customer_id": cid, "channel": "call", "subject": "Check-in", "custom": {"satisfaction": 4}})
    assert logged.status_code == 201 and logged.json()["custom"] == {"satisfaction": "4"}
    listed = client.get("/api/v1/interactions", headers=auth, params={"custom.satisfaction": "3..5"}).json()
    assert [i["subject"] for i in listed["items"]] == ["Check-in"]
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert schema["CustomerOut"]["properties"]["custom"]["type"] == "object"
    assert "custom" in schema["CustomerIn"]["properties"] and "custom" in schema["InteractionIn"]["properties"]
