"""Who may call what: keys, roles, narrowed keys, masking, audit rows, revocation, rate limits, languages."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from crm.accounts.api_keys import authenticate, create_key, list_keys, revoke_key
from crm.core.database import session_scope
from crm.core.errors import PermissionDenied, ValidationError
from db.models import ApiKey, AuditEvent
from tests.api.conftest import bearer, new_key, server
from tests.conftest import make_actor

NEW_CUSTOMER = {"name": "Api Test Ltd", "email": "buyer@api-test.example", "phone": "+6281234567890",
                "country": "ID"}
# (method, path, body) of an endpoint -> the capability it needs
ENDPOINTS = {
    ("GET", "/api/v1/customers", None): "customers.read",
    ("GET", "/api/v1/customers/1", None): "customers.read",
    ("GET", "/api/v1/customers/1/history", None): "customers.read",
    ("POST", "/api/v1/customers", "customer"): "customers.write",
    ("PATCH", "/api/v1/customers/1", "patch"): "customers.write",
    ("POST", "/api/v1/customers/2/archive", None): "customers.write",
    ("GET", "/api/v1/interactions", None): "customers.read",
    ("POST", "/api/v1/interactions", "interaction"): "interactions.write",
    ("POST", "/api/v1/products", "products"): "data.import",
    ("POST", "/api/v1/receipts", "receipts"): "data.import",
    ("POST", "/api/v1/survey-answers", "survey"): "surveys.write",
    ("GET", "/api/v1/checklist/items", None): "checklist.read",
    ("GET", "/api/v1/checklist/phases", None): "checklist.read",
    ("GET", "/api/v1/budget-plans", None): "budget.read",
}
BODIES = {
    "customer": NEW_CUSTOMER,
    "patch": {"version": 1, "segment": "SMB"},
    "interaction": {"customer_id": 1, "channel": "call", "subject": "Asked about prices",
                    "feedback_kind": "feature_request", "tags": ["pricing"]},
    "products": {"source": "shop", "records": [{"sku": "API-1", "name": "Api widget", "price": 12.5}]},
    "receipts": {"source": "shop", "unknown_products": "create",
                 "records": [{"number": "R-1", "customer": "jose.alvarez@alvarez-hermanos.es", "purchased_at": "2026-01-05T10:00:00Z",
                              "sku": "API-2", "product_name": "Api gadget", "quantity": 2, "unit_price": 5}]},
    "survey": {"customer_id": 1, "score": 9, "reason_first": "Price"},
}


def _call(client, method: str, path: str, body: str | None, secret: str):  # type: ignore[no-untyped-def]
    if "/customers/1" in path and method == "PATCH":
        version = client.get("/api/v1/customers/1", headers=bearer(secret)).json().get("version", 1)
        return client.patch(path, json={**BODIES[body], "version": version}, headers=bearer(secret))
    return client.request(method, path, json=BODIES[body] if body else None, headers=bearer(secret))


@pytest.mark.parametrize("username", ["admin", "sales", "training", "budget", "sponsor", "salesmgr"])
def test_every_endpoint_answers_each_role_as_its_capabilities_say(client, username: str) -> None:
    from crm.core.access import can

    secret = new_key(username)
    with session_scope() as session:
        who = make_actor(session, username)
    for (method, path, body), capability in ENDPOINTS.items():
        response = _call(client, method, path, body, secret)
        if can(who, capability):
            assert response.status_code in (200, 201), (username, method, path, response.text)
        else:
            assert response.status_code == 403, (username, method, path, response.text)
            assert response.json()["error"]["code"] == "forbidden"
            assert capability in response.json()["error"]["message"]


def test_a_narrowed_key_may_only_what_it_was_given(client) -> None:
    secret = new_key("salesmgr", ["customers.read", "interactions.write"])
    for (method, path, body), capability in ENDPOINTS.items():
        response = _call(client, method, path, body, secret)
        if capability in ("customers.read", "interactions.write", "checklist.read"):
            expected = {200, 201} if capability != "checklist.read" else {403}
        else:
            expected = {403}
        assert response.status_code in expected, (method, path, response.text)


def test_contact_details_are_masked_for_a_key_without_read_pii_and_reads_are_audited(client) -> None:
    full, narrowed = new_key("sales"), new_key("sales", ["customers.read"], name="sales-no-pii")
    shown = client.get("/api/v1/customers/1", headers=bearer(full)).json()
    masked = client.get("/api/v1/customers/1", headers=bearer(narrowed)).json()
    assert shown["pii_visible"] and "•" not in shown["email"]
    assert not masked["pii_visible"] and "•••" in masked["email"] and "••••" in masked["phone"]
    listed = client.get("/api/v1/customers?limit=5", headers=bearer(narrowed)).json()["items"]
    assert all("•••" in row["email"] for row in listed if row["email"])
    # a search by e-mail does not tell a key without read_pii who has that address
    email = shown["email"]
    assert client.get("/api/v1/customers", params={"q": email}, headers=bearer(narrowed)).json()["items"] == []
    assert [r["id"] for r in client.get("/api/v1/customers", params={"q": email},
                                        headers=bearer(full)).json()["items"]] == [1]
    with session_scope() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "read_pii")).all()
    assert {(e.source, e.username) for e in reads} == {("api", "sales (key sales-key)")}
    assert any(e.entity_id == "1" for e in reads) and any(e.after and 1 in e.after["ids"] for e in reads)


def test_every_write_is_audited_with_source_api_and_the_key_name(client) -> None:
    secret = new_key("admin", name="shop sync")
    created = client.post("/api/v1/customers", json=NEW_CUSTOMER, headers=bearer(secret))
    assert created.status_code == 201
    cid = created.json()["id"]
    changed = client.patch(f"/api/v1/customers/{cid}", json={"version": created.json()["version"], "city": "Bandung"},
                           headers=bearer(secret))
    assert changed.status_code == 200 and changed.json()["city"] == "Bandung"
    assert client.post(f"/api/v1/customers/{cid}/archive", headers=bearer(secret)).status_code == 200
    logged = client.post("/api/v1/interactions", headers=bearer(secret), json={
        "customer_id": cid, "channel": "email", "subject": "Complained about delivery", "feedback_kind": "complaint"})
    assert logged.status_code == 201 and logged.json()["feedback_kind"] == "complaint"
    assert client.post("/api/v1/survey-answers", json={"customer_id": cid, "score": 7},
                       headers=bearer(secret)).status_code == 201
    with session_scope() as session:
        rows = session.execute(select(AuditEvent.action, AuditEvent.entity, AuditEvent.source, AuditEvent.username)
                               .where(AuditEvent.username.like("%shop sync%"))).all()
    assert {(a, e) for a, e, _s, _u in rows} >= {("create", "customer"), ("update", "customer"),
                                                  ("archive", "customer"), ("create", "interaction"),
                                                  ("create", "survey_response")}
    assert {(s, u) for _a, _e, s, u in rows} == {("api", "admin (key shop sync)")}


def test_products_and_receipts_upsert_by_source_and_external_id_as_the_import_does(client) -> None:
    secret = new_key("admin")
    first = client.post("/api/v1/products", headers=bearer(secret), json={"source": "shop", "records": [
        {"sku": "W-1", "name": "Widget", "price": "10.00", "stock": 5}, {"sku": "W-2"}]}).json()
    assert [r["outcome"] for r in first["records"]] == ["imported", "rejected"]
    assert first["records"][1]["index"] == 1 and "name" in first["records"][1]["reasons"].lower()
    again = client.post("/api/v1/products", headers=bearer(secret), json={"source": "shop", "records": [
        {"sku": "W-1", "price": 11}]}).json()
    assert again["records"][0]["outcome"] == "updated" and again["records"][0]["id"] == first["records"][0]["id"]
    email = client.get("/api/v1/customers/1", headers=bearer(secret)).json()["email"]
    receipt = {"number": "R-9", "customer": email, "purchased_at": "2026-02-01T09:30:00", "sku": "W-1", "quantity": 2,
               "unit_price": 11}
    made = client.post("/api/v1/receipts", headers=bearer(secret), json={"source": "shop", "records": [receipt]})
    assert made.status_code == 200, made.text
    assert made.json()["records"][0]["outcome"] == "imported", made.json()
    same = client.post("/api/v1/receipts", headers=bearer(secret), json={"source": "shop", "records": [receipt]})
    assert same.json()["records"][0]["outcome"] in ("duplicate", "updated")


def test_without_a_valid_key_every_call_is_401(client) -> None:
    assert client.get("/api/v1/customers").status_code == 401
    assert client.get("/api/v1/customers", headers={"Authorization": "Basic abc"}).status_code == 401
    secret = new_key("sales")
    wrong = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")  # right prefix, wrong secret
    answer = client.get("/api/v1/customers", headers=bearer(wrong))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_bad_key_is_told_so_before_anything_about_its_input(client) -> None:
    secret, tired = new_key("sales"), new_key("sales", name="tired", rate=1)
    assert client.get("/api/v1/checklist/phases", headers=bearer(tired)).status_code == 200  # its one a minute
    wrong = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    bad_inputs = [("GET", "/api/v1/customers?limit=0", None), ("GET", "/api/v1/customers?cursor=zzz", None),
                  ("GET", "/api/v1/customers/0", None), ("POST", "/api/v1/customers", {"email": "nope"}),
                  ("POST", "/api/v1/customers", "{not json")]
    for method, path, body in bad_inputs:
        sent = {"content": body} if isinstance(body, str) else {"json": body}
        answer = client.request(method, path, headers=bearer(wrong), **sent)
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "unauthorized"), (path, body)
        answer = client.request(method, path, headers=bearer(tired), **sent)
        assert answer.status_code == 429 and "Retry-After" in answer.headers, (path, body)
        assert client.request(method, path, headers=bearer(secret), **sent).status_code == 422, (path, body)


def test_any_path_under_api_gets_the_apis_json_errors_even_with_a_line_break_in_it(client) -> None:
    secret = new_key("sales")
    for path in ("/api/v1/customers/a%0Ab/archive", "/api/v1/no%0Asuch", "/api/%0A"):
        answer = client.post(path, headers=bearer(secret))
        assert answer.headers["content-type"] == "application/json", path
        assert answer.status_code in (404, 422) and answer.json()["error"]["code"] in ("not_found", "validation_error")


def test_a_revoked_key_is_refused_at_once_by_another_server_on_the_same_database(demo_api: str) -> None:
    secret = new_key("sales", name="helpdesk")
    with server() as one, server() as two:
        assert one.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
        assert two.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
        answer = one.get("/api/v1/customers", headers=bearer(secret))
        with session_scope() as session:
            revoke_key(make_actor(session, "admin"), "helpdesk", session=session)
        assert answer.status_code == 200
        assert two.get("/api/v1/customers", headers=bearer(secret)).status_code == 401
        assert one.get("/api/v1/customers", headers=bearer(secret)).status_code == 401


def test_an_expired_key_and_a_deactivated_user_are_refused(demo_api: str) -> None:
    secret = new_key("sales")
    with session_scope() as session:
        assert authenticate(secret, session=session) is not None
        later = dt.datetime(2999, 1, 1, tzinfo=dt.timezone.utc)
        key = session.scalar(select(ApiKey))
        key.expires_on = dt.date(2998, 12, 31)
        session.flush()
        assert authenticate(secret, session=session, now=later) is None


def test_a_keys_caller_is_its_user_named_after_the_key_and_narrowed(demo_api: str) -> None:
    from crm.accounts.users import actor_for
    from db.models import User

    secret = new_key("sales", name="shop")
    with session_scope() as session:
        found = authenticate(secret, session=session)
        user = actor_for("sales", session=session, source="api")
        assert found is not None and found.key_name == "shop"
        assert found.actor == dataclasses.replace(user, username="sales (key shop)")
        assert (found.actor.full_name, found.actor.language, found.actor.time_zone) == (
            user.full_name, user.language, user.time_zone)
        _info, narrowed = create_key(make_actor(session, "admin"), "narrow", "sales", ["customers.read"],
                                     session=session)
        assert authenticate(narrowed, session=session).actor.only == frozenset({"customers.read"})
        session.scalar(select(User).where(User.username == "sales")).active = False
        session.flush()
        assert authenticate(secret, session=session) is None  # a deactivated user's keys stop at once


def test_a_key_beyond_its_rate_gets_429_with_retry_after(client) -> None:
    secret = new_key("sales", rate=3)
    answers = [client.get("/api/v1/checklist/phases", headers=bearer(secret)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    other = new_key("service")  # another key is not slowed down
    assert client.get("/api/v1/checklist/phases", headers=bearer(other)).status_code == 200


def test_errors_come_in_the_language_of_accept_language_with_every_field_at_once(client) -> None:
    secret = new_key("sales")
    english = client.post("/api/v1/customers", json={"email": "nope", "status": "gone"}, headers=bearer(secret))
    assert english.status_code == 422
    body = english.json()["error"]
    assert body["code"] == "validation_error" and set(body["fields"]) == {"name", "email", "status"}
    assert body["fields"]["name"] == "Name is required."
    for language in ("id", "bg-BG,bg;q=0.9,en;q=0.8", "ur"):
        answer = client.post("/api/v1/customers", json={"email": "nope"}, headers=bearer(secret, language))
        assert answer.json()["error"]["fields"]["name"] != "Name is required.", language
    schema_error = client.get("/api/v1/customers?limit=0", headers=bearer(secret, "bg")).json()["error"]
    assert schema_error["code"] == "validation_error" and "limit" in schema_error["fields"]
    assert client.get("/api/v1/customers/999999", headers=bearer(secret)).status_code == 404
    bad_cursor = client.get("/api/v1/customers?cursor=zzz", headers=bearer(secret))
    assert bad_cursor.status_code == 422 and "cursor" in bad_cursor.json()["error"]["fields"]


def test_the_key_service_is_for_administrators_and_checks_its_input(demo_api: str) -> None:
    with session_scope() as session:
        admin, sales = make_actor(session, "admin"), make_actor(session, "sales")
        with pytest.raises(PermissionDenied):
            create_key(sales, "mine", "sales", session=session)
        with pytest.raises(ValidationError) as bad:
            create_key(admin, "", "nobody", ["no.such"], dt.date(2000, 1, 1), session=session)
        assert set(bad.value.errors) == {"name", "username", "capabilities", "expires_on"}
        with pytest.raises(ValidationError) as beyond:
            create_key(admin, "x", "training", ["customers.read_pii"], session=session)
        assert "customers.read_pii" in beyond.value.errors["capabilities"]
        info, secret = create_key(admin, "shop", "sales", ["customers.read"], session=session)
        assert secret.startswith("crm_") and info.capabilities == ("customers.read",)
        stored = session.scalar(select(ApiKey).where(ApiKey.name == "shop"))
        assert secret not in (stored.secret_hash, stored.prefix) and stored.secret_hash != secret
        with pytest.raises(ValidationError):
            create_key(admin, "shop", "sales", session=session)  # the name is taken
        assert [k.name for k in list_keys(admin, session=session)] == ["shop"]


def test_last_use_is_noted_at_most_once_a_minute(demo_api: str) -> None:
    secret = new_key("sales")
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    for seconds, expected in ((0, start), (30, start), (61, start + dt.timedelta(seconds=61))):
        with session_scope() as session:
            authenticate(secret, session=session, now=start + dt.timedelta(seconds=seconds))
        with session_scope() as session:
            assert session.scalar(select(ApiKey.last_used_at)) == expected


def test_the_checklist_says_which_items_the_portal_ticks_itself_in_the_callers_language(client) -> None:
    secret = new_key("sponsor")
    items, cursor = [], None
    while True:
        page = client.get("/api/v1/checklist/items" + (f"?cursor={cursor}" if cursor else ""),
                          headers=bearer(secret)).json()
        items += page["items"]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    measured = {i["title"]: i["measured_by"] for i in items if i["measured_by"]}
    assert len(measured) == 3 and len(items) > 3
    assert any("approved budget plan" in rule for rule in measured.values())
    in_bulgarian = client.get("/api/v1/checklist/items?limit=200", headers=bearer(secret, "bg")).json()["items"]
    rules = {i["measured_by"] for i in in_bulgarian if i["measured_by"]}
    assert len(rules) == 3 and not rules & set(measured.values())
