"""Budget planning services: totals, variance, workflow, lock, revisions, refusals, conflicts."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.budget import editing, export, plans, workflow
from crm.core.access import can
from crm.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from tools.seed import DEMO_ACCOUNTS, ensure_demo_accounts
from db.engine import get_sessionmaker
from db.models import BudgetPlan
from tests.conftest import make_actor, migrate_and_return

D = Decimal


def line(cat, desc, q, a=(0, 0, 0, 0), goal_id=None, **extra):
    row = {"category": cat, "description": desc, "goal_id": goal_id, **extra}
    row.update({f"q{i + 1}": v for i, v in enumerate(q)})
    row.update({f"actual_q{i + 1}": v for i, v in enumerate(a)})
    return row


def line_ids(db, who, plan) -> list[int]:
    """The plan's line ids in the order the page shows them."""
    return [l["id"] for l in plans.get_plan(who, plan, session=db, measure=False).lines]


def goal_id(db, who, plan, title) -> int:
    return next(g.id for g in plans.get_plan(who, plan, session=db, measure=False).goals if g.title == title)


@pytest.fixture
def setup(db):
    ensure_demo_accounts(session=db)
    db.commit()
    officer = make_actor(db, "budget")
    sponsor = make_actor(db, "sponsor")
    last = plans.create_plan(officer, fiscal_year=2025, name="CRM 2025", session=db)
    editing.save_lines(officer, last, None, added=[
        line("marketing", "Fairs", (100, 100, 100, 100), (120, 90, 100, 110)),
        line("training", "Courses", (50, 0, 50, 0), (40, 0, 60, 0)),
    ], session=db)
    workflow.submit_plan(officer, last, None, session=db)
    workflow.approve_plan(sponsor, last, None, "ok", session=db)
    plan = plans.create_plan(officer, fiscal_year=2026, name="CRM 2026", ceiling="1000", session=db)
    editing.save_goals(officer, plan, None, [
        {"title": "More customers", "kpi": "new_customers", "target": 10, "baseline": 2},
        {"title": "Better NPS", "kpi": "nps", "target": 50, "baseline": 10},
    ], session=db)
    more, nps = goal_id(db, officer, plan, "More customers"), goal_id(db, officer, plan, "Better NPS")
    editing.save_lines(officer, plan, None, added=[
        line("marketing", "Referral", (100, 200, 0, 0), (150, 100, 0, 0), goal_id=more),
        line("customer_service", "Calls", (50, 50, 50, 50), (50, 60, 0, 0), goal_id=nps),
        line("maintenance", "Licences", (25, 25, 25, 25)),
    ], session=db)
    db.commit()
    return db, officer, sponsor, last, plan


def test_totals_variance_and_last_year(setup):
    db, officer, _, last, plan = setup
    view = plans.get_plan(officer, plan, session=db)
    # hand-computed: 300 + 200 + 100
    assert view.planned_total == D("600.00")
    assert view.actual_total == D("360.00")  # 250 + 110
    assert [l["description"] for l in view.unjustified] == ["Licences"]
    cost = {g.title: g.cost for g in view.goals}
    assert cost == {"More customers": D("300"), "Better NPS": D("200")}
    var = plans.variance(officer, plan, session=db)
    ref = var[(var.description == "Referral") & (var.quarter == "Q1")].iloc[0]
    assert ref["variance"] == D("-50") and bool(ref["over_spend"])
    calls_q2 = var[(var.description == "Calls") & (var.quarter == "Q2")].iloc[0]
    assert calls_q2["variance"] == D("-10") and bool(calls_q2["over_spend"])
    assert int(var.over_spend.sum()) == 2
    side = plans.vs_last_year(officer, plan, session=db).set_index("category")
    assert side.loc["marketing", "last_year_actual"] == D("420")  # 120+90+100+110
    assert side.loc["training", "last_year_actual"] == D("100")  # 40+60
    assert side.loc["marketing", "plan"] == D("300")
    assert side.loc["marketing", "change"] == D("-120")
    assert side.loc["maintenance", "last_year_actual"] == D("0")


def test_progress_formula():
    assert plans.goal_progress(D(2), D(10), D(6)) == pytest.approx(0.5)
    assert plans.goal_progress(D(48), D(24), D(36)) == pytest.approx(0.5)  # lower is better
    assert plans.goal_progress(None, D(10), D(6)) is None
    assert plans.goal_progress(D(10), D(10), D(6)) is None


