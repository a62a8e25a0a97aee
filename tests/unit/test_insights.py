"""Insights figures against hand-computed values on a small known data set."""
from __future__ import annotations

import datetime as dt
import inspect
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from crm.customers.service import bulk_update, update_customer
from crm.core.access import require
from crm.core.errors import NotFound, PermissionDenied, ValidationError
from crm.insights import figures
from crm.insights.cache import FigureCache
from crm.insights.figures import (
    InsightFilters,
    buyers_by_group,
    cohort_retention,
    customer_trends,
    interaction_trends,
    lifetime_value,
    nps,
    products,
    repeat_purchase_rate,
    rfm_groups,
    sales_by_month,
    survey_summary,
)
from crm.interactions.service import log_interaction
from crm.customers.quality import merge_customers
from crm.insights.rollups import apply_receipt, rebuild_all
from tools.seed import ensure_demo_accounts
from crm.importing.runner import run
from crm.insights.surveys import find_customers, record_survey
from db.models import (
    Customer,
    BuyerMonthCount,
    CustomerMonth,
    InteractionMonthly,
    Product,
    Receipt,
    ReceiptLine,
    SalesMonthly,
    SurveyResponse,
)
from tests.conftest import make_actor

UTC = dt.timezone.utc
F = InsightFilters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31))


def at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 12, tzinfo=UTC)


@pytest.fixture
def shop(db):
    """Three customers, two products, five receipts, four survey answers (numbers chosen by hand)."""
    ensure_demo_accounts(session=db)
    widget = Product(sku="W", name="Widget", category="Hardware", price=Decimal(10), cost=Decimal(6), stock=50)
    course = Product(sku="C", name="Course", category="Training", price=Decimal(100), cost=Decimal(40), stock=5)
    db.add_all([widget, course])
    ana = Customer(name="Ana", name_key="ana", segment="SMB", country="ID", status="customer", acquired_on=dt.date(2026, 1, 5))
    bob = Customer(name="Bob", name_key="bob", segment="SMB", country="BG", status="former", acquired_on=dt.date(2026, 1, 20))
    cai = Customer(name="Cai", name_key="cai", segment="Enterprise", country="ID", status="customer", acquired_on=dt.date(2026, 2, 3))
    db.add_all([ana, bob, cai])
    db.flush()
    receipts = [  # (customer, when, [(product, qty)])
        (ana, at(2026, 1, 5), [(widget, 2)]),             # 20 revenue, 12 cost
        (ana, at(2026, 2, 10), [(course, 1)]),            # 100 / 40
        (bob, at(2026, 1, 20), [(widget, 1), (course, 1)]),  # 110 / 46
        (cai, at(2026, 2, 3), [(widget, 5)]),             # 50 / 30
        (ana, at(2026, 3, 1), [(widget, 1)]),             # 10 / 6
    ]
    for n, (customer, when, lines) in enumerate(receipts):
        r = Receipt(customer_id=customer.id, number=f"R{n}", purchased_at=when,
                    lines=[ReceiptLine(product_id=p.id, quantity=q, unit_price=p.price, unit_cost=p.cost) for p, q in lines])
        r.total = sum(p.price * q for p, q in lines)
        r.total_cost = sum(p.cost * q for p, q in lines)
        db.add(r)
        db.flush()
        apply_receipt(db, r)
    for c, rev, cost, count, last in ((ana, 130, 58, 3, at(2026, 3, 1)), (bob, 110, 46, 1, at(2026, 1, 20)),
                                      (cai, 50, 30, 1, at(2026, 2, 3))):
        c.lifetime_revenue, c.lifetime_cost, c.purchase_count, c.last_purchase_at = Decimal(rev), Decimal(cost), count, last
    for customer, score, first, again, comment, when in (
        (ana, 10, "Price", "Service", "Great service", at(2026, 1, 10)),
        (bob, 3, "Price", "Habit", "Delivery late", at(2026, 1, 25)),
        (cai, 9, "Quality", "Service", "Great support", at(2026, 2, 10)),
        (ana, 7, "Price", "Service", None, at(2026, 3, 2)),
    ):
        db.add(SurveyResponse(customer_id=customer.id, score=score, reason_first=first, reason_again=again,
                              comment=comment, answered_at=when, segment=customer.segment, country=customer.country))
    db.commit()
    return make_actor(db, "marketing"), {"ana": ana.id, "bob": bob.id, "cai": cai.id}


