"""The page side of the HttpOnly sign-in cookie (crm/accounts/sign_in_cookie.py): after a sign-in, one request
that asks the server to set it; when signed out, one that asks the server to clear it."""
from __future__ import annotations

import json

import streamlit as st

from crm.accounts.sign_in_cookie import COOKIE_NAME, ROUTE, ticket

TICKET = "crm_cookie_ticket"


def keep_signed_in(username: str, cookie_key: str) -> None:
    """Have the server set the sign-in cookie for ``username`` (once per sign-in: the same element on every
    run, so the browser does not send the request again)."""
    held = st.session_state.get(TICKET)
    if not held or held[0] != username:
        held = st.session_state[TICKET] = (username, ticket(username, cookie_key))
    body = json.dumps({"ticket": held[1]})
    st.html(f"<script>fetch({json.dumps(ROUTE)}, {{method: 'POST', credentials: 'same-origin', "
            f"headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}}});</script>",
            unsafe_allow_javascript=True)


def forget_sign_in() -> None:
    """Signed out: have the server clear the sign-in cookie this browser may still hold."""
    if st.session_state.pop(TICKET, None) is None and COOKIE_NAME not in st.context.cookies:
        return
    st.html(f"<script>fetch({json.dumps(ROUTE)}, {{method: 'DELETE', credentials: 'same-origin'}});</script>",
            unsafe_allow_javascript=True)
