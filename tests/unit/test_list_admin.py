"""Administering lists of values: built-in defaults, rename, reorder, deactivate, merge, delete, refusals."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.core.access import Actor
from crm.core.errors import PermissionDenied, ValidationError
from crm.core.i18n import use_language
from crm.settings import list_admin
from crm.settings.lists import add_value, choices_of, values
from db.models import AuditEvent, Customer, CustomerMonth, Department, Interaction, InteractionMonthly, User

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")
STAFF = Actor(None, "sam", "Sam", "sales", "staff")


def _customer(db, name: str, segment: str | None) -> Customer:
    c = Customer(name=name, segment=segment, name_key=name.lower())
    db.add(c)
    db.flush()
    return c


def _department(db, code: str) -> Department:
    dept = db.scalar(select(Department).where(Department.code == code))
    if dept is None:
        dept = Department(code=code, name=code)
        db.add(dept)
        db.flush()
    return dept


def _interaction(db, customer: Customer, channel: str, dept: str = "sales") -> Interaction:
    i = Interaction(customer_id=customer.id, department_id=_department(db, dept).id, channel=channel,
                    subject="Hello")
    db.add(i)
    db.flush()
    return i


def test_built_in_codes_are_the_defaults_translated_and_added_values_follow(db) -> None:
    add_value(ADMIN, "channels", {"en": "Fax", "id": "Faks"}, session=db)
    codes = [v.code for v in values(db, "channels")]
    assert codes[:3] == ["call", "email", "meeting"] and codes[-1] == "fax"
    with use_language("id"):
        chans = choices_of(db, "channels")
        assert chans.label("fax") == "Faks"
        assert chans.label("call") not in ("", "call")  # the built-in label, translated


def test_an_open_list_shows_the_values_in_use(db) -> None:
    _customer(db, "A", "Retail")
    add_value(ADMIN, "segments", {"en": "Public sector"}, session=db)
    assert [v.code for v in values(db, "segments")] == ["public_sector", "Retail"]
    with pytest.raises(ValidationError) as err:  # the name of a value in use is taken too
        add_value(ADMIN, "segments", {"en": "retail"}, session=db)
    assert "already in this list" in err.value.message


def test_rename_in_four_languages_and_a_duplicate_name_refused(db) -> None:
    list_admin.rename_value(ADMIN, "channels", "call", {"en": "Phone call", "id": "Telepon", "bg": "Обаждане",
                                                          "ur": "فون"}, session=db)
    with use_language("bg"):
        assert choices_of(db, "channels").label("call") == "Обаждане"
    assert choices_of(db, "channels").label("call") == "Phone call"
    with pytest.raises(ValidationError) as err:
        list_admin.rename_value(ADMIN, "channels", "email", {"en": "phone call"}, session=db)
    assert "already in this list" in err.value.message
    event = db.scalars(select(AuditEvent).where(AuditEvent.entity == "list_value")
                       .order_by(AuditEvent.id.desc())).first()
    assert event.after["labels"]["en"] == "Phone call" and event.before["labels"] == {}


def test_reorder_puts_every_value_in_the_given_order(db) -> None:
    codes = [v.code for v in values(db, "feedback_kinds")]
    list_admin.reorder_values(ADMIN, "feedback_kinds", list(reversed(codes)), session=db)
    assert [v.code for v in values(db, "feedback_kinds")] == list(reversed(codes))
    with pytest.raises(ValidationError):
        list_admin.reorder_values(ADMIN, "feedback_kinds", codes[:1], session=db)


def test_a_deactivated_value_is_no_longer_offered_but_records_keep_and_label_it(db) -> None:
    c = _customer(db, "A", None)
    i = _interaction(db, c, "chat")
    list_admin.set_active(ADMIN, "channels", "chat", False, session=db)
    chans = choices_of(db, "channels")
    assert "chat" not in chans.offered()
    assert "chat" in chans.offered(keep="chat")  # a record's own value stays selectable on its edit form
    assert chans.listed(i.channel).endswith("(inactive)")
    assert db.get(Interaction, i.id).channel == "chat"


def test_merge_moves_the_records_in_bulk_and_is_audited_with_counts(db) -> None:
    a = _customer(db, "A", "Retail")
    _customer(db, "B", "Retail ")
    _customer(db, "C", "retail shops")
    db.add(CustomerMonth(customer_id=a.id, month="2026-01", segment="Retail"))
    db.flush()
    result = list_admin.merge_values(ADMIN, "segments", "retail shops", "Retail", session=db)
    assert result.moved["customers.segment"] == 1
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.segment == "Retail")) == 2
    assert "retail shops" not in {v.code for v in values(db, "segments", include_inactive=True)}
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "merge")).one()
    assert event.after["moved"] == {"customers.segment": 1}


def test_merging_channels_adds_up_the_monthly_counts(db) -> None:
    c = _customer(db, "A", None)
    _interaction(db, c, "chat")
    _interaction(db, c, "call")
    sales = _department(db, "sales").id
    db.add_all([InteractionMonthly(month="2026-01", department_id=sales, channel="chat", interactions=3),
                InteractionMonthly(month="2026-01", department_id=sales, channel="call", interactions=2)])
    db.flush()
    result = list_admin.merge_values(ADMIN, "channels", "chat", "call", session=db)
    assert result.moved == {"interactions.channel": 1, "interaction_monthly.channel": 1}
    rows = db.execute(select(InteractionMonthly.channel, InteractionMonthly.interactions)).all()
    assert rows == [("call", 5)]
    chat = next(v for v in values(db, "channels", include_inactive=True) if v.code == "chat")
    assert chat.active is False  # a built-in value stays, inactive


def test_merging_departments_moves_users_and_interactions(db) -> None:
    add_value(ADMIN, "departments", {"en": "Legal"}, session=db)
    legal = _department(db, "legal")
    user = User(username="lee", full_name="Lee", department_id=legal.id, role="staff", password_hash="x")
    db.add(user)
    c = _customer(db, "A", None)
    i = _interaction(db, c, "call", dept="legal")
    result = list_admin.merge_values(ADMIN, "departments", "legal", "finance", session=db)
    finance = _department(db, "finance").id
    assert result.moved["users.department_id"] == 1 and result.moved["interactions.department_id"] == 1
    db.expire_all()
    assert db.get(User, user.id).department_id == finance and db.get(Interaction, i.id).department_id == finance


def test_a_value_in_use_cannot_be_deleted_one_unused_can(db) -> None:
    add_value(ADMIN, "segments", {"en": "Retail"}, session=db)
    add_value(ADMIN, "segments", {"en": "Wholesale"}, session=db)
    _customer(db, "A", "retail")
    with pytest.raises(ValidationError) as err:
        list_admin.delete_value(ADMIN, "segments", "retail", session=db)
    assert "deactivate it, or merge it" in err.value.message
    list_admin.delete_value(ADMIN, "segments", "wholesale", session=db)
    assert [v.code for v in values(db, "segments")] == ["retail"]
    with pytest.raises(ValidationError):  # built in: deactivate instead
        list_admin.delete_value(ADMIN, "channels", "call", session=db)


def test_a_new_department_can_be_given_to_a_user(db) -> None:
    from crm.accounts.users import validate_new_user
    assert "department" in validate_new_user("lee", "Lee", "legal", "staff", "long enough pw", session=db)
    add_value(ADMIN, "departments", {"en": "Legal"}, session=db)
    assert "department" not in validate_new_user("lee", "Lee", "legal", "staff", "long enough pw", session=db)


@pytest.mark.parametrize("call", [
    lambda db: list_admin.rename_value(STAFF, "channels", "call", {"en": "X"}, session=db),
    lambda db: list_admin.reorder_values(STAFF, "channels", [], session=db),
    lambda db: list_admin.set_active(STAFF, "channels", "call", False, session=db),
    lambda db: list_admin.merge_values(STAFF, "channels", "chat", "call", session=db),
    lambda db: list_admin.delete_value(STAFF, "channels", "call", session=db),
    lambda db: list_admin.managed_lists(STAFF, session=db),
])
def test_only_admins_administer_lists(db, call) -> None:
    with pytest.raises(PermissionDenied):
        call(db)


def test_filters_offer_only_active_segments_while_records_keep_an_inactive_one(db) -> None:
    from crm.customers.service import filter_choices, get_customer

    c = _customer(db, "A", "Retail")
    add_value(ADMIN, "segments", {"en": "Public sector"}, session=db)
    list_admin.set_active(ADMIN, "segments", "Retail", False, session=db)
    offered = filter_choices(ADMIN, session=db)
    assert offered.segments == ["public_sector"] and offered.segment_labels == {"public_sector": "Public sector"}
    assert get_customer(ADMIN, c.id, session=db).segment == "Retail"
    assert choices_of(db, "segments").listed("Retail") == "Retail (inactive)"


def test_logging_an_interaction_with_a_deactivated_channel_is_refused(db) -> None:
    from crm.interactions.service import log_interaction

    c = _customer(db, "A", None)
    db.commit()
    list_admin.set_active(ADMIN, "channels", "visit", False, session=db)
    sales = Actor(None, "sam", "Sam", "sales", "staff")
    with pytest.raises(ValidationError) as err:
        log_interaction(sales, c.id, channel="visit", subject="Hello", session=db)
    assert "channel" in err.value.errors


def test_a_department_an_administrator_named_shows_its_label_for_its_users(db) -> None:
    from crm.accounts.users import SYSTEM, actor_for, create_user
    from crm.core.i18n import use_language
    from crm.settings.lists import add_value

    add_value(SYSTEM, "departments", {"en": "Key accounts", "bg": "Ключови клиенти"}, session=db)
    create_user(SYSTEM, username="kiri", full_name="Kiri Ivanova", department="key_accounts", role="staff",
                password="long enough pw", session=db)
    db.commit()
    who = actor_for("kiri", session=db)
    assert who.department_name == "Key accounts"
    with use_language("bg"):
        assert who.department_name == "Ключови клиенти"
