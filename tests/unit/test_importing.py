"""Importing messy files: every row accounted for, duplicates, idempotence, revert, exports."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from crm.customers.service import search_customers
from crm.core.errors import PermissionDenied
from crm.customers.importing import (
    ImportFileError,
    auto_mapping,
    export_customers,
    list_batches,
    read_table,
    revert_import,
    run_import,
)
from crm.importing.writing import ImportOptions
from tools.seed import ensure_demo_accounts
from db.models import AuditEvent, Customer
from tests.conftest import make_actor

ROOT = Path(__file__).resolve().parents[2]

MESSY = (
    "\ufeff Full Name ;E-Mail;Telephone; Organisation ;Country;Notes\r\n"
    "José Álvarez;JOSE@alvarez.es;+34 612 345 678;Álvarez Hermanos;ES;\"likes; semicolons\"\r\n"
    "Иван Петров;ivan@petrov.bg;0888 123 456;Петров ЕООД;BG;\"two\nlines\"\r\n"
    "عمران خان;imran@lahore.pk;+92 300 1234567;لاہور ٹریڈرز;PK;\r\n"
    ";;;;;\r\n"
    "Bad Row;not-an-email;12;;XX;\r\n"
    "Jose Alvarez;jose@ALVAREZ.es;;;ES;same email as row 2\r\n"
    "Ivan Petrov;;+359 888 123 456;;BG;same phone as row 3\r\n"
    "Siti Rahayu;siti@sinarjaya.co.id;;PT Sinar Jaya;ID;\r\n"
    "Siti  Rahayu ;;;PT Sinar Jaya;ID;similar name same company\r\n"
).encode("utf-8")


@pytest.fixture
def manager(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "salesmgr")


def outcomes(report) -> dict[int, str]:
    return {r.row: r.outcome for r in report.rows}


def test_headers_are_mapped_in_any_case_with_stray_spaces() -> None:
    headers, rows = read_table(MESSY, "messy.csv")
    mapping = auto_mapping(headers)
    assert {k: headers[v] for k, v in mapping.items()} == {
        "name": "Full Name", "email": "E-Mail", "phone": "Telephone", "company": "Organisation",
        "country": "Country", "notes": "Notes"}
    assert rows[1][5] == "two\nlines" and rows[0][5] == "likes; semicolons"


def test_every_row_is_accounted_for(db, manager) -> None:
    report = run_import(manager, "messy.csv", MESSY, session=db)
    assert outcomes(report) == {2: "imported", 3: "imported", 4: "imported", 5: "blank", 6: "rejected",
                                7: "duplicate", 8: "duplicate", 9: "imported", 10: "duplicate"}
    rejected = next(r for r in report.rows if r.row == 6)
    assert "E-mail" in rejected.reasons and "Phone" in rejected.reasons and "Country" in rejected.reasons
    assert "row 2" in next(r for r in report.rows if r.row == 7).reasons
    assert report.counts == {"imported": 4, "possible_duplicate": 0, "updated": 0, "duplicate": 3, "rejected": 1,
                             "blank": 1}
    found = search_customers(manager, "иван", session=db)
    assert found.total == 1 and found.rows[0].phone == "+359888123456"


def test_imported_customers_get_the_search_tokens_an_edit_would_give(db, manager) -> None:
    from crm.customers.contact_rules import search_tokens
    from db.models import CustomerToken

    report = run_import(manager, "messy.csv", MESSY, session=db)
    imported = [r.customer_id for r in report.rows if r.outcome == "imported"]
    assert len(imported) == 4
    for customer in db.scalars(select(Customer).where(Customer.id.in_(imported))):
        stored = set(db.scalars(select(CustomerToken.token).where(CustomerToken.customer_id == customer.id)))
        assert stored == search_tokens(customer.name, customer.company, customer.email, customer.phone), customer.name
        assert customer.phone is None or customer.phone.startswith("+")


def test_every_imported_customer_gets_its_create_audit_row(db, manager) -> None:
    from decimal import Decimal

    from crm.core import audit
    from db.models import AuditEvent

    report = run_import(manager, "messy.csv", MESSY, session=db)
    imported = sorted(r.customer_id for r in report.rows if r.outcome == "imported")
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.entity == "customer")).all()
    assert sorted(int(e.entity_id) for e in events) == imported and len(imported) == 4
    for event in events:
        assert (event.user_id, event.username, event.source) == (manager.user_id, "salesmgr", "import")
        assert event.detail == f"import batch {report.batch_id}"
        stored = audit.snapshot(db.get(Customer, int(event.entity_id)))
        money = ("lifetime_revenue", "lifetime_cost")
        assert {k: v for k, v in event.after.items() if k not in money} == \
            {k: v for k, v in stored.items() if k not in money}
        assert all(Decimal(event.after[k]) == Decimal(stored[k]) for k in money)


def test_a_typed_and_an_imported_customer_are_stored_alike(db, manager) -> None:
    from crm.customers.service import create_customer
    from db.models import AuditEvent, CustomerToken

    fields = {"name": "Dewi  Lestari", "company": "PT Sinar Jaya", "email": "Dewi@Sinar.CO.ID", "phone": "0811 2233 4455",
              "country": "id", "city": "Bandung", "segment": "SME", "notes": "met at the fair"}
    typed = create_customer(manager, fields, session=db).id
    payload = "Name,Company,Email,Phone,Country,City,Segment,Notes\n" + ",".join(fields.values()) + "\n"
    report = run_import(manager, "one.csv", payload.encode(), on_duplicate="create", session=db)
    imported = report.rows[0].customer_id
    assert report.rows[0].outcome == "imported" and imported != typed
    differ = {"id", "created_at", "updated_at", "import_batch_id"}

    def row(cid: int) -> dict:
        stored = db.execute(select(Customer.__table__).where(Customer.id == cid)).one()._asdict()
        return {k: v for k, v in stored.items() if k not in differ}

    def tokens(cid: int) -> set[str]:
        return set(db.scalars(select(CustomerToken.token).where(CustomerToken.customer_id == cid)))

    def created(cid: int) -> dict:
        after = db.scalar(select(AuditEvent.after).where(AuditEvent.action == "create", AuditEvent.entity == "customer",
                                                         AuditEvent.entity_id == str(cid)))
        return {k: v for k, v in after.items() if k not in differ}

    assert row(typed) == row(imported)
    assert row(typed)["phone"] == "+6281122334455" and row(typed)["updated_by_id"] == manager.user_id
    assert tokens(typed) == tokens(imported) and "lestari" in tokens(typed)
    assert created(typed) == created(imported)


def test_duplicates_are_found_across_chunks_of_a_big_file(db, manager, monkeypatch) -> None:
    import crm.importing.runner as runner

    monkeypatch.setattr(runner, "CHUNK", 2)  # each company's customers are read once, in the first chunk
    run_import(manager, "existing.csv", b"Name,Company\nMaria Santos,Acme Ltd\n", session=db)
    rows = ["Name,Company,Phone,Country",
            "Ana Lima,Acme Ltd,,",                     # chunk 1: Acme's customers are read here
            "Rui Costa,Beta SA,+351 912 345 678,",    # chunk 1
            "Joao Pires,Acme Ltd,,",                   # chunk 2
            "Maria  Santos,Acme Ltd,,",                # chunk 2: the existing customer, read in chunk 1
            "Ana Lima,Acme Ltd,,",                     # chunk 3: a row of chunk 1 (created by this import)
            "Rui Costa (2),Gamma,00351912345678,"]     # chunk 3: same phone as a row of chunk 1
    report = run_import(manager, "big.csv", "\n".join(rows).encode(), session=db)
    assert outcomes(report) == {2: "imported", 3: "imported", 4: "imported", 5: "duplicate", 6: "duplicate",
                                7: "duplicate"}
    by_row = {r.row: r for r in report.rows}
    assert by_row[5].customer_id is not None and "existing" in by_row[5].reasons
    assert "row 2" in by_row[6].reasons and "row 3" in by_row[7].reasons


def _imran(db, manager):  # noqa: ANN001, ANN202 - the customer row 4 of MESSY creates
    run_import(manager, "messy.csv", MESSY, session=db)
    return search_customers(manager, "عمران خان", session=db).rows[0]


@pytest.mark.parametrize("on_duplicate", ["skip", "update"])
def test_a_phone_shared_under_a_clearly_different_name_is_a_possible_duplicate_never_a_skip(
        db, manager, on_duplicate) -> None:
    imran = _imran(db, manager)
    rahul = "Name,Company,Phone,Country\nRahul Mehta,Mehta Traders,+92 300 1234567,PK\n".encode()
    report = run_import(manager, "rahul.csv", rahul, on_duplicate=on_duplicate, session=db)
    row = report.rows[0]
    assert row.outcome == "possible_duplicate" and report.counts["possible_duplicate"] == 1
    assert row.customer_id not in (None, imran.id)  # imported as a new customer, for the user to decide
    created = db.get(Customer, row.customer_id)
    assert (created.name, created.company) == ("Rahul Mehta", "Mehta Traders")
    assert db.get(Customer, imran.id).name == "عمران خان"  # and the existing customer is left as it was
    # the reason says which field matched and shows both records
    assert "phone" in row.reasons and f"#{imran.id}" in row.reasons
    assert "عمران خان" in row.reasons and "Rahul Mehta" in row.reasons
    # the same file again: now Rahul is known, the row is his duplicate (not a second Rahul)
    again = run_import(manager, "rahul.csv", rahul, session=db).rows[0]
    assert (again.outcome, again.customer_id) == ("duplicate", row.customer_id) and "Rahul Mehta" in again.reasons


def test_an_email_shared_under_a_clearly_different_name_is_a_possible_duplicate(db, manager) -> None:
    _imran(db, manager)
    report = run_import(manager, "x.csv", "Name,Email\nDewi Lestari,IMRAN@lahore.pk\n".encode(), session=db)
    row = report.rows[0]
    assert row.outcome == "possible_duplicate" and "e-mail" in row.reasons and "phone" not in row.reasons
    assert "عمران خان" in row.reasons and "Dewi Lestari" in row.reasons


def test_the_same_name_and_phone_is_still_a_duplicate_and_the_reason_names_the_field(db, manager) -> None:
    imran = _imran(db, manager)
    same = "Name,Phone\n عمران  خان ,0092 300 1234567\n".encode()
    row = run_import(manager, "same.csv", same, session=db).rows[0]
    assert (row.outcome, row.customer_id) == ("duplicate", imran.id)
    assert "phone" in row.reasons and f"#{imran.id}" in row.reasons and "عمران خان" in row.reasons
    typo = "Name,Email\nJose Alvares,jose@alvarez.es\n".encode()  # a typo in the name is still the same person
    row = run_import(manager, "typo.csv", typo, session=db).rows[0]
    assert row.outcome == "duplicate" and "e-mail" in row.reasons and "José Álvarez" in row.reasons
    assert db.scalar(select(func.count()).select_from(Customer)) == 4


def test_importing_the_same_file_twice_creates_nothing_new(db, manager) -> None:
    run_import(manager, "messy.csv", MESSY, session=db)
    count = db.scalar(select(func.count()).select_from(Customer))
    again = run_import(manager, "messy.csv", MESSY, session=db)
    assert again.counts["imported"] == 0
    assert db.scalar(select(func.count()).select_from(Customer)) == count
    assert {r.row for r in again.rows if r.outcome == "duplicate" and r.customer_id} == {2, 3, 4, 9}


def test_update_mode_updates_and_revert_restores(db, manager) -> None:
    first = run_import(manager, "messy.csv", MESSY, session=db)
    changed = "Name,Email,Segment\nJosé Álvarez,jose@alvarez.es,Enterprise\n".encode()
    report = run_import(manager, "update.csv", changed, on_duplicate="update", session=db)
    assert outcomes(report) == {2: "updated"}
    assert search_customers(manager, "jose alvarez", session=db).rows[0].segment == "Enterprise"
    assert revert_import(manager, report.batch_id, session=db)["restored"] == 1
    assert search_customers(manager, "jose alvarez", session=db).rows[0].segment is None
    result = revert_import(manager, first.batch_id, session=db)
    assert result["removed"] == 4
    assert db.scalar(select(func.count()).select_from(Customer)) == 0


def test_reverting_an_import_audits_each_customer_it_removes(db, manager) -> None:
    from db.models import AuditEvent

    first = run_import(manager, "messy.csv", MESSY, session=db)
    imported = sorted(r.customer_id for r in first.rows if r.outcome == "imported")
    assert revert_import(manager, first.batch_id, session=db)["removed"] == 4
    removed = db.execute(select(AuditEvent.entity_id, AuditEvent.username, AuditEvent.detail)
                         .where(AuditEvent.action == "delete", AuditEvent.entity == "customer")).all()
    assert sorted(int(cid) for cid, _who, _detail in removed) == imported
    assert {(who, detail) for _cid, who, detail in removed} == {("salesmgr", f"import batch {first.batch_id} reverted")}
    created = db.execute(select(AuditEvent.entity_id, AuditEvent.after).where(
        AuditEvent.action == "create", AuditEvent.entity == "customer")).all()
    assert len(created) == 4 and all(after is None for _cid, after in created)  # no personal data of the removed


def test_reverting_an_import_archives_and_audits_customers_someone_already_worked_with(db, manager) -> None:
    from crm.interactions.service import log_interaction
    from db.models import AuditEvent

    first = run_import(manager, "messy.csv", MESSY, session=db)
    worked_with = next(r.customer_id for r in first.rows if r.outcome == "imported")
    log_interaction(make_actor(db, "sales"), worked_with, channel="call", subject="Called", session=db)
    assert revert_import(manager, first.batch_id, session=db) == {"removed": 3, "archived": 1, "restored": 0}
    assert db.get(Customer, worked_with).archived_at is not None
    archived = db.execute(select(AuditEvent.entity_id, AuditEvent.after).where(
        AuditEvent.action == "archive", AuditEvent.entity == "customer")).all()
    assert [(int(cid), set(after)) for cid, after in archived] == [(worked_with, {"archived_at"})]


def test_excel_files_import_too(db, manager) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Phone", "Country"])
    ws.append(["Dewi Lestari", "0811 2233 4455", "ID"])
    buffer = io.BytesIO()
    wb.save(buffer)
    report = run_import(manager, "people.xlsx", buffer.getvalue(), session=db)
    assert report.counts["imported"] == 1


def test_unreadable_files_get_a_clear_error(db, manager) -> None:
    with pytest.raises(ImportFileError, match="not UTF-8"):
        run_import(manager, "latin1.csv", "Name\nJos\xe9\n".encode("latin-1"), session=db)
    with pytest.raises(ImportFileError, match="empty"):
        run_import(manager, "empty.csv", b"", session=db)
    with pytest.raises(ImportFileError, match="Excel"):
        run_import(manager, "broken.xlsx", b"not a zip", session=db)


def test_staff_cannot_import_or_export(db, manager) -> None:
    sales = make_actor(db, "sales")
    with pytest.raises(PermissionDenied):
        run_import(sales, "messy.csv", MESSY, session=db)
    with pytest.raises(PermissionDenied):
        export_customers(sales, session=db)


def test_export_neutralises_formulas_keeps_phones_readable_and_reimports_unchanged(db, manager) -> None:
    payload = "Name,Company,Phone,Country\n\"=HYPERLINK(\"\"http://evil\"\")\",@corp,+62 811 2233 4455,ID\n"
    run_import(manager, "evil.csv", payload.encode(), session=db)
    export = export_customers(manager, session=db)
    data, included = export.csv(), export.included
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][0].startswith("'=HYPERLINK") and rows[1][1] == "'@corp"
    assert rows[1][3] == "'+6281122334455"  # shown as text +6281122334455 by spreadsheets
    again = run_import(manager, "export.csv", data, session=db)
    assert again.counts["imported"] == 0 and again.counts["duplicate"] == included


def test_third_party_export_only_contains_consenting_customers(db, manager) -> None:
    from crm.customers.service import create_customer

    admin = make_actor(db, "admin")
    create_customer(admin, {"name": "Yes Share", "consent_third_party": True}, session=db)
    create_customer(admin, {"name": "No Share"}, session=db)
    export = export_customers(manager, third_party=True, session=db)
    text, included, left_out = export.csv().decode("utf-8-sig"), export.included, export.left_out
    assert (included, left_out) == (1, 1) and "Yes Share" in text and "No Share" not in text


def test_command_line_import_and_export(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    env.pop("CRM_DEMO", None)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "crm", *args], cwd=ROOT, env=env, text=True,
                              capture_output=True, timeout=120)

    env["CRM_NEW_USER_PASSWORD"] = "long enough password"
    assert cli("create-user", "salesmgr", "--name", "Boss", "--department", "sales", "--role", "manager").returncode == 0
    assert cli("create-user", "sales", "--name", "Staff", "--department", "sales", "--role", "staff").returncode == 0
    messy = tmp_path / "messy.csv"
    messy.write_bytes(MESSY)
    report = tmp_path / "report.csv"
    ok = cli("import", "customers", str(messy), "--user", "salesmgr", "--report", str(report))
    assert ok.returncode == 0, ok.stderr
    assert "4 imported" in ok.stdout and "row 6: rejected" in ok.stdout
    assert "rejected" in report.read_text(encoding="utf-8-sig")
    refused = cli("import", "customers", str(messy), "--user", "sales")
    assert refused.returncode != 0 and "import" in refused.stderr.lower() and len(refused.stderr.strip().splitlines()) == 1
    missing = cli("import", "customers", str(tmp_path / "nope.csv"), "--user", "salesmgr")
    assert missing.returncode != 0 and "no such file" in missing.stderr
    unreadable = tmp_path / "bin.csv"
    unreadable.write_bytes(b"\xff\xfe\x00\x01binary")
    bad = cli("import", "customers", str(unreadable), "--user", "salesmgr")
    assert bad.returncode != 0 and "UTF-8" in bad.stderr
    out = tmp_path / "out.csv"
    exported = cli("export", "customers", "--user", "salesmgr", "--out", str(out))
    assert exported.returncode == 0 and out.exists()
    back = cli("import", "customers", str(out), "--user", "salesmgr")
    assert back.returncode == 0 and " 0 imported" in back.stdout


def test_excel_export_is_formula_safe(db, manager) -> None:
    run_import(manager, "evil.csv", "Name,Company\n=1+1,@corp\n".encode(), session=db)
    export = export_customers(manager, session=db)
    sheet = load_workbook(io.BytesIO(export.xlsx())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "name" and rows[1][0] == "'=1+1" and rows[1][1] == "'@corp" and export.included == 1


def test_one_export_writes_one_audit_row_and_both_files_hold_the_same_rows(db, manager) -> None:
    run_import(manager, "messy.csv", MESSY, session=db)

    def exports() -> int:
        return db.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "export", AuditEvent.entity == "customers")) or 0

    before = exports()
    export = export_customers(manager, session=db)
    as_csv = list(csv.reader(io.StringIO(export.csv().decode("utf-8-sig"))))
    as_xlsx = [["" if v is None else str(v) for v in row]
               for row in load_workbook(io.BytesIO(export.xlsx())).active.iter_rows(values_only=True)]
    assert exports() == before + 1
    assert as_csv == as_xlsx and len(as_csv) == export.included + 1 == 5


def test_a_table_read_once_is_imported_without_reading_the_file_again(db, manager, monkeypatch) -> None:
    from crm.customers import importing

    table = read_table(MESSY, "messy.csv")
    monkeypatch.setattr(importing, "read_table", lambda *a: pytest.fail("the file was read a second time"))
    report = run_import(manager, "messy.csv", MESSY, table=table, session=db)
    assert report.counts["imported"] == 4


def test_earlier_imports_list_their_file_counts_and_revert_newest_first(db, manager) -> None:
    first = run_import(manager, "messy.csv", MESSY, session=db)
    second = run_import(manager, "few.csv", "Name,Email\nOnce Only,once@example.com\n".encode(), session=db)
    revert_import(manager, first.batch_id, session=db)
    newest, oldest = list_batches(manager, session=db)
    assert (newest.id, newest.filename, newest.counts["imported"], newest.reverted_at) == (
        second.batch_id, "few.csv", 1, None)
    assert (oldest.id, oldest.filename, oldest.counts) == (first.batch_id, "messy.csv", first.counts)
    assert oldest.reverted_at is not None and oldest.created_at is not None
    with pytest.raises(PermissionDenied):
        list_batches(make_actor(db, "sales"), session=db)


def test_countries_written_as_names_in_any_language_or_alpha_3_are_stored_as_iso_codes(db, manager) -> None:
    rows = ["Name,Country", "Dewi Lestari,Indonesia", "Ivan Petrov,BULGARIA", "Мария Иванова,България",
            "عمران خان,پاکستان", "John Smith,United States", "Budi Santoso,IDN", "Nobody,Atlantis"]
    report = run_import(manager, "countries.csv", "\n".join(rows).encode(), session=db)
    assert outcomes(report) == {2: "imported", 3: "imported", 4: "imported", 5: "imported", 6: "imported",
                                7: "imported", 8: "rejected"}
    assert "Atlantis" in report.rows[-1].reasons
    stored = {c.name: c.country for c in db.scalars(select(Customer))}
    assert stored == {"Dewi Lestari": "ID", "Ivan Petrov": "BG", "Мария Иванова": "BG", "عمران خان": "PK",
                      "John Smith": "US", "Budi Santoso": "ID"}


# ------------------------------------------------- customers in the common import flow (kind "customers")

OLD_CRM = ["Customer No", "Name", "E-mail", "Status", "City"]
OLD_ROWS = [["C-1", "Dewi Lestari", "dewi@sinar.co.id", "customer", "Bandung"],
            ["C-2", "Ivan Petrov", "ivan@petrov.bg", "VIP", "Sofia"],
            ["C-3", "Siti Rahayu", "siti@sinarjaya.co.id", "Prospect", ""]]


def _from_old_crm(db, who, rows, **options):  # noqa: ANN001, ANN202
    from crm.importing.kinds import auto_mapping as kind_mapping, kind
    from crm.importing.runner import run
    from crm.importing.writing import ImportOptions

    report = run(who, "customers", rows, headers=OLD_CRM, mapping=kind_mapping(kind("customers"), OLD_CRM),
                 options=ImportOptions(**{"source_system": "crm_old", **options}), filename="old.csv", session=db)
    db.commit()
    return report


def _linked(db, source: str = "crm_old") -> dict[str, int]:
    from db.models import ExternalId

    return dict(db.execute(select(ExternalId.external_id, ExternalId.entity_id).where(
        ExternalId.source_system == source, ExternalId.entity == "customer")).all())


def test_an_unknown_status_is_listed_and_rejected_until_the_user_maps_it(db, manager) -> None:
    from crm.importing import values
    from crm.importing.kinds import auto_mapping as kind_mapping, kind

    unknown = values.unknown_values(kind("customers"), OLD_CRM, OLD_ROWS, kind_mapping(kind("customers"), OLD_CRM),
                                    ImportOptions(), db)
    assert [(u.field, u.column, u.values, u.open_list) for u in unknown] == [("status", "Status", [("VIP", 1)], False)]
    refused = _from_old_crm(db, manager, OLD_ROWS)
    assert outcomes(refused) == {2: "imported", 3: "rejected", 4: "imported"}
    assert "Status" in refused.rows[1].reasons and "VIP" in refused.rows[1].reasons
    mapped = _from_old_crm(db, manager, OLD_ROWS, value_map={"status": {"vip": "customer"}})
    assert [r.outcome for r in mapped.rows] == ["duplicate", "imported", "duplicate"]
    ivan = db.get(Customer, mapped.rows[1].customer_id)
    assert (ivan.name, ivan.status, ivan.city) == ("Ivan Petrov", "customer", "Sofia")
    assert db.get(Customer, refused.rows[2].customer_id).status == "prospect"


def test_every_problem_of_a_row_is_reported_at_once_naming_its_column(db, manager) -> None:
    report = _from_old_crm(db, manager, [["C-9", "Bad Row", "not-an-email", "VIP", "x" * 121]])
    reasons = report.rows[0].reasons
    assert report.rows[0].outcome == "rejected"
    assert "E-mail:" in reasons and "Status:" in reasons and "City:" in reasons


def test_ids_of_the_source_make_a_reimport_idempotent_and_a_newer_export_an_update(db, manager) -> None:
    first = _from_old_crm(db, manager, OLD_ROWS, value_map={"status": {"vip": "customer"}})
    assert [r.outcome for r in first.rows] == ["imported"] * 3
    linked = _linked(db)
    assert linked == {f"C-{n}": first.rows[n - 1].customer_id for n in (1, 2, 3)}
    count = db.scalar(select(func.count()).select_from(Customer))
    again = _from_old_crm(db, manager, OLD_ROWS, value_map={"status": {"vip": "customer"}})
    assert [r.outcome for r in again.rows] == ["duplicate"] * 3
    assert "already imported from crm_old" in again.rows[0].reasons
    # a newer export: Dewi moved and changed her e-mail (no e-mail match any more: the id finds her)
    newer = _from_old_crm(db, manager, [["C-1", "Dewi Lestari", "dewi@new-mail.id", "customer", "Jakarta"]])
    assert [(r.outcome, r.customer_id) for r in newer.rows] == [("updated", linked["C-1"])]
    dewi = db.get(Customer, linked["C-1"])
    assert (dewi.email, dewi.city) == ("dewi@new-mail.id", "Jakarta")
    assert db.scalar(select(func.count()).select_from(Customer)) == count
    revert_import(manager, newer.batch_id, session=db)
    db.refresh(dewi)
    assert (dewi.email, dewi.city) == ("dewi@sinar.co.id", "Bandung")


def test_a_customer_matched_by_email_or_within_the_file_gets_the_source_id_linked(db, manager) -> None:
    from crm.customers.service import create_customer

    typed = create_customer(manager, {"name": "Dewi Lestari", "email": "DEWI@sinar.co.id"}, session=db).id
    rows = [OLD_ROWS[0], ["C-1b", "Dewi  Lestari", "dewi@sinar.co.id", "", ""], OLD_ROWS[2]]
    report = _from_old_crm(db, manager, rows)
    assert [(r.outcome, r.customer_id) for r in report.rows[:2]] == [("duplicate", typed), ("duplicate", None)]
    assert "row 2" in report.rows[1].reasons
    assert _linked(db) == {"C-1": typed, "C-1b": typed, "C-3": report.rows[2].customer_id}


def test_references_across_sources_find_the_customers_of_the_old_crm(db, manager) -> None:
    from crm.importing.kinds import auto_mapping as kind_mapping, kind
    from crm.importing.runner import run

    _from_old_crm(db, manager, OLD_ROWS[:1])
    headers = ["Ticket ID", "Customer", "Created", "Summary"]
    tickets = [["T-1", "C-1", "2024-03-05 10:15", "Login fails"], ["T-2", "C-1", "2024-03-06 10:15", "Again"]]
    on_own = run(manager, "interactions", tickets, headers=headers, mapping=kind_mapping(kind("interactions"), headers),
                 options=ImportOptions(source_system="helpdesk"), session=db)
    assert [r.outcome for r in on_own.rows] == ["rejected", "rejected"]  # the helpdesk's own ids know no C-1
    across = run(manager, "interactions", tickets, headers=headers, mapping=kind_mapping(kind("interactions"), headers),
                 options=ImportOptions(source_system="helpdesk", customer_source="crm_old"), session=db)
    assert [r.outcome for r in across.rows] == ["imported", "imported"]


def test_revert_forgets_the_ids_the_import_kept_and_they_come_back_on_the_next_import(db, manager) -> None:
    first = _from_old_crm(db, manager, OLD_ROWS[:1])
    assert revert_import(manager, first.batch_id, session=db)["removed"] == 1
    assert _linked(db) == {}
    again = _from_old_crm(db, manager, OLD_ROWS[:1])
    assert again.rows[0].outcome == "imported" and _linked(db) == {"C-1": again.rows[0].customer_id}


def test_an_erased_customer_is_not_imported_again_from_its_source(db, manager) -> None:
    from crm.customers.privacy import erase_customer

    first = _from_old_crm(db, manager, OLD_ROWS[:1])
    erase_customer(make_actor(db, "admin"), first.rows[0].customer_id, str(first.rows[0].customer_id), session=db)
    again = _from_old_crm(db, manager, OLD_ROWS[:1])
    assert again.rows[0].outcome == "rejected" and "erased" in again.rows[0].reasons
    assert db.get(Customer, first.rows[0].customer_id).name != "Dewi Lestari"


def test_a_customer_import_without_data_import_is_refused(db, manager) -> None:
    with pytest.raises(PermissionDenied):
        _from_old_crm(db, make_actor(db, "sales"), OLD_ROWS)


def test_after_a_merge_the_ids_of_the_merged_customer_find_the_kept_one(db, manager) -> None:
    from crm.customers.quality import merge_customers
    from crm.importing.kinds import auto_mapping as kind_mapping, kind
    from crm.importing.runner import run
    from db.models import Interaction

    first = _from_old_crm(db, manager, OLD_ROWS[:3:2])  # Dewi (C-1) and Siti (C-3): the same person, say
    dewi, siti = (r.customer_id for r in first.rows)
    merge_customers(manager, dewi, siti, session=db)
    assert _linked(db) == {"C-1": dewi, "C-3": dewi}
    headers = ["Ticket ID", "Customer", "Created", "Summary"]
    report = run(manager, "interactions", [["T-1", "C-3", "2024-03-05 10:15", "Hello"]], headers=headers,
                 mapping=kind_mapping(kind("interactions"), headers),
                 options=ImportOptions(source_system="helpdesk", customer_source="crm_old"), session=db)
    assert db.get(Interaction, report.rows[0].entity_id).customer_id == dewi
