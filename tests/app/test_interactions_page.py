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


def picker_of(at):  # noqa: ANN001, ANN201 - the AppTest and its selectbox
    """The customer picker of the 'Log an interaction' form."""
    return next(s for s in at.selectbox if s.label == "Customer")


def _two_customers_named_alike(url: str) -> list[tuple[int, str]]:
    """Two customers a search for 'Zephyrine' finds: (id, the label the picker shows)."""
    from crm.core.database import session_scope
    from crm.customers.service import create_customer
    from tests.conftest import make_actor

    with session_scope(url) as session:
        support = make_actor(session, "support")
        made = [create_customer(support, {"name": name, "company": company, "status": "customer"}, session=session)
                for name, company in (("Zephyrine Okafor", "Alpha Ltd"), ("Zephyrine Adeyemi", "Beta Ltd"))]
        return [(c.id, f"{c.name} — {c.company} (#{c.id})") for c in made]


def _logged_for(url: str, subject: str) -> list[int]:
    """The customers interactions with ``subject`` were logged for."""
    from sqlalchemy import select

    from crm.core.database import session_scope
    from db.models import Interaction

    with session_scope(url) as session:
        return list(session.scalars(select(Interaction.customer_id).where(Interaction.subject == subject)))


def test_of_several_matching_customers_the_user_picks_one_before_logging(app_env) -> None:
    (first_id, first), (second_id, second) = _two_customers_named_alike(app_env)
    at = signed_in("support", PAGE)
    at.text_input(key="log_find").input("Zephyrine").run()
    picker = picker_of(at)
    assert picker.value is None and set(picker.options) == {first, second}  # no silent first pick
    {t.label: t for t in at.text_input}["Subject"].input("Asked for a quote").run()
    assert next(b for b in at.button if b.label == "Log interaction").disabled  # the pick is required
    assert not at.success and _logged_for(app_env, "Asked for a quote") == []

    picker_of(at).select(second).run()
    assert not next(b for b in at.button if b.label == "Log interaction").disabled
    {t.label: t for t in at.text_input}["Subject"].input("Asked for a quote")
    next(b for b in at.button if b.label == "Log interaction").click().run()
    assert not at.exception
    assert any("Zephyrine Adeyemi" in str(s.value) for s in at.success), texts(at)
    assert _logged_for(app_env, "Asked for a quote") == [second_id]


def test_a_single_match_is_preselected(app_env) -> None:
    at = signed_in("support", PAGE)
    at.text_input(key="log_find").input("Иван Петров").run()
    picker = picker_of(at)
    assert len(picker.options) == 1 and picker.value == picker.options[0]
    assert not next(b for b in at.button if b.label == "Log interaction").disabled


def test_untagged_feedback_is_on_the_board_and_the_customers_behind_a_topic_match_its_numbers(app_env) -> None:
    from crm.core.database import session_scope
    from crm.core.i18n import label
    from crm.interactions.service import FEEDBACK_KINDS, log_interaction
    from tests.conftest import make_actor

    (customer_id, _label), _other = _two_customers_named_alike(app_env)
    with session_scope(app_env) as session:
        log_interaction(make_actor(session, "support"), customer_id, channel="call", subject="The driver was rude",
                        feedback_kind="complaint", session=session)
    at = signed_in("sales", PAGE)
    board = at.dataframe[-1].value
    untagged = board[(board["Kind"] == "Complaint") & (board["Topic"] == "(no tag)")]
    assert len(untagged) == 1 and untagged.iloc[0]["Mentions"] >= 1
    kinds = {label(FEEDBACK_KINDS, code): code for code in FEEDBACK_KINDS}
    checked = [n for n in range(len(board)) if n < 6 or n == untagged.index[0]]
    for n in checked:  # each line: the customers behind it are the ones its numbers count, in the same period
        line = board.iloc[n]
        at.selectbox(key="board_behind").select(
            (kinds[line["Kind"]], None if line["Topic"] == "(no tag)" else line["Topic"])).run()
        people = at.dataframe[-1].value
        assert (len(people), people["Mentions"].sum()) == (line["Customers"], line["Mentions"]), line.to_dict()
        if n == untagged.index[0]:
            assert "Zephyrine Okafor" in set(people["Customer"])
