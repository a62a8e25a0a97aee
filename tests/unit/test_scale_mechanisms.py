"""The mechanisms that keep the portal fast at a million customers (timings live in bench/, not here)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from crm.core import paging
from tools import seed_scale
from crm.customers.service import search_customers
from crm.core.database import session_scope
from tools.seed import ensure_demo_accounts, generate
from crm.customers.contact_rules import search_keys, search_tokens
from crm.accounts.users import actor_for
from crm.insights.rollups import rebuild_all
from db.models import (
    AuditEvent,
    Consent,
    Customer,
    BuyerMonthCount,
    CustomerMonth,
    CustomerToken,
    Interaction,
    InteractionMonthly,
    Receipt,
    ReceiptLine,
    SalesMonthly,
)


def _indexes(session) -> dict[str, set[str]]:
    insp = inspect(session.connection())
    return {t: {ix["name"] for ix in insp.get_indexes(t)} for t in
            ("customers", "customer_tokens", "interactions", "receipts", "receipt_lines", "consents",
             "customer_months")}


def _summaries(session) -> dict[str, list[tuple]]:
    return {model.__tablename__: sorted(tuple(row) for row in session.execute(select(model.__table__)))
            for model in (SalesMonthly, CustomerMonth, InteractionMonthly, BuyerMonthCount)}


def test_bulk_seed_rebuilds_every_index_and_writes_what_the_slow_path_would(db_url, monkeypatch) -> None:
    monkeypatch.setattr(seed_scale, "BULK_FROM", 10)  # take the drop-load-rebuild path on a small load
    monkeypatch.setattr(seed_scale, "CHUNK", 70)  # and more than one chunk
    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        before = _indexes(s)
        result = generate(150, session=s, seed=3, include_fixed=True)
    with session_scope(db_url) as s:
        assert _indexes(s) == before
        customers = s.scalars(select(Customer).order_by(Customer.id)).all()
        assert len(customers) == result.customers == 150
        assert customers[0].name == "José Álvarez" and customers[0].phone == "+34612345678"
        tokens: dict[int, set[str]] = {}
        for token, cid in s.execute(select(CustomerToken.token, CustomerToken.customer_id)):
            tokens.setdefault(cid, set()).add(token)
        for c in customers:  # the vectorised path gives exactly the tokens the domain function gives
            assert tokens[c.id] == search_tokens(c.name, c.company, c.email, c.phone), c.name
            assert {k: getattr(c, k) for k in ("name_key", "company_key", "email_key", "phone_digits")} == \
                search_keys(c.name, c.company, c.email, c.phone), c.name
        revenue = dict(s.execute(select(Receipt.customer_id, func.sum(ReceiptLine.quantity * ReceiptLine.unit_price))
                                 .join(ReceiptLine, ReceiptLine.receipt_id == Receipt.id).group_by(Receipt.customer_id)).all())
        for c in customers:
            assert float(c.lifetime_revenue) == pytest.approx(float(revenue.get(c.id, 0)))
            assert (c.purchase_count > 0) == (c.id in revenue)
        consents = s.scalar(select(func.count()).select_from(Consent))
        assert consents == sum(int(c.consent_marketing) + int(c.consent_third_party) for c in customers)
        last = dict(s.execute(select(Interaction.customer_id, func.max(Interaction.occurred_at))
                              .group_by(Interaction.customer_id)).all())
        assert all(c.last_contact_at == last.get(c.id) for c in customers)
        assert result.interactions == s.scalar(select(func.count()).select_from(Interaction))
        loaded = _summaries(s)  # the summaries counted while loading equal a recomputation from the rows
        assert all(loaded.values())
        rebuild_all(s)
        assert _summaries(s) == loaded
    with session_scope(db_url) as s:  # a second load adds to what is there
        generate(20, session=s, seed=4)
        loaded = _summaries(s)
        rebuild_all(s)
        assert _summaries(s) == loaded


def test_search_counts_matches_only_up_to_the_limit(db_url, monkeypatch) -> None:
    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        generate(60, session=s, seed=4, interactions_per_customer=0, receipts_per_customer=0)
        who = actor_for("sales", session=s)
        exact = search_customers(who, "", session=s, page_size=10)
        assert (exact.total, exact.more) == (60, False)
        everyone = [r.id for p in (1, 2, 3, 4, 5, 6) for r in search_customers(who, "", session=s, page_size=10,
                                                                                  page=p).rows]
        monkeypatch.setattr(paging, "COUNT_LIMIT", 25)
        capped = search_customers(who, "", session=s, page_size=10, page=2)
        beyond = search_customers(who, "", session=s, page_size=10, page=4)  # past the counted window
    assert (capped.total, capped.more) == (25, True)
    assert capped.pages == 3 and [r.id for r in capped.rows] == everyone[10:20]
    assert [r.id for r in beyond.rows] == everyone[30:40]  # same order as pages inside the window
    assert len(set(everyone)) == 60


def test_the_fast_email_check_agrees_with_email_validator() -> None:
    import random
    import string

    from email_validator import EmailNotValidError, validate_email

    from crm.customers.contact_rules import plain_email

    rng = random.Random(7)
    local_chars = string.ascii_letters + string.digits + ".-_+'!#~@"
    domain_chars = string.ascii_lowercase + string.digits + "-."
    samples = ["Ana.Lopez@Example.COM", "x@xn--bcher-kva.ch", "x@a.local", "x@a.test", "x..y@a.com", "x@a-.com",
               "x" * 65 + "@a.com", "ü@a.com", '"x y"@a.com', "x@a.c0m"]
    samples += ["".join(rng.choice(local_chars) for _ in range(rng.randint(1, 20))) + "@"
                + "".join(rng.choice(domain_chars) for _ in range(rng.randint(1, 15)))
                + rng.choice([".com", ".org", ".c", ".xn--p1ai", ".co.uk", "", ".Test"]) for _ in range(8000)]
    taken = 0
    for address in samples:
        fast = plain_email(address)
        if fast is None:
            continue  # the library decides
        taken += 1
        try:
            assert validate_email(address, check_deliverability=False).normalized == fast, address
        except EmailNotValidError:
            pytest.fail(f"fast path accepted {address!r}, which email-validator rejects")
    assert taken > 1000  # the fast path does serve most plain addresses
    assert plain_email("Ana.Lopez@Example.COM") == "Ana.Lopez@example.com"


def test_ascii_folding_shortcut_equals_the_full_unicode_folding() -> None:
    import unicodedata

    from crm.core import text

    for sample in ["  Jose   ALVAREZ ", "ab\tCD\n", "o'neil-smith", "x\x0by", "A.B@EXAMPLE.ORG"]:
        slow = unicodedata.normalize("NFKD", sample.casefold())
        slow = text._SPACES.sub(" ", unicodedata.normalize("NFC", slow)).strip()
        assert text.fold(sample) == slow


def test_similar_names_index_finds_what_comparing_one_by_one_finds() -> None:
    from crm.core.text import SimilarNames, similar_names

    names = ["ivan petrov", "petrov ivan", "ivan petrova", "person 123", "person 1234", "maria ivanova",
             "person 1234 b", "anna 12 smith", "anna smith 12"]
    index = SimilarNames()
    for i, n in enumerate(names):
        index.add(n, i)
    for probe in ["ivan petrov", "ivan petorv", "person 1234", "person 12", "nobody here", "smith anna 12",
                  "person 1234 c"]:
        expected = next((i for i, n in enumerate(names) if similar_names(probe, n, 90)), None)
        assert index.find(probe, 90) == expected, probe


def test_names_sort_by_the_users_alphabet_where_the_database_can(db_url) -> None:
    from crm.customers.service import create_customer
    from crm.core.i18n import use_language

    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        who = actor_for("sales", session=s)
        for name in ["Ёлка", "Жана", "Евгени", "Ана", "Ángel", "anna"]:
            create_customer(who, {"name": name}, session=s)
        with use_language("bg"):
            names = [r.name for r in search_customers(who, "", session=s, page_size=50).rows]
    latin = [n for n in names if n[0] in "AaÁ"]
    assert latin.index("Ángel") < latin.index("anna")  # accents and case do not scatter names
    cyrillic = [n for n in names if n in {"Ёлка", "Жана", "Евгени"}]
    if db_url.startswith("postgresql"):
        assert cyrillic == ["Евгени", "Ёлка", "Жана"]  # Bulgarian alphabet: Е, Ё, Ж (ICU)
    else:
        assert cyrillic.index("Евгени") < cyrillic.index("Жана")


def test_distinct_values_by_index_jumps_equal_select_distinct(db_url) -> None:
    from crm.core.audit import distinct_values as audit_values
    from db.distinct import distinct_values

    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        generate(120, session=s, seed=6, interactions_per_customer=0, receipts_per_customer=0)
        s.flush()
        for column in (Customer.country, Customer.segment, Customer.acquisition_source, Customer.name_key):
            expected = sorted(v for v in s.scalars(select(column).distinct()) if v is not None)
            assert distinct_values(s, column) == expected
        actions = audit_values(actor_for("admin", session=s), session=s)["action"]
        assert actions == sorted({a for a in s.scalars(select(AuditEvent.action)) if a}) and actions


def test_interaction_list_counts_up_to_the_limit_and_pages_in_order(db_url, monkeypatch) -> None:
    from crm.interactions.service import list_interactions

    with session_scope(db_url) as s:
        ensure_demo_accounts(session=s)
        generate(30, session=s, seed=8, interactions_per_customer=4, receipts_per_customer=0)
        who = actor_for("sales", session=s)
        n = s.scalar(select(func.count()).select_from(Interaction))
        everyone = [r.id for p in range(1, 30) for r in list_interactions(who, page=p, page_size=10, session=s).rows]
        monkeypatch.setattr(paging, "COUNT_LIMIT", 20)
        capped = list_interactions(who, page=2, page_size=10, session=s)
        beyond = list_interactions(who, page=4, page_size=10, session=s)
    assert n > 40 and len(everyone) == n == len(set(everyone))
    assert (capped.total, capped.more) == (20, True)
    assert [r.id for r in capped.rows] == everyone[10:20]
    assert [r.id for r in beyond.rows] == everyone[30:40]


def test_bulk_loads_pause_garbage_collection_only_while_they_run() -> None:
    import gc

    from db.bulk import gc_paused

    assert gc.isenabled()
    with gc_paused():
        with gc_paused():  # an import inside another load, or two users importing at once
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer load is still running
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a load that fails")
    assert gc.isenabled()
