"""Custom fields in the customer list: a filter per type (in SQL, paginated), the page's values, bulk edit and
saved views."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.core.access import Actor
from crm.core.errors import ValidationError
from crm.customers.saved_views import list_views, save_view
from crm.customers.service import CustomerFilters, bulk_update, create_customer, get_customer, search_customers
from crm.settings.field_filters import FieldFilter, from_query
from crm.settings.fields import add_field, get_field, list_fields
from db.models import AuditEvent
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")
PEOPLE = {
    "Ayu": {"nickname": "Ayu the Bold", "story": "Met at the fair", "staff_count": "12", "credit_limit": "1500",
            "contract_end": "2027-03-31", "key_account": "yes", "preferred_branch": "North",
            "interests": ["Cloud", "Training"], "billing_e_mail": "ayu@example.com", "website": "ayu.example.com"},
    "Budi": {"nickname": "Bud", "staff_count": "250", "credit_limit": "99.50", "contract_end": "2026-01-15",
             "key_account": "no", "preferred_branch": "South", "interests": ["Support"]},
    "Citra": {},
}


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(session=db)
    add_field(ADMIN, "customers", {"en": "Nickname"}, "text", session=db)
    add_field(ADMIN, "customers", {"en": "Story"}, "long_text", session=db)
    add_field(ADMIN, "customers", {"en": "Staff count"}, "number", options={"decimals": 0}, session=db)
    add_field(ADMIN, "customers", {"en": "Credit limit"}, "money", session=db)
    add_field(ADMIN, "customers", {"en": "Contract end"}, "date", session=db)
    add_field(ADMIN, "customers", {"en": "Key account"}, "yes_no", session=db)
    add_field(ADMIN, "customers", {"en": "Preferred branch", "id": "Cabang pilihan"}, "choice",
              choices=["North", {"en": "South", "id": "Selatan"}], session=db)
    add_field(ADMIN, "customers", {"en": "Interests"}, "multi_choice", choices=["Cloud", "Training", "Support"],
              session=db)
    add_field(ADMIN, "customers", {"en": "Billing e-mail"}, "email", session=db)
    add_field(ADMIN, "customers", {"en": "Website"}, "url", session=db)
    sales = make_actor(db, "sales")
    ids = {name: create_customer(sales, {"name": name}, custom=custom, session=db).id
           for name, custom in PEOPLE.items()}
    db.commit()
    return sales, ids


def found(db, sales, *filters: FieldFilter) -> list[str]:  # type: ignore[no-untyped-def]
    page = search_customers(sales, "", CustomerFilters(custom=filters), session=db)
    return sorted(r.name for r in page.rows)


@pytest.mark.parametrize(("flt", "expected"), [
    (FieldFilter("nickname", contains="bold"), ["Ayu"]),
    (FieldFilter("story", contains="FAIR"), ["Ayu"]),
    (FieldFilter("staff_count", at_least="100"), ["Budi"]),
    (FieldFilter("credit_limit", at_least="100", at_most="2.000,00"), ["Ayu"]),
    (FieldFilter("contract_end", at_most="2026-12-31"), ["Budi"]),
    (FieldFilter("key_account", equals="no"), ["Budi"]),
    (FieldFilter("key_account", equals=True), ["Ayu"]),
    (FieldFilter("preferred_branch", any_of=("north", "Selatan")), ["Ayu", "Budi"]),
    (FieldFilter("interests", any_of=("Training", "Support")), ["Ayu", "Budi"]),
    (FieldFilter("interests", any_of=("cloud",)), ["Ayu"]),
    (FieldFilter("billing_e_mail", contains="example"), ["Ayu"]),
    (FieldFilter("website", empty=True), ["Budi", "Citra"]),
    (FieldFilter("preferred_branch", empty=False), ["Ayu", "Budi"]),
])
def test_each_type_filters_the_list(db, world, flt, expected) -> None:
    sales, _ids = world
    assert found(db, sales, flt) == expected


def test_filters_combine_and_the_page_carries_the_values(db, world) -> None:
    sales, ids = world
    assert found(db, sales, FieldFilter("preferred_branch", any_of=("north", "south")),
                 FieldFilter("staff_count", at_most="100")) == ["Ayu"]
    page = search_customers(sales, "", CustomerFilters(custom=(FieldFilter("staff_count", at_least="1"),)),
                            page=1, page_size=1, session=db)
    assert page.total == 2 and len(page.rows) == 1
    (row,) = page.rows
    assert row.custom == get_customer(sales, row.id, session=db).custom
    assert row.custom["credit_limit"] in (Decimal("1500.00"), Decimal("99.50"))


def test_a_bad_filter_is_refused_with_every_problem(db, world) -> None:
    sales, _ids = world
    with pytest.raises(ValidationError) as err:
        found(db, sales, FieldFilter("shoe_size", equals="42"), FieldFilter("contract_end", at_least="soon"),
              FieldFilter("preferred_branch", any_of=("West",)))
    assert set(err.value.errors) == {"shoe_size", "contract_end", "preferred_branch"}


def test_query_parameter_text_becomes_a_filter(db, world) -> None:
    sales, _ids = world
    fields = {f.code: f for f in list_fields(db, "customers")}
    assert found(db, sales, from_query(fields["preferred_branch"], "North,South")) == ["Ayu", "Budi"]
    assert found(db, sales, from_query(fields["credit_limit"], "..1000")) == ["Budi"]
    assert found(db, sales, from_query(fields["staff_count"], "12")) == ["Ayu"]
    assert found(db, sales, from_query(fields["key_account"], "yes")) == ["Ayu"]
    assert found(db, sales, from_query(fields["nickname"], "(empty)")) == ["Citra"]


def test_bulk_edit_sets_a_custom_field_validated_and_audited_in_one_write(db, world) -> None:
    sales, ids = world
    targets = [ids["Budi"], ids["Citra"]]
    with pytest.raises(ValidationError) as err:
        bulk_update(sales, targets, {"status": "vip"}, custom={"preferred_branch": "West", "staff_count": "x"},
                    session=db)
    assert set(err.value.errors) == {"status", "preferred_branch", "staff_count"}
    db.rollback()
    assert bulk_update(sales, targets, {}, custom={"preferred_branch": "North", "key_account": "yes"},
                       session=db) == 2
    db.commit()
    assert found(db, sales, FieldFilter("preferred_branch", any_of=("north",))) == ["Ayu", "Budi", "Citra"]
    budi = get_customer(sales, ids["Budi"], session=db)
    assert budi.custom["key_account"] is True and budi.custom["staff_count"] == Decimal(250)
    events = {e.entity_id: e for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "bulk_update"))}
    assert events[str(ids["Budi"])].before["custom"] == {"preferred_branch": "south", "key_account": False}
    assert events[str(ids["Citra"])].after["custom"] == {"preferred_branch": "north", "key_account": True}
    # nothing to change: no write, no audit row
    assert bulk_update(sales, targets, {}, custom={"preferred_branch": "North"}, session=db) == 0


def test_saved_view_keeps_columns_and_custom_filters(db, world) -> None:
    sales, _ids = world
    flt = FieldFilter("contract_end", at_least=dt.date(2027, 1, 1))
    save_view(sales, "Long contracts", {"columns": ["name", "custom.contract_end"], "custom": [flt.params()]},
              session=db)
    (view,) = list_views(sales, session=db)
    assert view.params["columns"] == ["name", "custom.contract_end"]
    restored = CustomerFilters.from_dict(view.params)
    assert restored.custom == (FieldFilter("contract_end", at_least="2027-01-01"),)
    assert found(db, sales, *restored.custom) == ["Ayu"]
    with pytest.raises(ValidationError) as err:
        save_view(sales, "Broken", {"custom": [{"code": "shoe_size", "equals": "42"}], "columns": "name"},
                  session=db)
    assert set(err.value.errors) == {"shoe_size", "columns"}
    assert get_field(db, list_fields(db, "customers")[0].id).code == "nickname"


def test_interactions_list_filters_by_custom_fields_and_carries_them(db, world) -> None:
    from crm.interactions.service import InteractionFilters, list_interactions, log_interaction

    sales, ids = world
    add_field(ADMIN, "interactions", {"en": "Visit kind"}, "choice", choices=["On site", "Remote"], session=db)
    add_field(ADMIN, "interactions", {"en": "Duration"}, "number", session=db)
    log_interaction(sales, ids["Ayu"], channel="visit", subject="Kick-off", custom={"visit_kind": "On site",
                                                                                    "duration": "90"}, session=db)
    log_interaction(sales, ids["Budi"], channel="call", subject="Check-in", custom={"visit_kind": "Remote"},
                    session=db)
    db.commit()
    page = list_interactions(sales, InteractionFilters(custom=(FieldFilter("visit_kind", any_of=("on_site",)),)),
                             session=db)
    assert [r.subject for r in page.rows] == ["Kick-off"]
    assert page.rows[0].custom == {"visit_kind": "on_site", "duration": Decimal(90)}
    page = list_interactions(sales, InteractionFilters(custom=(FieldFilter("duration", empty=True),)), session=db)
    assert [r.subject for r in page.rows] == ["Check-in"]
