"""Data quality page for managers; refused to staff."""
from __future__ import annotations

import pytest

from crm.core.database import session_scope
from crm.core.i18n import _, label, use_language
from crm.customers.quality import FIELD_LABELS
from db.models import Customer
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
    assert [h.value for h in at.header] == expected
    assert merge in [b.label for b in at.button]  # the demo data holds duplicates to merge


def test_quality_tables_show_labelled_columns_in_the_users_language(app_env) -> None:
    at = signed_in("salesmgr", "pages/data_quality.py", language="bg")
    assert not at.exception
    with use_language("bg"):
        expected = {tuple(_(h) for h in headers) for headers in (
            ("Field", "Filled", "Missing", "Complete %"), ("Name", "Company", "E-mail", "Phone", "Created"),
            ("Name", "Status", "Created"), ("Name", "Status", "Last contact", "Owner"))}
        owner, email = label(FIELD_LABELS, "owner"), label(FIELD_LABELS, "email")
        statuses = {_("Prospect"), _("Customer"), _("Former customer")}
    shown = [d.value for d in at.dataframe]
    assert ("Field", "Filled", "Missing", "Complete %") not in expected  # the headers are translated
    assert {tuple(t.columns) for t in shown} == expected
    fields = shown[0]
    assert {owner, email} <= set(fields.iloc[:, 0]) and "owner" not in set(fields.iloc[:, 0])
    unowned = next(t for t in shown if len(t.columns) == 3)
    assert set(unowned.iloc[:, 1]) <= statuses and not unowned.iloc[:, 2].str.match(r"^\d{4}-").any()


def test_invalid_contacts_are_listed_with_their_problems(app_env) -> None:
    with session_scope(app_env) as session:
        session.add(Customer(name="Legacy Import", email="broken at example", phone="0812", name_key="legacy import"))
    at = signed_in("salesmgr", "pages/data_quality.py")
    bad = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
    assert list(bad.columns) == ["Name", "E-mail", "Phone", "Problem"]
    row = bad[bad["Name"] == "Legacy Import"].iloc[0]
    assert row["Problem"] == "invalid e-mail, phone not in international format"
