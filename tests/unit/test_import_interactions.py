"""Interactions come in from a helpdesk or call log: each row finds its customer (by the id the customer has in
the system it came from, by e-mail, or by the portal's number), every row is reported, a re-import updates
instead of duplicating, and the imported contacts are the customer's history like typed ones: the timeline,
the feedback board, the last contact and the interactions per month, all of which a revert takes back."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm.core.errors import PermissionDenied
from crm.customers.profile import customer_profile
from crm.importing import identity
from crm.importing.batches import list_imports, revert
from crm.importing.kinds import auto_mapping, kind
from crm.importing.runner import preview, run
from crm.importing.writing import ImportOptions
from crm.insights.rollups import rebuild_interactions
from crm.interactions.service import feedback_board, log_interaction
from db.models import Customer, Department, ExternalId, Interaction, InteractionMonthly
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

CUSTOMER_HEADERS = ["Customer No", "Name", "E-mail"]
CUSTOMER_ROWS = [["C-1", "Dewi Lestari", "dewi@sinar.co.id"], ["C-2", "Ivan Petrov", "ivan@petrov.bg"]]
HEADERS = ["Ticket ID", "Customer", "Created", "Type", "Group", "Summary", "Description", "Resolution", "Feedback",
           "Tags", "Agent"]
ROWS = [
    ["T-1", "C-1", "2024-03-05 10:15", "Chat", "Customer service", "Login fails", "Cannot log in\nsince Monday",
     "Password reset", "Complaint", "login; Password", "salesmgr"],
    ["T-2", "C-2", "2024-03-06 09:00", "E-mail", "", "", "Asked for the price list of 2025\nand a discount", "", "",
     "", ""],  # no subject (the notes give it), no department (the importer's)
    ["", "", "", "", "", "", "", "", "", "", ""],
    ["T-3", "C-404", "2024-03-07 09:00", "Call", "Sales", "Who is this", "", "", "", "", ""],  # no such customer
    ["T-4", "C-1", "2999-01-01 10:00", "Call", "Sales", "From the future", "", "", "", "", ""],
    ["T-5", "C-1", "2024-03-08 11:00", "WA", "Sales", "Sent the brochure", "", "", "", "", ""],  # unknown channel
    ["T-1", "C-1", "2024-03-05 10:15", "Chat", "Customer service", "Login fails", "", "", "", "", ""],
    ["T-6", "dewi@sinar.co.id", "2024-03-09 12:00", "Call", "Sales", "Thanks!", "", "", "Praise", "", ""],
]


@pytest.fixture
def manager(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "salesmgr")


@pytest.fixture
def customers(db, manager) -> dict[str, int]:
    """Two customers imported from the old CRM, which knows them as C-1 and C-2."""
    run(manager, "customers", CUSTOMER_ROWS, headers=CUSTOMER_HEADERS,
        mapping=auto_mapping(kind("customers"), CUSTOMER_HEADERS), options=ImportOptions(source_system="crm_old"),
        filename="customers.csv", session=db)
    db.commit()
    return identity.find(db, "crm_old", "customer", ["C-1", "C-2"])


def _import(db, who, rows, headers=HEADERS, **options):
    options = {"source_system": "helpdesk", "customer_source": "crm_old", **options}
    report = run(who, "interactions", rows, headers=headers, mapping=auto_mapping(kind("interactions"), headers),
                 options=ImportOptions(**options), filename="tickets.csv", session=db)
    db.commit()
    return report


def _monthly(db) -> set[tuple]:
    return set(db.execute(select(InteractionMonthly.month, InteractionMonthly.department_id,
                                 InteractionMonthly.channel, InteractionMonthly.interactions)).all())


def _monthly_is_right(db) -> bool:
    """The summary kept while importing equals the one counted again from the interactions."""
    kept = _monthly(db)
    rebuild_interactions(db)
    counted = _monthly(db)
    db.rollback()
    return kept == counted


def test_headers_of_a_helpdesk_export_are_recognised() -> None:
    mapping = auto_mapping(kind("interactions"), HEADERS)
    assert {f: HEADERS[i] for f, i in mapping.items()} == {
        "external_id": "Ticket ID", "customer": "Customer", "occurred_at": "Created", "channel": "Type",
        "department": "Group", "subject": "Summary", "notes": "Description", "outcome": "Resolution",
        "feedback_kind": "Feedback", "tags": "Tags", "agent": "Agent"}


def test_every_row_is_accounted_for_and_refusals_name_column_and_value(db, manager, customers) -> None:
    report = _import(db, manager, ROWS)
    assert [(r.row, r.outcome) for r in report.rows] == [
        (2, "imported"), (3, "imported"), (4, "blank"), (5, "rejected"), (6, "rejected"), (7, "rejected"),
        (8, "duplicate"), (9, "imported")]
    by_row = {r.row: r for r in report.rows}
    assert "Customer" in by_row[5].reasons and "C-404" in by_row[5].reasons and "crm_old" in by_row[5].reasons
    assert "Created" in by_row[6].reasons and "future" in by_row[6].reasons
    assert "Type" in by_row[7].reasons and "WA" in by_row[7].reasons
    assert "Ticket ID" in by_row[8].reasons and "row 2" in by_row[8].reasons
    ticket = db.get(Interaction, by_row[2].entity_id)
    assert (ticket.customer_id, ticket.channel, ticket.subject, ticket.outcome, ticket.feedback_kind, ticket.user_id) \
        == (customers["C-1"], "chat", "Login fails", "Password reset", "complaint", manager.user_id)
    assert ticket.occurred_at == dt.datetime(2024, 3, 5, 10, 15, tzinfo=dt.timezone.utc)
    assert ticket.notes == "Cannot log in\nsince Monday" and sorted(t.tag for t in ticket.tags) == ["login", "password"]
    mail = db.get(Interaction, by_row[3].entity_id)
    assert (mail.subject, mail.channel, mail.direction) == ("Asked for the price list of 2025", "email", "inbound")
    assert db.get(Department, mail.department_id).code == manager.department
    assert db.get(Department, ticket.department_id).code == "customer_service"
    # found by e-mail, across sources
    assert db.get(Interaction, by_row[9].entity_id).customer_id == customers["C-1"]
    assert db.scalar(select(func.count()).select_from(ExternalId).where(
        ExternalId.source_system == "helpdesk", ExternalId.entity == "interaction")) == 3


def test_imported_interactions_are_the_customers_contact_history(db, manager, customers) -> None:
    _import(db, manager, ROWS)
    profile = customer_profile(manager, customers["C-1"], session=db)
    assert [r.subject for r in profile.timeline] == ["Thanks!", "Login fails"]
    assert profile.timeline[1].department == "customer_service" and profile.timeline[1].tags == ("login", "password")
    assert db.get(Customer, customers["C-1"]).last_contact_at == dt.datetime(2024, 3, 9, 12, tzinfo=dt.timezone.utc)
    board = {(i.kind, i.tag): i.mentions for i in feedback_board(manager, session=db)}
    assert board == {("complaint", "login"): 1, ("complaint", "password"): 1, ("praise", None): 1}
    assert sum(n for *_k, n in _monthly(db)) == 3 and _monthly_is_right(db)


def test_a_mapped_unknown_channel_is_imported_as_the_chosen_one(db, manager, customers) -> None:
    report = _import(db, manager, ROWS[5:6], value_map={"channel": {"wa": "chat"}})
    assert report.rows[0].outcome == "imported"
    assert db.get(Interaction, report.rows[0].entity_id).channel == "chat"


def test_the_same_export_again_changes_nothing_and_a_newer_one_updates(db, manager, customers) -> None:
    first = _import(db, manager, ROWS)
    count = db.scalar(select(func.count()).select_from(Interaction))
    again = _import(db, manager, ROWS)
    assert [r.outcome for r in again.rows if r.outcome != "rejected"] == ["duplicate", "duplicate", "blank",
                                                                           "duplicate", "duplicate"]
    assert "no change" in again.rows[0].reasons
    assert db.scalar(select(func.count()).select_from(Interaction)) == count
    newer = [["T-1", "C-1", "2024-04-02 08:00", "Call", "Technical support", "Login fails", "", "Fixed for good",
              "Complaint", "login", ""]]
    update = _import(db, manager, newer)
    assert [(r.outcome, r.entity_id) for r in update.rows] == [("updated", first.rows[0].entity_id)]
    ticket = db.get(Interaction, first.rows[0].entity_id)
    assert (ticket.outcome, ticket.channel, ticket.notes) == ("Fixed for good", "call", "Cannot log in\nsince Monday")
    assert sorted(t.tag for t in ticket.tags) == ["login"]
    assert _monthly_is_right(db)
    assert revert(manager, update.batch_id, session=db) == {"removed": 0, "archived": 0, "restored": 1}
    db.commit()
    db.refresh(ticket)
    assert (ticket.outcome, ticket.channel) == ("Password reset", "chat")
    assert sorted(t.tag for t in ticket.tags) == ["login", "password"] and _monthly_is_right(db)


def test_without_ids_a_reimport_finds_the_same_contacts(db, manager, customers) -> None:
    headers = ["Customer", "Date", "Channel", "Subject"]
    rows = [["#%d" % customers["C-1"], "2024-05-01 10:00", "call", "Renewal"],
            ["ivan@petrov.bg", "2024-05-02 10:00", "visit", "Demo"]]
    first = run(manager, "interactions", rows, headers=headers, mapping=auto_mapping(kind("interactions"), headers),
                session=db)
    assert [r.outcome for r in first.rows] == ["imported", "imported"]
    again = run(manager, "interactions", rows, headers=headers, mapping=auto_mapping(kind("interactions"), headers),
                session=db)
    assert [r.outcome for r in again.rows] == ["duplicate", "duplicate"]
    assert db.scalar(select(func.count()).select_from(Interaction)) == 2


def test_revert_takes_the_interactions_out_of_every_figure(db, manager, customers) -> None:
    dewi = customers["C-1"]
    typed = log_interaction(manager, dewi, channel="call", subject="Typed before",
                            occurred_at=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc), session=db)
    db.commit()
    before = _monthly(db)
    report = _import(db, manager, ROWS)
    assert db.get(Customer, dewi).last_contact_at.month == 3
    assert revert(manager, report.batch_id, session=db)["removed"] == 3
    db.commit()
    assert [r.subject for r in customer_profile(manager, dewi, session=db).timeline] == [typed.subject]
    assert db.get(Customer, dewi).last_contact_at == typed.occurred_at
    assert db.get(Customer, customers["C-2"]).last_contact_at is None
    assert _monthly(db) == before and feedback_board(manager, session=db) == []
    assert db.scalar(select(func.count()).select_from(ExternalId).where(ExternalId.source_system == "helpdesk")) == 0
    assert list_imports(manager, kind="interactions", session=db)[0].reverted_at is not None
    assert _import(db, manager, ROWS).counts["imported"] == 3  # and they can come in again


def test_a_dry_run_and_the_preview_write_nothing(db, manager, customers) -> None:
    report = _import(db, manager, ROWS, dry_run=True)
    assert report.batch_id is None and report.counts["imported"] == 3
    assert db.scalar(select(func.count()).select_from(Interaction)) == 0 and _monthly(db) == set()
    shown = preview(manager, "interactions", ROWS, headers=HEADERS, mapping=auto_mapping(kind("interactions"), HEADERS),
                    options=ImportOptions(source_system="helpdesk"), session=db)
    assert shown[0].stored["tags"] == ["login", "password"] and "future" in " ".join(shown[4].problems)


def test_staff_cannot_import_interactions(db, manager) -> None:
    with pytest.raises(PermissionDenied):
        run(make_actor(db, "sales"), "interactions", ROWS, headers=HEADERS,
            mapping=auto_mapping(kind("interactions"), HEADERS), session=db)


def test_a_channel_an_admin_added_is_known_to_an_import_by_its_label_in_any_language(db, manager, customers) -> None:
    from crm.core.access import Actor
    from crm.settings.lists import add_value

    add_value(Actor(None, "ada", "Ada", "it", "admin"), "channels", {"en": "WhatsApp", "id": "WA"}, session=db)
    db.commit()
    report = _import(db, manager, [ROWS[5]])
    assert [r.outcome for r in report.rows] == ["imported"]
    assert db.scalar(select(Interaction.channel).where(Interaction.subject == "Sent the brochure")) == "whatsapp"
