"""The "lists" and "templates" sections of the configuration file: export, changes in words, apply (round trip)."""
from __future__ import annotations

import json
import shutil

import pytest

from crm.core.access import Actor
from crm.core.errors import ValidationError
from crm.settings import list_admin, sections  # noqa: F401  (registers the sections)
from crm.settings.config_file import SECTIONS
from crm.settings.lists import add_value
from crm.settings.templates import add_template_item, checklist_template, update_template_item
from db.engine import get_sessionmaker
from db.models import AuditEvent

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")


def _configure(db) -> None:
    add_value(ADMIN, "segments", {"en": "Retail", "id": "Ritel"}, session=db)
    add_value(ADMIN, "segments", {"en": "Public sector"}, session=db)
    list_admin.rename_value(ADMIN, "channels", "call", {"en": "Phone call"}, session=db)
    list_admin.set_active(ADMIN, "channels", "visit", False, session=db)
    codes = [v.code for v in list_admin.managed_lists(ADMIN, codes=("feedback_kinds",), session=db)[0].values]
    list_admin.reorder_values(ADMIN, "feedback_kinds", list(reversed(codes)), session=db)
    add_value(ADMIN, "budget_categories", {"en": "Events"}, session=db)
    pilot = next(t for t in checklist_template(ADMIN, session=db) if t.key == "pilot")
    update_template_item(ADMIN, pilot.id, {"days": 60, "owner_department": "it"}, session=db)
    add_template_item(ADMIN, {"phase": "rollout", "category": "human", "title": "Celebrate", "days": 120},
                      session=db)


def _export(session) -> dict:
    return json.loads(json.dumps({name: SECTIONS[name].export(session) for name in ("lists", "templates")}))


def test_sections_are_registered_in_order() -> None:
    assert SECTIONS["lists"].order == 10 and SECTIONS["templates"].order == 30


def test_export_then_import_into_a_fresh_database_gives_the_same_configuration(db, sqlite_template, tmp_path) -> None:
    _configure(db)
    db.commit()
    data = _export(db)
    assert data["lists"]["segments"][0] == {"code": "retail", "labels": {"en": "Retail", "id": "Ritel"},
                                            "active": True}
    path = tmp_path / "fresh.sqlite3"
    shutil.copy(sqlite_template, path)
    fresh = get_sessionmaker(f"sqlite:///{path}")()
    try:
        said = [line for name in ("lists", "templates") for line in SECTIONS[name].changes(fresh, data[name])]
        assert "Customer segments: add “Retail”" in said
        assert "Interaction channels: deactivate “Visit”" in said
        assert "Feedback kinds: new order" in said
        assert "Checklist template: add “Celebrate”" in said
        assert any(line.startswith("Checklist template: change “Pilot with one department”") for line in said)
        for name in ("lists", "templates"):
            SECTIONS[name].apply(ADMIN, data[name], fresh)
        fresh.commit()
        assert _export(fresh) == data
        assert [line for name in ("lists", "templates") for line in SECTIONS[name].changes(fresh, data[name])] == []
        assert fresh.query(AuditEvent).count() > 0
    finally:
        fresh.close()


def test_a_file_naming_an_unknown_list_is_refused_with_nothing_applied(db) -> None:
    with pytest.raises(ValidationError) as err:
        SECTIONS["lists"].changes(db, {"colours": [{"code": "red"}], "segments": [{"labels": {}}]})
    assert set(err.value.errors) == {"colours", "segments"}
