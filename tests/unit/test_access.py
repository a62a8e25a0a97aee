"""Every capability against every role (and the departments that matter)."""
from __future__ import annotations

import pytest

from crm.core.access import ANY, CAPABILITIES, DEPARTMENTS, ROLES, Actor, can, capability_matrix, holders, require
from crm.core.errors import PermissionDenied
from tools.seed import DEMO_ACCOUNTS

# The specification, written out independently of crm/core/access.py:
# demo account -> capabilities it must hold. Everything else must be refused.
EVERYONE = {"home.read", "customers.read", "checklist.read"}
EXPECTED: dict[str, set[str]] = {
    "admin": EVERYONE | {"customers.read_pii", "customers.write", "interactions.write",
                         "interactions.complete_any", "surveys.write", "insights.read", "budget.read",
                         "checklist.write", "data.import", "data.export", "data.quality", "privacy.manage",
                         "users.manage", "audit.read",
                         "webhooks.manage", "api_keys.manage", "settings.manage"},
    "sales": EVERYONE | {"customers.read_pii", "customers.write", "customers.own", "interactions.write",
                         "surveys.write", "insights.read"},
    "salesmgr": EVERYONE | {"customers.read_pii", "customers.write", "customers.own", "interactions.write",
                            "interactions.complete_any", "surveys.write", "insights.read", "budget.read",
                            "checklist.write", "data.import", "data.export", "data.quality"},
    "marketing": EVERYONE | {"customers.read_pii", "customers.own", "interactions.write", "surveys.write",
                             "insights.read"},
    "service": EVERYONE | {"customers.read_pii", "customers.write", "customers.own", "interactions.write",
                           "surveys.write"},
    "support": EVERYONE | {"customers.read_pii", "customers.write", "customers.own", "interactions.write",
                           "surveys.write"},
    "training": EVERYONE | {"interactions.write"},
    "hr": EVERYONE | {"interactions.write"},
    "comp": EVERYONE | {"interactions.write"},
    "budget": EVERYONE | {"insights.read", "budget.read", "budget.write"},
    "sponsor": EVERYONE | {"insights.read", "budget.read", "budget.approve", "checklist.signoff",
                           "checklist.revoke_signoff"},
    "it": EVERYONE | {"interactions.write", "checklist.write"},
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


def test_every_rule_names_known_roles_and_departments_and_every_capability_is_held() -> None:
    for cap, (_description, rules) in CAPABILITIES.items():
        for rule in rules:
            assert set(rule.roles) <= set(ROLES) | {ANY}, (cap, rule.roles)
            assert set(rule.departments) <= set(DEPARTMENTS) | {ANY}, (cap, rule.departments)
        assert holders(cap), f"nobody holds {cap}"


def test_customer_owners_are_staff_and_managers_of_the_customer_facing_departments() -> None:
    facing = {"sales", "marketing", "customer_service", "technical_support"}
    assert set(holders("customers.own")) == {(role, dept) for role in ("staff", "manager") for dept in facing}
ADMIN_ONLY = {"privacy.manage", "users.manage", "audit.read", "webhooks.manage", "api_keys.manage"}
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
    assert [row.capability for row in matrix] == list(CAPABILITIES)
    for row in matrix:
        assert list(row.departments) == list(ROLES)
    users_manage = next(r for r in matrix if r.capability == "users.manage")
    assert users_manage.departments["admin"] == tuple(DEPARTMENTS)
    assert users_manage.departments["staff"] == ()
    write = next(r for r in matrix if r.capability == "customers.write")
    assert write.departments["manager"] == ("sales", "marketing", "customer_service", "technical_support")


def test_a_narrowed_actor_holds_only_the_capabilities_it_was_given_that_its_role_holds() -> None:
    sales = _actor("sales")
    narrowed = Actor(1, "sales", "S", "sales", "staff", only=frozenset({"customers.read", "budget.read"}))
    assert can(narrowed, "customers.read")
    assert not can(narrowed, "customers.read_pii") and can(sales, "customers.read_pii")  # left out
    assert not can(narrowed, "budget.read")  # given, but the role never held it
    with pytest.raises(PermissionDenied):
        require(narrowed, "customers.write")