def test_goal_progress_measured_from_crm(setup):
    db, officer, _, _, plan = setup
    from db.models import Customer

    for i in range(4):
        db.add(Customer(name=f"C{i}", status="customer"))
    db.commit()
    view = plans.get_plan(officer, plan, session=db)
    goal = next(g for g in view.goals if g.kpi == "new_customers")
    assert goal.current == D(4)
    assert goal.progress == pytest.approx((4 - 2) / (10 - 2))
    nps = next(g for g in view.goals if g.kpi == "nps")
    assert nps.current is None and nps.progress is None  # no survey answers: not measurable


def test_save_is_all_or_nothing_with_row_errors(setup):
    db, officer, _, _, plan = setup
    v = plans.get_plan(officer, plan, session=db).version
    referral, calls, licences = line_ids(db, officer, plan)
    with pytest.raises(ValidationError) as err:
        editing.save_lines(officer, plan, v, changed={referral: {"q1": -5}, licences: {"category": "travel"}},
                           added=[{"category": "training", "description": "X", "q1": "abc",
                                   "goal_id": 999999}], session=db)
    msgs = err.value.errors
    assert set(msgs) == {"row 1", "row 3", "row 4"}
    assert "Row 1" in msgs["row 1"] and "negative" in msgs["row 1"]
    assert "category" in msgs["row 3"]
    assert "Q1 must be a number" in msgs["row 4"] and "goal does not belong" in msgs["row 4"]
    db.rollback()
    view = plans.get_plan(officer, plan, session=db)
    assert view.version == v and view.planned_total == D("600")
    # ceiling: 1000; adding 500 more is over
    with pytest.raises(ValidationError) as err:
        editing.save_lines(officer, plan, v, added=[line("training", "Big", (500, 0, 0, 0))], session=db)
    assert "exceeds the plan's ceiling $1,000.00 by $100.00" in err.value.errors["total"]  # the plan's currency (USD)
    db.rollback()
    # a valid edit + delete + add
    nps = goal_id(db, officer, plan, "Better NPS")
    saved = editing.save_lines(officer, plan, v, changed={referral: {"q1": 200}}, deleted=[licences],
                               added=[line("training", "Course", (10, 0, 0, 0), goal_id=nps)], session=db)
    db.commit()
    view = plans.get_plan(officer, plan, session=db)
    assert saved.version == view.version == v + 1
    assert saved.changed == 3  # one changed, one deleted, one added
    assert view.planned_total == D("400") + D("200") + D("10")
    assert [l["description"] for l in view.lines] == ["Referral", "Calls", "Course"]
    assert view.lines[2]["goal"] == "Better NPS"


def test_lines_saved_by_id_with_goal_by_id(setup):
    db, officer, _, _, plan = setup
    referral, calls, licences = line_ids(db, officer, plan)
    nps = goal_id(db, officer, plan, "Better NPS")
    saved = editing.save_lines(officer, plan, None, changed={licences: {"goal_id": nps, "q4": 40}}, session=db)
    db.commit()
    assert saved.changed == 1
    view = plans.get_plan(officer, plan, session=db, measure=False)
    licence_line = next(l for l in view.lines if l["id"] == licences)
    assert (licence_line["goal_id"], licence_line["goal"], licence_line["q4"]) == (nps, "Better NPS", D("40"))
    assert view.unjustified == []
    # a line id of another plan (or none at all) is refused, naming the line
    with pytest.raises(ValidationError) as err:
        editing.save_lines(officer, plan, None, changed={999999: {"q1": 1}}, deleted=[999998], session=db)
    assert set(err.value.errors) == {"line 999998", "line 999999"}
    db.rollback()
    # a goal title is not a way to point at a goal any more: it is refused, not ignored
    with pytest.raises(ValidationError) as err:
        editing.save_lines(officer, plan, None, changed={referral: {"goal": "Better NPS"}}, session=db)
    assert "cannot be changed here" in err.value.errors["row 1"]
    db.rollback()


def test_saving_unchanged_lines_changes_nothing(setup):
    db, officer, _, _, plan = setup
    from db.models import AuditEvent
    from sqlalchemy import func, select

    v = plans.get_plan(officer, plan, session=db).version
    first = plans.get_plan(officer, plan, session=db).lines[0]
    audits = db.scalar(select(func.count()).select_from(AuditEvent))
    saved = editing.save_lines(officer, plan, v, changed={first["id"]: {"q1": float(first["q1"]),
                                                                        "description": first["description"]}},
                               session=db)
    db.commit()
    assert (saved.version, saved.changed) == (v, 0)
    assert plans.get_plan(officer, plan, session=db).version == v
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == audits


