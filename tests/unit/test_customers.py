"""Customers: search in any script, validation, edit conflicts, masking, bulk edit, archive, audit."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from crm.customers.service import (
    CustomerFilters,
    archive_customer,
    bulk_update,
    create_customer,
    get_customer,
    restore_customer,
    search_customers,
    update_customer,
)
from crm.core.database import session_scope
from crm.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from crm.customers.saved_views import delete_view, list_views, save_view
from tools.seed import ensure_demo_accounts
from crm.customers.profile import customer_profile
from crm.interactions.service import log_interaction
from db.models import AuditEvent, Consent, Customer
from tests.conftest import make_actor

PEOPLE = [
    {"name": "José Álvarez", "company": "Álvarez Hermanos", "email": "jose@alvarez.es", "phone": "+34 612 345 678",
     "country": "ES", "status": "customer", "segment": "SMB"},
    {"name": "Иван Петров", "company": "Петров ЕООД", "email": "ivan@petrov.bg", "phone": "+359 88 123 4567",
     "country": "BG", "status": "customer", "segment": "Enterprise"},
    {"name": "عمران خان", "company": "لاہور ٹریڈرز", "email": "imran@lahore.pk", "phone": "+92 300 1234567",
     "country": "PK", "status": "prospect", "segment": "SMB"},
    {"name": "Siti Rahayu", "company": "PT Sinar Jaya", "email": "siti@sinarjaya.co.id", "phone": "0812 3456 7890",
     "country": "ID", "status": "prospect", "segment": "Consumer"},
    {"name": "Josephine Baker", "company": "Baker & Co", "email": "jo@baker.fr", "phone": None,
     "country": "FR", "status": "former", "segment": "SMB"},
]


@pytest.fixture
def world(db):
    ensure_demo_accounts(session=db)
    sales = make_actor(db, "sales")
    ids = {p["name"]: create_customer(sales, dict(p), session=db).id for p in PEOPLE}
    db.commit()
    return sales, ids


def names(page) -> list[str]:
    return [r.name for r in page.rows]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("jose alvarez", ["José Álvarez"]),
        ("  JOSÉ   álvarez ", ["José Álvarez"]),
        ("alv", ["José Álvarez"]),
        ("иван", ["Иван Петров"]),
        ("ИВАН петр", ["Иван Петров"]),
        ("عمران", ["عمران خان"]),
        ("لاہور", ["عمران خان"]),
        ("sinar", ["Siti Rahayu"]),
        ("jose@alvarez.es", ["José Álvarez"]),
        ("+62 812 3456 7890", ["Siti Rahayu"]),
        ("6281234567890", ["Siti Rahayu"]),
        ("0812-3456-7890", ["Siti Rahayu"]),
        ("812 3456", ["Siti Rahayu"]),
        ("+359881234567", ["Иван Петров"]),
        ("jos", ["José Álvarez", "Josephine Baker"]),
        ("nobody here", []),
    ],
)
def test_search_finds_by_name_company_email_phone_in_any_script(db, world, query, expected) -> None:
    sales, _ = world
    page = search_customers(sales, query, session=db)
    assert sorted(names(page)) == sorted(expected)
    assert page.total == len(expected)


def test_filters_sort_and_pagination_with_total(db, world) -> None:
    sales, _ = world
    smb = search_customers(sales, "", CustomerFilters(segment="SMB"), session=db)
    assert sorted(names(smb)) == ["Josephine Baker", "José Álvarez", "عمران خان"]
    prospects = search_customers(sales, "", CustomerFilters(status="prospect"), session=db)
    assert sorted(names(prospects)) == ["Siti Rahayu", "عمران خان"]
    first = search_customers(sales, "", CustomerFilters(sort="name"), page=1, page_size=2, session=db)
    second = search_customers(sales, "", CustomerFilters(sort="name"), page=2, page_size=2, session=db)
    assert first.total == 5 and first.pages == 3 and len(first.rows) == 2
    assert not set(names(first)) & set(names(second))
    by_country = search_customers(sales, "", CustomerFilters(country="BG"), session=db)
    assert names(by_country) == ["Иван Петров"]


def test_create_validates_every_field_at_once_and_saves_nothing(db_url) -> None:
    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
    with pytest.raises(ValidationError) as err:
        with session_scope(db_url) as s:
            create_customer(make_actor(s, "sales"),
                            {"name": "", "email": "bad@", "phone": "123", "status": "vip", "country": "ES"},
                            session=s)
    assert set(err.value.errors) == {"name", "email", "phone", "status"}
    with session_scope(db_url) as s:
        assert search_customers(make_actor(s, "sales"), "", session=s).total == 0


def test_phone_is_stored_in_international_format(db, world) -> None:
    sales, ids = world
    assert get_customer(sales, ids["Siti Rahayu"], session=db).phone == "+6281234567890"


def test_second_save_of_the_same_customer_is_refused_with_who_and_when(db_url) -> None:
    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        cid = create_customer(make_actor(s, "sales"), {"name": "Dewi Lestari", "country": "ID"}, session=s).id
    with session_scope(db_url) as s:
        loaded_by_sales = get_customer(make_actor(s, "sales"), cid, session=s).version
        loaded_by_service = get_customer(make_actor(s, "service"), cid, session=s).version
    with session_scope(db_url) as s:
        update_customer(make_actor(s, "service"), cid, {"segment": "Enterprise"}, loaded_by_service, session=s)
    with pytest.raises(ConflictError) as err:
        with session_scope(db_url) as s:
            update_customer(make_actor(s, "sales"), cid, {"segment": "SMB"}, loaded_by_sales, session=s)
    assert "Ayesha Khan" in err.value.message and "reload" in err.value.message
    with session_scope(db_url) as s:
        assert get_customer(make_actor(s, "sales"), cid, session=s).segment == "Enterprise"


def test_email_and_phone_are_masked_without_pii_capability(db, world) -> None:
    _, ids = world
    training = make_actor(db, "training")
    row = search_customers(training, "jose alvarez", session=db).rows[0]
    assert row.email != "jose@alvarez.es" and "•" in row.email
    assert "612345" not in row.phone
    detail = get_customer(training, ids["José Álvarez"], session=db)
    assert not detail.pii_visible and "•" in detail.email
    sales_view = get_customer(make_actor(db, "sales"), ids["José Álvarez"], session=db)
    assert sales_view.email == "jose@alvarez.es" and sales_view.phone == "+34612345678"


def test_roles_without_write_are_refused(db, world) -> None:
    _, ids = world
    for username in ("training", "hr", "marketing", "budget", "sponsor", "it"):
        who = make_actor(db, username)
        with pytest.raises(PermissionDenied):
            create_customer(who, {"name": "X"}, session=db)
        with pytest.raises(PermissionDenied):
            archive_customer(who, ids["José Álvarez"], session=db)


def test_edits_and_archive_land_in_audit_log_with_before_and_after(db, world) -> None:
    sales, ids = world
    cid = ids["Josephine Baker"]
    version = get_customer(sales, cid, session=db).version
    update_customer(sales, cid, {"segment": "Enterprise", "consent_marketing": True}, version, session=db)
    archive_customer(sales, cid, session=db)
    assert search_customers(sales, "josephine", session=db).total == 0
    assert search_customers(sales, "josephine", CustomerFilters(include_archived=True), session=db).total == 1
    restore_customer(sales, cid, session=db)
    db.commit()
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity == "customer",
                                                 AuditEvent.entity_id == str(cid)).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    assert actions[0] == "create" and "update" in actions and actions[-2:] == ["archive", "restore"]
    update_event = next(e for e in events if e.action == "update")
    assert update_event.before["segment"] == "SMB" and update_event.after["segment"] == "Enterprise"
    assert update_event.username == "sales"
    consent = db.scalars(select(Consent).where(Consent.customer_id == cid)).all()
    assert [(c.purpose, c.granted) for c in consent] == [("marketing", True)]


def test_bulk_update_changes_many_and_audits_each(db, world) -> None:
    sales, ids = world
    targets = [ids["José Álvarez"], ids["Siti Rahayu"]]
    owner = make_actor(db, "salesmgr").user_id
    assert bulk_update(sales, targets, {"owner_id": owner, "segment": "Key accounts"}, session=db) == 2
    page = search_customers(sales, "", CustomerFilters(owner_id=owner), session=db)
    assert sorted(names(page)) == ["José Álvarez", "Siti Rahayu"]
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "bulk_update")).all()
    assert sorted(int(e.entity_id) for e in events) == sorted(targets)
    with pytest.raises(ValidationError) as err:
        bulk_update(sales, targets, {"status": "vip", "name": "x"}, session=db)
    assert set(err.value.errors) == {"status", "fields"}


def test_saved_views_personal_and_shared_with_department(db, world) -> None:
    sales, _ = world
    salesmgr = make_actor(db, "salesmgr")
    marketing = make_actor(db, "marketing")
    save_view(sales, "My prospects", {"query": "", "status": "prospect"}, session=db)
    shared = save_view(sales, "Team SMB", {"segment": "SMB", "sort": "lifetime_revenue"}, shared=True, session=db)
    assert {v.name for v in list_views(sales, session=db)} == {"My prospects", "Team SMB"}
    assert {v.name for v in list_views(salesmgr, session=db)} == {"Team SMB"}  # same department
    assert list_views(marketing, session=db) == []  # other department
    with pytest.raises(PermissionDenied):
        delete_view(salesmgr, shared.id, session=db)
    with pytest.raises(ValidationError):
        save_view(sales, "  ", {"bogus": 1}, session=db)


def test_sqlite_search_uses_the_token_index(db_url) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    from sqlalchemy import create_engine

    from crm.customers.service import search_condition
    from db.models import Customer

    stmt = select(Customer.id).where(search_condition("jose alvarez"))
    engine = create_engine(db_url)
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " | ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "SEARCH customer_tokens USING COVERING INDEX" in plan  # index range per word
    scans = [step.split()[1] for step in plan.split(" | ") if step.startswith("SCAN ")]
    # no full scan of any table: only of each word's ids (read from the ranges above) while they are intersected
    assert not {"customers", "customer_tokens"} & set(scans)


def test_sqlite_search_in_id_order_reads_only_the_customers_it_returns(db_url) -> None:
    """The API's keyset search walks the matching ids in order: no sort of every matching customer."""
    if not db_url.startswith("sqlite"):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    from sqlalchemy import create_engine

    from crm.customers.service import search_condition
    from db.models import Customer

    engine = create_engine(db_url)
    for query in ("jos", "jose alvarez"):
        stmt = select(Customer.id).where(search_condition(query)).order_by(Customer.id).limit(26)
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            plan = " | ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "SEARCH customers USING INTEGER PRIMARY KEY" in plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan


