"""Interactions page: support logs feedback, sales sees it on the board; follow-ups complete."""
from __future__ import annotations


from tests.app.helpers import signed_in, texts

PAGE = "pages/interactions.py"


def test_support_logs_feedback_and_sales_sees_it_on_the_board(app_env) -> None:
    at = signed_in("support", PAGE)
    at.text_input(key="log_find").input("Иван Петров").run()
    inputs = {t.label: t for t in at.text_input}
    inputs["Subject"].input("Wants an export to accounting")
    inputs["Tags (comma separated)"].input("Accounting export")
    at.selectbox[3].select("feature_request")  # Feedback
    next(b for b in at.button if b.label == "Log interaction").click().run()
    assert not at.exception
    assert any("every department sees it now" in str(s.value) for s in at.success), texts(at)

    sales = signed_in("sales", PAGE)
    board = sales.dataframe[-1].value
    row = board[board["Topic"] == "accounting export"]
    assert len(row) == 1 and row.iloc[0]["Mentions"] == 1 and "Technical support" in row.iloc[0]["Raised by"]


def test_my_follow_ups_lists_due_items_and_done_completes_one(app_env) -> None:
    at = signed_in("sales", PAGE)
    caption = next(c.value for c in at.caption if "open ·" in str(c.value))
    open_count = int(caption.split()[0])
    assert open_count >= 4 and "overdue" in caption
    done_buttons = [b for b in at.button if b.label == "Done"]
    done_buttons[0].click().run()
    caption = next(c.value for c in at.caption if "open ·" in str(c.value))
    assert int(caption.split()[0]) == open_count - 1


def test_roles_without_interactions_write_can_browse_but_not_log(app_env) -> None:
    at = signed_in("sponsor", PAGE)
    assert not at.exception
    assert "Log an interaction" not in [t.label for t in at.tabs]
    assert "Browse" in [t.label for t in at.tabs]


def test_page_renders_in_other_languages(app_env) -> None:
    for language in ("bg", "ur", "id"):
        at = signed_in("sales", PAGE, language=language)
        assert not at.exception, at.exception
        assert len(at.tabs) == 4 and len(at.dataframe) >= 1
