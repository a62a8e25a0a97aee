"""Catalogs: complete, compilable, and used; formats follow the chosen locale."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tools import i18n_catalogs
from crm.core.i18n import (
    LANGUAGES, TRANSLATED, _, catalog_path, date, get_language, is_rtl, money, month, ngettext,
    normalize_language, number, set_language, use_language,
)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    set_language("en")


def test_the_four_languages_are_offered_in_their_own_names() -> None:
    assert LANGUAGES == {"en": "English", "id": "Bahasa Indonesia", "bg": "Български", "ur": "اردو"}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_in_the_code_is_translated(lang: str) -> None:
    template = i18n_catalogs.extract(i18n_catalogs.source_files())
    with catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    missing = [m.id for m in template if m.id and catalog.get(m.id, m.context) is None]
    assert missing == [], f"{len(missing)} messages missing in {lang}; run python -m tools.i18n_catalogs update"
    assert i18n_catalogs.problems(catalog) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_compiles(lang: str) -> None:
    with catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    assert len(buf.getvalue()) > 1000
    assert catalog.num_plurals >= 1


def test_the_code_marks_a_real_number_of_messages() -> None:
    assert len([m for m in i18n_catalogs.extract(i18n_catalogs.source_files()) if m.id]) > 300


def test_a_translation_is_used_and_english_is_the_fallback() -> None:
    assert _("Language") == "Language"
    with use_language("bg"):
        assert _("Language") == "Език"
        assert _("a message nobody wrote") == "a message nobody wrote"
    with use_language("id"):
        assert _("Language") == "Bahasa"
    with use_language("ur"):
        assert _("Language") == "زبان"
    assert get_language() == "en"


def test_plural_forms_follow_the_language() -> None:
    with use_language("bg"):
        one = ngettext("{n} customer", "{n} customers", 1)
        many = ngettext("{n} customer", "{n} customers", 5)
    assert one != many and "{n}" in one and "{n}" in many


def test_browser_locales_map_to_a_supported_language() -> None:
    assert normalize_language("bg-BG") == "bg"
    assert normalize_language("ur_PK") == "ur"
    assert normalize_language("fr-FR") == "en"
    assert normalize_language(None) == "en"


def test_urdu_is_right_to_left_and_the_others_are_not() -> None:
    assert is_rtl("ur")
    assert not any(is_rtl(lang) for lang in ("en", "id", "bg"))


def test_numbers_money_and_dates_follow_the_locale() -> None:
    day = dt.date(2026, 3, 5)
    seen = {}
    for lang in LANGUAGES:
        with use_language(lang):
            seen[lang] = (number(1234567.5, 1), money(1234.5, "EUR"), date(day), month("2026-03"))
    assert seen["en"] == ("1,234,567.5", "€1,234.50", "Mar 5, 2026", "Mar 2026")
    assert seen["id"][0] == "1.234.567,5"
    assert seen["bg"][0] == "1\u00a0234\u00a0567,5"  # no-break spaces group thousands
    assert "€" in seen["bg"][1] and seen["bg"][1].endswith("€")
    assert "مارچ" in seen["ur"][2]
    assert len(set(seen.values())) == 4


def test_a_stored_code_is_shown_by_its_label_in_the_users_language() -> None:
    from crm.core.access import DEPARTMENTS
    from crm.core.i18n import label, label_list
    from crm.customers.privacy import CONSENT_PURPOSES

    with use_language("bg"):
        assert label(DEPARTMENTS, "sales") == _("Sales") != "Sales"
        assert label_list(CONSENT_PURPOSES) == ", ".join([_("Marketing"), _("Third-party sharing")])
    assert label(DEPARTMENTS, "it") == "IT / implementation"
    assert label(DEPARTMENTS, "retired_code") == "retired_code"  # data shown as it is, never translated
    assert label(DEPARTMENTS, None) == label(DEPARTMENTS, "") == ""


def test_the_two_statuses_are_two_vocabularies() -> None:
    from crm.budget.codes import PLAN_STATUSES
    from crm.core.i18n import label
    from crm.customers.contact_rules import CUSTOMER_STATUSES

    assert (CUSTOMER_STATUSES.kind, PLAN_STATUSES.kind) == ("customer status", "plan status")
    assert label(CUSTOMER_STATUSES, "former") == "Former customer" and label(PLAN_STATUSES, "returned") == "Returned"
    assert label(PLAN_STATUSES, "former") == "former"


def test_a_consent_is_worded_the_same_on_every_screen() -> None:
    import re

    from tools.i18n_catalogs import source_files

    wordings = set()
    for path in source_files():
        wordings |= set(re.findall(r'N?_\("((?:Sharing with third parties|Third-party sharing))"\)',
                                   path.read_text(encoding="utf-8")))
    assert wordings == {"Third-party sharing"}
