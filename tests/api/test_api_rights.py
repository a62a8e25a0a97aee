"""The API follows an administrator's change of rights from the next request, on every server."""
from __future__ import annotations

from crm.core.database import session_scope
from crm.settings import rights
from tests.api.conftest import bearer, new_key, server
from tests.conftest import make_actor


def test_a_revoked_right_is_refused_from_the_next_request_on_every_server(demo_api) -> None:
    secret = new_key("hr")
    with server() as first, server() as second:
        assert first.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
        assert second.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
        with session_scope() as session:
            rights.revoke(make_actor(session, "admin"), "customers.read", "staff", "hr_development",
                          session=session)
        for each in (first, second):
            refused = each.get("/api/v1/customers", headers=bearer(secret))
            assert refused.status_code == 403 and "customers.read" in refused.text
        with session_scope() as session:
            rights.reset(make_actor(session, "admin"), "customers.read", "staff", "hr_development", session=session)
        assert second.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
