"""Which screens exist and which capability opens each (the app registers only those)."""
from __future__ import annotations

from dataclasses import dataclass

from crm.core.access import Actor, can
from crm.core.i18n import N_


@dataclass(frozen=True)
class PageSpec:
    title: str  # English (marked for the catalog); shown translated
    path: str  # file under pages/
    capability: str  # the capability that opens the screen (crm/core/access.py)
    icon: str
    section: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec(N_("Home"), "pages/home.py", "home.read", ":material/home:", N_("Work")),
    PageSpec(N_("Customers"), "pages/customers.py", "customers.read", ":material/groups:", N_("Work")),
    PageSpec(N_("Interactions"), "pages/interactions.py", "customers.read", ":material/forum:", N_("Work")),
    PageSpec(N_("Insights"), "pages/insights.py", "insights.read", ":material/insights:", N_("Knowledge")),
    PageSpec(N_("Budget"), "pages/budget.py", "budget.read", ":material/account_balance:", N_("Planning")),
    PageSpec(N_("Checklist"), "pages/checklist.py", "checklist.read", ":material/checklist:", N_("Planning")),
    PageSpec(N_("Requirements"), "pages/requirements.py", "checklist.read", ":material/list_alt:", N_("Planning")),
    PageSpec(N_("Import"), "pages/import.py", "data.import", ":material/upload_file:", N_("Data")),
    PageSpec(N_("Data sources"), "pages/data_sources.py", "data.import", ":material/database:", N_("Data")),
    PageSpec(N_("Data quality"), "pages/data_quality.py", "data.quality", ":material/rule:", N_("Data")),
    PageSpec(N_("Privacy"), "pages/privacy.py", "privacy.manage", ":material/shield_person:", N_("Admin")),
    PageSpec(N_("Users"), "pages/users.py", "users.manage", ":material/manage_accounts:", N_("Admin")),
    PageSpec(N_("Audit log"), "pages/audit_log.py", "audit.read", ":material/history:", N_("Admin")),
    PageSpec(N_("Webhooks"), "pages/webhooks.py", "webhooks.manage", ":material/webhook:", N_("Admin")),
    PageSpec(N_("Custom fields"), "pages/settings_fields.py", "settings.manage", ":material/tune:", N_("Settings")),
    PageSpec(N_("Lists of values"), "pages/settings_lists.py", "settings.manage", ":material/list:", N_("Settings")),
    PageSpec(N_("Templates"), "pages/settings_templates.py", "settings.manage", ":material/article:", N_("Settings")),
    PageSpec(N_("Rights"), "pages/settings_rights.py", "settings.manage", ":material/admin_panel_settings:", N_("Settings")),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    """The screens this actor may open, in menu order."""
    return [p for p in PAGES if can(actor, p.capability)]
