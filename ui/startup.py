"""What a server process does once, before it answers its health check: migrate the database, seed the demo
on an empty one, and load what the first sign-in needs, so that no visitor's run waits for any of it.

``lifespan`` is given to ``st.App`` in app.py; uvicorn runs it before the server accepts requests, so a load
balancer (or a test) that waits for ``/_stcore/health`` finds a migrated, seeded, warm server.
"""
from __future__ import annotations

import ast
import datetime as dt
import asyncio
import importlib
import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st

from crm.core import config
from crm.core.database import ready, session_scope
from ui.connections import send_without_delay
from ui.warm_up import warm_up

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent  # the repository: app.py, pages/


def migrate_and_seed() -> None:
    """Bring the database to the newest schema, mark imports whose process died as interrupted; in demo mode
    fill an empty one with the demo."""
    ready()
    from crm.importing.jobs import mark_interrupted

    with session_scope() as session:
        if mark_interrupted(session):
            log.info("imports left running by a stopped process marked interrupted")  # i18n: ok (the operator's log)
    if not config.demo_mode():
        return  # outside demo mode no account with a known password is ever created
    from tools.seed import is_empty, seed_demo

    with session_scope() as session:
        if is_empty(session=session):
            seed_demo(session=session)
            log.info("demo accounts and data seeded")  # i18n: ok (the operator's log)


def modules_of_screens() -> list[str]:
    """Every module that app.py and the pages import (the pages are scripts run by st.navigation: their
    imports happen on a visitor's first open of each page unless they were imported here first)."""
    found: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return sorted(found - {"__future__"})


def load_modules(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # a screen's optional import: its own run reports it
            log.warning("warm-up could not import %s", name, exc_info=True)  # i18n: ok


def warm_first_sign_in() -> None:
    """Load what the first sign-in and the first Home would otherwise load on a visitor's run."""
    warm_up()  # the chart library, in the background
    # Streamlit's first element of a process checks once whether it runs in a REPL (inspect.stack(), about
    # 0.15 s over a script run's deep stack); outside a run this element is dropped, and the check is done
    st.empty()
    load_modules(modules_of_screens())
    from crm.accounts.users import count_users, login_credentials, verify_password
    from crm.core.i18n import LANGUAGES, _, date, is_rtl, number, set_language

    with session_scope() as session:  # the sign-in screen's queries
        login_credentials(session=session)
        count_users(session=session)
    verify_password("warm-up", "$2b$04$" + "." * 53)  # bcrypt's first call sets up its library
    for language in LANGUAGES:  # each catalog (compiled from its .po file) and Babel's locale data
        set_language(language)
        _("Sign in")
        is_rtl()
        number(1234.5)
        date(dt.date.today())
    set_language("en")


def register_components() -> int:
    """Register with the running server every custom component that a module declared while it was imported
    outside a script run; returns how many.

    Streamlit 1.67 registers a component (``components.declare_component``, which packages call when they are
    imported) with the runtime only when it is called during a script run
    (streamlit/components/v1/component_registry.py: ``if get_script_run_ctx() is not None``). The server
    imports app.py as a module, and the warm-up above imports the screens' modules, both outside any run; the
    scripts then find those modules imported already and never declare their components again. Unregistered,
    the sign-in cookie's component (extra_streamlit_components' CookieManager, used by streamlit-authenticator)
    answers 404: no sign-in would ever finish. So hand each component to the runtime's registry, as the
    declaration does inside a run."""
    from streamlit import runtime
    from streamlit.components.v1.custom_component import CustomComponent

    if not runtime.exists():
        return 0
    registry = runtime.get_instance().component_registry
    found: dict[str, CustomComponent] = {}
    for module in list(sys.modules.values()):
        try:
            values = list(vars(module).values())
        except TypeError:  # an object in sys.modules without a namespace
            continue
        found.update((v.name, v) for v in values if isinstance(v, CustomComponent))
    for component in found.values():
        registry.register_component(component)
    return len(found)


def prepare_server() -> None:
    """Everything a server does before it answers; a ConfigError (a weak cookie key outside demo mode) or a
    database that cannot be migrated stops the server with that error instead."""
    start = time.perf_counter()
    config.cookie_key()
    migrate_and_seed()
    seeded = time.perf_counter()
    warm_first_sign_in()
    register_components()
    log.info("server prepared: database %.1f s, warm-up %.1f s",  # i18n: ok (the operator's log)
             seeded - start, time.perf_counter() - seeded)


def start_webhook_sender() -> Any:
    """The server's webhook sender (a daemon thread; crm/webhooks/sender.py), unless the deployment sends
    from a timer instead (CRM_WEBHOOK_SENDER=off); None then."""
    if not config.webhook_sender_in_server():
        return None
    from crm.webhooks.sender import BackgroundSender

    worker = BackgroundSender()
    worker.start()
    return worker


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """``st.App`` lifespan: prepare the server (in a worker thread: blocking work off the event loop) before
    it answers anyone, including its health check; then send webhook deliveries until the server stops."""
    send_without_delay()  # before the first connection: no response waits for a delayed ACK (ui/connections.py)
    await asyncio.to_thread(prepare_server)
    webhooks = start_webhook_sender()
    try:
        yield
    finally:
        if webhooks is not None:
            await asyncio.to_thread(webhooks.stop)
