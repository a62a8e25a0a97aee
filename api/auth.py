"""Who is calling: ``Authorization: Bearer SECRET``, checked in the database on every call, and the key's rate.

A key is looked up by its prefix and compared by hash in constant time (crm.accounts.api_keys.authenticate);
a revoked or expired key is refused at once on every server. The rate (requests per minute, per key) is
counted per server process: N servers let a key make up to N times its rate in all.

An endpoint takes ``call: Key`` and answers with ``await call.answer(work)``: the key is checked and ``work`` done
in one database session, on one worker thread, and the result turned into JSON there. One hop to the thread pool
per request: FastAPI's own way (a sync dependency, a sync endpoint, then the response model validated in a third
thread) cost three, each a wake-up of a worker thread and of the event loop, as long as a one-match search at
1M customers (bench/README.md, "HTTP API").
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.errors import ApiError
from crm.accounts.api_keys import KeyCaller, authenticate
from crm.core.database import Session, session_scope
from crm.core.i18n import _
from crm.core.ratelimit import RequestRate
from crm.settings.rights import refresh as refresh_rights

bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                    description="An API key made by an administrator (Users page or `python -m crm api-key create`)")
RATES = RequestRate(window=60.0)
Answer = BaseModel | Sequence[BaseModel]


def _no_key() -> ApiError:
    return ApiError(401, "unauthorized", _("Send an API key in the header Authorization: Bearer SECRET."),
                    headers={"WWW-Authenticate": "Bearer"})


def checked(secret: str, session: Session) -> KeyCaller:
    """The key's caller, or ApiError 401; 429 with Retry-After when the key has used up its rate this minute."""
    refresh_rights(session)  # the rights in force: reloaded when an administrator changed them
    found = authenticate(secret, session=session)
    if found is None:
        raise ApiError(401, "unauthorized", _("This API key is not valid: unknown, revoked or expired."),
                       headers={"WWW-Authenticate": "Bearer"})
    wait = RATES.note(found.key_id, found.rate_per_minute)
    if wait:
        raise ApiError(429, "rate_limited", _("Too many requests with this API key. Please wait {seconds} seconds."
                                              ).format(seconds=wait), headers={"Retry-After": str(wait)})
    return found


class ApiCall:
    """A request carrying an API key, not yet checked."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def answer(self, work: Callable[[KeyCaller, Session], Answer], *, status: int = 200) -> Response:
        """``work(caller, session)`` for the checked key, its result as the JSON body; the key's refusal (401,
        429) or the service's (403, 404, 409, 422) as an error."""
        return await run_in_threadpool(self._answer, work, status)

    def _answer(self, work: Callable[[KeyCaller, Session], Answer], status: int) -> Response:
        with session_scope() as session:
            result = work(checked(self.secret, session), session)
        if isinstance(result, BaseModel):
            body = result.model_dump_json()
        else:
            body = "[" + ",".join(item.model_dump_json() for item in result) + "]"
        return Response(body, status_code=status, media_type="application/json")


async def api_call(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiCall:
    """The request's key (401 at once without one); checked by ``ApiCall.answer``."""
    if credentials is None:
        raise _no_key()
    return ApiCall(credentials.credentials)


Key = Annotated[ApiCall, Depends(api_call)]


async def refusal(request: Request) -> ApiError | None:
    """The key's refusal of a request refused for its input before its key was checked (an unknown or revoked key
    gets 401 rather than the list of its input's problems), or None when the key is good."""
    scheme, _sep, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _no_key()

    def check() -> None:
        with session_scope() as session:
            checked(secret.strip(), session)

    try:
        await run_in_threadpool(check)
    except ApiError as refused:
        return refused
    return None
