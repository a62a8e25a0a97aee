"""Who may do what: departments, roles and the capability table, as data.

``require(actor, capability)`` is the first line of every service function.
Hiding a page is convenience; this check is the security.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from crm.core.errors import PermissionDenied
from crm.core.i18n import N_, Codes, _, get_language, label

# Departments from the requirement documents (shown with ``label(DEPARTMENTS, code)``).
DEPARTMENTS = Codes("department", {
    "sales": N_("Sales"),
    "marketing": N_("Marketing"),
    "customer_service": N_("Customer service"),
    "technical_support": N_("Technical support"),
    "training": N_("Training"),
    "professional_development": N_("Professional development"),
    "performance_management": N_("Performance management"),
    "hr_development": N_("HR development"),
    "compensation": N_("Compensation"),
    "finance": N_("Finance"),
    "it": N_("IT / implementation"),
    "management": N_("Management"),
})

ROLES = Codes("role", {
    "staff": N_("Staff"),
    "manager": N_("Manager"),
    "budget_officer": N_("Budget officer"),
    "sponsor": N_("Executive sponsor"),
    "admin": N_("Administrator"),
})

ANY = "*"
# The departments that deal with customers (they may own customers; see also the rules below).
CUSTOMER_FACING = ("sales", "marketing", "customer_service", "technical_support")


@dataclass(frozen=True)
class Rule:
    """Grants a capability to ``roles`` in ``departments`` (``*`` = any)."""

    roles: tuple[str, ...]
    departments: tuple[str, ...] = (ANY,)

    def matches(self, role: str, department: str) -> bool:
        return (ANY in self.roles or role in self.roles) and (
            ANY in self.departments or department in self.departments
        )


# The capability table. Each capability: a description and the rules that grant it.
CAPABILITIES: dict[str, tuple[str, tuple[Rule, ...]]] = {
    "home.read": (N_("See one's own Home page"), (Rule((ANY,)),)),
    "customers.read": (N_("See customers and their history"), (Rule((ANY,)),)),
    "customers.read_pii": (
        N_("See e-mail, phone and address"),
        (Rule(("staff", "manager"), CUSTOMER_FACING), Rule(("manager", "admin"))),
    ),
    "customers.write": (
        N_("Create, edit, archive customers"),
        (
            Rule(("staff", "manager"), ("sales", "customer_service", "technical_support")),
            Rule(("manager",), ("marketing",)),
            Rule(("admin",)),
        ),
    ),
    "customers.own": (
        N_("Be the owner of customers"),
        (Rule(("staff", "manager"), CUSTOMER_FACING),),
    ),
    "interactions.write": (
        N_("Log interactions and follow-ups (under one's own department)"),
        (Rule(("staff", "manager", "admin")),),
    ),
    "interactions.complete_any": (
        N_("Mark anyone's follow-ups done"),
        (Rule(("manager", "admin")),),
    ),
    "surveys.write": (
        N_("Record survey answers"),
        (
            Rule(("staff", "manager"), CUSTOMER_FACING),
            Rule(("manager", "admin")),
        ),
    ),
    "insights.read": (
        N_("See customer knowledge (Insights)"),
        (
            Rule(("manager", "sponsor", "budget_officer", "admin")),
            Rule(("staff",), ("marketing", "sales")),
        ),
    ),
    "budget.read": (N_("See budget plans"), (Rule(("manager", "sponsor", "budget_officer", "admin")),)),
    "budget.write": (N_("Edit budget plans"), (Rule(("budget_officer",)),)),
    "budget.approve": (N_("Approve or return budget plans"), (Rule(("sponsor",)),)),
    "checklist.read": (N_("See the rollout checklist and requirements"), (Rule((ANY,)),)),
    "checklist.write": (
        N_("Edit checklist items, requirements and stakeholders"),
        (Rule(("staff", "manager", "admin"), ("it",)), Rule(("manager",))),
    ),
    "checklist.signoff": (N_("Sign off rollout phases"), (Rule(("sponsor",)),)),
    "checklist.revoke_signoff": (N_("Undo the sign-off of a rollout phase"), (Rule(("sponsor",)),)),
    "data.import": (N_("Import data from other systems"), (Rule(("manager", "admin")),)),
    "data.export": (N_("Export customer lists (consent-aware)"), (Rule(("manager", "admin")),)),
    "data.quality": (N_("Review data quality and merge duplicates"), (Rule(("manager", "admin")),)),
    "privacy.manage": (N_("Consents, subject access, erasure, retention"), (Rule(("admin",)),)),
    "users.manage": (N_("Create and manage user accounts"), (Rule(("admin",)),)),
    "audit.read": (N_("Read the audit log"), (Rule(("admin",)),)),
    "webhooks.manage": (N_("Register webhooks and read their delivery log"), (Rule(("admin",)),)),
    "api_keys.manage": (N_("Create, list and revoke API keys"), (Rule(("admin",)),)),
    "settings.manage": (
        N_("Shape the portal: custom fields, lists of values, templates and rights"), (Rule(("admin",)),)),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user on whose behalf a service acts."""

    user_id: int | None
    username: str
    full_name: str
    department: str
    role: str
    source: str = "page"  # page, import, cli, system, api
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    language: str = field(default="en", compare=False, hash=False)  # the user's saved choice
    time_zone: str | None = field(default=None, compare=False, hash=False)  # saved choice; None: the browser's
    # narrowed rights (an API key given a subset of its user's capabilities); None: every capability of the role
    only: frozenset[str] | None = None
    # the department's labels per language when an administrator named it (Lists of values); else the built-in
    department_labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def department_name(self) -> str:
        named = self.department_labels.get(get_language()) or self.department_labels.get("en")
        return named or label(DEPARTMENTS, self.department)

    @property
    def role_name(self) -> str:
        return label(ROLES, self.role)


