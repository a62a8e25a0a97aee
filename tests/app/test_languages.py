"""Every screen renders in every language, in that language (the administrator sees every screen)."""
from __future__ import annotations

import pytest

from crm.core.i18n import TRANSLATED, _, set_language, use_language
from ui.navigation import PAGES
from tests.app.helpers import signed_in


def _screen(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(t.value) for t in at.title] + [str(h.value) for h in at.header] + [str(h.value) for h in at.subheader]


_ENGLISH: dict[str, list[str]] = {}


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.path)
def test_each_screen_renders_translated(app_env, spec, lang: str) -> None:  # type: ignore[no-untyped-def]
    if spec.path not in _ENGLISH:
        _ENGLISH[spec.path] = _screen(signed_in("admin", spec.path))
    english = _ENGLISH[spec.path]
    at = signed_in("admin", spec.path, language=lang)
    assert not at.exception, at.exception
    shown = _screen(at)
    assert shown and english, "the screen has a title"
    with use_language(lang):
        expected = _(english[0])
    assert expected != english[0], f"{english[0]!r} has no {lang} translation"
    assert shown[0] == expected  # the title is the catalog's translation, not English
    set_language("en")


def test_sidebar_identity_and_selector_follow_the_language(app_env) -> None:  # type: ignore[no-untyped-def]
    at = signed_in("sales", language="bg")
    assert "Продажби" in " ".join(str(c.value) for c in at.sidebar.caption)
    assert at.sidebar.selectbox[0].label.startswith("Език")
