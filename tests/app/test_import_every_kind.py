"""Receipts, interactions and survey answers come in through the Import page as products and customers do: choose
the kind, upload, check the preview, import; the records then show where users look for them."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.core.database import session_scope
from db.models import Customer, Interaction, Receipt, SurveyResponse
from tests.app.helpers import signed_in, texts

JOSE, IVAN = "jose.alvarez@alvarez-hermanos.es", "ivan.petrov@petrov.bg"
FILES = {
    "receipts": ("pos-export.csv", "Receipt No;Customer;Date;Total;Units\n"
                                   f"R-9001;{JOSE};2026-03-05 10:00;1.234,50;3\n"
                                   f"R-9002;{IVAN};05.03.2026 16:30;99,90;1\n"),
    "interactions": ("helpdesk.csv", "Ticket ID;Customer;Created;Channel;Summary;Description;Feedback\n"
                                     f"T-1;{JOSE};2026-03-05T09:15:00+01:00;E-mail;Invoice missing;Asked twice;"
                                     "complaint\n"
                                     f"T-2;{IVAN};2026-03-06 11:00;Call;Wants a new feature;;feature_request\n"),
    "surveys": ("survey.csv", "Customer;Score;Why first;Comment;Answered on\n"
                              f"{JOSE};9;Price;Great;2026-03-01\n"
                              f"{IVAN};4;Friend;Slow delivery;2026-03-02\n"),
}


def _count(url: str, model) -> int:  # type: ignore[no-untyped-def]
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("kind", ["receipts", "interactions", "surveys"])
def test_a_manager_imports_each_kind_from_the_import_page(app_env, kind) -> None:  # type: ignore[no-untyped-def]
    model = {"receipts": Receipt, "interactions": Interaction, "surveys": SurveyResponse}[kind]
    before = _count(app_env, model)
    at = signed_in("salesmgr", "pages/import.py")
    at.radio(key="import_kind").set_value(kind).run()
    name, text = FILES[kind]
    at.file_uploader[0].upload(name, text.encode(), "text/csv").run()
    assert not at.exception
    assert "Choose the columns for" not in texts(at)  # the headers of the export were recognised
    order = [r for r in at.radio if r.label == "01/02/1997 means"]
    if kind == "receipts":  # 05.03.2026 could be either: the page asks, the user says day first
        order[0].set_value(True).run()
    else:
        assert not order
    problems = [p for p in at.dataframe[0].value.get("Problems", []) if p]
    assert not problems, problems  # the preview finds nothing wrong
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Imported"] == "2"
    assert _count(app_env, model) == before + 2
    with session_scope(app_env) as session:
        jose = session.scalar(select(Customer).where(Customer.email == JOSE))
        if kind == "receipts":  # the customer's lifetime figures moved with the import
            assert session.scalar(select(Receipt.total).where(Receipt.number == "R-9001")) == Decimal("1234.50")
            assert jose.lifetime_revenue >= Decimal("1234.50")
        elif kind == "interactions":  # in the contact history, with the feedback kind and the time in UTC
            logged = session.scalar(select(Interaction).where(Interaction.subject == "Invoice missing"))
            assert (logged.customer_id, logged.feedback_kind, logged.occurred_at.hour) == (jose.id, "complaint", 8)
        else:
            assert session.scalar(select(SurveyResponse.score).where(SurveyResponse.customer_id == jose.id)
                                  .order_by(SurveyResponse.id.desc())) == 9
