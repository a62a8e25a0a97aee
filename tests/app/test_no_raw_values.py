"""No raw value on any screen: every table, text and figure of every page, for every role, shows dates and
times in the user's language and time zone, and an empty value as empty (never None, nan, NaT or an ISO
time stamp with its offset)."""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from crm.core.access import Actor
from tests.app.helpers import signed_in
from tools.seed import DEMO_ACCOUNTS
from ui.navigation import pages_for

# one demo account per role (staff: sales, with contact data and write tools; the others open every other page)
USERS = ["admin", "salesmgr", "sales", "budget", "sponsor"]
MISSING_WORDS = re.compile(r"(?<![\w.])(None|nan|NaN|NaT)(?![\w(])")
LAZY_TABS = {"pages/insights.py": "insights_tab"}  # pages whose tabs are drawn only when opened (their key)
RAW_STAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]?\d\d:\d\d(:\d\d)?(\.\d+)?([+-]\d\d:\d\d|Z)\b")


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _shown_frame(element) -> tuple[pd.DataFrame, dict, str]:  # noqa: ANN001 - an AppTest table element
    """What a table element shows: its styler's display text when it has one, else its values; its column
    settings; and the text it writes for a missing value ("None" unless the page chose one)."""
    proto = element.proto
    try:
        placeholder = proto.placeholder if proto.HasField("placeholder") else "None"
    except ValueError:  # st.table has no such setting
        placeholder = "None"
    config = json.loads(getattr(proto, "columns", "") or "{}")
    display = proto.arrow_data.styler.display_values if proto.arrow_data.HasField("styler") else b""
    frame = convert_arrow_bytes_to_pandas_df(display) if display else element.value
    return (frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)), config, placeholder


def table_problems(element) -> Iterator[str]:  # noqa: ANN001
    """Why cells of a table element show raw values (one line per column and reason)."""
    frame, config, placeholder = _shown_frame(element)
    for position, column in enumerate(frame.columns):
        settings = config.get(str(column)) or config.get(f"_pos:{position}") or {}
        date_format = (settings.get("type_config") or {}).get("format")
        for value in frame[column].tolist():
            if _missing(value):
                why = raw_text(placeholder)
            elif isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
                why = None if date_format else f"an unformatted {type(value).__name__}"
            else:
                why = raw_text(value) if isinstance(value, str) else None
            if why:
                yield f"column {column!r}: {why}"


def raw_text(text: str) -> str | None:
    found = MISSING_WORDS.search(text) or RAW_STAMP.search(text)
    if not found:
        return None
    start = max(0, found.start() - 40)
    return f"{found.group(0)!r} in {text[start:found.end() + 40]!r}"


def problems(at: AppTest) -> list[str]:
    """Every raw value on the current screen, with where it is."""
    found = []
    for kind in ("dataframe", "table"):
        for element in getattr(at, kind):
            found.extend(f"{kind} {why}" for why in table_problems(element))
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "header", "subheader", "title"):
        for element in getattr(at, kind):
            why = raw_text(str(element.value))
            if why:
                found.append(f"{kind}: {why}")
    for metric in at.metric:
        for text in (metric.label, metric.value, metric.delta or ""):
            why = raw_text(str(text))
            if why:
                found.append(f"metric {metric.label!r}: {why}")
    return found


def _actor(username: str) -> Actor:
    _, department, role = DEMO_ACCOUNTS[username]
    return Actor(None, username, username, department, role)


def screens(username: str) -> Iterator[tuple[str, AppTest]]:
    """Each page ``username`` may open, as first shown; the customer list also with a profile open."""
    at = signed_in(username)
    for spec in pages_for(_actor(username)):
        at.switch_page(spec.path).run()
        yield spec.path, at
        if spec.path in LAZY_TABS:  # only the open tab is drawn: open each in turn, as a click would
            key = LAZY_TABS[spec.path]
            for tab in [t.label for t in at.tabs][1:]:
                at.session_state[key] = tab
                yield f"{spec.path} ({tab})", at.run()
            at.session_state[key] = at.tabs[0].label
        if spec.path == "pages/customers.py" and at.selectbox(key="cust_open").options:
            at.selectbox(key="cust_open").select_index(0).run()
            yield f"{spec.path} (a profile)", at
            at.query_params.clear()
            at.session_state["customer_id"] = None


@pytest.mark.parametrize("username", USERS)
def test_no_page_shows_a_raw_value(app_env, username: str) -> None:
    seen = []
    for page, at in screens(username):
        assert not at.exception, (page, at.exception)
        seen.extend(f"{page}: {p}" for p in problems(at))
    assert not seen, "\n".join(dict.fromkeys(seen))


def test_the_profile_timeline_shows_times_on_the_users_chosen_clock_and_saves_the_choice(app_env) -> None:
    from sqlalchemy import select

    from crm.core.database import session_scope
    from crm.core.i18n import datetime, use_time_zone
    from db.models import Interaction, User

    at = signed_in("sales")
    zone = next(s for s in at.sidebar.selectbox if s.label == "Time zone")
    assert zone.value == "browser"  # nothing chosen yet: the browser's zone
    zone.set_value("Asia/Karachi").run()
    assert not at.exception
    at.switch_page("pages/customers.py").run()
    with session_scope(app_env) as session:
        assert session.scalar(select(User.time_zone).where(User.username == "sales")) == "Asia/Karachi"
    at.selectbox(key="cust_open").select_index(0).run()
    customer_id = at.session_state["customer_id"]
    with session_scope(app_env) as session, use_time_zone("Asia/Karachi"):
        expected = {datetime(when, "short") for when in session.scalars(
            select(Interaction.occurred_at).where(Interaction.customer_id == customer_id))}
    timeline = next(d.value for d in at.dataframe if "Notes" in d.value.columns)
    assert set(timeline["When"]) <= expected and len(timeline)
    assert not problems(at)
