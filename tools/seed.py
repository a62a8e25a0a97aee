"""Demo accounts and the demo data set (the portal's first start in demo mode).

Scale data (``seed --customers N``) is ``tools.seed_scale.generate``; the made-up world both draw
from (accounts, products, names) is ``tools.demo_data``.
"""
from __future__ import annotations

import datetime as dt
import functools
import random
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crm.budget.codes import ACTUALS, QUARTERS
from crm.budget.kpis import measure_kpi, measure_window
from crm.core import audit
from crm.core.access import Actor
from tools.demo_data import DEMO_ACCOUNTS, DEMO_PASSWORD, SeedResult
from crm.insights.rollups import rebuild_interactions
from crm.rollout import checklist, requirements
from tools.seed_scale import generate
from crm.accounts.users import SYSTEM, create_user, ensure_departments, hash_password
from db.models import BudgetGoal, BudgetLine, BudgetPlan, ChecklistItem, Customer, Interaction, Requirement, User
from db.types import utcnow

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "SeedResult", "ensure_demo_accounts", "generate", "is_empty",
           "seed_demo", "system_actor"]

@functools.lru_cache(maxsize=1)
def _demo_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def ensure_demo_accounts(*, session: Session) -> int:
    """Create the demo accounts (password ``demo``) that do not exist yet."""
    ensure_departments(session=session)
    existing = set(session.scalars(select(User.username)))
    missing = [u for u in DEMO_ACCOUNTS if u not in existing]
    if not missing:
        return 0
    shared_hash = _demo_hash()
    for username in missing:
        full_name, department, role = DEMO_ACCOUNTS[username]
        create_user(
            SYSTEM, username=username, full_name=full_name, department=department, role=role,
            password="", email=f"{username}@demo.example", session=session,
            _password_hash=shared_hash,
        )
    return len(missing)


