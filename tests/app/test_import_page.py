"""Import page: managers import and see the report; staff cannot open it."""
from __future__ import annotations

import pytest

from crm.core.i18n import _, use_language
from tests.app.helpers import exportable, signed_in, texts


def test_manager_sees_import_tools_and_export(app_env) -> None:
    at = signed_in("salesmgr", "pages/import.py")
    assert not at.exception
    assert "Earlier imports" in texts(at) and "Export customers" in texts(at)
    assert not at.get("download_button")  # nothing is prepared before the click
    next(b for b in at.button if b.label == "Prepare export").click().run()
    assert not at.exception
    everyone, _consenting = exportable(app_env)
    assert f"{everyone} customers." in [c.value for c in at.caption]
    assert [d.proto.label for d in at.get("download_button")] == ["Download customers (CSV)",
                                                                  "Download customers (Excel)"]


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
