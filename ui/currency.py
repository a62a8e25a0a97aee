"""The portal's currency in this run: read once per run by the entry point (one small read)."""
from __future__ import annotations

from crm.core.database import session_scope
from crm.core.i18n import set_currency
from crm.settings.currency import load_currency


def apply_currency() -> str:
    """Use the stored currency for every amount shown in this run (another server may have changed it)."""
    with session_scope() as session:
        return set_currency(load_currency(session=session))
