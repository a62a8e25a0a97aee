"""Budget codes (categories, KPIs, quarters, amounts, plan statuses) and their translated labels."""
from __future__ import annotations

from decimal import Decimal

from crm.budget.kpis import MEASURABLE
from crm.core.i18n import LANGUAGES, N_, Codes, get_language, gettext, use_language

CATEGORIES = ("marketing", "products", "customer_service", "maintenance", "training")
KPIS = MEASURABLE + ("custom",)
QUARTERS = ("q1", "q2", "q3", "q4")
ACTUALS = tuple(f"actual_{q}" for q in QUARTERS)
EDITABLE = ("draft", "returned")
ZERO = Decimal("0")

# Labels shown for the stored codes (shown with ``label(CATEGORY_LABELS, code)``).
CATEGORY_LABELS = Codes("budget category", {
    "marketing": N_("Marketing"),
    "products": N_("Products"),
    "customer_service": N_("Customer service"),
    "maintenance": N_("Maintenance"),
    "training": N_("Training"),
})
KPI_LABELS = Codes("goal KPI", {
    "new_customers": N_("New customers"),
    "retention_rate": N_("Retention rate (%)"),
    "nps": N_("NPS"),
    "repeat_revenue": N_("Revenue from repeat customers"),
    "support_response": N_("Support response (hours)"),
    "custom": N_("Custom (not measured)"),
})
# A budget plan's workflow status (not a customer's status: see crm.customers.contact_rules.CUSTOMER_STATUSES).
PLAN_STATUSES = Codes("plan status", {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "returned": N_("Returned"),
})
QUARTER_LABELS = Codes("quarter", {"q1": N_("Q1"), "q2": N_("Q2"), "q3": N_("Q3"), "q4": N_("Q4")})
AMOUNT_LABELS = Codes("budget amount", {
    "q1": N_("Plan Q1"), "q2": N_("Plan Q2"), "q3": N_("Plan Q3"), "q4": N_("Plan Q4"),
    "actual_q1": N_("Actual Q1"), "actual_q2": N_("Actual Q2"), "actual_q3": N_("Actual Q3"),
    "actual_q4": N_("Actual Q4"),
})



def builtin_categories() -> dict[str, dict[str, str]]:
    """The built-in categories as a plan keeps them: code -> label per language (plans made before templates)."""
    out: dict[str, dict[str, str]] = {}
    for code, text in CATEGORY_LABELS.items():
        labels = {}
        for lang in LANGUAGES:
            with use_language(lang):
                labels[lang] = gettext(text)
        out[code] = labels
    return out


def category_label(categories: dict[str, dict[str, str]], code: str | None) -> str:
    """A plan's category in the current language (a code the plan does not know as it is)."""
    if not code:
        return ""
    labels = categories.get(code) or {}
    return labels.get(get_language()) or labels.get("en") or str(code)
