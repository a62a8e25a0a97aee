"""Custom fields on real records: the customer and interaction services validate, save and audit them with the
built-in fields; subject access carries them; erasure removes them."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.core.access import Actor
from crm.core.errors import ValidationError
from crm.customers.privacy import erase_customer, subject_access
from crm.customers.service import create_customer, get_customer, update_customer
from crm.interactions.service import log_interaction, schedule_follow_up
from crm.settings.fields import add_field
from db.models import AuditEvent, CustomValue
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")


@pytest.fixture
def sales(db):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(session=db)
    add_field(ADMIN, "customers", {"en": "Preferred branch"}, "choice", choices=["North", "South"], required=True,
              session=db)
    add_field(ADMIN, "customers", {"en": "Credit limit"}, "money", session=db)
    add_field(ADMIN, "interactions", {"en": "Visit date"}, "date", session=db)
    add_field(ADMIN, "interactions", {"en": "Satisfaction"}, "number", options={"min": 1, "max": 5}, required=True,
              session=db)
    db.commit()
    return make_actor(db, "sales")


def test_create_reports_built_in_and_custom_errors_together_and_saves_nothing(db, sales) -> None:
    with pytest.raises(ValidationError) as err:
        create_customer(sales, {"name": "", "email": "bad"}, custom={"credit_limit": "lots"}, session=db)
    assert set(err.value.errors) == {"name", "email", "preferred_branch", "credit_limit"}
    assert err.value.errors["preferred_branch"] == "Preferred branch is required."
    assert db.scalar(select(func.count()).select_from(CustomValue)) == 0


def test_create_then_edit_saves_custom_values_in_the_same_audited_write(db, sales) -> None:
    created = create_customer(sales, {"name": "Ayu"}, custom={"preferred_branch": "North",
                                                              "credit_limit": "1.500,00"}, session=db)
    assert created.custom == {"preferred_branch": "north", "credit_limit": Decimal("1500.00")}
    create = db.scalar(select(AuditEvent).where(AuditEvent.entity == "customer", AuditEvent.action == "create"))
    assert create.after["custom"] == {"preferred_branch": "north", "credit_limit": "1500.00"}
    saved = update_customer(sales, created.id, {"city": "Bandung"}, created.version,
                            custom={"preferred_branch": "South", "credit_limit": ""}, session=db)
    assert saved.custom == {"preferred_branch": "south"}
    assert saved.version > created.version
    update = db.scalar(select(AuditEvent).where(AuditEvent.entity == "customer", AuditEvent.action == "update"))
    assert update.before["custom"] == {"preferred_branch": "north", "credit_limit": "1500.00"}
    assert update.after["custom"] == {"preferred_branch": "south", "credit_limit": None}
    with pytest.raises(ValidationError) as err:
        update_customer(sales, created.id, {}, saved.version, custom={"preferred_branch": ""}, session=db)
    assert "Preferred branch is required." in err.value.message
    assert get_customer(sales, created.id, session=db).custom == {"preferred_branch": "south"}


def test_an_interaction_is_logged_with_its_custom_fields(db, sales) -> None:
    customer = create_customer(sales, {"name": "Ayu"}, custom={"preferred_branch": "North"}, session=db)
    with pytest.raises(ValidationError) as err:
        log_interaction(sales, customer.id, channel="call", subject="", custom={"satisfaction": "9"}, session=db)
    assert set(err.value.errors) == {"subject", "satisfaction"}
    row = log_interaction(sales, customer.id, channel="call", subject="Visit",
                          custom={"satisfaction": "4", "visit_date": dt.date(2026, 5, 1)}, session=db)
    assert row.custom == {"satisfaction": Decimal(4), "visit_date": dt.date(2026, 5, 1)}
    # a planned follow-up is not a logged conversation: it needs no custom values
    schedule_follow_up(sales, customer.id, due_on=dt.date.today() + dt.timedelta(days=3), subject="Call back",
                       session=db)


def test_subject_access_contains_custom_values_and_erasure_removes_them(db, sales) -> None:
    admin = make_actor(db, "admin")
    customer = create_customer(sales, {"name": "Ayu"}, custom={"preferred_branch": "North",
                                                               "credit_limit": "250"}, session=db)
    interaction = log_interaction(sales, customer.id, channel="call", subject="Visit",
                                  custom={"satisfaction": "5"}, session=db)
    data = json.loads(subject_access(admin, customer.id, session=db))
    assert data["custom_fields"] == {"preferred_branch": "north", "credit_limit": "250.00"}
    assert data["interactions"][0]["custom_fields"] == {"satisfaction": "5"}
    erase_customer(admin, customer.id, str(customer.id), session=db)
    assert db.scalar(select(func.count()).select_from(CustomValue)) == 0
    logged = db.scalar(select(AuditEvent).where(AuditEvent.entity == "interaction",
                                                AuditEvent.entity_id == str(interaction.id)))
    assert logged.after is None
