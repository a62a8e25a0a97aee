"""Who is calling: ``Authorization: Bearer SECRET``, checked in the database on every call, and the key's rate.

A key is looked up by its prefix and compared by hash in constant time (crm.accounts.api_keys.authenticate);
a revoked or expired key is refused at once on every server. The rate (requests per minute, per key) is
counted per server process: N servers let a key make up to N times its rate in all.
"""
from __future__ import annotations

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from crm.accounts.api_keys import KeyCaller, authenticate
from crm.core.database import session_scope
from crm.core.i18n import _
from crm.core.ratelimit import RequestRate
from crm.settings.rights import refresh as refresh_rights

bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                    description="An API key made by an administrator (Users page or `python -m crm api-key create`)")
RATES = RequestRate(window=60.0)


def caller(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> KeyCaller:
    """The key's caller, or 401; 429 with Retry-After when the key has used up its rate this minute."""
    if credentials is None:
        raise ApiError(401, "unauthorized", _("Send an API key in the header Authorization: Bearer SECRET."),
                       headers={"WWW-Authenticate": "Bearer"})
    with session_scope() as session:
        refresh_rights(session)  # the rights in force: reloaded when an administrator changed them
        found = authenticate(credentials.credentials, session=session)
    if found is None:
        raise ApiError(401, "unauthorized", _("This API key is not valid: unknown, revoked or expired."),
                       headers={"WWW-Authenticate": "Bearer"})
    wait = RATES.note(found.key_id, found.rate_per_minute)
    if wait:
        raise ApiError(429, "rate_limited", _("Too many requests with this API key. Please wait {seconds} seconds."
                                              ).format(seconds=wait), headers={"Retry-After": str(wait)})
    return found
