"""PostgreSQL ends every connection of the portal's database (as a restart does) while people work: the next
click works again, without restarting the portal. The connections are ended from a separate admin connection
(``pg_terminate_backend``), the real server is not restarted."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crm.core import config
from crm.core.access import Actor
from crm.core.database import ConnectionLost, session_scope
from crm.customers.service import search_page
from db.models import Customer
from tests.app.helpers import signed_in
from tests.conftest import _truncate_all, make_actor
from tools.seed import ensure_demo_accounts
from ui import context


@pytest.fixture
def portal_on_pg(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The portal configured on the PostgreSQL test database, with the demo accounts and one customer."""
    _truncate_all(pg_database)
    monkeypatch.setenv("DATABASE_URL", pg_database)
    monkeypatch.setenv("CRM_DEMO", "1")
    monkeypatch.delenv("CRM_COOKIE_KEY", raising=False)
    config.reset()
    with session_scope() as session:
        ensure_demo_accounts(session=session)
        session.add(Customer(name="Still Here", status="customer"))
    yield pg_database
    config.reset()


@pytest.fixture
def admin_engine(pg_database: str) -> Iterator[Engine]:
    engine = create_engine(make_url(pg_database).set(database="postgres"), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def end_every_connection(admin: Engine, url: str) -> int:
    """What a PostgreSQL restart does to the portal: every connection to its database is ended."""
    with admin.connect() as conn:
        return conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE datname = :db AND pid <> pg_backend_pid()"),
                            {"db": make_url(url).database}).scalar_one()


def _names(actor: Actor, *, session: Session) -> list[str]:
    return [c.name for c in search_page(session, actor).rows]


def test_the_next_action_after_every_connection_was_ended_works(portal_on_pg: str, admin_engine: Engine) -> None:
    with session_scope() as session:
        who = make_actor(session, "salesmgr")
        assert _names(who, session=session) == ["Still Here"]
    assert end_every_connection(admin_engine, portal_on_pg) >= 1  # the pool's idle connection
    with session_scope() as session:
        assert _names(who, session=session) == ["Still Here"]


def test_a_connection_ended_mid_action_is_one_plain_message_and_the_next_action_works(
        portal_on_pg: str, admin_engine: Engine) -> None:
    with pytest.raises(ConnectionLost) as lost, session_scope() as session:
        session.add(Customer(name="Half Written", status="prospect"))
        session.flush()
        end_every_connection(admin_engine, portal_on_pg)
        session.execute(select(func.count()).select_from(Customer))
    assert lost.value.retry_safe
    assert lost.value.message.startswith("The connection to the database was interrupted")
    with session_scope() as session:
        assert set(session.scalars(select(Customer.name))) == {"Still Here"}  # nothing half-written


def test_a_page_action_cut_off_by_the_restart_is_run_again_and_succeeds(
        portal_on_pg: str, admin_engine: Engine) -> None:
    """ui.context.call (every page's service call): the action whose connection was ended runs once more."""
    with session_scope() as session:
        st.session_state["actor"] = make_actor(session, "salesmgr")
    attempts: list[int] = []

    def add_customer(actor: Actor, name: str, *, session: Session) -> list[str]:
        session.add(Customer(name=name, status="prospect", owner_id=actor.user_id))
        session.flush()
        attempts.append(1)
        if len(attempts) == 1:
            end_every_connection(admin_engine, portal_on_pg)  # the server restarts during the first attempt
        return sorted(session.scalars(select(Customer.name)))

    try:
        assert context.call(add_customer, "Added Once") == ["Added Once", "Still Here"]
    finally:
        del st.session_state["actor"]
    assert len(attempts) == 2
    with session_scope() as session:
        assert sorted(session.scalars(select(Customer.name))) == ["Added Once", "Still Here"]


def test_a_page_opened_again_after_the_restart_shows_its_data(portal_on_pg: str, admin_engine: Engine) -> None:
    at = signed_in("salesmgr", "pages/customers.py")
    assert not at.exception
    end_every_connection(admin_engine, portal_on_pg)
    at.run()
    assert not at.exception and not at.error
    assert "Still Here" in at.dataframe[0].value.to_string()
