"""Demo accounts and the demo data set (the portal's first start in demo mode).

Scale data (``seed --customers N``) is ``tools.seed_scale.generate``; the made-up world both draw
from (accounts, products, names) is ``tools.demo_data``.
"""
from __future__ import annotations

import datetime as dt
import functools
import random

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor
from tools.demo_data import DEMO_ACCOUNTS, DEMO_PASSWORD, SeedResult
from crm.insights.rollups import rebuild_interactions
from tools.seed_scale import generate
from crm.accounts.users import SYSTEM, create_user, ensure_departments, hash_password
from db.models import Customer, Interaction, User

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "SeedResult", "ensure_demo_accounts", "generate", "is_empty",
           "seed_demo", "system_actor"]

@functools.lru_cache(maxsize=1)
def _demo_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def ensure_demo_accounts(*, session: Session) -> int:
    """Create the demo accounts (password ``demo``) that do not exist yet."""
    ensure_departments(session=session)
    existing = set(session.scalars(select(User.username)))
    missing = [u for u in DEMO_ACCOUNTS if u not in existing]
    if not missing:
        return 0
    shared_hash = _demo_hash()
    for username in missing:
        full_name, department, role = DEMO_ACCOUNTS[username]
        create_user(
            SYSTEM, username=username, full_name=full_name, department=department, role=role,
            password="", email=f"{username}@demo.example", session=session,
            _password_hash=shared_hash,
        )
    return len(missing)


def seed_demo(*, session: Session, today: dt.date | None = None) -> SeedResult:
    """Demo accounts and a demo data set, if the database has no customers yet.

    Several app servers may start together on one empty PostgreSQL database: the
    advisory lock makes the second wait and then find the data already there.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(424243)"))
    users = ensure_demo_accounts(session=session)
    result = SeedResult(users=users)
    if session.scalar(select(func.count()).select_from(Customer)):
        return result
    data = generate(400, session=session, seed=7, today=today, include_fixed=True)
    data.users = users
    _demo_follow_ups(session=session, today=today or dt.date.today())
    from crm.rollout import checklist
    from crm.rollout import requirements

    checklist.seed_demo(session=session, today=today or dt.date.today())
    requirements.seed_demo(session=session, today=today or dt.date.today())
    from crm.budget import plans as budget

    budget.seed_demo(session=session, today=today or dt.date.today())
    audit.record(session, SYSTEM, "seed", "database", None,
                 detail=f"demo data: {data.customers} customers, {data.interactions} interactions")
    return data


def _demo_follow_ups(*, session: Session, today: dt.date) -> None:
    """Give the customer-facing demo users open, due and overdue follow-ups to work on."""
    rng = random.Random(11)
    customer_ids = list(session.scalars(select(Customer.id).where(Customer.status != "former").order_by(Customer.id).limit(60)))
    plans = [(-3, "Call back about the quote"), (0, "Confirm installation date"),
             (2, "Send the renewal offer"), (9, "Check satisfaction after delivery")]
    now = dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.timezone.utc)
    for username in ("sales", "salesmgr", "service", "support"):
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            continue
        for offset, subject in plans:
            cid = rng.choice(customer_ids)
            occurred = now - dt.timedelta(days=rng.randint(5, 12))
            session.add(Interaction(
                customer_id=cid, user_id=user.id, department_id=user.department_id, channel="call",
                direction="outbound", occurred_at=occurred, subject=subject, outcome="Follow-up planned",
                follow_up_on=today + dt.timedelta(days=offset), follow_up_user_id=user.id, created_at=occurred,
            ))
    session.flush()
    rebuild_interactions(session)


def is_empty(*, session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def system_actor() -> Actor:
    return SYSTEM
