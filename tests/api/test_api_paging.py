"""Lists page with a cursor that stays right while others insert, and stale versions are refused: on SQLite and
PostgreSQL."""
from __future__ import annotations

import threading

from crm.core.database import session_scope
from crm.customers.service import create_customer
from tests.api.conftest import bearer, new_key, server
from tests.conftest import make_actor


def _add_customers(names: list[str]) -> list[int]:
    with session_scope() as session:
        sales = make_actor(session, "sales")
        return [create_customer(sales, {"name": n, "segment": "Paging"}, session=session).id for n in names]


def test_walking_the_customers_while_others_insert_skips_and_repeats_nothing(any_api: str) -> None:
    existing = _add_customers([f"Existing {i}" for i in range(23)])
    secret = new_key("sales")
    seen: list[int] = []
    inserted: list[int] = []
    with server() as client:
        cursor = None
        while True:
            params = {"segment": "Paging", "limit": 5, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/customers", params=params, headers=bearer(secret)).json()
            seen.extend(row["id"] for row in page["items"])
            # another system adds customers between two pages (from another thread, as another server would)
            adder = threading.Thread(target=lambda: inserted.extend(_add_customers([f"New {len(seen)}"])))
            adder.start()
            adder.join()
            if not page["has_more"]:
                break
            cursor = page["next_cursor"]
            assert len(page["items"]) == 5
    assert len(seen) == len(set(seen)), "a customer was repeated"
    assert set(existing) <= set(seen), "a customer that existed was skipped"
    assert seen == sorted(seen)


def test_history_pages_newest_first_without_repeats(any_api: str) -> None:
    (cid,) = _add_customers(["Talkative"])
    secret = new_key("sales")
    with server() as client:
        for i in range(7):
            assert client.post("/api/v1/interactions", headers=bearer(secret), json={
                "customer_id": cid, "channel": "call", "subject": f"Call {i}"}).status_code == 201
        first = client.get(f"/api/v1/customers/{cid}/history?limit=4", headers=bearer(secret)).json()
        rest = client.get(f"/api/v1/customers/{cid}/history", params={"limit": 4, "cursor": first["next_cursor"]},
                          headers=bearer(secret)).json()
    subjects = [i["subject"] for i in first["items"] + rest["items"]]
    assert subjects == [f"Call {i}" for i in reversed(range(7))]
    assert first["has_more"] and not rest["has_more"] and rest["next_cursor"] is None


def test_an_update_with_a_stale_version_is_409_and_changes_nothing(any_api: str) -> None:
    (cid,) = _add_customers(["Versioned"])
    secret = new_key("sales")
    with server() as client:
        read = client.get(f"/api/v1/customers/{cid}", headers=bearer(secret)).json()
        first = client.patch(f"/api/v1/customers/{cid}", json={"version": read["version"], "city": "Sofia"},
                             headers=bearer(secret))
        assert first.status_code == 200 and first.json()["version"] == read["version"] + 1
        stale = client.patch(f"/api/v1/customers/{cid}", json={"version": read["version"], "city": "Lahore"},
                             headers=bearer(secret))
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
        assert "Sari Wijaya" in stale.json()["error"]["message"]  # who changed it, as the page says
        assert client.get(f"/api/v1/customers/{cid}", headers=bearer(secret)).json()["city"] == "Sofia"
