"""`python -m crm api-key ...` as an operator runs it, and the key it prints works against the API."""
from __future__ import annotations

from pathlib import Path

from tests.api.conftest import bearer, server
from tests.unit.test_cli import run_cli


def test_create_prints_the_secret_last_list_shows_last_use_and_revoke_refuses_it(demo_api: str) -> None:
    db = Path(demo_api.removeprefix("sqlite:///"))
    made = run_cli("api-key", "create", "web shop", "--user", "sales", "--capability", "customers.read",
                   "--expires", "2999-12-31", db=db)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("crm_") and " " not in secret
    with server() as client:
        listed = client.get("/api/v1/customers?limit=2", headers=bearer(secret))
        assert listed.status_code == 200 and "•••" in listed.json()["items"][0]["email"]  # narrowed: no contact data
        assert client.post("/api/v1/customers", json={"name": "X"}, headers=bearer(secret)).status_code == 403
        shown = run_cli("api-key", "list", db=db)
        assert "web shop" in shown.stdout and "user=sales" in shown.stdout and "last used=-" not in shown.stdout
        assert secret not in shown.stdout
        assert run_cli("api-key", "revoke", "web shop", db=db).returncode == 0
        assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 401
    assert "revoked" in run_cli("api-key", "list", db=db).stdout
    refused = run_cli("api-key", "create", "x", "--user", "nobody", "--capability", "no.such", db=db)
    assert refused.returncode == 1 and "username" in refused.stderr and "capabilities" in refused.stderr
