"""Checklist and Requirements pages per role."""
from __future__ import annotations

from crm.core.i18n import _, use_language
from tests.app.helpers import signed_in, texts


def test_sponsor_sees_where_the_rollout_stands_and_cannot_sign_off_open_phase(app_env) -> None:
    at = signed_in("sponsor", "pages/checklist.py")
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Readiness score", "Pre-implementation"]
    assert any("Blocked" in str(e.value) for e in at.error)
    button = next(b for b in at.button if b.label == "Sign off Pre-implementation")
    assert button.disabled  # says why before any click, instead of failing after it
    assert "Pre-implementation cannot be signed off" in (button.help or "")
    assert any("items are still open" in str(c.value) for c in at.caption)
    assert any("follows the budget plan" in str(c.value) for c in at.caption)


def test_it_updates_an_item_and_progress_moves(app_env) -> None:
    at = signed_in("it", "pages/checklist.py")
    before = next(m.value for m in at.metric if m.label == "Pre-implementation")
    item_box = next(s for s in at.selectbox if s.label == "Item")
    option = next(o for o in item_box.options if "Plan training and motivation" in o)
    item_box.select(option).run()
    status = next(s for s in at.selectbox if s.label == "Status")
    status.select("done")
    next(b for b in at.button if b.label == "Save item").click().run()
    assert not at.exception
    assert "Saved: Plan training and motivation for staff is done." in texts(at)
    after = next(m.value for m in at.metric if m.label == "Pre-implementation")
    assert int(after.rstrip("%")) > int(before.rstrip("%"))


def test_sales_reads_but_gets_no_edit_or_sign_off_controls(app_env) -> None:
    at = signed_in("sales", "pages/checklist.py")
    assert not at.exception
    assert not [b for b in at.button if b.label in ("Save item", "Add item")]
    assert all(b.disabled for b in at.button if b.label.startswith("Sign off"))
    assert any("Your role cannot sign off" in str(c.value) for c in at.caption)
    req = signed_in("sales", "pages/requirements.py")
    assert not req.exception
    assert "requirements" in texts(req)
    assert not [b for b in req.button if b.label in ("Add requirement", "Save requirement")]


def test_it_adds_a_requirement(app_env) -> None:
    at = signed_in("it", "pages/requirements.py")
    form = {t.label: t for t in at.text_input}
    form["Title"].input("Audit log exported monthly")
    form["Estimated cost"].input("250")
    next(b for b in at.button if b.label == "Add requirement").click().run()
    assert not at.exception
    assert "Added: Audit log exported monthly" in texts(at)
    assert "Audit log exported monthly" in list(at.dataframe[0].value["Requirement"])


def test_pages_render_in_urdu_and_bulgarian(app_env) -> None:
    for language in ("ur", "bg"):  # a right-to-left and a Cyrillic session see the pages in their language
        for username, page, title, section in (
                ("sponsor", "pages/checklist.py", "Checklist", "Where the rollout stands"),
                ("it", "pages/checklist.py", "Checklist", "Update an item"),
                ("it", "pages/requirements.py", "Requirements", "Edit a requirement")):
            at = signed_in(username, page, language=language)
            assert not at.exception, (language, username, page)
            with use_language(language):
                title, section = _(title), _(section)
            assert [t.value for t in at.title] == [title], (language, username, page)
            assert section in [h.value for h in at.header], (language, username, page)
            assert at.dataframe, (language, username, page)  # the items themselves are listed
