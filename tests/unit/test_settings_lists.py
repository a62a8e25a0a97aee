"""Managed lists: values added by an admin, in order, labels per language, duplicates refused."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.core.access import Actor
from crm.core.errors import PermissionDenied, ValidationError
from crm.core.i18n import use_language
from crm.settings.lists import add_value, values
from db.models import AuditEvent

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")


def test_values_come_back_in_order_with_labels_in_each_language(db) -> None:
    add_value(ADMIN, "segments", {"en": "Retail", "id": "Ritel"}, session=db)
    add_value(ADMIN, "segments", {"en": "Public sector"}, session=db)
    db.commit()
    found = values(db, "segments")
    assert [v.code for v in found] == ["retail", "public_sector"]
    with use_language("id"):
        assert [v.label for v in found] == ["Ritel", "Public sector"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.entity == "list_value"))
    assert event.after["labels"] == {"en": "Retail", "id": "Ritel"}


def test_a_duplicate_or_empty_label_is_refused_with_every_problem(db) -> None:
    add_value(ADMIN, "segments", {"en": "Retail"}, session=db)
    with pytest.raises(ValidationError) as err:
        add_value(ADMIN, "segments", {"en": " retail "}, session=db)
    assert "already in this list" in err.value.message
    with pytest.raises(ValidationError) as err:
        add_value(ADMIN, "segments", {"id": "Ritel"}, session=db)
    assert "English label is required" in err.value.message


def test_only_admins_shape_lists(db) -> None:
    with pytest.raises(PermissionDenied):
        add_value(Actor(None, "sam", "Sam", "sales", "manager"), "segments", {"en": "Retail"}, session=db)
