"""Import page, any kind of record: choose the kind and the columns, answer what the file leaves open (values the
portal does not know, the order of day and month), check the preview, import or only check, read the report."""
from __future__ import annotations

import importlib.util

import pytest
from sqlalchemy import func, select

from crm.core.database import session_scope
from crm.importing import cleaning, kinds
from crm.importing.kinds import Field, Kind
from crm.importing.writing import CleanRow, Context, RowResult, Writer
from db.models import ImportBatch, Product
from tests.app.helpers import signed_in, texts

# Headers a shop's export might have: "Item no" is not a name the portal guesses; the rest are.
PRODUCTS_FILE = ("Item no;Description;Group;Unit price;On hand\n"
                 "P-1;Widget;Hardwre;12.50;3\n"
                 "P-2;Gadget;Garden tools;5;7\n"
                 "P-3;Bolt;Hardwre;1.25;100\n").encode()


def _products(url: str) -> dict[str, tuple[str, str, int]]:
    with session_scope(url) as session:
        return {p.sku: (p.name, p.category, p.stock) for p in session.scalars(select(Product))}


def _batches(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(ImportBatch)) or 0


def _products_file_ready(at, dry_run: bool = False):  # type: ignore[no-untyped-def]
    """The products file uploaded, its SKU column chosen, one unknown category mapped to a known one."""
    at.radio(key="import_kind").set_value("products").run()
    at.file_uploader[0].upload("shop-products.csv", PRODUCTS_FILE, "text/csv").run()
    assert not at.exception
    assert "Choose the columns for: SKU." in texts(at)
    assert next(b for b in at.button if b.label == "Import").disabled  # not before every required field has a column
    next(s for s in at.selectbox if s.label == "SKU (required)").set_value(0).run()  # the "Item no" column
    assert "Choose the columns for" not in texts(at)
    assert "values the portal does not know" in texts(at)
    values = {s.label: s for s in at.selectbox if s.label.startswith("Map ")}
    assert set(values) == {"Map Hardwre to", "Map Garden tools to"}
    assert values["Map Garden tools to"].value == "(new)"  # categories are an open list: kept as new unless mapped
    assert "Hardware" in values["Map Hardwre to"].options  # the categories in use are offered
    values["Map Hardwre to"].set_value("Hardware").run()
    if dry_run:
        next(c for c in at.checkbox if c.label == "Dry run (check only, save nothing)").check().run()
    return at


def test_a_manager_imports_products_with_a_column_and_a_value_mapped(app_env) -> None:
    at = _products_file_ready(signed_in("salesmgr", "pages/import.py"))
    preview = at.dataframe[0].value
    assert list(preview["Category (as stored)"]) == ["Hardware", "Garden tools", "Hardware"]
    assert list(preview["Price (as stored)"]) == ["12.50", "5", "1.25"]
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert "Report: shop-products.csv" in texts(at) and "Dry run: nothing was saved." not in texts(at)
    assert {m.label: m.value for m in at.metric}["Imported"] == "3"
    report = at.dataframe[1].value
    assert list(report["Name"]) == ["P-1", "P-2", "P-3"] and set(report["Outcome"]) == {"Imported"}
    products = _products(app_env)
    assert products["P-1"] == ("Widget", "Hardware", 3)
    assert products["P-2"] == ("Gadget", "Garden tools", 7)
    earlier = at.dataframe[-1].value.iloc[0]
    assert (earlier["Kind"], earlier["File"]) == ("Products and stock", "shop-products.csv")
    assert "Imported: 3" in earlier["Counts"]


def test_a_dry_run_reports_every_row_and_saves_nothing(app_env) -> None:
    before, batches = _products(app_env), _batches(app_env)
    at = _products_file_ready(signed_in("salesmgr", "pages/import.py"), dry_run=True)
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert "Dry run: nothing was saved." in texts(at)
    assert {m.label: m.value for m in at.metric}["Imported"] == "3"
    assert _products(app_env) == before and _batches(app_env) == batches


# A kind with a date column, standing in for the kinds being written (receipts, interactions, surveys).
VISITS = Kind("surveys", "Survey answers", "visit", (
    Field("customer", "Customer", type="ref", required=True),
    Field("when", "Date", type="date", required=True)), help="One row per visit.")


