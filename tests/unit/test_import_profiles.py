"""Saved import profiles: a manager saves how a system's files are read and reuses it for the next export of
that system, even when its columns come in another order or case; stale edits are refused; every change is
audited; staff cannot touch them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from crm.importing.profiles import (
    delete_profile,
    get_profile,
    list_profiles,
    mapping_for,
    options_for,
    save_profile,
)
from db.models import AuditEvent
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

SHOP = {"sku": "Item Code", "name": "Description", "stock": "On Hand"}


@pytest.fixture
def manager(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "salesmgr")


def _save(db, who, name="Shop stock", version=None, **changes):
    data = dict(name=name, kind="products", source_system="shop", mapping=SHOP,
                value_map={"category": {"Hot Drinks": "Coffee"}}, options={"day_first": True, "decimal_mark": ","})
    data.update(changes)
    profile = save_profile(who, version=version, session=db, **data)
    db.commit()
    return profile


def test_a_saved_profile_reads_the_next_export_with_its_columns_moved(db, manager) -> None:
    saved = _save(db, manager)
    profile = get_profile(manager, "  shop   STOCK ", session=db)
    assert profile == saved and profile.version == 1 and profile.updated_at.tzinfo is not None
    headers = ["on hand", "ITEM  CODE", "Price", "description"]
    assert mapping_for(profile, headers) == {"stock": 0, "sku": 1, "name": 3}
    assert mapping_for(profile, ["Item Code"]) == {"sku": 0}  # missing headers are left out
    options = options_for(profile, dry_run=True)
    assert (options.source_system, options.day_first, options.decimal_mark, options.dry_run) == ("shop", True, ",", True)
    assert options.value_map == {"category": {"hot drinks": "Coffee"}}  # value keys kept folded
    assert options_for(profile, source_system="erp").source_system == "erp"


def test_profiles_are_listed_by_name_and_by_kind(db, manager) -> None:
    _save(db, manager, name="B shop")
    _save(db, manager, name="A shop")
    assert [p.name for p in list_profiles(manager, session=db)] == ["A shop", "B shop"]
    assert list_profiles(manager, kind="receipts", session=db) == []


def test_an_update_needs_the_version_read_and_a_stale_one_is_refused(db, manager) -> None:
    first = _save(db, manager)
    admin = make_actor(db, "admin")
    second = _save(db, admin, version=first.version, mapping={"sku": "SKU", "name": "Name"})
    assert second.version == first.version + 1 and second.mapping == {"sku": "SKU", "name": "Name"}
    with pytest.raises(ConflictError, match="since you opened it"):
        _save(db, manager, version=first.version, mapping={"sku": "Code"})
    db.rollback()
    assert get_profile(manager, "Shop stock", session=db).mapping == {"sku": "SKU", "name": "Name"}


def test_a_taken_name_is_refused_instead_of_overwriting(db, manager) -> None:
    _save(db, manager)
    with pytest.raises(ValidationError) as caught:
        _save(db, manager, name="SHOP stock")
    assert "exists already" in caught.value.errors["name"]


def test_bad_input_is_reported_all_at_once(db, manager) -> None:
    with pytest.raises(ValidationError) as caught:
        _save(db, manager, name="x" * 121, kind="products", mapping={"sku": "Code", "colour": "Colour"},
              options={"on_duplicate": "merge"})
    assert set(caught.value.errors) == {"name", "mapping", "on_duplicate"}
    assert "colour" in caught.value.errors["mapping"]
    with pytest.raises(ValidationError) as caught:
        _save(db, manager, name="  ", kind="spaceships")
    assert set(caught.value.errors) == {"name", "kind"}


def test_an_unknown_name_says_which_profiles_exist(db, manager) -> None:
    _save(db, manager)
    with pytest.raises(NotFound) as caught:
        get_profile(manager, "Helpdesk", session=db)
    assert "Helpdesk" in caught.value.message and "Shop stock" in caught.value.message


def test_create_update_and_delete_are_audited(db, manager) -> None:
    first = _save(db, manager)
    _save(db, manager, version=first.version, source_system="erp")
    delete_profile(manager, first.id, session=db)
    db.commit()
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity == "import_profile")
                        .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert events[1].before == {"source_system": "shop"} and events[1].after == {"source_system": "erp"}
    assert list_profiles(manager, session=db) == []
    with pytest.raises(NotFound):
        delete_profile(manager, first.id, session=db)


def test_staff_cannot_read_or_save_profiles(db, manager) -> None:
    _save(db, manager)
    staff = make_actor(db, "sales")
    with pytest.raises(PermissionDenied):
        list_profiles(staff, session=db)
    with pytest.raises(PermissionDenied):
        _save(db, staff, name="Mine")