def seed_demo(*, session: Session, today: dt.date | None = None) -> SeedResult:
    """Demo accounts and a demo data set, if the database has no customers yet.

    Several app servers may start together on one empty PostgreSQL database: the
    advisory lock makes the second wait and then find the data already there.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(424243)"))
    users = ensure_demo_accounts(session=session)
    result = SeedResult(users=users)
    if session.scalar(select(func.count()).select_from(Customer)):
        return result
    data = generate(400, session=session, seed=7, today=today, include_fixed=True)
    data.users = users
    _demo_follow_ups(session=session, today=today or dt.date.today())
    _demo_checklist(session=session, today=today or dt.date.today())
    _demo_requirements(session=session, today=today or dt.date.today())
    _demo_budget(session=session, today=today or dt.date.today())
    audit.record(session, SYSTEM, "seed", "database", None,
                 detail=f"demo data: {data.customers} customers, {data.interactions} interactions")
    return data


def _demo_follow_ups(*, session: Session, today: dt.date) -> None:
    """Give the customer-facing demo users open, due and overdue follow-ups to work on."""
    rng = random.Random(11)
    customer_ids = list(session.scalars(select(Customer.id).where(Customer.status != "former").order_by(Customer.id).limit(60)))
    plans = [(-3, "Call back about the quote"), (0, "Confirm installation date"),
             (2, "Send the renewal offer"), (9, "Check satisfaction after delivery")]
    now = dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.timezone.utc)
    for username in ("sales", "salesmgr", "service", "support"):
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            continue
        for offset, subject in plans:
            cid = rng.choice(customer_ids)
            occurred = now - dt.timedelta(days=rng.randint(5, 12))
            session.add(Interaction(
                customer_id=cid, user_id=user.id, department_id=user.department_id, channel="call",
                direction="outbound", occurred_at=occurred, subject=subject, outcome="Follow-up planned",
                follow_up_on=today + dt.timedelta(days=offset), follow_up_user_id=user.id, created_at=occurred,
            ))
    session.flush()
    rebuild_interactions(session)


def _demo_checklist(*, session: Session, today: dt.date) -> None:
    """A project started four months ago: pre-implementation nearly done, rollout under way."""
    if session.scalar(select(func.count()).select_from(ChecklistItem)):
        return
    start = today - dt.timedelta(days=120)
    checklist.start_project(SYSTEM, start=start, session=session)
    users = {u.username: u.id for u in session.scalars(select(User))}
    plan: dict[str, tuple[str, str | None]] = {
        "data_evaluation": ("done", None), "systems_evaluation": ("done", None), "executive_sponsor": ("done", None),
        "stakeholders": ("done", None), "vendor_requirements": ("done", None), "timeline": ("done", None),
        "migration_plan": ("blocked", "Finance has not yet exported the customer ledger"),
        "training_plan": ("in_progress", None), "budget_approved": ("todo", None),
        "pilot": ("in_progress", None),
    }
    owners = {"data": "it", "technical": "it", "human": "salesmgr", "vendor": "admin", "maintenance": "it"}
    for item in session.scalars(select(ChecklistItem)):
        item.owner_id = users.get(owners.get(item.category, "it"))
        status, reason = plan.get(item.template_key or "", ("todo", None))
        item.status = status
        item.blocked_reason = reason
        if status == "done":
            item.completed_by_id = users.get("it")
            item.completed_at = dt.datetime.combine(item.due_on or today, dt.time(16), tzinfo=dt.timezone.utc)
            item.evidence = "Minutes of the steering meeting"
        if item.template_key == "certification":
            item.due_on = today + dt.timedelta(days=20)
            item.expires_on = today + dt.timedelta(days=25)
        if item.template_key == "backup_review":
            item.due_on = today + dt.timedelta(days=5)
    session.flush()


def _demo_requirements(*, session: Session, today: dt.date) -> None:
    """A requirements register under way and the project's stakeholders."""
    if session.scalar(select(Requirement.id).limit(1)) is not None:
        return
    users = {u.username: u.id for u in session.scalars(select(User))}
    items = {i.template_key: i.id for i in session.scalars(select(ChecklistItem)) if i.template_key}
    demo = [
        ("functional", "Find a customer by name, company, e-mail or phone in under a second", "must", "met",
         "sales", "Answer customers while they are on the phone", 0, None),
        ("functional", "Shared contact history across all departments", "must", "met", "service",
         "What support hears reaches sales and marketing", 0, None),
        ("functional", "Feedback board of feature requests and complaints", "should", "in_progress", "marketing",
         "Build what customers ask for", 0, None),
        ("functional", "Goal-based budget planning with sponsor approval", "must", "in_progress", "budget",
         "Spend only where it serves a goal", 0, "budget_approved"),
        ("technology", "Runs on PostgreSQL with several app servers", "must", "agreed", "it",
         "Grow without changing tools", 8000, "systems_evaluation"),
        ("technology", "Import from departmental spreadsheets and databases", "must", "in_progress", "it",
         "One clean customer list", 12000, "migration_plan"),
        ("technology", "Single sign-on with the company directory", "could", "proposed", "it",
         "Fewer passwords", 6000, None),
        ("vendor", "Hosting provider with EU data centre and backups", "must", "agreed", "admin",
         "Keep customer data safe", 9000, "vendor_requirements"),
        ("vendor", "Support contract with 4-hour response", "should", "proposed", "admin",
         "Keep the portal running", 4000, None),
        ("operational", "Consent recorded before sharing with third parties", "must", "met", "admin",
         "Keep customers' trust", 0, None),
        ("operational", "Quarterly access review", "must", "agreed", "it", "Stop illegal access", 0, None),
        ("operational", "Mobile offline app", "wont", "dropped", "sales", "Not needed this year", 40000, None),
    ]
    for kind, title, prio, status, owner, goal, cost, item in demo:
        session.add(Requirement(kind=kind, title=title, priority=prio, status=status, owner_id=users.get(owner),
                                company_goal=goal, estimated_cost=Decimal(cost) if cost else None,
                                checklist_item_id=items.get(item) if item else None))
    for name, dept, title, expect, needs, infl, consulted in [
        ("Susan Park", "management", "Executive sponsor", "Rollout on time and within budget",
         "Monthly progress view", "high", True),
        ("Georgi Dimitrov", "sales", "Sales manager", "Faster quotes and fewer lost leads",
         "Pipeline by owner", "high", True),
        ("Ayesha Khan", "customer_service", "Service lead", "See every customer's history in one place",
         "Follow-up reminders", "medium", True),
        ("Budi Santoso", "technical_support", "Support engineer", "Support tickets reach product",
         "Feedback board", "medium", False),
        ("Bilal Ahmed", "finance", "Budget officer", "Budget tied to goals", "Plan vs actual", "medium", True),
        ("Hana Putri", "hr_development", "HR development", "Training plan for all staff",
         "Training calendar", "low", False),
    ]:
        requirements.add_stakeholder(SYSTEM, {"name": name, "department": dept, "title": title, "expectations": expect,
                                 "needs": needs, "influence": infl, "consulted": consulted,
                                 "consulted_on": today if consulted else None}, session=session)
    session.flush()