def test_a_refused_update_leaves_the_callers_other_work_in_the_session(db, world) -> None:
    sales, ids = world
    cid = ids["Siti Rahayu"]
    # the caller's own earlier work in the same transaction, not yet committed
    other = create_customer(sales, {"name": "Wayan Sudarta", "status": "prospect"}, session=db)
    loaded = db.get(Customer, cid)  # this session has read the customer (held, so not reloaded)
    version = loaded.version
    # someone else saves the customer between loading and writing
    db.connection().execute(text("UPDATE customers SET version = version + 1 WHERE id = :id"), {"id": cid})
    with pytest.raises(ConflictError):
        update_customer(sales, cid, {"segment": "Enterprise"}, version, session=db)
    db.commit()
    assert get_customer(sales, other.id, session=db).name == "Wayan Sudarta"
    assert get_customer(sales, cid, session=db).segment == "Consumer"


def test_a_missing_customer_is_not_found_for_every_service(db, world) -> None:
    sales, _ = world
    for attempt in (lambda: get_customer(sales, 999_999, session=db),
                    lambda: update_customer(sales, 999_999, {"segment": "SMB"}, 1, session=db),
                    lambda: archive_customer(sales, 999_999, session=db),
                    lambda: customer_profile(sales, 999_999, session=db),
                    lambda: log_interaction(sales, 999_999, channel="call", subject="Hello", session=db)):
        with pytest.raises(NotFound):
            attempt()
