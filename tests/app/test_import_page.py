"""Import page: managers import and see the report; staff cannot open it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.core.database import session_scope
from crm.core.i18n import _, use_language
from db.models import AuditEvent
from tests.app.helpers import exportable, signed_in, texts


def _exports(url: str) -> int:
    """Audit rows written for customer exports so far."""
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "export", AuditEvent.entity == "customers")) or 0


def test_one_export_click_exports_once_and_offers_both_files(app_env) -> None:
    at = signed_in("salesmgr", "pages/import.py")
    assert not at.exception
    assert "Earlier imports" in texts(at) and "Export customers" in texts(at)
    assert not at.get("download_button")  # nothing is prepared before the click
    before = _exports(app_env)
    next(b for b in at.button if b.label == "Prepare export").click().run()
    assert not at.exception
    assert _exports(app_env) == before + 1  # one click, one export, one audit row
    everyone, _consenting = exportable(app_env)
    assert f"{everyone} customers." in [c.value for c in at.caption]
    assert [d.proto.label for d in at.get("download_button")] == ["Download customers (CSV)",
                                                                  "Download customers (Excel)"]


def test_an_upload_is_read_once_however_often_the_page_runs(app_env, monkeypatch) -> None:
    from crm.customers import importing

    reads: list[str] = []
    real = importing.read_table

    def counted(data: bytes, filename: str):  # type: ignore[no-untyped-def]
        reads.append(filename)
        return real(data, filename)

    monkeypatch.setattr(importing, "read_table", counted)
    at = signed_in("salesmgr", "pages/import.py")
    at.file_uploader[0].upload("few.csv", "Name,E-mail\nOnce Only,once@example.com\n".encode(), "text/csv").run()
    assert not at.exception and "**1 row** in `few.csv`" in texts(at)
    duplicates = next(r for r in at.radio if r.label == "When a row matches an existing customer")
    duplicates.set_value("update").run()  # another run of the page with the same upload
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and "Report: few.csv" in texts(at)
    assert reads == ["few.csv"]


@pytest.mark.parametrize("username", ["sales", "support", "marketing", "sponsor"])
def test_staff_cannot_open_import(app_env, username: str) -> None:
    at = signed_in(username)
    with pytest.raises(ValueError):
        at.switch_page("pages/import.py")


@pytest.mark.parametrize("language", ["ur", "bg"])
def test_import_page_renders_in_other_languages(app_env, language: str) -> None:
    at = signed_in("salesmgr", "pages/import.py", language=language)
    assert not at.exception
    assert at.session_state["crm_language"] == language
    with use_language(language):
        label = _("Prepare export")
        downloads = [_("Download customers (CSV)"), _("Download customers (Excel)")]
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception
    assert [d.proto.label for d in at.get("download_button")] == downloads


def test_earlier_imports_show_file_counts_and_can_be_chosen_for_revert(app_env) -> None:
    at = signed_in("salesmgr", "pages/import.py")
    at.file_uploader[0].upload("few.csv", "Name,E-mail\nListed Once,listed@example.com\n".encode(), "text/csv").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    batches = at.dataframe[-1].value
    assert list(batches.columns) == ["id", "When", "Kind", "File", "Source system", "Started from", "Status",
                                     "Counts", "Reverted"]
    newest = batches.iloc[0]
    assert (newest["Kind"], newest["File"], newest["Started from"], newest["Status"], newest["Reverted"]) == (
        "Customers", "few.csv", "Import page", "Done", "")
    assert {"Imported: 1", "Updated: 0", "Rejected: 0"} <= set(newest["Counts"].split(", "))
    revert = next(s for s in at.selectbox if s.label == "Revert an import")
    assert revert.options[0].startswith(f"#{newest['id']} few.csv (")
