"""The capability table in force (built-in rules and administrators' grants), as the Users and Rights pages show it."""
from __future__ import annotations

import pandas as pd

from crm.core.access import ROLES, capability_matrix
from crm.core.i18n import _, label
from crm.settings.lists import Choices
from ui.formatting import table_of
from ui.lists import managed


def holders_label(held: tuple[str, ...], departments: Choices) -> str:
    """The departments in which a role holds a capability."""
    if len(held) == len(departments.values):
        return _("all departments")
    return ", ".join(departments.label(d) for d in held) or "-"


def capability_table() -> pd.DataFrame:
    """One row per capability: what it allows and, per role, the departments that hold it (every department of
    the managed list, those added by administrators included)."""
    departments = managed("departments")
    return table_of([{
        _("Capability"): row.capability, _("What"): _(row.description),
        **{label(ROLES, role): holders_label(held, departments) for role, held in row.departments.items()},
    } for row in capability_matrix(tuple(v.code for v in departments.values))])
