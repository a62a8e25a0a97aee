"""Work done once per server process, in the background, so that nobody's first page waits for it."""
from __future__ import annotations

import threading

import streamlit as st


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Start loading the chart library (about 0.3 s of imports and schema set-up on first use) in the
    background: called by the server's start (ui/startup.py) and, at no cost then, by every script run (AppTest
    runs the script without that server); the Insights, Budget and Checklist pages then draw their first
    chart at once."""
    thread = threading.Thread(target=_load_charts, name="crm-warm-up", daemon=True)
    thread.start()
    return thread


def _load_charts() -> None:
    # third-party only: a page importing the same module meanwhile just waits for it (no import cycle with ours)
    import altair as alt
    import pandas as pd

    alt.Chart(pd.DataFrame({"x": ["a"], "y": [1]})).mark_line(point=True).encode(
        x="x:O", y="y:Q", tooltip=[alt.Tooltip("x", title="x")]).to_dict()
