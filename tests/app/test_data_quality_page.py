"""Data quality page for managers; refused to staff."""
from __future__ import annotations

import pytest

from crm.core.i18n import _, use_language
from tests.app.helpers import signed_in, texts


def test_manager_sees_completeness_duplicates_and_neglected(app_env) -> None:
    at = signed_in("salesmgr", "pages/data_quality.py")
    assert not at.exception
    shown = texts(at)
    for heading in ("Completeness", "Invalid e-mails and phones", "Possible duplicates", "Neglected customers"):
        assert heading in shown
    fields = at.dataframe[0].value
    assert "email" in list(fields["Field"])


@pytest.mark.parametrize("username", ["sales", "support", "sponsor"])
def test_staff_cannot_open_data_quality(app_env, username: str) -> None:
    with pytest.raises(ValueError):
        signed_in(username).switch_page("pages/data_quality.py")


@pytest.mark.parametrize("language", ["ur", "bg"])
def test_data_quality_page_renders_in_other_languages(app_env, language: str) -> None:
    at = signed_in("salesmgr", "pages/data_quality.py", language=language)
    assert not at.exception
    with use_language(language):
        expected = [_(h) for h in ("Completeness", "Invalid e-mails and phones", "Possible duplicates",
                                   "Neglected customers")]
        title, merge = _("Data quality"), _("Merge")
    assert [t.value for t in at.title] == [title]
    assert [h.value for h in at.subheader] == expected
    assert merge in [b.label for b in at.button]  # the demo data holds duplicates to merge
