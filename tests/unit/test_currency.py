"""The portal's one currency: an admin setting, validated, audited, used by every money amount in every language."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from crm.core import i18n
from crm.core.errors import PermissionDenied, ValidationError
from crm.core.i18n import money, use_language
from crm.settings.currency import load_currency, set_currency
from db.models import AuditEvent
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts


@pytest.fixture(autouse=True)
def _back_to_the_default() -> Iterator[None]:
    yield
    i18n.set_currency(None)


def test_amounts_follow_the_chosen_currency_in_each_language(db) -> None:
    ensure_demo_accounts(session=db)
    admin = make_actor(db, "admin")
    assert load_currency(session=db) == "USD"
    assert money(1234.5) == "$1,234.50"
    assert set_currency(admin, "eur", session=db) == "EUR"
    db.commit()
    assert load_currency(session=db) == "EUR"
    assert money(1234.5) == "€1,234.50"
    with use_language("bg"):
        assert money(1234.5).replace("\xa0", " ") == "1 234,50 €"
    i18n.set_currency(None)  # another process: it reads the setting once per run
    i18n.set_currency(load_currency(session=db))
    with use_language("id"):
        assert money(1234.5) == "€1.234,50"
    event = db.scalars(select(AuditEvent).where(AuditEvent.entity == "setting")).one()
    assert (event.before, event.after) == ({"currency": "USD"}, {"currency": "EUR"})


def test_only_an_admin_chooses_and_only_an_iso_code(db) -> None:
    ensure_demo_accounts(session=db)
    with pytest.raises(PermissionDenied):
        set_currency(make_actor(db, "budget"), "EUR", session=db)
    with pytest.raises(ValidationError) as err:
        set_currency(make_actor(db, "admin"), "EURO", session=db)
    assert "ISO 4217" in err.value.errors["currency"]
    assert load_currency(session=db) == "USD"


def test_budget_export_names_the_currency_of_its_plain_amounts(db) -> None:
    from crm.budget import export, plans

    ensure_demo_accounts(session=db)
    set_currency(make_actor(db, "admin"), "IDR", session=db)
    officer = make_actor(db, "budget")
    plan = plans.create_plan(officer, fiscal_year=2026, name="CRM 2026", session=db)
    header = export.export_csv(officer, plan, session=db).decode("utf-8-sig").splitlines()[0].split(",")
    assert "currency" in header and "planned" in header
    assert plans.get_plan(officer, plan, session=db).currency == "IDR"
