"""The HTTP API (FastAPI), mounted at /api on the portal's own server by api/routes.py.

Every endpoint hands its work to ``call.answer`` (api/auth.py): the key is checked and the same service as the
pages' called in one database session on one worker thread, so database work never blocks the event loop.
Services' refusals become the error shape of api/errors.py.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

import crm
from api.concurrency import InTurn
from api import auth, customers, docs_page, errors, imports, interactions, rollout, surveys
from api.language import AcceptLanguage

DESCRIPTION = (
    "The CRM portal's API for the departmental systems. Every call acts as the integration user of its API key "
    "(optionally narrowed to some of that user's capabilities), goes through the same services and checks as the "
    "portal's pages, and is audited with the source `api` and the key's name. Lists page with a cursor: pass "
    "`next_cursor` as `cursor` while `has_more`. Errors: `{\"error\": {\"code\", \"message\", \"fields\"}}`, "
    "messages in the language of Accept-Language (en, id, bg, ur). Each key may make `rate_per_minute` requests "
    "a minute (default 600), counted per server process; beyond that 429 with Retry-After."
)


def create_app() -> FastAPI:
    """A new API application (tests make two, as two servers sharing one database)."""
    app = FastAPI(title="CRM portal API", version=crm.__version__, description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    errors.install(app, auth.refusal)
    app.add_middleware(AcceptLanguage)
    app.add_middleware(InTurn)  # outermost: a request waits its turn before any work is done for it
    for module in (customers, interactions, imports, surveys, rollout):
        app.include_router(module.router)

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        base = request.scope.get("root_path", "")
        return HTMLResponse(docs_page.render(app.openapi(), base))

    return app
