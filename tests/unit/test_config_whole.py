"""The whole configuration (lists, custom fields, templates, rights) carried from one installation to a fresh
one: the fresh one then exports exactly the same file, and a second import finds nothing left to change."""
from __future__ import annotations

from typing import Any

import pytest

from crm.core.access import Actor
from crm.core.database import session_scope
from crm.settings import rights
from crm.settings.config_file import dumps, export_config, import_config, loads
from crm.settings.fields import add_field
from crm.settings.list_admin import rename_value, set_active
from crm.settings.lists import add_value
from crm.settings.templates import add_template_item

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")


def _shape(url: str) -> None:
    """What an administrator does on a test installation."""
    with session_scope(url) as s:
        add_value(ADMIN, "segments", {"en": "Public sector", "id": "Sektor publik"}, session=s)
        rename_value(ADMIN, "channels", "call", {"en": "Phone call", "bg": "Телефонно обаждане"},
                     session=s)
        set_active(ADMIN, "channels", "meeting", False, session=s)
        add_field(ADMIN, "customers", {"en": "Preferred branch", "ur": "پسندیدہ شاخ"}, "choice",
                  choices=["North", "South"], session=s)
        add_field(ADMIN, "interactions", {"en": "Minutes spent"}, "number", options={"min": 0, "decimals": 0},
                  session=s)
        add_template_item(ADMIN, {"phase": "rollout", "category": "human", "title": "Train the branch managers",
                                  "days": 30, "owner_department": "training"}, session=s)
        rights.grant(ADMIN, "insights.read", "staff", "hr_development", session=s)


def _export(url: str) -> dict[str, Any]:
    with session_scope(url) as s:
        return export_config(ADMIN, session=s)


@pytest.mark.parametrize("filename", ["portal.yaml", "portal.json"])
def test_the_whole_configuration_arrives_the_same_in_a_fresh_database(db_url, fresh_url, filename) -> None:
    _shape(db_url)
    exported = _export(db_url)
    assert {"lists", "fields", "templates", "rights"} <= set(exported)
    assert exported != _export(fresh_url)  # the fresh installation starts different

    data = loads(dumps(exported, filename), filename)
    with session_scope(fresh_url) as s:
        changes = import_config(ADMIN, data, session=s)
    assert {c.section for c in changes} == {"lists", "fields", "templates", "rights"}

    assert _export(fresh_url) == exported
    with session_scope(fresh_url) as s:
        assert import_config(ADMIN, data, session=s) == []
