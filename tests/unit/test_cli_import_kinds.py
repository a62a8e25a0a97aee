"""`python -m crm import KIND FILE` for every kind: customers, receipts, interactions and survey answers from the
files other systems export, and a second run of the same file changes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.core.database import session_scope
from db.models import Customer, Interaction, Receipt, ReceiptLine, SurveyResponse
from tests.unit.test_cli_import import cli  # noqa: F401 - the fixture

CUSTOMERS = ("Customer No,Name,E-mail,Country,Status\n"
             "C-1,Dewi Lestari,dewi@maju.co.id,Indonesia,VIP\n"
             "C-2,Иван Петров,ivan@petrov.example,България,customer\n")
RECEIPTS = ("Receipt No,Customer,Date,SKU,Product,Category,Qty,Unit price,Unit cost\n"
            "1001,C-1,19970101,K-1,Kopi,Coffee,2,\"10,50\",4\n"
            "1002,C-2,01/02/1997,T-1,Teh,Tea,1,3.00,1\n"
            "1001,C-1,19970101,T-1,Teh,Tea,1,3.00,1\n")
INTERACTIONS = ("Ticket,Customer,Created,Channel,Summary,Feedback\n"
                "T-1,C-1,1997-02-03 10:00,call,Late delivery,complaint\n")
SURVEYS = "Customer,Score,Why first,Answered\nC-2,10,Price,1997-03-04\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _counts() -> tuple[int, ...]:
    with session_scope() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in
                     (Customer, Receipt, ReceiptLine, Interaction, SurveyResponse))


def test_every_kind_from_the_command_line_keeps_the_source_ids(cli, tmp_path) -> None:  # noqa: F811
    code, out, _err = cli("import", "customers", _write(tmp_path, "crm.csv", CUSTOMERS), "--user", "salesmgr",
                          "--source", "crm_old", "--value", "status:VIP=customer")
    assert code == 0 and "2 imported" in out.lower().replace(":", "")
    common = ("--user", "salesmgr", "--customer-source", "crm_old")
    code, out, err = cli("import", "receipts", _write(tmp_path, "pos.csv", RECEIPTS), *common, "--source", "shop",
                         "--unknown-products", "create")
    assert code == 2 and "01/02/1997" in err + out  # the day/month order must be said
    code, out, _err = cli("import", "receipts", _write(tmp_path, "pos.csv", RECEIPTS), *common, "--source", "shop",
                          "--unknown-products", "create", "--day-first")
    assert code == 0, out
    code, out, _err = cli("import", "interactions", _write(tmp_path, "desk.csv", INTERACTIONS), *common,
                          "--source", "helpdesk")
    assert code == 0, out
    code, out, _err = cli("import", "surveys", _write(tmp_path, "nps.csv", SURVEYS), *common, "--source", "nps")
    assert code == 0, out
    with session_scope() as s:
        dewi = s.scalar(select(Customer).where(Customer.email == "dewi@maju.co.id"))
        assert (dewi.country, dewi.status) == ("ID", "customer")
        assert (dewi.purchase_count, str(dewi.lifetime_revenue)) == (1, "24.00")
        receipt = s.scalar(select(Receipt).where(Receipt.number == "1002"))
        assert receipt.purchased_at.date().isoformat() == "1997-02-01"
        assert s.scalar(select(Interaction.feedback_kind).where(Interaction.customer_id == dewi.id)) == "complaint"
    before = _counts()
    for kind, name, text, extra in (
            ("customers", "crm.csv", CUSTOMERS, ("--source", "crm_old", "--value", "status:VIP=customer")),
            ("receipts", "pos.csv", RECEIPTS, ("--source", "shop", "--day-first", "--unknown-products", "create")),
            ("interactions", "desk.csv", INTERACTIONS, ("--source", "helpdesk")),
            ("surveys", "nps.csv", SURVEYS, ("--source", "nps"))):
        code, out, _err = cli("import", kind, _write(tmp_path, name, text), *common, *extra)
        assert code == 0, out
    assert _counts() == before  # the same files again: nothing duplicated


@pytest.mark.parametrize("kind", ["customers", "receipts", "interactions", "surveys"])
def test_a_user_without_the_right_is_refused_in_one_line(cli, tmp_path, kind) -> None:  # noqa: F811
    code, _out, err = cli("import", kind, _write(tmp_path, "x.csv", SURVEYS), "--user", "sales")
    assert code == 1 and err.startswith("Error:") and len(err.strip().splitlines()) == 1