def test_goal_titles_are_unique_within_a_plan(setup):
    """Two goals both titled "Grow" made a new line's goal ambiguous; the second title is refused."""
    db, officer, _, last, plan = setup
    v = plans.get_plan(officer, plan, session=db).version
    with pytest.raises(ValidationError) as err:
        editing.save_goals(officer, plan, v, [
            {"title": "Grow", "kpi": "custom", "target": 1},
            {"title": "Grow", "kpi": "custom", "target": 2},
        ], session=db)
    assert err.value.errors == {"goal 2": "Goal 2: another goal of this plan is already titled 'Grow'."}
    db.rollback()
    # renaming a goal to a title the plan already has (whatever its case) is refused too
    goals = [{"id": g.id, "title": g.title, "kpi": g.kpi, "target": g.target, "baseline": g.baseline}
             for g in plans.get_plan(officer, plan, session=db).goals]
    goals[1]["title"] = " more CUSTOMERS "
    with pytest.raises(ValidationError) as err:
        editing.save_goals(officer, plan, v, goals, session=db)
    assert "already titled 'more CUSTOMERS'" in err.value.errors["goal 2"]
    db.rollback()
    assert [g.title for g in plans.get_plan(officer, plan, session=db).goals] == ["More customers", "Better NPS"]
    # the same title in another plan is fine
    other = plans.create_plan(officer, fiscal_year=2027, name="Other", session=db)
    editing.save_goals(officer, other, None, [{"title": "More customers", "kpi": "custom", "target": 1}],
                       session=db)


def test_goal_must_belong_to_plan(setup):
    db, officer, _, last, plan = setup
    other = plans.create_plan(officer, fiscal_year=2027, name="Other", session=db)
    editing.save_goals(officer, other, None, [{"title": "G", "kpi": "custom", "target": 1}], session=db)
    foreign = plans.get_plan(officer, other, session=db).goals[0].id
    with pytest.raises(ValidationError) as err:
        editing.save_lines(officer, plan, None, added=[line("marketing", "X", (1, 0, 0, 0), goal_id=foreign)],
                           session=db)
    assert "Row 4" in err.value.errors["row 4"] and "goal" in err.value.errors["row 4"]


def test_workflow_lock_and_revisions(setup):
    db, officer, sponsor, _, plan = setup
    with pytest.raises(ValidationError):
        workflow.return_plan(sponsor, plan, None, "", session=db)  # not submitted
    db.rollback()
    workflow.submit_plan(officer, plan, None, session=db)
    db.commit()
    with pytest.raises(ValidationError) as err:
        editing.save_lines(officer, plan, None, added=[line("marketing", "X", (1, 0, 0, 0))], session=db)
    assert "waiting for a sponsor" in err.value.message
    db.rollback()
    with pytest.raises(ValidationError) as err:
        workflow.return_plan(sponsor, plan, None, "  ", session=db)
    assert "why" in err.value.errors["comment"]
    db.rollback()
    workflow.return_plan(sponsor, plan, None, "Too much on fairs", session=db)
    db.commit()
    view = plans.get_plan(officer, plan, session=db)
    assert view.status == "returned" and view.decision_comment == "Too much on fairs"
    assert view.decided_by == DEMO_ACCOUNTS["sponsor"][0]
    first = line_ids(db, officer, plan)[0]
    editing.save_lines(officer, plan, None, changed={first: {"q2": 100}}, session=db)
    workflow.submit_plan(officer, plan, None, session=db)
    workflow.approve_plan(sponsor, plan, None, "Fine", session=db)
    db.commit()
    with pytest.raises(ValidationError) as err:
        editing.save_lines(officer, plan, None, changed={first: {"q2": 1}}, session=db)
    assert "approved and locked" in err.value.message
    db.rollback()
    with pytest.raises(ValidationError):
        editing.save_goals(officer, plan, None, [], session=db)
    db.rollback()
    # actuals can still be recorded on an approved plan
    first = plans.get_plan(officer, plan, session=db).lines[0]["id"]
    editing.record_actuals(officer, plan, None, {first: {"actual_q3": 5}}, session=db)
    rev2 = workflow.new_revision(officer, plan, session=db)
    db.commit()
    old, new = plans.get_plan(officer, plan, session=db), plans.get_plan(officer, rev2, session=db)
    assert old.superseded and old.status == "approved"
    assert new.status == "draft" and new.revision == 2 and new.previous_revision_id == plan
    assert new.planned_total == old.planned_total
    assert [g.title for g in new.goals] == [g.title for g in old.goals]
    assert new.lines[0]["goal"] == "More customers"
    editing.save_lines(officer, rev2, None, changed={line_ids(db, officer, rev2)[0]: {"q1": 0}}, session=db)
    db.commit()
    history = plans.revisions(officer, plan, session=db)
    assert [(r.revision, r.superseded) for r in history] == [(2, False), (1, True)]
    cmp = plans.compare_plans(officer, plan, rev2, session=db)
    mk = cmp[(cmp.level == "category") & (cmp.category == "marketing")].iloc[0]
    assert mk["a"] == D("200") and mk["b"] == D("100")  # Referral 100+100, then Q1 set to 0
    assert mk["difference"] == D("-100")
    with pytest.raises(ValidationError):
        workflow.new_revision(officer, plan, session=db)  # already superseded


