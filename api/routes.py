"""The portal's HTTP API, mounted by app.py's ``st.App`` beside Streamlit's own routes: GET /api/v1/health
(for load balancers, no key) and the FastAPI application of api/app.py under /api (docs at /api/docs)."""
from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

import crm
from crm.core import health as server_health

PREFIX = "/api/v1"


async def health(request: Request) -> JSONResponse:
    """``{"status": "ok", "database": "ok", "version": ..., "schema": ...}``, 200; 503 with status "error"
    when the database does not answer (a load balancer then takes this server out)."""
    state = await run_in_threadpool(server_health.check)  # a database call: never on the event loop
    body = {"status": "ok" if state.ok else "error", "database": state.database, "version": crm.__version__,
            "schema": state.schema}
    return JSONResponse(body, status_code=200 if state.ok else 503, headers={"Cache-Control": "no-store"})


def routes() -> list[BaseRoute]:
    """Every route of the API, for ``st.App(routes=...)``."""
    from api.app import create_app
    from api.sign_in_cookie import route as sign_in_cookie

    return [Route(f"{PREFIX}/health", health, methods=["GET"]), sign_in_cookie(), ApiMount("/api", app=create_app())]


class ApiMount(Mount):
    """``Mount`` for every path under its prefix, a line break (``%0A``) included: Starlette's pattern ``.*`` stops
    at one, which left such paths to Streamlit's plain-text 404 instead of the API's JSON errors."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)
