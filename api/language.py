"""The language of a request's messages: the best of en, id, bg, ur in its Accept-Language (else English)."""
from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from crm.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, use_language


def preferred(header: str | None) -> str:
    """``bg-BG,bg;q=0.9,en;q=0.8`` -> "bg": the supported language with the highest weight."""
    best, best_weight = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        base = tag.strip().replace("_", "-").split("-")[0].lower()
        # equal weights: the first listed wins
        if base in LANGUAGES and weight > 0 and weight - position * 1e-6 > best_weight:
            best, best_weight = base, weight - position * 1e-6
    return best


class AcceptLanguage:
    """ASGI middleware: runs the request in its language (a context variable that the thread pool running the
    endpoint inherits), so services raise their messages in it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with use_language(preferred(Headers(scope=scope).get("accept-language"))):
            await self.app(scope, receive, send)
