"""Survey answers come in from a survey tool's export through the common import flow: each row finds its
customer, every row is reported (a bad row no longer refuses the whole file), a re-import updates instead of
duplicating, a dry run writes nothing, and a revert takes the answers out of the figures again."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm.core.errors import PermissionDenied
from crm.customers.profile import customer_profile
from crm.customers.service import create_customer
from crm.importing import identity
from crm.importing.batches import revert
from crm.importing.kinds import auto_mapping, kind
from crm.importing.runner import run
from crm.importing.writing import ImportOptions
from crm.insights.figures import InsightFilters, nps
from db.models import ExternalId, SurveyResponse
from tests.conftest import make_actor
from tools.seed import ensure_demo_accounts

HEADERS = ["Response ID", "Respondent Email", "NPS", "Why did you choose us", "Why again", "Comments", "Submitted At"]


@pytest.fixture
def manager(db):
    ensure_demo_accounts(session=db)
    db.commit()
    return make_actor(db, "salesmgr")


@pytest.fixture
def people(db, manager) -> dict[str, int]:
    admin = make_actor(db, "admin")
    ids = {"dewi": create_customer(admin, {"name": "Dewi Lestari", "email": "dewi@sinar.co.id", "segment": "SME",
                                           "country": "ID"}, session=db).id,
           "ivan": create_customer(admin, {"name": "Ivan Petrov", "email": "ivan@petrov.bg"}, session=db).id}
    db.commit()
    return ids


def rows(people: dict[str, int]) -> list[list[str]]:
    return [
        ["R-1", "dewi@sinar.co.id", "9", "Price", "Service", "Fast delivery\nand kind staff", "2026-03-01 10:00"],
        ["R-2", "IVAN@petrov.bg", "6", "", "", "", "2026-03-02"],  # a date only
        ["", "", "", "", "", "", ""],
        ["R-3", "nobody@example.com", "7", "", "", "", "2026-03-03"],  # no such customer
        ["R-4", "dewi@sinar.co.id", "11", "x" * 121, "", "", "2999-01-01"],  # three problems at once
        ["R-1", "dewi@sinar.co.id", "9", "Price", "Service", "", "2026-03-01 10:00"],  # the same answer id twice
    ]


def _import(db, who, data, **options):
    report = run(who, "surveys", data, headers=HEADERS, mapping=auto_mapping(kind("surveys"), HEADERS),
                 options=ImportOptions(**{"source_system": "surveytool", **options}), filename="nps.csv", session=db)
    db.commit()
    return report


def test_headers_of_a_survey_export_are_recognised() -> None:
    mapping = auto_mapping(kind("surveys"), HEADERS)
    assert {f: HEADERS[i] for f, i in mapping.items()} == {
        "external_id": "Response ID", "customer": "Respondent Email", "score": "NPS",
        "reason_first": "Why did you choose us", "reason_again": "Why again", "comment": "Comments",
        "answered_at": "Submitted At"}
    old_format = ["customer_id", "score", "reason_first", "reason_again", "comment", "answered_on"]
    assert set(auto_mapping(kind("surveys"), old_format)) == {
        "customer", "score", "reason_first", "reason_again", "comment", "answered_at"}


def test_every_row_is_reported_and_the_good_ones_are_kept(db, manager, people) -> None:
    report = _import(db, manager, rows(people))
    assert [(r.row, r.outcome) for r in report.rows] == [
        (2, "imported"), (3, "imported"), (4, "blank"), (5, "rejected"), (6, "rejected"), (7, "duplicate")]
    by_row = {r.row: r for r in report.rows}
    assert "Respondent Email" in by_row[5].reasons and "nobody@example.com" in by_row[5].reasons
    bad = by_row[6].reasons
    assert "NPS" in bad and "0 to 10" in bad and "Why did you choose us" in bad and "future" in bad
    dewi = db.get(SurveyResponse, by_row[2].entity_id)
    assert (dewi.customer_id, dewi.score, dewi.reason_first, dewi.reason_again, dewi.comment, dewi.source) == (
        people["dewi"], 9, "Price", "Service", "Fast delivery\nand kind staff", "import")
    assert (dewi.segment, dewi.country) == ("SME", "ID")  # counted in the customer's group at once
    assert dewi.answered_at == dt.datetime(2026, 3, 1, 10, tzinfo=dt.timezone.utc)
    assert [s.score for s in customer_profile(manager, people["ivan"], session=db).surveys] == [6]
    assert nps(manager, InsightFilters(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), session=db) == (0.0, 2)


def test_the_same_export_again_changes_nothing_and_a_newer_one_updates(db, manager, people) -> None:
    first = _import(db, manager, rows(people)[:2])
    again = _import(db, manager, rows(people)[:2])
    assert [r.outcome for r in again.rows] == ["duplicate", "duplicate"] and "no change" in again.rows[0].reasons
    newer = _import(db, manager, [["R-1", "dewi@sinar.co.id", "10", "Price", "Service", "Even better", "2026-03-01 10:00"]])
    assert [(r.outcome, r.entity_id) for r in newer.rows] == [("updated", first.rows[0].entity_id)]
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 2
    assert revert(manager, newer.batch_id, session=db) == {"removed": 0, "archived": 0, "restored": 1}
    db.commit()
    answer = db.get(SurveyResponse, first.rows[0].entity_id)
    db.refresh(answer)
    assert (answer.score, answer.comment) == (9, "Fast delivery\nand kind staff")


def test_without_ids_a_reimport_finds_the_same_answers(db, manager, people) -> None:
    headers = ["customer_id", "score", "answered_on"]
    data = [[str(people["dewi"]), "8", "2026-02-01"], [str(people["ivan"]), "3", "2026-02-02"]]
    mapping = auto_mapping(kind("surveys"), headers)
    assert [r.outcome for r in run(manager, "surveys", data, headers=headers, mapping=mapping, session=db).rows] == [
        "imported", "imported"]
    assert [r.outcome for r in run(manager, "surveys", data, headers=headers, mapping=mapping, session=db).rows] == [
        "duplicate", "duplicate"]


def test_answers_of_customers_imported_from_another_source_are_found(db, manager) -> None:
    headers = ["Customer No", "Name"]
    run(manager, "customers", [["C-7", "Siti Rahayu"]], headers=headers,
        mapping=auto_mapping(kind("customers"), headers), options=ImportOptions(source_system="crm_old"), session=db)
    report = _import(db, manager, [["R-9", "C-7", "10", "", "", "", "2026-01-05"]], customer_source="crm_old")
    assert report.rows[0].outcome == "imported"
    siti = identity.find(db, "crm_old", "customer", ["C-7"])["C-7"]
    assert db.get(SurveyResponse, report.rows[0].entity_id).customer_id == siti


def test_revert_and_dry_run(db, manager, people) -> None:
    dry = _import(db, manager, rows(people), dry_run=True)
    assert dry.batch_id is None and dry.counts["imported"] == 2
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    report = _import(db, manager, rows(people))
    assert revert(manager, report.batch_id, session=db)["removed"] == 2
    db.commit()
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    assert db.scalar(select(func.count()).select_from(ExternalId)) == 0
    assert nps(manager, InsightFilters(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), session=db) == (None, 0)


def test_staff_cannot_import_answers(db, manager, people) -> None:
    with pytest.raises(PermissionDenied):
        run(make_actor(db, "sales"), "surveys", rows(people), headers=HEADERS,
            mapping=auto_mapping(kind("surveys"), HEADERS), session=db)
