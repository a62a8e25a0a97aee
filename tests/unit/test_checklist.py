"""Checklist rules: template, status transitions, sign-off, recurrence, progress figures."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm.rollout.checklist import (
    TEMPLATE,
    MAINTENANCE,
    MEASURED,
    due_soon,
    list_items,
    phase_progress,
    readiness_score,
    revoke_sign_off,
    sign_off,
    sign_off_states,
    start_project,
    update_item,
)
from crm.core.errors import PermissionDenied, ValidationError
from crm.rollout.requirements import add_requirement, export_requirements_csv, list_requirements, update_requirement
from tools.seed import ensure_demo_accounts
from db.models import AuditEvent, BudgetPlan, ChecklistItem, ImportBatch, User
from tests.conftest import make_actor
from tests.unit.require_counter import count_require

START = dt.date(2026, 1, 5)


@pytest.fixture
def project(db):
    ensure_demo_accounts(session=db)
    it = make_actor(db, "it")
    start_project(it, start=START, session=db)
    db.commit()
    return it, make_actor(db, "sponsor")


def _item(db, key: str) -> ChecklistItem:
    return db.scalar(select(ChecklistItem).where(ChecklistItem.template_key == key))


def _approve_plan(db, status: str = "approved") -> BudgetPlan:
    plan = BudgetPlan(fiscal_year=dt.date.today().year, name="Rollout", status=status)
    db.add(plan)
    db.flush()
    return plan


def _close_phase(db, it, phase: str) -> None:
    """Close every item: by hand, and the measured ones by bringing about what they follow."""
    if phase == "pre_implementation":
        _approve_plan(db)
    for item in db.scalars(select(ChecklistItem).where(ChecklistItem.phase == phase)).all():
        if item.template_key not in MEASURED:
            update_item(it, item.id, {"status": "done"}, item.version, session=db)


def test_template_creates_every_item_once(db, project) -> None:
    it, _ = project
    items = list_items(it, session=db)
    assert len(items) == len(TEMPLATE) + len(MAINTENANCE)
    titles = {i.title for i in items}
    assert "Evaluate the data available and its quality" in titles and "Name the executive sponsor" in titles
    assert start_project(it, start=START, session=db) == 0  # idempotent


def test_status_rules_blocked_needs_reason_na_needs_note_done_records_who(db, project) -> None:
    it, _ = project
    item = _item(db, "data_evaluation")
    with pytest.raises(ValidationError) as err:
        update_item(it, item.id, {"status": "blocked"}, item.version, session=db)
    assert "blocked_reason" in err.value.errors
    with pytest.raises(ValidationError) as err:
        update_item(it, item.id, {"status": "not_applicable"}, item.version, session=db)
    assert "notes" in err.value.errors
    done = update_item(it, item.id, {"status": "done", "evidence": "report.pdf"}, item.version, session=db)
    assert done.completed_by == "Ivan Petkov" and done.completed_at is not None
    reopened = update_item(it, item.id, {"status": "in_progress"}, done.version, session=db)
    assert reopened.completed_by is None and reopened.completed_at is None


def test_sign_off_refused_while_items_open_and_for_non_sponsors(db, project) -> None:
    it, sponsor = project
    with pytest.raises(ValidationError) as err:
        sign_off(sponsor, "pre_implementation", session=db)
    assert "9 items are still open" in err.value.errors["phase"]
    _close_phase(db, it, "pre_implementation")
    for username in ("it", "salesmgr", "admin", "budget"):
        with pytest.raises(PermissionDenied):
            sign_off(make_actor(db, username), "pre_implementation", session=db)
    sign_off(sponsor, "pre_implementation", "Ready", session=db)
    progress = {p.phase: p for p in phase_progress(sponsor, session=db)}
    assert progress["pre_implementation"].signed_off and progress["pre_implementation"].signed_by == "Susan Park"
    with pytest.raises(ValidationError):
        revoke_sign_off(sponsor, "pre_implementation", "  ", session=db)
    with pytest.raises(PermissionDenied):
        revoke_sign_off(it, "pre_implementation", "oops", session=db)
    revoke_sign_off(sponsor, "pre_implementation", "Data migration failed a re-check", session=db)
    assert not {p.phase: p for p in phase_progress(sponsor, session=db)}["pre_implementation"].signed_off
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity == "phase"))]
    assert actions == ["sign_off", "revoke_sign_off"]


def test_completing_a_recurring_item_schedules_the_next_occurrence(db, project) -> None:
    it, _ = project
    cert = _item(db, "certification")
    assert cert.recurrence_months == 12 and cert.expires_on is not None
    old_expiry = cert.expires_on
    update_item(it, cert.id, {"status": "done"}, cert.version, session=db)
    nxt = db.scalars(select(ChecklistItem).where(ChecklistItem.title == cert.title,
                                                 ChecklistItem.status == "todo")).one()
    today = dt.date.today()
    assert nxt.due_on.year == today.year + 1 and nxt.due_on.month == today.month
    assert nxt.expires_on.year == old_expiry.year + 1
    assert nxt.id != cert.id and _item(db, "certification").status == "done"  # history kept


def test_progress_and_readiness_against_hand_computed_figures(db, project) -> None:
    it, sponsor = project
    today = START + dt.timedelta(days=25)  # items due on days 7, 14, 14, 21, 21 are overdue unless closed
    for key in ("executive_sponsor", "data_evaluation", "stakeholders"):
        item = _item(db, key)
        update_item(it, item.id, {"status": "done"}, item.version, session=db)
    item = _item(db, "timeline")
    update_item(it, item.id, {"status": "blocked", "blocked_reason": "Vendor late"}, item.version, session=db)
    pre = {p.phase: p for p in phase_progress(sponsor, today=today, session=db)}["pre_implementation"]
    assert (pre.total, pre.closed, pre.blocked) == (9, 3, 1)
    assert pre.percent == 33  # 3 of 9
    # overdue on day 25: systems_evaluation (21) and timeline (21) -> 2
    assert pre.overdue == 2
    assert readiness_score(sponsor, today=today, session=db) == 33 - 5 * 1 - 2 * 2
    soon = {i.title for i in due_soon(sponsor, 30, today=today, session=db)}
    assert "Plan data cleaning and migration from departmental sources" in soon  # due day 28


def test_requirements_validation_edit_and_formula_safe_export(db, project) -> None:
    it, sponsor = project
    with pytest.raises(ValidationError) as err:
        add_requirement(it, {"kind": "wish", "title": "", "priority": "maybe", "estimated_cost": "-3"}, session=db)
    assert set(err.value.errors) == {"kind", "title", "priority", "estimated_cost"}
    req = add_requirement(it, {"kind": "vendor", "title": "=HYPERLINK(\"http://x\")", "priority": "must",
                               "estimated_cost": "1500"}, session=db)
    updated = update_requirement(it, req.id, {"status": "agreed"}, req.version, session=db)
    assert updated.status == "agreed"
    with pytest.raises(PermissionDenied):
        add_requirement(sponsor, {"kind": "vendor", "title": "x"}, session=db)
    assert [r.title for r in list_requirements(sponsor, kind="vendor", session=db)] == [req.title]
    csv_text = export_requirements_csv(sponsor, session=db).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text


@pytest.mark.parametrize("language", ["id", "bg", "ur"])
def test_errors_are_raised_in_the_users_language_without_breaking_placeholders(db, project, language) -> None:
    from crm.core.i18n import use_language

    it, sponsor = project
    with use_language(language):
        with pytest.raises(ValidationError) as err:
            sign_off(sponsor, "pre_implementation", session=db)
        assert "9" in err.value.errors["phase"] and "{" not in err.value.errors["phase"]
        item = _item(db, "data_evaluation")
        with pytest.raises(ValidationError) as err:
            update_item(it, item.id, {"status": "nope", "colour": "red"}, item.version, session=db)
        assert "colour" in err.value.errors["fields"] and "{" not in err.value.errors["status"]
        with pytest.raises(ValidationError) as err:
            add_requirement(it, {"kind": "wish", "title": "x", "priority": "maybe", "owner_id": 99999}, session=db)
        assert set(err.value.errors) == {"kind", "priority", "owner_id"}  # a missing pick is one more field error
        assert all("{" not in message for message in err.value.errors.values())


def test_readiness_score_checks_access_once(db, project, monkeypatch) -> None:
    _it, sponsor = project
    checked = count_require(monkeypatch)
    readiness_score(sponsor, today=START, session=db)
    assert checked == ["checklist.read"]


def test_requirement_export_and_new_stakeholder_check_access_once(db, project, monkeypatch) -> None:
    from crm.rollout import requirements

    it, sponsor = project
    checked = count_require(monkeypatch)
    export_requirements_csv(sponsor, session=db)
    assert checked == ["checklist.read"]
    checked.clear()
    person = requirements.add_stakeholder(it, {"name": "Dewi Lestari", "department": "sales"}, session=db)
    assert checked == ["checklist.write"]
    assert person.name == "Dewi Lestari" and person.department == "sales"


def _status_of(db, who, key: str) -> str:
    item = _item(db, key)
    return next(i.status for i in list_items(who, session=db) if i.id == item.id)


def test_budget_item_follows_the_approved_plan_and_reopens_when_it_stops_being_approved(db, project) -> None:
    it, sponsor = project
    assert _status_of(db, sponsor, "budget_approved") == "todo"
    plan = _approve_plan(db)
    view = next(i for i in list_items(sponsor, session=db) if i.id == _item(db, "budget_approved").id)
    assert view.status == "done" and view.measured_by == MEASURED["budget_approved"]
    pre = {p.phase: p for p in phase_progress(sponsor, session=db)}["pre_implementation"]
    assert pre.closed == 1
    plan.status = "returned"  # no longer approved
    db.flush()
    assert _status_of(db, sponsor, "budget_approved") == "todo"
    item = _item(db, "budget_approved")
    with pytest.raises(ValidationError) as err:
        update_item(it, item.id, {"status": "done"}, item.version, session=db)
    assert "follows the budget plan" in err.value.errors["status"]


def test_data_item_follows_a_successful_import_and_sign_in_item_follows_every_user(db, project) -> None:
    it, sponsor = project
    assert _status_of(db, sponsor, "migration_run") == "todo"
    db.add(ImportBatch(kind="customers", filename="x.csv", status="failed"))
    db.flush()
    assert _status_of(db, sponsor, "migration_run") == "todo"
    batch = ImportBatch(kind="customers", filename="y.csv", status="done")
    db.add(batch)
    db.flush()
    assert _status_of(db, sponsor, "migration_run") == "done"
    batch.reverted_at = dt.datetime.now(dt.timezone.utc)
    db.flush()
    assert _status_of(db, sponsor, "migration_run") == "todo"
    assert _status_of(db, sponsor, "train_staff") == "todo"
    for user in db.scalars(select(User)):
        user.last_login_at = dt.datetime.now(dt.timezone.utc)
    db.flush()
    assert _status_of(db, sponsor, "train_staff") == "done"


def test_sign_off_states_say_why_the_button_is_unavailable(db, project) -> None:
    it, sponsor = project
    states = sign_off_states(sponsor, session=db)
    pre = states["pre_implementation"]
    assert not pre.available and "9 items are still open" in pre.reason
    assert "Name the executive sponsor (to do)" in pre.reason
    sales = sign_off_states(make_actor(db, "sales"), session=db)["pre_implementation"]
    assert not sales.available and "Your role cannot sign off" in sales.reason
    _close_phase(db, it, "pre_implementation")
    assert sign_off_states(sponsor, session=db)["pre_implementation"].available
    sign_off(sponsor, "pre_implementation", session=db)
    assert "pre_implementation" not in sign_off_states(sponsor, session=db)
