"""Which screens exist and which capability opens each (the app registers only those)."""
from __future__ import annotations

from dataclasses import dataclass

from crm.access import Actor, can


@dataclass(frozen=True)
class PageSpec:
    title: str
    path: str  # file under pages/
    capability: str | None  # None: every signed-in user
    icon: str
    section: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Home", "pages/home.py", None, ":material/home:", "Work"),
    PageSpec("Customers", "pages/customers.py", "customers.read", ":material/groups:", "Work"),
    PageSpec("Interactions", "pages/interactions.py", "customers.read", ":material/forum:", "Work"),
    PageSpec("Insights", "pages/insights.py", "insights.read", ":material/insights:", "Knowledge"),
    PageSpec("Budget", "pages/budget.py", "budget.read", ":material/account_balance:", "Planning"),
    PageSpec("Checklist", "pages/checklist.py", "checklist.read", ":material/checklist:", "Planning"),
    PageSpec("Requirements", "pages/requirements.py", "checklist.read", ":material/list_alt:", "Planning"),
    PageSpec("Import", "pages/import.py", "data.import", ":material/upload_file:", "Data"),
    PageSpec("Data quality", "pages/data_quality.py", "data.quality", ":material/rule:", "Data"),
    PageSpec("Privacy", "pages/privacy.py", "privacy.manage", ":material/shield_person:", "Admin"),
    PageSpec("Users", "pages/users.py", "users.manage", ":material/manage_accounts:", "Admin"),
    PageSpec("Audit log", "pages/audit_log.py", "audit.read", ":material/history:", "Admin"),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    """The screens this actor may open, in menu order."""
    return [p for p in PAGES if p.capability is None or can(actor, p.capability)]
