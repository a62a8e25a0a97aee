"""Templates: a change never rewrites a running checklist or an approved plan; new ones start from it."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm.budget import editing, plans, workflow
from crm.core.errors import PermissionDenied, ValidationError
from crm.rollout.checklist import MAINTENANCE, TEMPLATE, list_items, start_project
from crm.settings import list_admin
from crm.settings.lists import add_value
from crm.settings.templates import add_template_item, checklist_template, update_template_item
from db.models import AuditEvent, ChecklistItem
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

START = dt.date(2026, 1, 5)


@pytest.fixture
def people(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "admin"), make_actor(db, "it"), make_actor(db, "budget"), make_actor(db, "sponsor")


def test_the_template_starts_as_the_built_in_one(db, people) -> None:
    admin, *_ = people
    items = checklist_template(admin, session=db)
    assert [t.key for t in items] == [k for k, *_ in TEMPLATE] + [k for k, *_ in MAINTENANCE]
    upgrade = next(t for t in items if t.key == "upgrade")
    assert upgrade.phase == "maintenance" and upgrade.recurrence_months == 3


def test_a_template_change_leaves_the_running_checklist_and_reaches_a_new_project(db, people) -> None:
    admin, it, *_ = people
    start_project(it, start=START, session=db)
    before = [(i.title, i.category, i.due_on) for i in list_items(it, session=db)]
    pilot = next(t for t in checklist_template(admin, session=db) if t.key == "pilot")
    update_template_item(admin, pilot.id, {"title": "Pilot with two departments", "days": 60,
                                           "owner_department": "it"}, session=db)
    add_template_item(admin, {"phase": "rollout", "category": "human", "title": "Celebrate the launch",
                              "days": 120, "owner_department": "sales"}, session=db)
    add_template_item(admin, {"phase": "maintenance", "category": "maintenance", "title": "Review the lists",
                              "recurrence_months": 6}, session=db)
    db.commit()
    assert [(i.title, i.category, i.due_on) for i in list_items(it, session=db)] == before  # running: untouched

    db.execute(ChecklistItem.__table__.delete())  # a new project
    start_project(it, start=START, session=db)
    items = {i.title: i for i in list_items(it, session=db)}
    assert "Pilot with two departments" in items and "Pilot with one department" not in items
    assert items["Pilot with two departments"].due_on == START + dt.timedelta(days=60)
    assert items["Pilot with two departments"].owner == "Ivan Petkov"  # the IT department's user
    assert items["Celebrate the launch"].owner == "Georgi Dimitrov"  # sales: its manager first
    assert items["Review the lists"].recurrence_months == 6
    assert db.scalars(select(AuditEvent).where(AuditEvent.entity == "checklist_template_item")).all()


def test_a_deactivated_template_item_is_left_out_of_a_new_project(db, people) -> None:
    admin, it, *_ = people
    go_live = next(t for t in checklist_template(admin, session=db) if t.key == "go_live")
    update_template_item(admin, go_live.id, {"active": False}, session=db)
    start_project(it, start=START, session=db)
    assert "go_live" not in set(db.scalars(select(ChecklistItem.template_key)))


def test_template_items_are_checked_with_every_problem_at_once(db, people) -> None:
    admin, *_ = people
    with pytest.raises(ValidationError) as err:
        add_template_item(admin, {"phase": "later", "category": "nope", "title": " ", "days": -1}, session=db)
    assert set(err.value.errors) >= {"phase", "category", "title", "days"}


def test_a_category_change_leaves_an_approved_plan_and_reaches_a_new_plan(db, people) -> None:
    admin, _it, officer, sponsor = people
    old = plans.create_plan(officer, fiscal_year=2026, name="CRM 2026", session=db)
    editing.save_lines(officer, old, None, added=[{"category": "marketing", "description": "Fairs", "q1": 10}],
                       session=db)
    workflow.submit_plan(officer, old, None, session=db)
    workflow.approve_plan(sponsor, old, None, "ok", session=db)
    add_value(admin, "budget_categories", {"en": "Events"}, session=db)
    list_admin.rename_value(admin, "budget_categories", "marketing", {"en": "Promotion"}, session=db)
    list_admin.set_active(admin, "budget_categories", "training", False, session=db)
    db.commit()

    approved = plans.get_plan(officer, old, session=db, measure=False)
    assert list(approved.categories) == ["marketing", "products", "customer_service", "maintenance", "training"]
    assert approved.categories["marketing"]["en"] == "Marketing"
    assert approved.lines[0]["category"] == "marketing"

    new = plans.create_plan(officer, fiscal_year=2027, name="CRM 2027", session=db)
    view = plans.get_plan(officer, new, session=db, measure=False)
    assert list(view.categories) == ["marketing", "products", "customer_service", "maintenance", "events"]
    assert view.categories["marketing"]["en"] == "Promotion"
    editing.save_lines(officer, new, None, added=[{"category": "events", "description": "Launch", "q1": 5}],
                       session=db)
    with pytest.raises(ValidationError):  # no longer in the template: refused in the new plan
        editing.save_lines(officer, new, None, added=[{"category": "training", "description": "X", "q1": 1}],
                           session=db)


def test_budget_categories_cannot_be_merged(db, people) -> None:
    admin, *_ = people
    with pytest.raises(ValidationError):
        list_admin.merge_values(admin, "budget_categories", "training", "marketing", session=db)


def test_only_admins_edit_templates(db, people) -> None:
    _admin, it, *_ = people
    with pytest.raises(PermissionDenied):
        checklist_template(it, session=db)
    with pytest.raises(PermissionDenied):
        add_template_item(it, {"phase": "rollout", "category": "human", "title": "X", "days": 1}, session=db)