def test_copy_scenario_and_compare(setup):
    db, officer, _, _, plan = setup
    alt = workflow.copy_plan(officer, plan, scenario="Lean", session=db)
    db.commit()
    with pytest.raises(ValidationError):
        workflow.copy_plan(officer, plan, scenario="Lean", session=db)
    db.rollback()
    editing.save_lines(officer, alt, None, changed={line_ids(db, officer, alt)[1]: {"q1": 0, "q2": 0}}, session=db)
    db.commit()
    view = plans.get_plan(officer, alt, session=db)
    assert view.copied_from_id == plan and view.actual_total == D("0")
    cmp = plans.compare_plans(officer, plan, alt, session=db)
    total = cmp[cmp.level == "total"].iloc[0]
    assert (total["a"], total["b"], total["difference"]) == (D("600"), D("500"), D("-100"))


def test_export_neutralises_formulas(setup):
    db, officer, _, _, plan = setup
    referral, calls, _licences = line_ids(db, officer, plan)
    editing.save_lines(officer, plan, None, changed={referral: {"description": "=HYPERLINK(\"x\")"},
                                                     calls: {"description": "-1+2"}}, session=db)
    csv_text = export.export_csv(officer, plan, session=db).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'-1+2" in csv_text
    assert "Referral" not in csv_text
    wb = load_workbook(io.BytesIO(export.export_xlsx(officer, plan, session=db)))
    ws = wb.active
    values = [c.value for c in ws["G"]]
    assert values[0] == "description" and values[1] == "'=HYPERLINK(\"x\")" and values[2] == "'-1+2"
    assert ws["Q2"].value == 300  # planned total of the first line


@pytest.mark.parametrize("username", list(DEMO_ACCOUNTS))
def test_every_role_refused_without_capability(setup, username):
    db, officer, _, last, plan = setup
    who = make_actor(db, username)
    calls = {
        "budget.read": [
            lambda: plans.list_plans(who, session=db),
            lambda: plans.get_plan(who, plan, session=db),
            lambda: plans.variance(who, plan, session=db),
            lambda: plans.vs_last_year(who, plan, session=db),
            lambda: plans.compare_plans(who, plan, last, session=db),
            lambda: plans.revisions(who, plan, session=db),
            lambda: export.export_csv(who, plan, session=db),
            lambda: export.export_xlsx(who, plan, session=db),
        ],
        "budget.write": [
            lambda: plans.create_plan(who, fiscal_year=2030, name="X", session=db),
            lambda: workflow.copy_plan(who, plan, scenario=f"S-{username}", session=db),
            lambda: editing.save_goals(who, plan, None, [], session=db),
            lambda: editing.save_lines(who, plan, None, session=db),
            lambda: editing.record_actuals(who, plan, None, {}, session=db),
            lambda: workflow.submit_plan(who, plan, None, session=db),
            lambda: workflow.new_revision(who, last, session=db),
        ],
        "budget.approve": [
            lambda: workflow.approve_plan(who, plan, None, "", session=db),
            lambda: workflow.return_plan(who, plan, None, "no", session=db),
        ],
    }
    expected = {"budget.read": {"admin", "salesmgr", "budget", "sponsor"},
                "budget.write": {"budget"}, "budget.approve": {"sponsor"}}
    for cap, fns in calls.items():
        assert can(who, cap) == (username in expected[cap])
        for fn in fns:
            if username in expected[cap]:
                try:
                    fn()
                except PermissionDenied:  # pragma: no cover - would be a bug
                    pytest.fail(f"{username} refused {cap}")
                except (ValidationError, ConflictError):
                    pass
            else:
                with pytest.raises(PermissionDenied):
                    fn()
            db.rollback()