class _DatesWriter(Writer):
    """Writes nothing; names each row by the date it was given, so the report shows how dates were read."""

    def write(self, ctx: Context, rows: list[CleanRow]) -> list[RowResult]:
        return [RowResult(r.row, "imported", name=r.values["when"].isoformat()) for r in rows]


@pytest.mark.skipif(not cleaning.date_order(["01/02/1997", "03/04/1997"]).needs_choice,
                    reason="crm.importing.cleaning is still the placeholder (it never asks for the date order)")
def test_an_ambiguous_date_order_is_asked_and_the_import_waits_for_the_answer(app_env, monkeypatch) -> None:
    monkeypatch.setitem(kinds._REGISTRY, "surveys", (VISITS, _DatesWriter()))
    at = signed_in("salesmgr", "pages/import.py")
    at.radio(key="import_kind").set_value("surveys").run()
    assert any(t.label == "Customer references are ids of" for t in at.text_input)
    at.file_uploader[0].upload("visits.csv", b"Customer,Date\nc-1,01/02/1997\nc-2,03/04/1997\n", "text/csv").run()
    assert not at.exception
    question = next(r for r in at.radio if r.label == "01/02/1997 means")
    examples = next(line for line in texts(at).splitlines() if line.startswith("Dates in this file: "))
    assert question.value is None and set(examples.split(": ")[1].split(", ")) == {"01/02/1997", "03/04/1997"}
    assert next(b for b in at.button if b.label == "Import").disabled
    question.set_value(True).run()  # 1 February 1997
    assert list(at.dataframe[0].value["Date (as stored)"]) == ["Feb 1, 1997", "Apr 3, 1997"]
    next(c for c in at.checkbox if c.label == "Dry run (check only, save nothing)").check().run()
    import_button = next(b for b in at.button if b.label == "Import")
    assert not import_button.disabled
    import_button.click().run()
    assert not at.exception
    assert list(at.dataframe[1].value["Name"]) == ["1997-02-01", "1997-04-03"]


def test_a_products_import_can_be_reverted_from_the_page(app_env) -> None:
    before = _products(app_env)
    at = _products_file_ready(signed_in("salesmgr", "pages/import.py"))
    next(b for b in at.button if b.label == "Import").click().run()
    assert set(_products(app_env)) == set(before) | {"P-1", "P-2", "P-3"}
    revert = next(s for s in at.selectbox if s.label == "Revert an import")
    revert.set_value(revert.options[0]).run()
    assert revert.options[0].startswith("#") and "shop-products.csv" in revert.options[0]
    next(c for c in at.checkbox if c.label.startswith("I understand")).check().run()
    next(b for b in at.button if b.label == "Revert import").click().run()
    assert not at.exception
    assert "Import reverted: Removed: 3, Archived (already in use): 0, Restored: 0." in texts(at)
    assert _products(app_env) == before
    assert at.dataframe[-1].value.iloc[0]["Reverted"] != ""


@pytest.mark.skipif(importlib.util.find_spec("crm.importing.profiles") is None,
                    reason="crm.importing.profiles (saved import profiles) is not there yet")
def test_settings_saved_as_a_profile_set_up_the_next_file_of_that_system(app_env) -> None:
    at = _products_file_ready(signed_in("salesmgr", "pages/import.py"))
    next(t for t in at.text_input if t.label == "Source system (optional)").input("shop").run()
    next(t for t in at.text_input if t.label == "Profile name").input("Shop products").run()
    next(b for b in at.button if b.label == "Save profile").click().run()
    assert not at.exception and "Profile 'Shop products' saved." in texts(at)

    at = signed_in("salesmgr", "pages/import.py")  # another day: the same system's file comes in
    at.radio(key="import_kind").set_value("products").run()
    profile = next(s for s in at.selectbox if s.label == "Start from a saved import profile")
    profile.select_index(profile.options.index("Shop products")).run()
    at.file_uploader[0].upload("shop-products-2.csv", PRODUCTS_FILE, "text/csv").run()
    assert not at.exception
    assert next(t for t in at.text_input if t.label == "Source system (optional)").value == "shop"
    assert next(s for s in at.selectbox if s.label == "SKU (required)").value == 0  # "Item no", as saved
    assert "Choose the columns for" not in texts(at)
    assert next(s for s in at.selectbox if s.label == "Map Hardwre to").value == "Hardware"