def test_customer_trends_new_active_lost(db, shop) -> None:
    who, _ = shop
    t = customer_trends(who, F, session=db).set_index("Month")
    assert t.loc["2026-01"].tolist() == [2, 2, 1]  # new Ana+Bob, active Ana+Bob, lost Bob (former, last Jan)
    assert t.loc["2026-02"].tolist() == [1, 2, 0]  # new Cai, active Ana+Cai
    assert t.loc["2026-03"].tolist() == [0, 1, 0]
    # a period that cuts months: only what falls inside it (Ana joined Jan 5, Cai Feb 3, Ana bought Feb 10)
    part = customer_trends(who, InsightFilters(dt.date(2026, 1, 10), dt.date(2026, 2, 2)), session=db)
    part = part.set_index("Month")
    assert part.loc["2026-01"].tolist() == [1, 1, 1] and part.loc["2026-02"].tolist() == [0, 0, 0]
    one = customer_trends(who, InsightFilters(dt.date(2026, 2, 1), dt.date(2026, 2, 28), segment="Enterprise"),
                          session=db)
    assert one.set_index("Month").loc["2026-02"].tolist() == [1, 1, 0]  # Cai alone


def test_lost_customers_count_archived_former_customers_too(db, shop) -> None:
    who, ids = shop
    cai = db.get(Customer, ids["cai"])
    cai.status, cai.archived_at = "former", at(2026, 3, 20)  # lost in February (last purchase), then archived
    db.flush()
    t = customer_trends(who, F, session=db).set_index("Month")
    assert t["Lost"].tolist() == [1, 1, 0]  # Bob in January, Cai in February
    late = customer_trends(who, InsightFilters(dt.date(2026, 2, 4), dt.date(2026, 3, 31)), session=db)
    assert late["Lost"].sum() == 0  # Cai's last purchase (Feb 3) is before the period


def test_a_customers_new_segment_moves_their_purchases_and_answers(db, shop) -> None:
    who, ids = shop
    cai = db.get(Customer, ids["cai"])
    update_customer(make_actor(db, "sales"), cai.id, {"segment": "Public"}, cai.version, session=db)
    groups = buyers_by_group(who, F, "segment", session=db).set_index("Group")
    assert groups.loc["Public", "Customers"] == 1 and "Enterprise" not in groups.index
    by_segment = survey_summary(who, F, session=db).by_segment.set_index("Segment")
    assert by_segment.loc["Public", "Answers"] == 1 and "Enterprise" not in by_segment.index
    assert survey_summary(who, InsightFilters(F.date_from, F.date_to, segment="Public"), session=db).answers == 1


def test_sales_by_category_and_month_from_the_summary_table(db, shop) -> None:
    who, _ = shop
    s = sales_by_month(who, F, session=db).set_index(["Month", "Category"])
    assert s.loc[("2026-01", "Hardware")][["Units", "Revenue", "Cost", "Margin"]].tolist() == [3, 30.0, 18.0, 12.0]
    assert s.loc[("2026-01", "Training")][["Revenue", "Margin"]].tolist() == [100.0, 60.0]
    assert s.loc[("2026-02", "Hardware")]["Revenue"] == 50.0
    assert s["Revenue"].sum() == 290.0  # every receipt: 20+100+110+50+10


