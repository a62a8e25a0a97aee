"""Budget plan export: one row per line, as CSV or Excel, with spreadsheet formulas neutralised."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from crm.budget.codes import ACTUALS, QUARTERS
from crm.budget.plans import PlanView, load_plan, plan_view
from crm.core.access import Actor, require
from crm.core.i18n import _, get_currency
from crm.core.spreadsheet import csv_bytes, safe_cell, xlsx_bytes

# amounts are plain numbers (a spreadsheet sums them); the currency column says which currency they are in
EXPORT_COLUMNS = ["plan", "fiscal_year", "scenario", "revision", "status", "category", "description",
                  "goal", *QUARTERS, *ACTUALS, "planned", "actual", "variance", "currency"]


def _rows(view: PlanView) -> list[dict[str, Any]]:
    out = []
    for line in view.lines:
        row = {"plan": view.name, "fiscal_year": view.fiscal_year, "scenario": view.scenario,
               "revision": view.revision, "status": view.status, "category": line["category"],
               "description": line["description"], "goal": line["goal"] or "", "currency": get_currency()}
        for col in QUARTERS + ACTUALS:
            row[col] = line[col]
        row.update(planned=line["planned"], actual=line["actual"], variance=line["variance"])
        out.append({k: safe_cell(v) for k, v in row.items()})
    return out


def _read(session: Session, plan_id: int) -> list[dict[str, Any]]:
    return _rows(plan_view(session, load_plan(session, plan_id), measure=False))


def export_rows(actor: Actor, plan_id: int, *, session: Session) -> list[dict[str, Any]]:
    require(actor, "budget.read")
    return _read(session, plan_id)


def export_csv(actor: Actor, plan_id: int, *, session: Session) -> bytes:
    require(actor, "budget.read")
    rows = _read(session, plan_id)
    return csv_bytes(EXPORT_COLUMNS, ([f"{row[c]:.2f}" if isinstance(row[c], Decimal) else row[c]
                                       for c in EXPORT_COLUMNS] for row in rows))


def export_xlsx(actor: Actor, plan_id: int, *, session: Session) -> bytes:
    require(actor, "budget.read")
    rows = _read(session, plan_id)
    return xlsx_bytes(_("Budget"), EXPORT_COLUMNS, ([float(row[c]) if isinstance(row[c], Decimal) else row[c]
                                                     for c in EXPORT_COLUMNS] for row in rows))
