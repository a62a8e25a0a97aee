"""The sign-in cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, set and cleared by the portal's own server.

streamlit-authenticator writes its cookie from a script in the page, so page scripts can read it. The
portal turns that off (``cookie_expiry_days=0``) and sets the same signed token itself: after a sign-in
the page posts a one-minute *ticket* (signed, naming the user) to ``/auth/cookie``; the server answers with
``Set-Cookie`` (``api/sign_in_cookie.py``). The token then never reaches a page script again; the
authenticator reads it server-side (``st.context.cookies``) to sign the person back in on a reload.
"""
from __future__ import annotations

import datetime as dt

import jwt

COOKIE_NAME = "crm_portal_auth"
ROUTE = "/auth/cookie"  # the portal server's address that sets (POST) and clears (DELETE) it
COOKIE_DAYS = 1
TICKET_SECONDS = 60
PURPOSE = "sign-in cookie"


def ticket(username: str, key: str, *, now: dt.datetime | None = None) -> str:
    """A short-lived, signed permission to set the sign-in cookie of ``username``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return jwt.encode({"username": username, "purpose": PURPOSE, "iat": now,
                       "exp": now + dt.timedelta(seconds=TICKET_SECONDS)}, key, algorithm="HS256")


def token_for(ticket_text: str, key: str) -> str | None:
    """The sign-in cookie's token (the authenticator's format) for a valid ticket, else None.

    The token counts as issued when the ticket was (its expiry minus ``COOKIE_DAYS``): a ticket used after
    the person signed out gives a cookie that the sign-in screen refuses as older than the sign-out.
    """
    try:
        data = jwt.decode(ticket_text, key, algorithms=["HS256"], options={"require": ["exp", "iat"]})
    except jwt.PyJWTError:
        return None
    if data.get("purpose") != PURPOSE or not data.get("username"):
        return None
    expires = float(data["iat"]) + COOKIE_DAYS * 86400
    return jwt.encode({"username": str(data["username"]), "exp_date": expires}, key, algorithm="HS256")


def set_cookie_header(token: str, *, secure: bool) -> str:
    return _header(token, COOKIE_DAYS * 86400, secure)


def clear_cookie_header(*, secure: bool) -> str:
    return _header("", 0, secure)


def _header(value: str, max_age: int, secure: bool) -> str:
    parts = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def is_https(scheme: str, forwarded_proto: str | None) -> bool:
    """Whether the browser reached the portal over HTTPS (directly, or through a proxy that says so)."""
    proto = (forwarded_proto or "").split(",")[0].strip().lower()
    return scheme == "https" or proto == "https"