def test_stale_version_refused(setup):
    db, officer, _, _, plan = setup
    v = plans.get_plan(officer, plan, session=db).version
    first = line_ids(db, officer, plan)[0]
    editing.save_lines(officer, plan, v, changed={first: {"q1": 1}}, session=db)
    db.commit()
    with pytest.raises(ConflictError) as err:
        editing.save_lines(officer, plan, v, changed={first: {"q1": 2}}, session=db)
    assert "Bilal Ahmed" in err.value.message and "nothing was saved" in err.value.message


def _plan_with_one_line(db_url):  # type: ignore[no-untyped-def]
    """A committed plan with one line (Q1 = 10), for tests with several sessions: (maker, officer, plan, line)."""
    maker = get_sessionmaker(migrate_and_return(db_url))
    with maker() as s:
        ensure_demo_accounts(session=s)
        officer = make_actor(s, "budget")
        plan = plans.create_plan(officer, fiscal_year=2026, name="P", session=s)
        editing.save_lines(officer, plan, None, added=[line("marketing", "A", (10, 0, 0, 0))], session=s)
        first = line_ids(s, officer, plan)[0]
        s.commit()
    return maker, officer, plan, first


def test_a_stale_save_equal_to_the_newer_lines_is_refused_not_reported_as_nothing_changed(db_url):
    """b read the plan before a saved Q1 = 20 and then asks for Q1 = 20 too: the lines b compares with are
    already a's, so "Nothing changed" would hide that b's own +10 was lost. Refused as a conflict."""
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite reads a whole transaction from one snapshot; PostgreSQL reads each statement afresh")
    maker, officer, plan, first = _plan_with_one_line(db_url)
    a, b = maker(), maker()
    try:
        version = plans.get_plan(officer, plan, session=a, measure=False).version
        a.commit()
        held = b.get(BudgetPlan, plan)  # b's request reads the plan row...
        editing.save_lines(officer, plan, version, changed={first: {"q1": 20}}, session=a)
        a.commit()
        b.expire(held, ["lines"])  # ...and its lines only after a's commit (two SELECTs, a commit between)
        with pytest.raises(ConflictError):
            editing.save_lines(officer, plan, version, changed={first: {"q1": 20}}, session=b)
    finally:
        a.close()
        b.close()


def test_two_officers_same_plan_two_sessions(db_url):
    """Two sessions (two officers' requests) load the same version; the second save is refused."""
    maker, officer, plan, first = _plan_with_one_line(db_url)
    a, b = maker(), maker()
    try:
        va = plans.get_plan(officer, plan, session=a, measure=False).version
        a.commit()
        vb = plans.get_plan(officer, plan, session=b, measure=False).version
        assert va == vb
        b.get(BudgetPlan, plan)  # b holds the plan as loaded
        b.commit()  # its request ends (SQLite would otherwise hold the write lock)
        editing.save_lines(officer, plan, va, changed={first: {"q1": 20}}, session=a)
        a.commit()
        # b still has version vb in its identity map: the version check passes in memory,
        # the UPDATE ... WHERE version = vb finds nothing -> refused, not lost
        with pytest.raises(ConflictError):
            editing.save_lines(officer, plan, vb, changed={first: {"q1": 30}}, session=b)
        b.rollback()
        # and a fresh load also refuses the stale version
        with pytest.raises(ConflictError):
            editing.save_lines(officer, plan, vb, changed={first: {"q1": 30}}, session=b)
        b.rollback()
    finally:
        a.close()
        b.close()
    with maker() as s:
        view = plans.get_plan(officer, plan, session=s, measure=False)
        assert view.lines[0]["q1"] == D("20") and view.version == va + 1


def test_a_plan_that_does_not_exist_is_not_found_everywhere(setup) -> None:
    db, officer, sponsor, _, _ = setup
    gone = 99999
    for call in (lambda: plans.get_plan(sponsor, gone, session=db),
                 lambda: plans.variance(sponsor, gone, session=db),
                 lambda: plans.revisions(sponsor, gone, session=db),
                 lambda: export.export_csv(sponsor, gone, session=db),
                 lambda: editing.save_lines(officer, gone, None, added=[], session=db),
                 lambda: editing.save_goals(officer, gone, None, [], session=db),
                 lambda: workflow.submit_plan(officer, gone, None, session=db),
                 lambda: workflow.approve_plan(sponsor, gone, None, "ok", session=db)):
        with pytest.raises(NotFound) as err:
            call()
        assert "99999" in err.value.message