# Grants and revocations made by administrators, over the table above: (capability, role, department or ``*``)
# -> granted. A department's own entry wins over the role's ``*`` entry, which wins over the table.
Grants = Mapping[tuple[str, str, str], bool]


@dataclass(frozen=True)
class Overlay:
    """The administrators' grants in force in this process, and the database state they were read from."""

    source: tuple[str, int] | None = None  # (database, rights version); None: never read
    grants: Grants = field(default_factory=dict)


_overlay = Overlay()


def overlay() -> Overlay:
    return _overlay


def use_overlay(new: Overlay) -> None:
    """Put ``new`` in force for every later check in this process (crm.settings.rights reads it)."""
    global _overlay
    _overlay = new


def holds(role: str, department: str, capability: str, grants: Grants | None = None) -> bool:
    """Whether ``role`` in ``department`` holds ``capability``, with ``grants`` (default: those in force)."""
    grants = _overlay.grants if grants is None else grants
    for key in ((capability, role, department), (capability, role, ANY)):
        if key in grants:
            return grants[key]
    _description, rules = CAPABILITIES[capability]
    return any(rule.matches(role, department) for rule in rules)


def can(actor: Actor | None, capability: str) -> bool:
    if actor is None:
        return False
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")
    if actor.only is not None and capability not in actor.only:
        return False
    return holds(actor.role, actor.department, capability)


def require(actor: Actor | None, capability: str) -> Actor:
    """Raise ``PermissionDenied`` unless ``actor`` holds ``capability``; return the actor."""
    if not can(actor, capability):
        description = CAPABILITIES.get(capability, (capability, ()))[0]
        raise PermissionDenied(
            capability,
            _("Your role does not allow this: {what} ({capability}).").format(
                what=_(description), capability=capability),
        )
    assert actor is not None
    return actor


def holders(capability: str) -> list[tuple[str, str]]:
    """Every (role, department) pair that holds ``capability``, for queries over user accounts."""
    return [(role, dept) for role in ROLES for dept in DEPARTMENTS
            if can(Actor(None, "", "", dept, role), capability)]


def capabilities_of(role: str, department: str) -> list[str]:
    probe = Actor(None, "", "", department, role)
    return [cap for cap in CAPABILITIES if can(probe, cap)]


@dataclass(frozen=True)
class CapabilityRow:
    """One capability: what it allows and, per role code, the department codes that hold it."""

    capability: str
    description: str  # English (marked for the catalog); shown translated
    departments: dict[str, tuple[str, ...]]  # role code -> department codes (every one: all departments)


def capability_matrix(departments: tuple[str, ...] = tuple(DEPARTMENTS)) -> list[CapabilityRow]:
    """One row per capability, in table order: who holds it in which of ``departments`` (default: the built-in
    ones; the Users and Rights pages pass the managed list, departments added by administrators included),
    administrators' grants and revocations included."""
    return [
        CapabilityRow(cap, description, {
            role: tuple(code for code in departments if can(Actor(None, "", "", code, role), cap)) for role in ROLES
        })
        for cap, (description, _rules) in CAPABILITIES.items()
    ]
