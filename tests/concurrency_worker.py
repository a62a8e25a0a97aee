"""Worker processes for the concurrency tests (importable by multiprocessing's spawn)."""
from __future__ import annotations

import random
import time


def edit_customer_notes(url: str, username: str, customer_id: int, worker: int, rounds: int) -> dict:
    """Read the customer, append a token to its notes, save with the version read.

    Returns the tokens accepted, the number of conflicts, and any other error text.
    """
    from crm.customers.service import get_customer, update_customer
    from crm.core.database import session_scope
    from crm.core.errors import ConflictError
    from crm.accounts.users import actor_for

    accepted: list[str] = []
    conflicts = 0
    errors: list[str] = []
    rng = random.Random(worker)
    for i in range(rounds):
        token = f"w{worker}r{i};"
        try:
            with session_scope(url) as s:
                who = actor_for(username, session=s)
                current = get_customer(who, customer_id, session=s)
            time.sleep(rng.random() * 0.01)  # a person reading the form
            with session_scope(url) as s:
                who = actor_for(username, session=s)
                update_customer(who, customer_id, {"notes": (current.notes or "") + token}, current.version,
                                session=s)
            accepted.append(token)
        except ConflictError:
            conflicts += 1
        except Exception as exc:  # anything else (e.g. "database is locked") is a failure
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"accepted": accepted, "conflicts": conflicts, "errors": errors}


def add_to_budget_line(url: str, plan_id: int, worker: int, rounds: int) -> dict:
    """Read the plan, add 1 to the first line's Q1, save with the version read."""
    from decimal import Decimal

    from crm.budget.editing import save_lines
    from crm.budget.plans import get_plan
    from crm.core.database import session_scope
    from crm.core.errors import ConflictError
    from crm.accounts.users import actor_for

    accepted = conflicts = 0
    errors: list[str] = []
    rng = random.Random(100 + worker)
    for _ in range(rounds):
        try:
            with session_scope(url) as s:
                who = actor_for("budget", session=s)
                plan = get_plan(who, plan_id, session=s)
            first = plan.lines[0]
            time.sleep(rng.random() * 0.01)
            with session_scope(url) as s:
                who = actor_for("budget", session=s)
                save_lines(who, plan_id, plan.version, changed={first["id"]: {"q1": Decimal(first["q1"]) + 1}},
                           session=s)
            accepted += 1
        except ConflictError:
            conflicts += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"accepted": accepted, "conflicts": conflicts, "errors": errors}


def write_receipts(url: str, customer_id: int, product_id: int, worker: int, rounds: int) -> dict:
    """Write receipts and maintain the monthly summary in the same transaction."""
    import datetime as dt
    from decimal import Decimal

    from crm.core.database import session_scope
    from crm.insights.rollups import apply_receipt
    from db.models import Receipt, ReceiptLine

    errors: list[str] = []
    for i in range(rounds):
        try:
            with session_scope(url) as s:
                r = Receipt(customer_id=customer_id, number=f"W{worker}-{i}",
                            purchased_at=dt.datetime(2026, 1 + i % 3, 5, tzinfo=dt.timezone.utc),
                            total=Decimal("10"), total_cost=Decimal("4"),
                            lines=[ReceiptLine(product_id=product_id, quantity=1, unit_price=Decimal("10"),
                                               unit_cost=Decimal("4"))])
                s.add(r)
                s.flush()
                apply_receipt(s, r)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"errors": errors}
