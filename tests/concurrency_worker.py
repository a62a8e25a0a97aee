"""Worker processes for the concurrency tests (importable by multiprocessing's spawn)."""
from __future__ import annotations

import random
import time


def edit_customer_notes(url: str, username: str, customer_id: int, worker: int, rounds: int) -> dict:
    """Read the customer, append a token to its notes, save with the version read.

    Returns the tokens accepted, the number of conflicts, and any other error text.
    """
    from crm.customers import get_customer, update_customer
    from crm.database import session_scope
    from crm.errors import ConflictError
    from crm.users import actor_for

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
