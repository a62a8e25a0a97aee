"""POST /auth/cookie (a ticket in, an HttpOnly sign-in cookie out) and DELETE /auth/cookie (cleared)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm.accounts.sign_in_cookie import ROUTE, clear_cookie_header, is_https, set_cookie_header, token_for
from crm.core import config


async def sign_in_cookie(request: Request) -> Response:
    secure = is_https(request.url.scheme, request.headers.get("x-forwarded-proto"))
    headers = {"Cache-Control": "no-store"}
    if request.method == "DELETE":
        return Response(status_code=204, headers={**headers, "Set-Cookie": clear_cookie_header(secure=secure)})
    try:
        body = await request.json()
        token = token_for(str(body.get("ticket") or ""), config.cookie_key())
    except (ValueError, AttributeError, config.ConfigError):
        token = None
    if token is None:
        return Response(status_code=400, headers=headers)
    return Response(status_code=204, headers={**headers, "Set-Cookie": set_cookie_header(token, secure=secure)})


def route() -> Route:
    return Route(ROUTE, sign_in_cookie, methods=["POST", "DELETE"])
