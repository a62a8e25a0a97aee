"""The user's time zone: the one saved with the account, else the browser's; chosen in the sidebar beside the
language. Every date and time on the pages is shown on that clock (``crm.core.i18n.set_time_zone``)."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from crm.accounts.users import save_my_time_zone
from crm.core.access import Actor
from crm.core.database import session_scope
from crm.core.errors import CRMError
from crm.core.i18n import DEFAULT_TIME_ZONE, _, get_language, set_time_zone, time_zones

STATE = "crm_time_zone"  # the zone of this run, for pages that run again on their own (ui.context.actor)
BROWSER = "browser"  # the selector's choice "the browser's zone" (saved as no zone)


def browser_time_zone() -> str | None:
    """The IANA time zone of the person's browser ('Asia/Karachi'), None when unknown or not a real zone."""
    try:
        zone = st.context.timezone
    except Exception:  # no browser (bare mode)
        return None
    if not zone:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def apply_time_zone(who: Actor | None = None) -> str:
    """Show times on the clock of ``who``'s saved zone, else the browser's, else UTC, in this run."""
    zone = set_time_zone((who.time_zone if who is not None else None) or browser_time_zone() or DEFAULT_TIME_ZONE)
    st.session_state[STATE] = zone
    return zone


def _browser_choice() -> str:
    return _("Browser's time zone ({zone})").format(zone=browser_time_zone() or DEFAULT_TIME_ZONE)


def _picked(widget_key: str, who: Actor) -> None:
    chosen = st.session_state.get(widget_key)
    if chosen != BROWSER and chosen not in time_zones():
        return  # not a choice (a stale value of the drop-down as it read in another language)
    zone = None if chosen == BROWSER else chosen
    try:
        with session_scope() as session:
            save_my_time_zone(who, zone, session=session)
    except CRMError as exc:
        st.toast(exc.message)
        return
    # this run already shows the new clock (a page may run again without app.py first, as under AppTest)
    st.session_state[STATE] = set_time_zone(zone or browser_time_zone() or DEFAULT_TIME_ZONE)


def time_zone_selector(who: Actor) -> None:
    """The "Time zone" drop-down of the sidebar: saved with the account at once; the first choice follows the
    browser. Its key carries the saved zone, so a change saved elsewhere shows in a fresh drop-down, and the
    language, whose words its first choice uses."""
    options = [BROWSER, *time_zones()]
    current = who.time_zone if who.time_zone in options else BROWSER
    key = f"time_zone_sidebar_{current}_{get_language()}"
    st.selectbox(_("Time zone"), options, index=options.index(current), key=key, on_change=_picked,
                 args=(key, who), format_func=lambda z: _browser_choice() if z == BROWSER else z.replace("_", " "))
