"""Audit rows in words: actions and record types by their labels, people and records by name, changes as
'Field: before → after' with field labels and values formatted (dates, money, yes/no, coded values labelled)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from crm.budget.codes import CATEGORY_LABELS, KPI_LABELS, PLAN_STATUSES
from crm.core.access import DEPARTMENTS, ROLES
from crm.core.audit import AuditRow
from crm.core.i18n import N_, Codes, _, label, language_name, money
from crm.customers.contact_rules import CUSTOMER_STATUSES
from crm.customers.privacy import CONSENT_PURPOSES
from crm.interactions.service import CHANNELS, DIRECTIONS, FEEDBACK_KINDS
from crm.rollout.checklist import CATEGORIES, PHASES, STATUSES as ITEM_STATUSES
from crm.rollout.requirements import INFLUENCE, KINDS, PRIORITIES, REQ_STATUSES
from ui.formatting import text

ACTIONS = Codes("audit action", {
    "sign_in": N_("Signed in"), "sign_in_failed": N_("Sign-in failed"), "locked": N_("Account locked"),
    "session_expired": N_("Session expired"), "sessions_ended": N_("Sessions ended"),
    "refused": N_("Refused"), "create": N_("Created"), "update": N_("Changed"), "delete": N_("Deleted"),
    "bulk_update": N_("Changed in bulk"), "archive": N_("Archived"), "restore": N_("Restored"),
    "merge": N_("Merged"), "erase": N_("Erased"), "purge": N_("Purged"), "read_pii": N_("Read personal data"),
    "subject_access": N_("Personal data exported"), "consent_withdrawn": N_("Consent withdrawn"),
    "export": N_("Exported"), "import": N_("Imported"), "revert_import": N_("Import undone"),
    "import_failed": N_("Import failed"), "import_interrupted": N_("Import interrupted"),
    "activate": N_("Activated"), "deactivate": N_("Deactivated"), "reset_password": N_("Password reset"),
    "submitted": N_("Submitted"), "approved": N_("Approved"), "returned": N_("Returned"),
    "copy": N_("Copied"), "new_revision": N_("New revision"), "save_lines": N_("Budget lines saved"),
    "save_goals": N_("Goals saved"), "record_actuals": N_("Actuals recorded"), "sign_off": N_("Signed off"),
    "revoke_sign_off": N_("Sign-off undone"), "complete_follow_up": N_("Follow-up completed"),
    "save_view": N_("View saved"), "delete_view": N_("View deleted"), "search_burst": N_("Many searches"),
    "revoke": N_("Revoked"), "rotate_secret": N_("Secret renewed"), "retry": N_("Retried"),
    "sync": N_("Synchronised"), "seed": N_("Demo data loaded"),
})
ENTITIES = Codes("audit record type", {
    "user": N_("User"), "customer": N_("Customer"), "customers": N_("Customers"), "interaction": N_("Interaction"),
    "budget_plan": N_("Budget plan"), "checklist": N_("Checklist"), "checklist_item": N_("Checklist item"),
    "phase": N_("Rollout phase"), "requirement": N_("Requirement"), "stakeholder": N_("Stakeholder"),
    "import_batch": N_("Import"), "import_profile": N_("Import profile"), "data_source": N_("Data source"),
    "saved_view": N_("Saved view"), "setting": N_("Setting"), "list_value": N_("List value"),
    "capability": N_("Permission"), "audit_events": N_("Audit log"), "api_key": N_("API key"),
    "webhook": N_("Webhook"), "webhook_delivery": N_("Webhook delivery"), "survey_response": N_("Survey answer"),
    "product": N_("Product"), "database": N_("Database"),
})
FIELDS = Codes("audit field", {
    "name": N_("Name"), "full_name": N_("Name"), "username": N_("Username"), "company": N_("Company"),
    "email": N_("E-mail"), "phone": N_("Phone"), "address": N_("Address"), "city": N_("City"),
    "country": N_("Country"), "language": N_("Language"), "time_zone": N_("Time zone"), "status": N_("Status"),
    "segment": N_("Segment"), "acquisition_source": N_("Acquisition source"), "owner_id": N_("Owner"),
    "notes": N_("Notes"), "role": N_("Role"), "department": N_("Department"), "active": N_("Active"),
    "title": N_("Title"), "description": N_("Description"), "category": N_("Category"), "phase": N_("Phase"),
    "due_on": N_("Due on"), "start_on": N_("Starts on"), "blocked_reason": N_("Blocked because"),
    "evidence": N_("Evidence"), "expires_on": N_("Expires on"), "recurrence_months": N_("Every (months)"),
    "signed_by": N_("Signed by"), "signed_at": N_("Signed at"), "revoked_by": N_("Undone by"),
    "reason": N_("Reason"), "comment": N_("Comment"), "lines": N_("Lines"), "planned": N_("Planned"),
    "ceiling": N_("Ceiling"), "currency": N_("Currency"), "fiscal_year": N_("Fiscal year"),
    "scenario": N_("Scenario"), "revision": N_("Revision"), "consent_marketing": N_("Marketing consent"),
    "consent_third_party": N_("Third-party sharing consent"), "channel": N_("Channel"),
    "direction": N_("Direction"), "subject": N_("Subject"), "outcome": N_("Outcome"),
    "feedback_kind": N_("Feedback"), "follow_up_on": N_("Follow-up date"), "occurred_at": N_("When"),
    "kind": N_("Kind"), "priority": N_("Priority"), "influence": N_("Influence"), "value": N_("Value"),
    "price": N_("Price"), "cost": N_("Cost"), "stock": N_("Stock"), "amount": N_("Amount"),
    "archived_at": N_("Archived"), "purpose": N_("Purpose"), "granted": N_("Given"),
})
MONEY_FIELDS = {"planned", "ceiling", "price", "cost", "amount", "estimated_cost", "lifetime_revenue", "total"}
# (record type or None for any, field) -> the codes its values are
VALUE_CODES: dict[tuple[str | None, str], Mapping[str, str]] = {
    (None, "role"): ROLES, (None, "department"): DEPARTMENTS, (None, "phase"): PHASES,
    (None, "channel"): CHANNELS, (None, "direction"): DIRECTIONS, (None, "feedback_kind"): FEEDBACK_KINDS,
    (None, "purpose"): CONSENT_PURPOSES, (None, "influence"): INFLUENCE, (None, "priority"): PRIORITIES,
    ("customer", "status"): CUSTOMER_STATUSES, ("budget_plan", "status"): PLAN_STATUSES,
    ("checklist_item", "status"): ITEM_STATUSES, ("checklist_item", "category"): CATEGORIES,
    ("requirement", "status"): REQ_STATUSES, ("requirement", "kind"): KINDS,
    ("budget_line", "category"): CATEGORY_LABELS, ("budget_goal", "kpi"): KPI_LABELS,
}


def action_label(code: str | None) -> str:
    return label(ACTIONS, code)


def entity_label(code: str | None) -> str:
    return label(ENTITIES, code)


def who(row: AuditRow) -> str:
    """The acting person by name (their username when the account is gone), or 'System'."""
    return row.user_name or row.username or _("System")


def record(row: AuditRow) -> str:
    """'Customer: José Álvarez', 'Rollout phase: Rollout', 'User #4' (a record without a name)."""
    kind = entity_label(row.entity)
    if row.entity == "phase" and row.entity_id:
        return f"{kind}: {label(PHASES, row.entity_id)}"
    if row.record_name:
        name = _(row.record_name) if row.entity == "checklist_item" else row.record_name
        return f"{kind}: {name}"
    if row.entity == "capability" and row.entity_id:
        return f"{kind}: {row.entity_id}"
    return f"{kind} #{row.entity_id}" if row.entity_id else kind


def value(entity: str | None, field: str, raw: Any) -> str:
    """One stored value as words: a code by its label, money in the portal's currency, dates, yes/no."""
    if raw is None or raw == "":
        return "—"
    codes = VALUE_CODES.get((entity, field)) or VALUE_CODES.get((None, field))
    if codes is not None and isinstance(raw, str):
        return label(codes, raw)
    if field == "language" and isinstance(raw, str):
        return language_name(raw)
    if field in MONEY_FIELDS and not isinstance(raw, bool):
        try:
            return money(Decimal(str(raw)))
        except (InvalidOperation, ValueError):
            return str(raw)
    if isinstance(raw, (list, tuple)):
        return ", ".join(value(entity, field, v) for v in raw)
    if isinstance(raw, Mapping):
        return "; ".join(f"{field_label(k)}: {value(entity, k, v)}" for k, v in raw.items())
    return text(raw)


def field_label(field: str) -> str:
    return label(FIELDS, field) if field in FIELDS else field.replace("_", " ").capitalize()


def changes(row: AuditRow) -> str:
    """'Role: Staff → Manager; Active: yes → no' for a change, 'Role: Manager' for what a creation wrote."""
    before, after = row.before or {}, row.after or {}
    parts = []
    for field in [*after, *(k for k in before if k not in after)]:
        new = value(row.entity, field, after.get(field)) if field in after else None
        if field in before and field in after:
            parts.append(f"{field_label(field)}: {value(row.entity, field, before[field])} → {new}")
        elif field in after:
            parts.append(f"{field_label(field)}: {new}")
        else:
            parts.append(f"{field_label(field)}: {value(row.entity, field, before[field])} → —")
    return "; ".join(parts)
