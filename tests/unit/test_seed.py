"""Demo and scale seeding on a real database."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tools.seed import DEMO_ACCOUNTS, generate, seed_demo
from crm.accounts.users import verify_password
from db.models import Customer, CustomerToken, Interaction, Receipt, ReceiptLine, User


def test_demo_seed_creates_every_demo_account_with_password_demo(db) -> None:
    seed_demo(session=db, today=dt.date(2026, 11, 1))
    db.commit()
    users = {u.username: u for u in db.scalars(select(User))}
    assert set(users) == set(DEMO_ACCOUNTS)
    for username, (_name, dept, role) in DEMO_ACCOUNTS.items():
        assert users[username].role == role
        assert users[username].department.code == dept
    assert verify_password("demo", users["sales"].password_hash)
    assert not verify_password("wrong", users["sales"].password_hash)


def test_demo_data_is_multilingual_and_has_history(db) -> None:
    result = seed_demo(session=db, today=dt.date(2026, 11, 1))
    db.commit()
    assert result.customers == 400
    names = set(db.scalars(select(Customer.name)))
    assert {"José Álvarez", "Иван Петров", "عمران خان"} <= names
    countries = set(db.scalars(select(Customer.country).distinct()))
    assert {"ID", "BG", "PK"} <= countries
    departments = db.scalar(select(func.count(func.distinct(Interaction.department_id))))
    assert departments >= 8
    first, last = db.execute(select(func.min(Interaction.occurred_at), func.max(Interaction.occurred_at))).one()
    assert (last - first).days > 365


def test_seeding_twice_keeps_demo_data_and_adds_nothing(db) -> None:
    seed_demo(session=db)
    before = db.scalar(select(func.count()).select_from(Customer))
    again = seed_demo(session=db)
    assert again.customers == 0 and again.users == 0
    assert db.scalar(select(func.count()).select_from(Customer)) == before


def test_scale_seed_adds_customers_with_consistent_lifetime_figures(db) -> None:
    seed_demo(session=db)
    before = db.scalar(select(func.count()).select_from(Customer))
    receipts_before = db.scalar(select(func.count()).select_from(Receipt))
    result = generate(300, session=db, seed=1)
    db.commit()
    assert db.scalar(select(func.count()).select_from(Customer)) == before + 300
    assert result.interactions > 300 and result.receipts > 300
    # lifetime revenue kept on the customer equals the sum of its receipt lines
    stored = db.scalar(select(func.sum(Customer.lifetime_revenue)))
    summed = db.scalar(select(func.sum(ReceiptLine.quantity * ReceiptLine.unit_price)))
    assert round(float(stored), 2) == round(float(summed), 2)
    assert db.scalar(select(func.count()).select_from(Receipt)) == receipts_before + result.receipts
    # every customer is findable: it has search tokens
    without_tokens = db.scalar(
        select(func.count()).select_from(Customer)
        .where(~Customer.id.in_(select(CustomerToken.customer_id)))
    )
    assert without_tokens == 0
    # demo accounts still there
    assert db.scalar(select(func.count()).select_from(User)) == len(DEMO_ACCOUNTS)


def test_scale_seed_is_deterministic(db_url) -> None:
    from crm.core.database import session_scope

    with session_scope(db_url) as s:
        generate(40, session=s, seed=5, interactions_per_customer=0, receipts_per_customer=0)
        first = [(c.name, c.email, c.phone) for c in s.scalars(select(Customer).order_by(Customer.id))]
        s.query(CustomerToken).delete()
        s.query(Customer).delete()
        s.flush()
    with session_scope(db_url) as s:
        generate(40, session=s, seed=5, interactions_per_customer=0, receipts_per_customer=0)
        second = [(c.name, c.email, c.phone) for c in s.scalars(select(Customer).order_by(Customer.id))]
    assert len(first) == 40
    assert [n for n, _, _ in first] == [n for n, _, _ in second]
