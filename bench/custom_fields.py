"""Benchmark step ``custom_fields``: a customer list filtered by a choice custom field beside the same filter on the
built-in, indexed ``customers.segment`` column.

A choice field "Bench segment" with the demo segments as choices is created (once) and filled for every customer
with the customer's own segment in one ``INSERT ... SELECT``, so both filters keep exactly the same customers.
Then the Customers list's service (``search_customers``: the first 1,001 ids in name order for the count and the
first page of 25 with its rows and custom values) is timed with each filter.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, text

from bench.cli import _time
from crm.core.database import session_scope

SEGMENT = "SMB"  # the value both filters look for
CODE = "bench_segment"


def _field(url: str) -> tuple[int, dict[str, str], float]:
    """The bench field's id, segment -> choice code, and the seconds its filling took (0 when already full)."""
    from crm.core.access import Actor
    from crm.settings.fields import add_field, list_fields
    from db.models import Customer, CustomValue

    admin = Actor(None, "bench", "Benchmark", "it", "admin", source="cli")
    with session_scope(url) as s:
        segments = [v for v in s.scalars(select(Customer.segment).distinct()) if v]
        field = next((f for f in list_fields(s, "customers") if f.code == CODE), None)
        if field is None:
            field = add_field(admin, "customers", {"en": "Bench segment"}, "choice", choices=sorted(segments),
                              code=CODE, session=s)
        codes = {c.labels.get("en"): c.code for c in field.choices}
        customers = s.scalar(select(func.count()).select_from(Customer)) or 0
        filled = s.scalar(select(func.count()).select_from(CustomValue).where(CustomValue.field_id == field.id)) or 0
        expected = s.scalar(select(func.count()).select_from(Customer).where(Customer.segment.in_(list(codes))))
    took = 0.0
    if filled != expected or not customers:
        start = time.perf_counter()
        with session_scope(url) as s:
            s.execute(text("DELETE FROM custom_values WHERE field_id = :f"), {"f": field.id})
            case = " ".join(f"WHEN :s{i} THEN :c{i}" for i in range(len(codes)))
            params: dict[str, Any] = {"f": field.id}
            for i, (segment, code) in enumerate(codes.items()):
                params[f"s{i}"], params[f"c{i}"] = segment, code
            s.execute(text(f"INSERT INTO custom_values (field_id, record_id, value_text) "
                           f"SELECT :f, id, CASE segment {case} END FROM customers WHERE segment IS NOT NULL"), params)
        took = time.perf_counter() - start
    return field.id, codes, took


def measure(url: str, repeat: int = 20) -> dict[str, Any]:
    from crm.accounts.users import actor_for
    from crm.customers.service import CustomerFilters, search_customers
    from crm.settings.field_filters import FieldFilter

    _id, codes, fill_s = _field(url)
    with session_scope(url) as s:
        who = actor_for("sales", session=s)
        rows = s.scalar(text("SELECT count(*) FROM custom_values WHERE field_id = :f"), {"f": _id})
    by_custom = (FieldFilter(CODE, any_of=(codes[SEGMENT],)),)
    totals: dict[str, int] = {}

    def page(name: str, filters: CustomerFilters) -> Callable[[], None]:
        def run() -> None:
            with session_scope(url) as s:
                found = search_customers(who, "", filters, page=1, page_size=25, session=s)
                totals[name] = found.total
        return run

    out: dict[str, Any] = {"values": rows, "fill_seconds": round(fill_s, 2)}
    for sort in ("name", "last_contact"):
        seg = _time(page("segment", CustomerFilters(segment=SEGMENT, sort=sort)), repeat)
        cus = _time(page("custom", CustomerFilters(custom=by_custom, sort=sort)), repeat)
        out[f"sort_{sort}"] = {"segment_column": seg, "custom_field": cus,
                               "ratio": round(cus["median_ms"] / max(seg["median_ms"], 1e-6), 2),
                               "same_total": totals.get("segment") == totals.get("custom")}
    return out
