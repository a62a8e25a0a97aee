"""Custom fields in files: a column per active field in the customer export (CSV as text, Excel typed), a mapping
target per field in the customer and interaction imports (found by its label in any language, cleaned by its
type, bad cells reported per row and column, a re-import updating them, a revert restoring them)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.core.access import Actor
from crm.core.i18n import use_language
from crm.customers.importing import export_customers, run_import
from crm.importing import identity
from crm.importing.batches import revert
from crm.importing.kinds import auto_mapping, kind
from crm.importing.runner import run
from crm.importing.writing import ImportOptions
from crm.settings.field_values import values_of
from crm.settings.fields import add_field
from db.models import AuditEvent, Customer, Interaction
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

ADMIN = Actor(None, "ada", "Ada Admin", "it", "admin")
LABELS = {  # code: (English label, Indonesian label, type, options)
    "nickname": ("Nickname", "Nama panggilan", "text"),
    "story": ("Story", "Cerita", "long_text"),
    "staff_count": ("Staff count", "Jumlah staf", "number"),
    "credit_limit": ("Credit limit", "Batas kredit", "money"),
    "contract_end": ("Contract end", "Akhir kontrak", "date"),
    "key_account": ("Key account", "Akun utama", "yes_no"),
    "preferred_branch": ("Preferred branch", "Cabang pilihan", "choice"),
    "interests": ("Interests", "Minat", "multi_choice"),
    "billing_e_mail": ("Billing e-mail", "E-mail tagihan", "email"),
    "website": ("Website", "Situs web", "url"),
}
CHOICES = {"preferred_branch": ["North", {"en": "South", "id": "Selatan"}], "interests": ["Cloud", "Training"]}


@pytest.fixture
def manager(db):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(session=db)
    for code, (en, id_, type_) in LABELS.items():
        add_field(ADMIN, "customers", {"en": en, "id": id_}, type_, choices=CHOICES.get(code), session=db)
    db.commit()
    return make_actor(db, "salesmgr")


def _csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([headers, *rows])
    return out.getvalue().encode()


HEADERS = ["Customer No", "Name", "Nama panggilan", "Cerita", "Jumlah staf", "Batas kredit", "Akhir kontrak",
           "Akun utama", "Cabang pilihan", "Minat", "E-mail tagihan", "Situs web"]
GOOD = ["C-1", "Ayu", "Ayu the Bold", "Met at the fair", "12", "1.500,50", "2027-03-31", "ya", "Selatan",
        "Cloud; Training", "ayu@example.com", "ayu.example.com"]
BAD = ["C-2", "Budi", "", "", "many", "", "31/02/2027", "perhaps", "West", "Gardening", "not-an-address", "not a url"]


def test_import_maps_custom_columns_by_label_in_any_language_and_cleans_each_type(db, manager) -> None:
    mapping = auto_mapping(kind("customers", db), HEADERS)
    assert {f"custom.{code}" for code in LABELS} <= set(mapping)
    report = run(manager, "customers", [GOOD, BAD], headers=HEADERS, mapping=mapping,
                 options=ImportOptions(source_system="crm_old"), filename="c.csv", session=db)
    assert report.counts["imported"] == 1 and report.counts["rejected"] == 1
    reasons = report.rows[1].reasons
    for column in ("Jumlah staf", "Akhir kontrak", "Akun utama", "Cabang pilihan", "Minat", "E-mail tagihan",
                   "Situs web"):
        assert f"{column}: " in reasons
    (cid,) = identity.find(db, "crm_old", "customer", ["C-1"]).values()
    assert values_of(db, "customers", [cid])[cid] == {
        "nickname": "Ayu the Bold", "story": "Met at the fair", "staff_count": Decimal(12),
        "credit_limit": Decimal("1500.50"), "contract_end": dt.date(2027, 3, 31), "key_account": True,
        "preferred_branch": "south", "interests": ["cloud", "training"], "billing_e_mail": "ayu@example.com",
        "website": "https://ayu.example.com"}
    created = db.scalar(select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.entity == "customer",
                                             AuditEvent.entity_id == str(cid)))
    assert created.after["custom"]["credit_limit"] == "1500.50"


def test_reimport_updates_custom_values_and_revert_restores_them(db, manager) -> None:
    options = ImportOptions(source_system="crm_old")
    mapping = auto_mapping(kind("customers", db), HEADERS)
    run(manager, "customers", [GOOD], headers=HEADERS, mapping=mapping, options=options, session=db)
    db.commit()
    (cid,) = identity.find(db, "crm_old", "customer", ["C-1"]).values()
    same = run(manager, "customers", [GOOD], headers=HEADERS, mapping=mapping, options=options, session=db)
    assert same.counts["duplicate"] == 1  # the same values again: nothing to change
    changed = [*GOOD[:4], "13", *GOOD[5:8], "North", *GOOD[9:]]
    again = run(manager, "customers", [changed], headers=HEADERS, mapping=mapping, options=options, session=db)
    db.commit()
    assert again.counts["updated"] == 1
    now = values_of(db, "customers", [cid])[cid]
    assert now["staff_count"] == Decimal(13) and now["preferred_branch"] == "north"
    assert now["credit_limit"] == Decimal("1500.50")  # unchanged columns stay
    revert(manager, again.batch_id, session=db)
    db.commit()
    back = values_of(db, "customers", [cid])[cid]
    assert back["staff_count"] == Decimal(12) and back["preferred_branch"] == "south"


def test_export_has_a_labelled_column_per_field_as_text_in_csv_and_typed_in_excel(db, manager) -> None:
    mapping = auto_mapping(kind("customers", db), HEADERS)
    run(manager, "customers", [GOOD], headers=HEADERS, mapping=mapping, session=db)
    db.commit()
    with use_language("id"):
        export = export_customers(manager, session=db)
        header = export.header
    assert header[-len(LABELS):] == [id_ for _en, id_, _t in LABELS.values()]
    rows = list(csv.reader(io.StringIO(export.csv().decode("utf-8-sig"))))
    ayu = dict(zip(rows[0], next(r for r in rows if r[0] == "Ayu")))
    assert ayu["Batas kredit"] == "1500.5" and ayu["Akhir kontrak"] == "2027-03-31" and ayu["Akun utama"] == "yes"
    assert ayu["Cabang pilihan"] == "south" and ayu["Minat"] == "cloud, training"
    sheet = list(load_workbook(io.BytesIO(export.xlsx())).active.iter_rows(values_only=True))
    cells = dict(zip(sheet[0], next(r for r in sheet if r[0] == "Ayu")))
    assert cells["Batas kredit"] == 1500.5 and cells["Jumlah staf"] == 12
    assert cells["Akhir kontrak"].date() == dt.date(2027, 3, 31) and cells["Akun utama"] is True
    # the export reads back: the same customer, nothing changed
    again = run_import(manager, "export.csv", export.csv(), session=db)
    assert again.counts["imported"] == 0


def test_interaction_import_takes_custom_fields(db, manager) -> None:
    add_field(ADMIN, "interactions", {"en": "Visit kind", "bg": "Вид посещение"}, "choice",
              choices=["On site", "Remote"], session=db)
    add_field(ADMIN, "interactions", {"en": "Duration"}, "number", session=db)
    run(manager, "customers", [["C-1", "Ayu"]], headers=["Customer No", "Name"],
        mapping={"external_id": 0, "name": 1}, options=ImportOptions(source_system="crm_old"), session=db)
    headers = ["Ticket ID", "Customer", "Created", "Type", "Summary", "Вид посещение", "Duration"]
    rows = [["T-1", "C-1", "2024-03-05 10:15", "Visit", "Kick-off", "On site", "90"],
            ["T-2", "C-1", "2024-03-06 10:15", "Call", "Check-in", "Teleport", "x"]]
    mapping = auto_mapping(kind("interactions", db), headers)
    assert mapping["custom.visit_kind"] == 5 and mapping["custom.duration"] == 6
    report = run(manager, "interactions", rows, headers=headers, mapping=mapping,
                 options=ImportOptions(source_system="crm_old"), session=db)
    assert report.counts["imported"] == 1 and report.counts["rejected"] == 1
    assert "Вид посещение: " in report.rows[1].reasons and "Duration: " in report.rows[1].reasons
    iid = db.scalar(select(Interaction.id).where(Interaction.subject == "Kick-off"))
    assert values_of(db, "interactions", [iid])[iid] == {"visit_kind": "on_site", "duration": Decimal(90)}
    rows[0][6] = "95"
    again = run(manager, "interactions", rows[:1], headers=headers, mapping=mapping,
                options=ImportOptions(source_system="crm_old"), session=db)
    assert again.counts["updated"] == 1
    assert values_of(db, "interactions", [iid])[iid]["duration"] == Decimal(95)
    assert db.scalar(select(Customer.name)) == "Ayu"


def test_a_new_record_without_a_required_custom_field_is_rejected_an_update_needs_none(db, manager) -> None:
    add_field(ADMIN, "customers", {"en": "Region"}, "choice", choices=["East", "West"], required=True,
              default_for_existing="East", session=db)
    options = ImportOptions(source_system="crm_old", on_duplicate="update")
    headers = ["Customer No", "Name", "Region"]
    report = run(manager, "customers", [["C-1", "Ayu", "West"], ["C-2", "Budi", ""]], headers=headers,
                 mapping={"external_id": 0, "name": 1, "custom.region": 2}, options=options, session=db)
    assert report.counts["imported"] == 1 and report.counts["rejected"] == 1
    assert report.rows[1].reasons == "Region is required."
    assert identity.find(db, "crm_old", "customer", ["C-2"]) == {}
    again = run(manager, "customers", [["C-1", "Ayu Lestari", ""]], headers=headers,
                mapping={"external_id": 0, "name": 1, "custom.region": 2}, options=options, session=db)
    assert again.counts["updated"] == 1
