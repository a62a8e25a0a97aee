"""Custom fields: admins define them (every type), values are validated, saved, read, filtered and kept."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.core.access import Actor
from crm.core.errors import ConflictError, PermissionDenied, ValidationError
from crm.core.i18n import use_language
from crm.settings.config_file import SECTIONS
from crm.settings.field_values import delete_values, record_filter, set_values, validate_values, values_of
from crm.settings.fields import (
    add_field,
    deactivate_field,
    list_fields,
    reactivate_field,
    reorder_fields,
    update_field,
)
from crm.settings.lists import add_value
from db.models import AuditEvent, Customer, CustomValue

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")
STAFF = Actor(None, "sam", "Sam", "sales", "staff")


def _customers(db, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    rows = [Customer(name=f"Customer {i}", name_key=f"customer {i}") for i in range(n)]
    db.add_all(rows)
    db.flush()
    return [c.id for c in rows]


def define_every_type(db) -> None:  # type: ignore[no-untyped-def]
    add_field(ADMIN, "customers", {"en": "Nickname"}, "text", session=db)
    add_field(ADMIN, "customers", {"en": "Story"}, "long_text", session=db)
    add_field(ADMIN, "customers", {"en": "Staff count"}, "number", options={"min": 0, "max": 1000, "decimals": 0},
              session=db)
    add_field(ADMIN, "customers", {"en": "Credit limit"}, "money", session=db)
    add_field(ADMIN, "customers", {"en": "Contract end"}, "date", session=db)
    add_field(ADMIN, "customers", {"en": "Key account"}, "yes_no", session=db)
    add_field(ADMIN, "customers", {"en": "Preferred branch", "id": "Cabang pilihan"}, "choice",
              choices=["North", {"en": "South", "id": "Selatan"}], session=db)
    add_field(ADMIN, "customers", {"en": "Interests"}, "multi_choice", choices=["Cloud", "Training", "Support"],
              session=db)
    add_field(ADMIN, "customers", {"en": "Billing e-mail"}, "email", session=db)
    add_field(ADMIN, "customers", {"en": "Website"}, "url", session=db)


def test_each_type_is_validated_saved_and_read_back(db) -> None:
    define_every_type(db)
    (cid,) = _customers(db, 1)
    clean, errors = validate_values(db, "customers", {
        "nickname": "  Ayu ", "story": "Line one\nLine two", "staff_count": "1,000", "credit_limit": "1.234,50",
        "contract_end": "2027-03-31", "key_account": "yes", "preferred_branch": "Selatan",
        "interests": ["Training", "cloud"], "billing_e_mail": "Billing@Example.COM", "website": "example.com"})
    assert errors == {}
    set_values(db, "customers", cid, clean)
    got = values_of(db, "customers", [cid])[cid]
    assert got == {"nickname": "Ayu", "story": "Line one\nLine two", "staff_count": Decimal(1000),
                   "credit_limit": Decimal("1234.50"), "contract_end": dt.date(2027, 3, 31), "key_account": True,
                   "preferred_branch": "south", "interests": ["cloud", "training"],
                   "billing_e_mail": "Billing@example.com", "website": "https://example.com"}


def test_every_bad_value_is_reported_at_once(db) -> None:
    define_every_type(db)
    update_field(ADMIN, list_fields(db, "customers")[0].id, version=1, required=True, session=db)
    _clean, errors = validate_values(db, "customers", {
        "staff_count": "12.5", "credit_limit": "12,3456", "contract_end": "31/02/2027", "key_account": "perhaps",
        "preferred_branch": "West", "interests": "Cloud, Gardening", "billing_e_mail": "not-an-address",
        "website": "not a url", "surname": "x"})
    assert set(errors) == {"nickname", "staff_count", "credit_limit", "contract_end", "key_account",
                           "preferred_branch", "interests", "billing_e_mail", "website", "fields"}
    assert errors["nickname"] == "Nickname is required."
    assert "decimal places" in errors["staff_count"]
    assert "West" in errors["preferred_branch"] and "North" in errors["preferred_branch"]
    assert "Gardening" in errors["interests"]
    _clean, errors = validate_values(db, "customers", {"staff_count": "1001"}, partial=True)
    assert errors == {"staff_count": "Staff count must be at most 1000 ('1001')."}


def test_a_required_field_on_a_table_with_rows_needs_a_default_written_to_every_row(db) -> None:
    ids = _customers(db, 3)
    with pytest.raises(ValidationError) as err:
        add_field(ADMIN, "customers", {"en": "Region"}, "text", required=True, session=db)
    assert "Existing records without a value: 3." in err.value.message
    with pytest.raises(ValidationError) as err:
        add_field(ADMIN, "customers", {"en": "Since"}, "date", required=True, default_for_existing="someday",
                  session=db)
    assert "someday" in err.value.errors["default"]
    add_field(ADMIN, "customers", {"en": "Region"}, "text", required=True, default_for_existing="Java", session=db)
    assert {rid: v["region"] for rid, v in values_of(db, "customers", ids).items()} == dict.fromkeys(ids, "Java")
    add_field(ADMIN, "customers", {"en": "Channels"}, "multi_choice", choices=["Web", "Shop"], required=True,
              default_for_existing="Web, Shop", session=db)
    assert values_of(db, "customers", ids[:1])[ids[0]]["channels"] == ["web", "shop"]


def test_a_type_change_that_would_lose_values_is_refused_with_the_count(db) -> None:
    f = add_field(ADMIN, "customers", {"en": "Size"}, "text", session=db)
    a, b, c = _customers(db, 3)
    set_values(db, "customers", a, {"size": "12"})
    set_values(db, "customers", b, {"size": "large"})
    set_values(db, "customers", c, {"size": "huge"})
    with pytest.raises(ValidationError) as err:
        update_field(ADMIN, f.id, version=f.version, type="number", session=db)
    assert "would lose: 2." in err.value.message
    assert values_of(db, "customers", [b])[b] == {"size": "large"}
    set_values(db, "customers", b, {"size": "7.25"})
    set_values(db, "customers", c, {"size": None})
    changed = update_field(ADMIN, f.id, version=f.version, type="number", session=db)
    assert values_of(db, "customers", [a, b]) == {a: {"size": Decimal(12)}, b: {"size": Decimal("7.25")}}
    with pytest.raises(ConflictError):
        update_field(ADMIN, f.id, version=f.version, labels={"en": "Headcount"}, session=db)
    update_field(ADMIN, f.id, version=changed.version, labels={"en": "Headcount"}, session=db)


def test_duplicates_and_built_in_names_are_refused(db) -> None:
    add_field(ADMIN, "customers", {"en": "Branch"}, "text", session=db)
    with pytest.raises(ValidationError) as err:
        add_field(ADMIN, "customers", {"en": " branch"}, "text", session=db)
    assert "already exists" in err.value.message
    with pytest.raises(ValidationError) as err:
        add_field(ADMIN, "customers", {"en": "Segment"}, "text", session=db)
    assert "built-in" in err.value.message
    with pytest.raises(ValidationError) as err:
        add_field(ADMIN, "customers", {"en": "Colour"}, "choice", choices=["Red", "red"], session=db)
    assert "once" in err.value.message
    add_field(ADMIN, "interactions", {"en": "Branch"}, "text", session=db)  # another entity: allowed


def test_deactivating_hides_the_field_and_keeps_its_values(db) -> None:
    f = add_field(ADMIN, "customers", {"en": "Branch"}, "text", session=db)
    (cid,) = _customers(db, 1)
    set_values(db, "customers", cid, {"branch": "Bandung"})
    deactivate_field(ADMIN, f.id, session=db)
    assert list_fields(db, "customers") == []
    assert values_of(db, "customers", [cid]) == {cid: {}}
    assert values_of(db, "customers", [cid], include_inactive=True) == {cid: {"branch": "Bandung"}}
    _clean, errors = validate_values(db, "customers", {"branch": "x"})
    assert "fields" in errors
    reactivate_field(ADMIN, f.id, session=db)
    assert values_of(db, "customers", [cid]) == {cid: {"branch": "Bandung"}}


def test_a_deactivated_choice_stays_on_the_record_that_holds_it(db) -> None:
    add_field(ADMIN, "customers", {"en": "Branch"}, "choice", choices=["North", "South"], session=db)
    from db.models import ListValue
    db.scalar(select(ListValue).where(ListValue.code == "north")).active = False
    db.flush()
    _clean, errors = validate_values(db, "customers", {"branch": "North"})
    assert "no longer offered" in errors["branch"]
    clean, errors = validate_values(db, "customers", {"branch": "North"}, current={"branch": "north"})
    assert errors == {} and clean == {"branch": "north"}


def test_only_admins_define_fields_and_everyone_reads_them(db) -> None:
    with pytest.raises(PermissionDenied):
        add_field(STAFF, "customers", {"en": "Branch"}, "text", session=db)
    f = add_field(ADMIN, "customers", {"en": "Branch", "bg": "Клон"}, "text", help={"en": "Where they shop"},
                  session=db)
    for call in (lambda: update_field(STAFF, f.id, version=f.version, labels={"en": "X"}, session=db),
                 lambda: deactivate_field(STAFF, f.id, session=db)):
        with pytest.raises(PermissionDenied):
            call()
    (read,) = list_fields(db, "customers")
    with use_language("bg"):
        assert read.label == "Клон" and read.help_text == "Where they shop"


def test_changes_are_audited_with_before_and_after(db) -> None:
    f = add_field(ADMIN, "customers", {"en": "Branch"}, "text", session=db)
    update_field(ADMIN, f.id, version=f.version, labels={"en": "Home branch"}, session=db)
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity == "custom_field").order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].before == {"labels": {"en": "Branch"}} and events[1].after == {"labels": {"en": "Home branch"}}


def test_reorder_puts_fields_in_the_order_given(db) -> None:
    for name in ("A", "B", "C"):
        add_field(ADMIN, "interactions", {"en": name}, "text", session=db)
    reorder_fields(ADMIN, "interactions", ["c", "a"], session=db)
    assert [f.code for f in list_fields(db, "interactions")] == ["c", "a", "b"]


def test_filters_find_records_by_choice_number_date_and_yes_no(db) -> None:
    define_every_type(db)
    a, b, c = _customers(db, 3)
    set_values(db, "customers", a, {"preferred_branch": "north", "staff_count": Decimal(5), "key_account": True,
                                    "interests": ["cloud", "support"], "contract_end": dt.date(2027, 1, 1)})
    set_values(db, "customers", b, {"preferred_branch": "south", "staff_count": Decimal(50), "key_account": False,
                                    "interests": ["training"]})
    fields = {f.code: f for f in list_fields(db, "customers")}

    def ids(cond) -> list[int]:  # type: ignore[no-untyped-def]
        return list(db.scalars(select(Customer.id).where(cond).order_by(Customer.id)))

    assert ids(record_filter(fields["preferred_branch"], Customer.id, equals="north")) == [a]
    assert ids(record_filter(fields["staff_count"], Customer.id, at_least=10, at_most=100)) == [b]
    assert ids(record_filter(fields["key_account"], Customer.id, equals=False)) == [b]
    assert ids(record_filter(fields["interests"], Customer.id, any_of=["support", "training"])) == [a, b]
    assert ids(record_filter(fields["contract_end"], Customer.id, at_least=dt.date(2026, 12, 31))) == [a]
    assert ids(record_filter(fields["preferred_branch"], Customer.id, empty=True)) == [c]


def test_erasure_helper_removes_every_value_of_the_records(db) -> None:
    define_every_type(db)
    a, b = _customers(db, 2)
    set_values(db, "customers", a, {"nickname": "A", "interests": ["cloud", "support"]})
    set_values(db, "customers", b, {"nickname": "B"})
    assert delete_values(db, "customers", [a]) == 3
    assert db.scalar(select(func.count()).select_from(CustomValue)) == 1


def test_the_configuration_section_exports_and_applies_fields(db, db_url) -> None:  # type: ignore[no-untyped-def]
    define_every_type(db)
    add_value(ADMIN, "custom:preferred_branch", {"en": "East"}, session=db)
    section = SECTIONS["fields"]
    exported = section.export(db)
    assert len(exported) == 10 and section.changes(db, exported) == []
    db.rollback()  # a fresh database: nothing defined
    assert list_fields(db, "customers") == []
    changes = section.changes(db, exported)
    assert len(changes) == 10 and "customers.preferred_branch" in changes[6]
    section.apply(ADMIN, exported, db)
    assert section.export(db) == exported
    (branch,) = [f for f in list_fields(db, "customers") if f.code == "preferred_branch"]
    assert [c.code for c in branch.choices] == ["north", "south", "east"]