def _demo_budget(*, session: Session, today: dt.date) -> None:
    """Last year's approved budget plan with actuals; this year's draft with goals and lines."""
    if session.scalar(select(func.count()).select_from(BudgetPlan)):
        return
    year = today.year
    officer = session.scalar(select(User.id).where(User.username == "budget"))
    sponsor = session.scalar(select(User.id).where(User.username == "sponsor"))
    last = BudgetPlan(fiscal_year=year - 1, scenario="Base", name=f"CRM budget {year - 1}", status="approved",
                      ceiling=Decimal("250000"), revision=1, created_by_id=officer, decided_by_id=sponsor,
                      decided_at=utcnow(), submitted_at=utcnow(), decision_comment="Approved as proposed.")
    session.add(last)
    session.flush()
    last_lines = [
        ("marketing", "Trade fair stands", (15000, 5000, 15000, 5000), (16200, 4800, 17100, 5300)),
        ("marketing", "Online campaigns", (8000, 8000, 8000, 8000), (7600, 8400, 9100, 8800)),
        ("products", "Sample kits", (6000, 4000, 4000, 6000), (5800, 4100, 3900, 6300)),
        ("customer_service", "Call centre overtime", (5000, 5000, 5000, 7000), (5400, 5200, 4800, 7600)),
        ("maintenance", "CRM licences and hosting", (9000, 9000, 9000, 9000), (9000, 9000, 9000, 9000)),
        ("training", "Sales training days", (4000, 2000, 0, 4000), (3900, 2100, 0, 3600)),
    ]
    for cat, desc, plan_q, act_q in last_lines:
        last.lines.append(BudgetLine(category=cat, description=desc,
                                     **{q: Decimal(v) for q, v in zip(QUARTERS, plan_q)},
                                     **{a: Decimal(v) for a, v in zip(ACTUALS, act_q)}))
    plan = BudgetPlan(fiscal_year=year, scenario="Base", name=f"CRM budget {year}", status="draft",
                      ceiling=Decimal("260000"), revision=1, created_by_id=officer)
    session.add(plan)
    session.flush()
    deadline = dt.date(year, 12, 31)
    goals = [
        ("Win 120 new customers", "new_customers", "customers", Decimal("120")),
        ("Raise retention to 70 %", "retention_rate", "%", Decimal("70")),
        ("Lift NPS to 40", "nps", "points", Decimal("40")),
        ("Cut support response to 24 h", "support_response", "hours", Decimal("24")),
    ]
    window = measure_window(today - dt.timedelta(days=60))
    made = []
    for title, kpi, unit, target in goals:
        baseline = measure_kpi(kpi, *window, session=session)
        if kpi == "new_customers" and baseline:  # a growth goal: a quarter more than the last 12 months
            target = (Decimal(baseline) * Decimal("1.25")).quantize(Decimal("1"))
            title = f"Win {target} new customers in a year"
        g = BudgetGoal(title=title, kpi=kpi, unit=unit, target=target, deadline=deadline,
                       baseline=baseline, baseline_measured_at=utcnow())
        plan.goals.append(g)
        made.append(g)
    session.flush()
    new_c, retention, nps, support = (g.id for g in made)
    quarter_now = (today.month - 1) // 3  # quarters already under way get a few actuals
    this_lines = [
        ("marketing", "Referral programme", new_c, (6000, 6000, 6000, 6000), (7400, 0, 0, 0)),
        ("marketing", "Trade fair stands", new_c, (12000, 3000, 12000, 3000), (11800, 0, 0, 0)),
        ("customer_service", "Loyalty calls to lapsed customers", retention, (4000, 4000, 4000, 4000), (3900, 0, 0, 0)),
        ("products", "Survey follow-up fixes", nps, (5000, 5000, 3000, 3000), (5600, 0, 0, 0)),
        ("customer_service", "Second-level support shift", support, (7000, 7000, 7000, 7000), (6800, 0, 0, 0)),
        ("training", "Support tooling training", support, (3000, 0, 3000, 0), (2800, 0, 0, 0)),
        ("maintenance", "CRM licences and hosting", None, (9500, 9500, 9500, 9500), (9500, 0, 0, 0)),
    ]
    for cat, desc, goal_id, plan_q, act_q in this_lines:
        acts = [v if i <= quarter_now else 0 for i, v in enumerate(act_q)]
        if quarter_now >= 1:
            acts[1] = int(plan_q[1] * (1.15 if cat == "marketing" else 0.95))
        plan.lines.append(BudgetLine(category=cat, description=desc, goal_id=goal_id,
                                     **{q: Decimal(v) for q, v in zip(QUARTERS, plan_q)},
                                     **{a: Decimal(v) for a, v in zip(ACTUALS, acts)}))
    session.flush()


def is_empty(*, session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def system_actor() -> Actor:
    return SYSTEM
