"""The capability table in force (built-in rules and administrators' grants), as the Users and Rights pages show it."""
from __future__ import annotations

import pandas as pd

from crm.core.access import DEPARTMENTS, ROLES, capability_matrix
from crm.core.i18n import _, label
from ui.formatting import table_of


def holders_label(departments: tuple[str, ...]) -> str:
    """The departments in which a role holds a capability."""
    if len(departments) == len(DEPARTMENTS):
        return _("all departments")
    return ", ".join(label(DEPARTMENTS, d) for d in departments) or "-"


def capability_table() -> pd.DataFrame:
    """One row per capability: what it allows and, per role, the departments that hold it."""
    return table_of([{
        _("Capability"): row.capability, _("What"): _(row.description),
        **{label(ROLES, role): holders_label(depts) for role, depts in row.departments.items()},
    } for row in capability_matrix()])
