"""Every capability against every role (and the departments that matter)."""
from __future__ import annotations

import pytest

from crm.core.access import CAPABILITIES, DEPARTMENTS, ROLES, Actor, can, capability_matrix, require
from crm.core.errors import PermissionDenied
from tools.seed import DEMO_ACCOUNTS

# The specification, written out independently of crm/core/access.py:
# demo account -> capabilities it must hold. Everything else must be refused.
EXPECTED: dict[str, set[str]] = {
    "admin": {"customers.read", "customers.read_pii", "customers.write", "interactions.write",
              "surveys.write", "insights.read", "budget.read", "checklist.read", "checklist.write",
              "data.import", "data.export", "data.quality", "privacy.manage", "users.manage", "audit.read"},
    "sales": {"customers.read", "customers.read_pii", "customers.write", "interactions.write",
              "surveys.write", "insights.read", "checklist.read"},
    "salesmgr": {"customers.read", "customers.read_pii", "customers.write", "interactions.write",
                 "surveys.write", "insights.read", "budget.read", "checklist.read", "checklist.write",
                 "data.import", "data.export", "data.quality"},
    "marketing": {"customers.read", "customers.read_pii", "interactions.write", "surveys.write",
                  "insights.read", "checklist.read"},
    "service": {"customers.read", "customers.read_pii", "customers.write", "interactions.write",
                "surveys.write", "checklist.read"},
    "support": {"customers.read", "customers.read_pii", "customers.write", "interactions.write",
                "surveys.write", "checklist.read"},
    "training": {"customers.read", "interactions.write", "checklist.read"},
    "hr": {"customers.read", "interactions.write", "checklist.read"},
    "comp": {"customers.read", "interactions.write", "checklist.read"},
    "budget": {"customers.read", "insights.read", "budget.read", "budget.write", "checklist.read"},
    "sponsor": {"customers.read", "insights.read", "budget.read", "budget.approve", "checklist.read",
                "checklist.signoff"},
    "it": {"customers.read", "interactions.write", "checklist.read", "checklist.write"},
}


def _actor(username: str) -> Actor:
    full_name, department, role = DEMO_ACCOUNTS[username]
    return Actor(1, username, full_name, department, role)


@pytest.mark.parametrize("username", sorted(DEMO_ACCOUNTS))
@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
def test_each_demo_account_holds_exactly_its_capabilities(username: str, capability: str) -> None:
    who = _actor(username)
    if capability in EXPECTED[username]:
        assert require(who, capability) is who
    else:
        with pytest.raises(PermissionDenied) as refused:
            require(who, capability)
        assert capability in refused.value.message


ADMIN_ONLY = {"privacy.manage", "users.manage", "audit.read"}
CUSTOMER_FACING = {"sales", "marketing", "customer_service", "technical_support"}


@pytest.mark.parametrize("department", sorted(DEPARTMENTS))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_rules_that_hold_for_every_role_in_every_department(role: str, department: str) -> None:
    held = {cap for cap in CAPABILITIES if can(Actor(1, "x", "X", department, role), cap)}
    assert {"customers.read", "checklist.read"} <= held  # everyone signed in sees customers and the rollout
    assert held & ADMIN_ONLY == (ADMIN_ONLY if role == "admin" else set())
    assert ("budget.write" in held) == (role == "budget_officer")
    assert ("budget.approve" in held) == ("checklist.signoff" in held) == (role == "sponsor")
    if role == "staff" and department not in CUSTOMER_FACING:
        assert "customers.read_pii" not in held  # back-office staff see masked contact details


def test_manager_of_marketing_may_write_customers_but_marketing_staff_may_not() -> None:
    assert can(Actor(1, "m", "M", "marketing", "manager"), "customers.write")
    assert not can(Actor(1, "m", "M", "marketing", "staff"), "customers.write")


def test_nobody_signed_in_holds_nothing() -> None:
    assert not any(can(None, cap) for cap in CAPABILITIES)


def test_capability_matrix_lists_every_capability_and_role() -> None:
    matrix = capability_matrix()
    assert [row["Capability"] for row in matrix] == list(CAPABILITIES)
    for row in matrix:
        assert set(ROLES.values()) <= set(row)
    users_manage = next(r for r in matrix if r["Capability"] == "users.manage")
    assert users_manage["Administrator"] == "all departments"
    assert users_manage["Staff"] == "-"
