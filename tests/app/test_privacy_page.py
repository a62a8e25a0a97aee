"""Privacy page: consent in one click either way; erasure needs the typed number."""
from __future__ import annotations

import pytest

from crm.core.i18n import _, label, use_language
from crm.customers.privacy import CONSENT_PURPOSES
from tests.app.helpers import signed_in, texts


def _open(at, query: str):  # type: ignore[no-untyped-def]
    at.text_input(key="privacy_find").input(query).run()
    at.selectbox[0].select_index(0).run()
    return at


def test_withdraw_and_give_marketing_consent(app_env) -> None:
    at = _open(signed_in("admin", "pages/privacy.py"), "jose alvarez")
    assert "**Marketing**: given" in texts(at)
    next(b for b in at.button if b.label == "Withdraw").click().run()
    assert "Marketing: consent withdrawn." in texts(at)
    at = _open(at, "jose alvarez")
    assert "**Marketing**: not given" in texts(at)


def test_erasure_refused_without_the_typed_number(app_env) -> None:
    at = _open(signed_in("admin", "pages/privacy.py"), "иван петров")
    next(b for b in at.button if b.label == "Erase personal data").click().run()
    assert any("Type the customer number" in str(e.value) for e in at.error)


@pytest.mark.parametrize("username", ["salesmgr", "sales", "sponsor"])
def test_only_admins_open_privacy(app_env, username: str) -> None:
    with pytest.raises(ValueError):
        signed_in(username).switch_page("pages/privacy.py")


@pytest.mark.parametrize("language", ["ur", "bg"])
def test_privacy_page_renders_in_other_languages(app_env, language: str) -> None:
    at = _open(signed_in("admin", "pages/privacy.py", language=language), "jose alvarez")
    assert not at.exception
    with use_language(language):
        title, withdraw, erase = _("Privacy"), _("Withdraw"), _("Erase personal data")
    assert [t.value for t in at.title] == [title]
    labels = [b.label for b in at.button]
    assert withdraw in labels and erase in labels  # the customer opened, with its consent and erasure tools


def test_consent_history_shows_each_decision_in_the_users_language(app_env) -> None:
    at = _open(signed_in("admin", "pages/privacy.py"), "jose alvarez")
    next(b for b in at.button if b.label == "Withdraw").click().run()
    at = _open(at, "jose alvarez")
    history = at.dataframe[0].value
    assert list(history.columns) == ["When", "Purpose", "Decision", "Source", "Wording"]
    assert history.iloc[0][["Purpose", "Decision", "Source"]].tolist() == ["Marketing", "withdrawn", "phone call"]
    at = _open(signed_in("admin", "pages/privacy.py", language="bg"), "jose alvarez")
    with use_language("bg"):
        headers = [_(h) for h in ("When", "Purpose", "Decision", "Source", "Wording")]
        first = [label(CONSENT_PURPOSES, "marketing"), _("withdrawn")]
    history = at.dataframe[0].value
    assert list(history.columns) == headers and history.iloc[0][headers[1:3]].tolist() == first
    assert headers != ["When", "Purpose", "Decision", "Source", "Wording"]