def test_filters_change_the_figures(db, shop) -> None:
    who, _ = shop
    smb = InsightFilters(F.date_from, F.date_to, segment="SMB")
    s = sales_by_month(who, smb, session=db)
    assert s["Revenue"].sum() == 240.0  # Cai (Enterprise) left out
    assert repeat_purchase_rate(who, smb, session=db) == (50.0, 1, 2)
    jan = InsightFilters(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert products(who, jan, session=db).set_index("Product").loc["Widget", "Units sold"] == 3


def test_best_sellers_stock_and_repeat_rate(db, shop) -> None:
    who, _ = shop
    p = products(who, F, session=db)
    assert p["Product"].tolist() == ["Course", "Widget"]  # 200 vs 90 revenue
    assert p.set_index("Product").loc["Widget"][["Units sold", "Stock", "Margin"]].tolist() == [9, 50, 36.0]
    assert repeat_purchase_rate(who, F, session=db) == (33.3, 1, 3)  # only Ana bought twice or more


def test_groups_by_segment_and_country(db, shop) -> None:
    who, _ = shop
    seg = buyers_by_group(who, F, "segment", session=db).set_index("Group")
    assert seg.loc["SMB"].tolist() == [2, 240.0, 136.0]
    assert seg.loc["Enterprise"].tolist() == [1, 50.0, 20.0]
    country = buyers_by_group(who, F, "country", session=db).set_index("Group")
    assert country.loc["ID", "Revenue"] == 180.0


def test_nps_reasons_and_comment_themes(db, shop) -> None:
    who, _ = shop
    s = survey_summary(who, F, session=db)
    assert s.answers == 4 and s.nps == 25.0  # promoters 10 and 9 (50%) minus detractor 3 (25%)
    assert nps(who, F, session=db) == (25.0, 4)  # the headline figure alone
    assert nps(who, InsightFilters(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), session=db) == (None, 0)
    reasons = s.reasons
    first = reasons[reasons["Question"] == "Chose us first"].set_index("Reason")["Answers"]
    assert first["Price"] == 3 and first["Quality"] == 1
    themes = s.themes.set_index("Word")["Mentions"]
    assert themes["great"] == 2
    by_month = s.by_month.set_index("Month")
    assert by_month.loc["2026-01", "NPS"] == 0.0 and by_month.loc["2026-02", "NPS"] == 100.0


def test_cohort_retention_and_rfm(db, shop) -> None:
    who, _ = shop
    c = cohort_retention(who, F, session=db).set_index(["Cohort", "Months later"])
    # January cohort (Ana, Bob): Ana bought again in February (1 month later) and March (2 months later)
    assert c.loc[("2026-01", 1)].tolist() == [1, 2, 50.0]
    assert c.loc[("2026-01", 2)].tolist() == [1, 2, 50.0]
    assert ("2026-02", 1) not in c.index  # Cai never came back
    r = rfm_groups(who, F, today=dt.date(2026, 3, 31), session=db)
    assert r["Customers"].sum() == 3
    recent_repeat = r[(r["Recency"] == "bought in last 90 days") & (r["Frequency"] == "repeat (2-4)")]
    assert recent_repeat["Customers"].tolist() == [1] and recent_repeat["Revenue"].tolist() == [130.0]


def test_lifetime_value_top_and_bottom(db, shop) -> None:
    who, _ = shop
    lv = lifetime_value(who, F, session=db)
    assert lv.top["Customer"].tolist() == ["Ana", "Bob", "Cai"]
    assert lv.top.iloc[0][["Revenue", "Cost", "Margin"]].tolist() == [130.0, 58.0, 72.0]
    assert lv.bottom["Customer"].tolist()[0] == "Cai"
    assert (lv.customers, lv.revenue, lv.average_revenue) == (3, 290.0, 96.67)


def _figure_services() -> dict[str, Callable[..., Any]]:
    """Every public service of the figures module: a public function whose first parameter is the actor."""
    found = {name: fn for name, fn in vars(figures).items()
             if inspect.isfunction(fn) and fn.__module__ == figures.__name__ and not name.startswith("_")
             and next(iter(inspect.signature(fn).parameters)) == "actor"}
    assert {"customer_trends", "buyers_by_group", "survey_summary", "nps", "lifetime_value",
            "filter_values"} <= set(found)
    return found


def _read(service: Callable[..., Any], who: Any, db: Any, **kwargs: Any) -> Any:
    """``service`` for the period ``F`` (customer groups by segment), as ``who``."""
    params = inspect.signature(service).parameters
    args = [F] if "f" in params else []
    if "by" in params:
        args.append("segment")
    return service(who, *args, session=db, **kwargs)


def test_every_figure_refuses_roles_without_insights(db, shop) -> None:
    for username in ("service", "support", "training", "it", "hr", "comp"):
        who = make_actor(db, username)
        for name, service in _figure_services().items():
            with pytest.raises(PermissionDenied):
                _read(service, who, db)
                pytest.fail(f"{name} answered {username}")


def test_a_figure_cached_for_a_reader_is_still_refused_to_roles_without_insights(db, shop) -> None:
    reader, _ = shop
    cache = FigureCache()
    cached = {name: service for name, service in _figure_services().items()
              if "cache" in inspect.signature(service).parameters}
    for service in cached.values():
        _read(service, reader, db, cache=cache)
    assert len(cache) == len(cached) >= 11  # every figure of the page is now in the cache
    training = make_actor(db, "training")
    for name, service in cached.items():
        with pytest.raises(PermissionDenied):
            _read(service, training, db, cache=cache)
            pytest.fail(f"{name} answered from the cache")


def test_each_figure_checks_the_right_once(db, shop, monkeypatch) -> None:
    """One check per call: a figure built from another (the survey summary holds the NPS) does not check again."""
    reader, _ = shop
    checks: list[str] = []

    def counting(actor: Any, capability: str) -> Any:
        checks.append(capability)
        return require(actor, capability)

    monkeypatch.setattr(figures, "require", counting)
    for name, service in _figure_services().items():
        checks.clear()
        _read(service, reader, db)
        assert checks == ["insights.read"], name


def test_cached_figures_are_shared_by_readers_per_filters_for_a_minute(db, shop) -> None:
    marketing, ids = shop
    sponsor = make_actor(db, "sponsor")
    now = [0.0]
    cache = FigureCache(ttl=60, clock=lambda: now[0])
    assert nps(marketing, F, session=db, cache=cache) == (25.0, 4)
    db.add(SurveyResponse(customer_id=ids["bob"], score=0, answered_at=at(2026, 3, 5), segment="SMB", country="BG"))
    db.flush()
    assert nps(sponsor, F, session=db, cache=cache) == (25.0, 4)  # another reader, same filters: the shared figure
    assert nps(sponsor, F, session=db) == (0.0, 5)  # without the cache: the new answer counts
    smb = InsightFilters(F.date_from, F.date_to, segment="SMB")
    assert nps(sponsor, smb, session=db, cache=cache) == (-25.0, 4)  # other filters: another figure
    now[0] = 61
    assert nps(marketing, F, session=db, cache=cache) == (0.0, 5)  # a minute later: computed again
    trends = customer_trends(marketing, F, session=db, cache=cache)
    trends["New"] = 0  # a reader changing their copy changes nobody else's figure
    assert customer_trends(sponsor, F, session=db, cache=cache)["New"].sum() == 3


def _summaries(db) -> dict[str, list[tuple]]:
    out = {model.__tablename__: sorted(tuple(getattr(row, c.key) for c in model.__table__.columns)
                                       for row in db.scalars(select(model)))
           for model in (SalesMonthly, CustomerMonth, InteractionMonthly, BuyerMonthCount)}
    out["survey groups"] = sorted(db.execute(select(SurveyResponse.id, SurveyResponse.segment, SurveyResponse.country)))
    return out


def _random_writes(db, rng: random.Random) -> None:
    """Receipts and interactions spread over 2026, through the same calls the portal makes, and a merge."""
    prods = list(db.scalars(select(Product)))
    customers = list(db.scalars(select(Customer.id)))
    writers = [make_actor(db, u) for u in ("sales", "support", "service", "marketing")]
    for n in range(40):
        when = at(2026, rng.randint(1, 12), rng.randint(1, 28))
        lines = [ReceiptLine(product_id=rng.choice(prods).id, quantity=rng.randint(1, 5), unit_price=Decimal("9.99"),
                             unit_cost=Decimal("4.50")) for _ in range(rng.randint(1, 3))]
        r = Receipt(customer_id=rng.choice(customers), number=f"X{n}", purchased_at=when, lines=lines)
        r.total = sum(line.quantity * line.unit_price for line in lines)
        r.total_cost = sum(line.quantity * line.unit_cost for line in lines)
        db.add(r)
        db.flush()
        apply_receipt(db, r)
    for n in range(60):
        when = dt.datetime(2026, rng.randint(1, 10), rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)
        log_interaction(rng.choice(writers), rng.choice(customers), channel=rng.choice(["call", "email", "visit"]),
                        subject=f"note {n}", occurred_at=when, session=db)
    editor = make_actor(db, "sales")
    for cid in customers:  # answers recorded on the form and imported, before the customers' groups change
        record_survey(editor, cid, score=rng.randint(0, 10), reason_first="Price", session=db)
    run(make_actor(db, "salesmgr"), "surveys", [[str(c), str(rng.randint(0, 10))] for c in customers],
        headers=["customer_id", "score"], mapping={"customer": 0, "score": 1}, session=db)
    for n, cid in enumerate(customers):  # groups change after the purchases: the summary follows the customer
        version = db.get(Customer, cid).version
        update_customer(editor, cid, {"segment": rng.choice(["SMB", "Enterprise", "Public", None]),
                                      "country": rng.choice(["ID", "BG", "PK"])}, version, session=db)
    bulk_update(editor, customers[:2], {"segment": "SMB"}, session=db)
    db.get(Customer, customers[2]).acquired_on = dt.date(2025, 12, 30)  # a new first purchase date moves the cohort
    db.flush()
    merge_customers(make_actor(db, "salesmgr"), customers[0], customers[1], session=db)


def test_incremental_summaries_equal_a_full_rebuild_after_random_writes(db, shop) -> None:
    _random_writes(db, random.Random(3))
    incremental = _summaries(db)
    assert all(incremental.values())
    rebuild_all(db)
    assert _summaries(db) == incremental


@pytest.mark.parametrize("filters", [F, InsightFilters(dt.date(2026, 1, 1), dt.date(2026, 12, 31), segment="SMB"),
                                     InsightFilters(dt.date(2026, 2, 1), dt.date(2026, 11, 30),
                                                    department="technical_support")])
def test_figures_from_summaries_equal_figures_from_the_rows(db, shop, monkeypatch, filters) -> None:
    """Whole-month periods are answered from the summaries; the same figures counted from receipts and
    interactions must be identical."""
    who, _ = shop
    _random_writes(db, random.Random(5))
    assert filters.whole_months

    def figures() -> list:
        return [customer_trends(who, filters, session=db), interaction_trends(who, filters, session=db),
                cohort_retention(who, filters, session=db), repeat_purchase_rate(who, filters, session=db),
                *(buyers_by_group(who, filters, by, session=db) for by in ("segment", "country", "acquisition_source"))]

    from_summaries = figures()
    monkeypatch.setattr(InsightFilters, "whole_months", property(lambda self: False))
    from_rows = figures()
    assert repr(from_summaries) == repr(from_rows)
    assert from_summaries[3][2] > 0 and not from_summaries[1].empty  # buyers and interactions were counted


def test_whole_months_means_first_day_to_last_day_or_today() -> None:
    assert InsightFilters(dt.date(2026, 1, 1), dt.date(2026, 2, 28)).whole_months
    assert InsightFilters(dt.date(2024, 2, 1), dt.date(2024, 2, 29)).whole_months
    assert InsightFilters.last_months(12).whole_months  # the page's default: up to today
    assert not InsightFilters(dt.date(2026, 1, 2), dt.date(2026, 2, 28)).whole_months
    assert not InsightFilters(dt.date(2026, 1, 1), dt.date(2026, 2, 27)).whole_months


def test_survey_form(db, shop) -> None:
    _, ids = shop
    sales = make_actor(db, "sales")
    assert record_survey(sales, ids["cai"], score=8, reason_first="Quality", session=db)
    with pytest.raises(ValidationError) as err:
        record_survey(sales, ids["cai"], score=11, reason_first="x" * 121, session=db)
    assert len(err.value.errors) == 2
    with pytest.raises(NotFound):  # a customer gone since the form was opened: a missing row, not bad input
        record_survey(sales, 99999, score=8, session=db)
    with pytest.raises(PermissionDenied):
        record_survey(make_actor(db, "training"), ids["cai"], score=5, session=db)


def test_finding_a_customer_for_a_survey_checks_the_right_once(db, shop, monkeypatch) -> None:
    from tests.unit.require_counter import count_require

    _, ids = shop
    sales = make_actor(db, "sales")
    checked = count_require(monkeypatch)
    found = find_customers(sales, "", session=db)  # (the shop's customers have no search tokens)
    assert checked == ["surveys.write"]
    assert ids["cai"] in [cid for cid, _label in found]
