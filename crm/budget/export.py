"""Budget plan export: one row per line, as CSV or Excel, with spreadsheet formulas neutralised."""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from crm.budget.codes import ACTUALS, QUARTERS
from crm.budget.plans import PlanView, load_plan, plan_view
from crm.core.access import Actor, require
from crm.core.i18n import _

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = ["plan", "fiscal_year", "scenario", "revision", "status", "category", "description",
                  "goal", *QUARTERS, *ACTUALS, "planned", "actual", "variance"]


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _rows(view: PlanView) -> list[dict[str, Any]]:
    out = []
    for line in view.lines:
        row = {"plan": view.name, "fiscal_year": view.fiscal_year, "scenario": view.scenario,
               "revision": view.revision, "status": view.status, "category": line["category"],
               "description": line["description"], "goal": line["goal"] or ""}
        for col in QUARTERS + ACTUALS:
            row[col] = line[col]
        row.update(planned=line["planned"], actual=line["actual"], variance=line["variance"])
        out.append({k: neutralise(v) for k, v in row.items()})
    return out


def _read(session: Session, plan_id: int) -> list[dict[str, Any]]:
    return _rows(plan_view(session, load_plan(session, plan_id), measure=False))


def export_rows(actor: Actor, plan_id: int, *, session: Session) -> list[dict[str, Any]]:
    require(actor, "budget.read")
    return _read(session, plan_id)


def export_csv(actor: Actor, plan_id: int, *, session: Session) -> bytes:
    require(actor, "budget.read")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in _read(session, plan_id):
        writer.writerow({k: (f"{v:.2f}" if isinstance(v, Decimal) else v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8-sig")


def export_xlsx(actor: Actor, plan_id: int, *, session: Session) -> bytes:
    require(actor, "budget.read")
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("Budget")[:31]
    ws.append(EXPORT_COLUMNS)
    for row in _read(session, plan_id):
        ws.append([float(row[c]) if isinstance(row[c], Decimal) else row[c] for c in EXPORT_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
