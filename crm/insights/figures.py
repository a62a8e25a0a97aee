"""Customer knowledge: trends, groups, why customers choose us, sales statistics, lifetime value.

Every figure is a GROUP BY in SQL that returns a small table; nothing loads a
whole table into pandas. Monthly sales by product come from the
``sales_monthly`` summary table (see ``crm.insights.rollups``) when no customer filter
is set; with a segment or country filter the receipts of the date range are
aggregated through their indexes.

Definitions (also shown on the page):
- new customers in a month: customers whose first purchase (``acquired_on``) falls in it;
- active customers: customers with at least one receipt in the month;
- lost customers: former customers, by the month of their last purchase;
- NPS: % promoters (9-10) minus % detractors (0-6);
- repeat-purchase rate: customers with two or more receipts in the period / customers with at least one.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import and_, case, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from crm.core.access import Actor, require
from crm.core.i18n import N_
from crm.insights.cache import SHARED_FIGURES as _SHARED, FigureCache
from db.distinct import distinct_values
from db.models import (
    BuyerMonthCount,
    Customer,
    CustomerMonth,
    Department,
    Interaction,
    InteractionMonthly,
    Product,
    Receipt,
    ReceiptLine,
    SalesMonthly,
    SurveyResponse,
)

# The figures are data only (shared by every reader and every language): column names and the few labels
# in the values are English, marked with ``N_`` for the catalogs; the page translates them where it shows them.
NONE = N_("(none)")
QUESTION_FIRST, QUESTION_AGAIN = N_("Chose us first"), N_("Chose us again")
RECENCY = (N_("bought in last 90 days"), N_("bought 3-12 months ago"), N_("no purchase for a year"))
FREQUENCY = (N_("frequent (5+)"), N_("repeat (2-4)"), N_("once"))
COLUMNS = (N_("Month"), N_("Department"), N_("Channel"), N_("Interactions"), N_("Group"), N_("Customers"),
           N_("Revenue"), N_("Margin"), N_("Recency"), N_("Frequency"), N_("Cohort"), N_("Months later"),
           N_("Cohort size"), N_("Retention %"), N_("Reason"), N_("Answers"), N_("Question"), N_("Promoters"),
           N_("Detractors"), N_("Average score"), N_("Segment"), N_("NPS"), N_("Word"), N_("Mentions"),
           N_("Category"), N_("Units"), N_("Cost"), N_("SKU"), N_("Product"), N_("Stock"), N_("Units sold"),
           N_("Company"), N_("Country"), N_("Purchases"), N_("Customer"), N_("Average revenue"), N_("Receipts"),
           N_("Active customers"))

T = TypeVar("T")
STOPWORDS = set("the a an and or but to of in on for with was is it its this that very too we our you i my me be "
                "have has had not no so at as by from are were would like dan yang di ke и на за не".split())


@dataclass(frozen=True, eq=False)
class SurveySummary:
    """What the survey answers of a period say: reasons, NPS over time and by segment, comment themes.

    The tables are chart data (English column names, see ``COLUMNS``): ``reasons`` (Reason, Answers, Question),
    ``by_month`` (Month, Promoters, Detractors, Answers, Average score, NPS), ``by_segment`` (Segment, Promoters,
    Detractors, Answers, NPS) and ``themes`` (Word, Mentions).
    """

    reasons: pd.DataFrame
    by_month: pd.DataFrame
    by_segment: pd.DataFrame
    nps: float | None  # None without answers
    answers: int
    themes: pd.DataFrame


@dataclass(frozen=True, eq=False)
class LifetimeValue:
    """The customers who bought, by lifetime revenue: the top and bottom ones (chart data: Customer, Company,
    Segment, Country, Revenue, Cost, Margin, Purchases) and the totals."""

    top: pd.DataFrame
    bottom: pd.DataFrame
    customers: int
    revenue: float
    margin: float
    average_revenue: float


@dataclass(frozen=True)
class InsightFilters:
    """The period and the customer groups a figure is about (frozen: figures are cached under it)."""

    date_from: dt.date
    date_to: dt.date
    segment: str | None = None
    country: str | None = None
    department: str | None = None

    @classmethod
    def last_months(cls, months: int = 12, today: dt.date | None = None) -> "InsightFilters":
        today = today or dt.date.today()
        return cls(date_from=(today.replace(day=1) - dt.timedelta(days=30 * (months - 1))).replace(day=1),
                   date_to=today)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time(), tzinfo=dt.timezone.utc)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)

    @property
    def customer_filtered(self) -> bool:
        return bool(self.segment or self.country)

    @property
    def whole_months(self) -> bool:
        """The period starts on a 1st and ends on a month's last day (or today), so the monthly summaries
        answer it exactly; other periods are counted from the rows themselves."""
        return self.date_from.day == 1 and ((self.date_to + dt.timedelta(days=1)).day == 1
                                            or self.date_to >= dt.date.today())

    @property
    def months(self) -> tuple[str, str]:
        """First and last month of the period, as 'YYYY-MM'."""
        return self.date_from.strftime("%Y-%m"), self.date_to.strftime("%Y-%m")


def month_of(column: Any, session: Session) -> Any:
    """'YYYY-MM' of a timestamp/date column, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.strftime(literal_column("'%Y-%m'"), column)


def _customer_conditions(f: InsightFilters, model: Any = Customer) -> list[Any]:
    """The segment and country filters, on customers or on a table that carries the customer's groups
    (``customer_months``, ``survey_responses``)."""
    out = []
    if f.segment:
        out.append(model.segment == f.segment)
    if f.country:
        out.append(model.country == f.country)
    return out


def _month_conditions(f: InsightFilters) -> list[Any]:
    return _customer_conditions(f, CustomerMonth)


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


# ------------------------------------------------------------------ trends


def _customer_trends(f: InsightFilters, session: Session) -> pd.DataFrame:
    new = _acquired_per_month(f, session)
    active = dict(session.execute(_buyers_per_month(f, session)).all())
    lost = _lost_per_month(f, session)
    months = _months(f)
    return pd.DataFrame({"Month": months, "New": [new.get(m, 0) for m in months],
                         "Active": [active.get(m, 0) for m in months], "Lost": [lost.get(m, 0) for m in months]})


def _acquired_per_month(f: InsightFilters, session: Session) -> dict[str, int]:
    """New customers per month: one range count per month on the acquisition-date index (a GROUP BY on the
    month of each date would sort every acquisition date)."""
    counts = [select(literal(month), func.count()).where(
        Customer.acquired_on >= first, Customer.acquired_on < after, *_customer_conditions(f))
        for month, first, after in _month_ranges(f)]
    return dict(session.execute(union_all(*counts)).all()) if counts else {}


def _lost_per_month(f: InsightFilters, session: Session) -> dict[str, int]:
    """Former customers per month of their last purchase: range counts on the status index (status, archived_at,
    last_purchase_at), once for customers not archived and once for archived ones, so that each count reads only
    its month's entries (a GROUP BY would read every former customer)."""
    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)

    counts = [select(literal(month), func.count()).where(
        Customer.status == "former", archived, Customer.last_purchase_at >= at(first),
        Customer.last_purchase_at < at(after), *_customer_conditions(f))
        for month, first, after in _month_ranges(f)
        for archived in (Customer.archived_at.is_(None), Customer.archived_at.is_not(None))]
    out: Counter[str] = Counter()
    for month, n in session.execute(union_all(*counts)) if counts else ():
        out[month] += n
    return dict(out)


def _month_ranges(f: InsightFilters) -> list[tuple[str, dt.date, dt.date]]:
    """(month, first day, day after) of each month of the period, cut to the period."""
    out = []
    for month in _months(f):
        first = max(dt.date.fromisoformat(month + "-01"), f.date_from)
        after = min((first.replace(day=1) + dt.timedelta(days=32)).replace(day=1), f.date_to + dt.timedelta(days=1))
        out.append((month, first, after))
    return out


def _buyers_per_month(f: InsightFilters, session: Session) -> Any:
    """(month, customers who bought in it): from ``customer_months`` when the period is whole months."""
    if f.whole_months and not f.customer_filtered:
        return (select(BuyerMonthCount.month, func.sum(BuyerMonthCount.customers))
                .where(BuyerMonthCount.month.between(*f.months)).group_by(BuyerMonthCount.month))
    if f.whole_months:
        return (select(CustomerMonth.month, func.count())
                .where(CustomerMonth.month.between(*f.months), *_month_conditions(f)).group_by(CustomerMonth.month))
    m = month_of(Receipt.purchased_at, session)
    q = (select(m, func.count(func.distinct(Receipt.customer_id)))
         .where(Receipt.purchased_at >= f.start, Receipt.purchased_at < f.end).group_by(m))
    if f.customer_filtered:
        q = q.join(Customer, Customer.id == Receipt.customer_id).where(*_customer_conditions(f))
    return q


def _months(f: InsightFilters) -> list[str]:
    out, day = [], f.date_from.replace(day=1)
    while day <= f.date_to:
        out.append(day.strftime("%Y-%m"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def _interaction_trends(f: InsightFilters, session: Session) -> pd.DataFrame:
    if f.whole_months and not f.customer_filtered:
        q = (select(InteractionMonthly.month, Department.code, InteractionMonthly.channel,
                    func.sum(InteractionMonthly.interactions))
             .join(Department, Department.id == InteractionMonthly.department_id)
             .where(InteractionMonthly.month.between(*f.months))
             .group_by(InteractionMonthly.month, Department.code, InteractionMonthly.channel)
             .order_by(InteractionMonthly.month, Department.code, InteractionMonthly.channel))
        if f.department:
            q = q.where(Department.code == f.department)
        return _frame(session.execute(q).all(), ["Month", "Department", "Channel", "Interactions"])
    m = month_of(Interaction.occurred_at, session)
    q = (select(m, Department.code, Interaction.channel, func.count())
         .join(Department, Department.id == Interaction.department_id)
         .where(Interaction.occurred_at >= f.start, Interaction.occurred_at < f.end)
         .group_by(m, Department.code, Interaction.channel)
         .order_by(m, Department.code, Interaction.channel))
    if f.department:
        q = q.where(Department.code == f.department)
    if f.customer_filtered:
        q = q.join(Customer, Customer.id == Interaction.customer_id).where(*_customer_conditions(f))
    return _frame(session.execute(q).all(), ["Month", "Department", "Channel", "Interactions"])


# ------------------------------------------------------------------ groups

GROUPS = {"segment": Customer.segment, "country": Customer.country, "acquisition_source": Customer.acquisition_source}


def _buyers_by_group(f: InsightFilters, by: str, session: Session) -> pd.DataFrame:
    if f.whole_months:  # the summary rows carry the group; a customer's first row in the period counts them once
        first = f.months[0]
        group = func.coalesce(getattr(CustomerMonth, by), literal_column(f"'{NONE}'"))
        is_first = or_(CustomerMonth.previous_month.is_(None), CustomerMonth.previous_month < first)
        q = (select(group, func.sum(case((is_first, 1), else_=0)), func.sum(CustomerMonth.revenue),
                    func.sum(CustomerMonth.revenue - CustomerMonth.cost))
             .where(CustomerMonth.month.between(*f.months), *_month_conditions(f)).group_by(group))
    else:
        group = func.coalesce(GROUPS[by], literal_column(f"'{NONE}'"))
        buyers = (select(Receipt.customer_id.label("customer_id"), func.sum(Receipt.total).label("revenue"),
                         func.sum(Receipt.total - Receipt.total_cost).label("margin"))
                  .where(Receipt.purchased_at >= f.start, Receipt.purchased_at < f.end)
                  .group_by(Receipt.customer_id).subquery())
        q = (select(group, func.count(), func.sum(buyers.c.revenue), func.sum(buyers.c.margin))
             .join(Customer, Customer.id == buyers.c.customer_id).where(*_customer_conditions(f)).group_by(group))
    frame = _frame(session.execute(q).all(), ["Group", "Customers", "Revenue", "Margin"])
    for col in ("Revenue", "Margin"):
        frame[col] = frame[col].astype(float).round(2)
    return frame.sort_values("Revenue", ascending=False, ignore_index=True)


def _rfm_groups(f: InsightFilters, today: dt.date, session: Session) -> pd.DataFrame:
    now = dt.datetime.combine(today, dt.time(), tzinfo=dt.timezone.utc)
    recency = case(
        (Customer.last_purchase_at >= now - dt.timedelta(days=90), literal_column(f"'1 {RECENCY[0]}'")),
        (Customer.last_purchase_at >= now - dt.timedelta(days=365), literal_column(f"'2 {RECENCY[1]}'")),
        else_=literal_column(f"'3 {RECENCY[2]}'")).label("recency")
    frequency = case((Customer.purchase_count >= 5, literal_column(f"'{FREQUENCY[0]}'")),
                     (Customer.purchase_count >= 2, literal_column(f"'{FREQUENCY[1]}'")),
                     else_=literal_column(f"'{FREQUENCY[2]}'")).label("frequency")
    q = (select(recency, frequency, func.count(), func.sum(Customer.lifetime_revenue),
                func.sum(Customer.lifetime_revenue - Customer.lifetime_cost))
         .where(Customer.purchase_count > 0, Customer.archived_at.is_(None), *_customer_conditions(f))
         .group_by(recency, frequency))
    frame = _frame(session.execute(q).all(), ["Recency", "Frequency", "Customers", "Revenue", "Margin"])
    frame["Recency"] = frame["Recency"].str[2:]
    for col in ("Revenue", "Margin"):
        frame[col] = frame[col].astype(float).round(2)
    return frame


def _cohort_retention(f: InsightFilters, session: Session) -> pd.DataFrame:
    if f.whole_months:  # a summary row is one customer in one month and carries the customer's cohort
        q = (select(CustomerMonth.cohort, CustomerMonth.month, func.count())
             .where(CustomerMonth.month.between(*f.months), CustomerMonth.cohort.between(*f.months),
                    *_month_conditions(f))
             .group_by(CustomerMonth.cohort, CustomerMonth.month))
    else:
        cohort, bought = month_of(Customer.acquired_on, session), month_of(Receipt.purchased_at, session)
        q = (select(cohort, bought, func.count(func.distinct(Receipt.customer_id)))
             .join(Customer, Customer.id == Receipt.customer_id)
             .where(Receipt.purchased_at >= f.start, Receipt.purchased_at < f.end, Customer.acquired_on >= f.date_from,
                    Customer.acquired_on <= f.date_to, *_customer_conditions(f))
             .group_by(cohort, bought))
    sizes = _acquired_per_month(f, session)
    rows = []
    for c, b, n in session.execute(q).all():
        offset = (int(b[:4]) - int(c[:4])) * 12 + int(b[5:7]) - int(c[5:7])
        if offset <= 0:
            continue
        rows.append({"Cohort": c, "Months later": offset, "Customers": n, "Cohort size": sizes.get(c, 0),
                     "Retention %": round(100 * n / sizes[c], 1) if sizes.get(c) else 0.0})
    return pd.DataFrame(rows, columns=["Cohort", "Months later", "Customers", "Cohort size", "Retention %"])


# ----------------------------------------------------------------- surveys


def _survey_query(f: InsightFilters, *columns: Any) -> Any:
    """Answers of the period (each carries its customer's segment and country: no look-up of customers)."""
    return select(*columns).where(SurveyResponse.answered_at >= f.start, SurveyResponse.answered_at < f.end,
                                  *_customer_conditions(f, SurveyResponse))


def _nps_counts() -> tuple[Any, Any, Any]:
    """Promoters, detractors and answers, as aggregate columns."""
    promoters = func.sum(case((SurveyResponse.score >= 9, 1), else_=0))
    detractors = func.sum(case((SurveyResponse.score <= 6, 1), else_=0))
    return promoters, detractors, func.count()


def _survey_summary(f: InsightFilters, session: Session) -> SurveySummary:
    first = session.execute(_survey_query(f, SurveyResponse.reason_first, func.count())
                            .group_by(SurveyResponse.reason_first)).all()
    again = session.execute(_survey_query(f, SurveyResponse.reason_again, func.count())
                            .group_by(SurveyResponse.reason_again)).all()
    reasons = pd.concat([
        _frame([(r or NONE, n, QUESTION_FIRST) for r, n in first], ["Reason", "Answers", "Question"]),
        _frame([(r or NONE, n, QUESTION_AGAIN) for r, n in again], ["Reason", "Answers", "Question"]),
    ], ignore_index=True)
    p, d, n = _nps_counts()
    m = month_of(SurveyResponse.answered_at, session)
    by_month = _frame(session.execute(_survey_query(f, m, p, d, n, func.avg(SurveyResponse.score)).group_by(m)).all(),
                      ["Month", "Promoters", "Detractors", "Answers", "Average score"])
    by_month["NPS"] = _nps_column(by_month)
    segment = func.coalesce(SurveyResponse.segment, literal_column(f"'{NONE}'"))
    seg_q = _survey_query(f, segment, p, d, n).group_by(segment)
    by_segment = _frame(session.execute(seg_q).all(), ["Segment", "Promoters", "Detractors", "Answers"])
    by_segment["NPS"] = _nps_column(by_segment)
    overall, answers = _nps(f, session)
    comments = session.scalars(_survey_query(f, SurveyResponse.comment)
                               .where(SurveyResponse.comment.is_not(None)).limit(20000))
    words = Counter(w for c in comments for w in re.findall(r"[^\W\d_]{3,}", c.lower()) if w not in STOPWORDS)
    themes = pd.DataFrame(words.most_common(15), columns=["Word", "Mentions"])
    return SurveySummary(reasons=reasons, by_month=by_month, by_segment=by_segment, nps=overall, answers=answers,
                         themes=themes)


def _nps(f: InsightFilters, session: Session) -> tuple[float | None, int]:
    p, d, n = _nps_counts()
    promoters, detractors, answers = session.execute(_survey_query(f, p, d, n)).one()
    answers = int(answers or 0)
    return (round(100 * ((promoters or 0) - (detractors or 0)) / answers, 1) if answers else None), answers


def _nps_column(frame: pd.DataFrame) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=float)
    return (100 * (frame["Promoters"] - frame["Detractors"]) / frame["Answers"]).astype(float).round(1)


# ------------------------------------------------------------------- sales


def _sales_by_month(f: InsightFilters, session: Session) -> pd.DataFrame:
    if not f.customer_filtered:
        q = (select(SalesMonthly.month, Product.category, func.sum(SalesMonthly.quantity),
                    func.sum(SalesMonthly.revenue), func.sum(SalesMonthly.cost))
             .join(Product, Product.id == SalesMonthly.product_id)
             .where(SalesMonthly.month >= f.date_from.strftime("%Y-%m"),
                    SalesMonthly.month <= f.date_to.strftime("%Y-%m"))
             .group_by(SalesMonthly.month, Product.category))
    else:
        m = month_of(Receipt.purchased_at, session)
        q = (select(m, Product.category, func.sum(ReceiptLine.quantity),
                    func.sum(ReceiptLine.quantity * ReceiptLine.unit_price),
                    func.sum(ReceiptLine.quantity * ReceiptLine.unit_cost))
             .join(ReceiptLine, ReceiptLine.receipt_id == Receipt.id)
             .join(Product, Product.id == ReceiptLine.product_id)
             .join(Customer, Customer.id == Receipt.customer_id)
             .where(Receipt.purchased_at >= f.start, Receipt.purchased_at < f.end, *_customer_conditions(f))
             .group_by(m, Product.category))
    frame = _frame(session.execute(q).all(), ["Month", "Category", "Units", "Revenue", "Cost"])
    for col in ("Revenue", "Cost"):
        frame[col] = frame[col].astype(float).round(2)
    frame["Margin"] = (frame["Revenue"] - frame["Cost"]).round(2)
    return frame.sort_values(["Month", "Category"], ignore_index=True)


def _monthly_sales(f: InsightFilters, session: Session) -> pd.DataFrame:
    """Per month of the period: receipts, units, revenue, cost, margin (exact ``Decimal`` amounts) and active
    customers. Units and amounts are those of ``_sales_by_month`` added over the categories, and the receipts are
    counted the same way (whole months from the summaries without a customer filter, else the receipts of the
    period); the active customers are those of the customer trends."""
    first, last = f.months
    if not f.customer_filtered:
        sold = (select(SalesMonthly.month, func.sum(SalesMonthly.quantity), func.sum(SalesMonthly.revenue),
                       func.sum(SalesMonthly.cost))
                .where(SalesMonthly.month >= first, SalesMonthly.month <= last).group_by(SalesMonthly.month))
        receipts = (select(CustomerMonth.month, func.sum(CustomerMonth.receipts))
                    .where(CustomerMonth.month.between(first, last)).group_by(CustomerMonth.month))
    else:
        m = month_of(Receipt.purchased_at, session)
        in_period = (Receipt.purchased_at >= f.start, Receipt.purchased_at < f.end, *_customer_conditions(f))
        sold = (select(m, func.sum(ReceiptLine.quantity), func.sum(ReceiptLine.quantity * ReceiptLine.unit_price),
                       func.sum(ReceiptLine.quantity * ReceiptLine.unit_cost))
                .join(ReceiptLine, ReceiptLine.receipt_id == Receipt.id)
                .join(Customer, Customer.id == Receipt.customer_id).where(*in_period).group_by(m))
        receipts = (select(m, func.count()).join(Customer, Customer.id == Receipt.customer_id)
                    .where(*in_period).group_by(m))
    totals = {month: (int(units or 0), _cents(revenue), _cents(cost))
              for month, units, revenue, cost in session.execute(sold)}
    counted = {month: int(n or 0) for month, n in session.execute(receipts)}
    active = dict(session.execute(_buyers_per_month(f, session)).all())
    rows = []
    for month in _months(f):
        units, revenue, cost = totals.get(month, (0, Decimal("0.00"), Decimal("0.00")))
        rows.append((month, counted.get(month, 0), units, revenue, cost, revenue - cost, int(active.get(month, 0))))
    return pd.DataFrame(rows, columns=["Month", "Receipts", "Units", "Revenue", "Cost", "Margin", "Active customers"])


def _cents(value: Any) -> Decimal:
    """An amount from SQL as an exact ``Decimal`` with 2 decimals (SQLite may hand back a float sum)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _products(f: InsightFilters, session: Session) -> pd.DataFrame:
    if not f.customer_filtered:
        sold = (select(SalesMonthly.product_id.label("pid"), func.sum(SalesMonthly.quantity).label("units"),
                       func.sum(SalesMonthly.revenue).label("revenue"), func.sum(SalesMonthly.cost).label("cost"))
                .where(SalesMonthly.month >= f.date_from.strftime("%Y-%m"),
                       SalesMonthly.month <= f.date_to.strftime("%Y-%m"))
                .group_by(SalesMonthly.product_id)).subquery()
    else:
        sold = (select(ReceiptLine.product_id.label("pid"), func.sum(ReceiptLine.quantity).label("units"),
                       func.sum(ReceiptLine.quantity * ReceiptLine.unit_price).label("revenue"),
                       func.sum(ReceiptLine.quantity * ReceiptLine.unit_cost).label("cost"))
                .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
                .join(Customer, Customer.id == Receipt.customer_id)
                .where(Receipt.purchased_at >= f.start, Receipt.purchased_at < f.end, *_customer_conditions(f))
                .group_by(ReceiptLine.product_id)).subquery()
    q = (select(Product.sku, Product.name, Product.category, Product.stock, func.coalesce(sold.c.units, 0),
                func.coalesce(sold.c.revenue, 0), func.coalesce(sold.c.cost, 0))
         .outerjoin(sold, sold.c.pid == Product.id))
    frame = _frame(session.execute(q).all(), ["SKU", "Product", "Category", "Stock", "Units sold", "Revenue", "Cost"])
    for col in ("Revenue", "Cost"):
        frame[col] = frame[col].astype(float).round(2)
    frame["Margin"] = (frame["Revenue"] - frame["Cost"]).round(2)
    frame["Units sold"] = frame["Units sold"].astype(int)
    return frame.sort_values("Revenue", ascending=False, ignore_index=True)


def _repeat_purchase_rate(f: InsightFilters, session: Session) -> tuple[float | None, int, int]:
    if f.whole_months and not f.customer_filtered:  # see db.models.BuyerMonthCount
        first, last = f.months
        once = and_(BuyerMonthCount.once, or_(BuyerMonthCount.next_month == "", BuyerMonthCount.next_month > last))
        q = (select(func.sum(BuyerMonthCount.customers), func.sum(case((once, 0), else_=BuyerMonthCount.customers)))
             .where(BuyerMonthCount.month.between(first, last), BuyerMonthCount.previous_month < first))
    elif f.whole_months:  # count rows, not distinct customers: see db.models.CustomerMonth
        first, last = f.months
        once = and_(CustomerMonth.receipts == 1, or_(CustomerMonth.next_month.is_(None), CustomerMonth.next_month > last))
        q = (select(func.count(), func.sum(case((once, 0), else_=1)))
             .where(CustomerMonth.month.between(first, last),
                    or_(CustomerMonth.previous_month.is_(None), CustomerMonth.previous_month < first),
                    *_month_conditions(f)))
    else:
        per_customer = (select(Receipt.customer_id, func.count().label("n"))
                        .where(Receipt.purchased_at >= f.start, Receipt.purchased_at < f.end))
        if f.customer_filtered:
            per_customer = per_customer.join(Customer, Customer.id == Receipt.customer_id).where(
                *_customer_conditions(f))
        sub = per_customer.group_by(Receipt.customer_id).subquery()
        q = select(func.count(), func.sum(case((sub.c.n >= 2, 1), else_=0)))
    buyers, repeaters = session.execute(q).one()
    buyers, repeaters = int(buyers or 0), int(repeaters or 0)
    return (round(100 * repeaters / buyers, 1) if buyers else None), repeaters, buyers


def _lifetime_value(f: InsightFilters, limit: int, session: Session) -> LifetimeValue:
    base = (select(Customer.name, Customer.company, Customer.segment, Customer.country, Customer.lifetime_revenue,
                   Customer.lifetime_cost, Customer.lifetime_revenue - Customer.lifetime_cost, Customer.purchase_count)
            .where(Customer.purchase_count > 0, Customer.erased_at.is_(None), *_customer_conditions(f)))
    cols = ["Customer", "Company", "Segment", "Country", "Revenue", "Cost", "Margin", "Purchases"]
    out = {}
    for key, order in (("top", Customer.lifetime_revenue.desc()), ("bottom", Customer.lifetime_revenue.asc())):
        frame = _frame(session.execute(base.order_by(order, Customer.id).limit(limit)).all(), cols)
        for col in ("Revenue", "Cost", "Margin"):
            frame[col] = frame[col].astype(float).round(2)
        out[key] = frame
    totals = session.execute(select(func.count(), func.sum(Customer.lifetime_revenue),
                                    func.sum(Customer.lifetime_revenue - Customer.lifetime_cost))
                             .where(Customer.purchase_count > 0, *_customer_conditions(f))).one()
    customers, revenue = int(totals[0] or 0), float(totals[1] or 0)
    return LifetimeValue(top=out["top"], bottom=out["bottom"], customers=customers, revenue=revenue,
                         margin=float(totals[2] or 0),
                         average_revenue=round(revenue / customers, 2) if customers else 0.0)


def _filter_values(session: Session) -> dict[str, list[str]]:
    return {
        "segment": [v for v in distinct_values(session, Customer.segment) if v],
        "country": [v for v in distinct_values(session, Customer.country) if v],
    }


# ---------------------------------------------------------- the services
# Each checks the actor's right first, on every call, before looking in ``cache``: a figure is the same for every
# reader allowed to see it, so a cache (``SHARED_FIGURES`` for the pages) is keyed by the figure, its filters and
# the database only. Without a cache the figure is computed from the data of ``session``, pending writes included.

SHARED_FIGURES = _SHARED  # the figures of the Insights page, shared by its readers for a minute (see cache.py)


def _figure(cache: FigureCache | None, session: Session, compute: Callable[..., T], f: InsightFilters,
            *options: Any) -> T:
    """``compute(f, *options, session)``, from ``cache`` when it holds it for this database."""
    if cache is None:
        return compute(f, *options, session)
    key = (compute.__name__, f, options, session.get_bind().url.render_as_string())
    return cache.get_or_compute(key, lambda: compute(f, *options, session))


def customer_trends(actor: Actor, f: InsightFilters, *, session: Session,
                    cache: FigureCache | None = None) -> pd.DataFrame:
    """Per month: new, active and lost customers."""
    require(actor, "insights.read")
    return _figure(cache, session, _customer_trends, f)


def interaction_trends(actor: Actor, f: InsightFilters, *, session: Session,
                       cache: FigureCache | None = None) -> pd.DataFrame:
    """Interactions per month by department and channel."""
    require(actor, "insights.read")
    return _figure(cache, session, _interaction_trends, f)


def buyers_by_group(actor: Actor, f: InsightFilters, by: str, *, session: Session,
                    cache: FigureCache | None = None) -> pd.DataFrame:
    """Customers buying in the period per group (``by``: segment, country or acquisition_source), with revenue
    and margin."""
    require(actor, "insights.read")
    return _figure(cache, session, _buyers_by_group, f, by)


def rfm_groups(actor: Actor, f: InsightFilters, *, today: dt.date | None = None, session: Session,
               cache: FigureCache | None = None) -> pd.DataFrame:
    """Purchase behaviour: recency x frequency buckets with counts, revenue and margin (from lifetime figures)."""
    require(actor, "insights.read")
    return _figure(cache, session, _rfm_groups, f, today or f.date_to)


def cohort_retention(actor: Actor, f: InsightFilters, *, session: Session,
                     cache: FigureCache | None = None) -> pd.DataFrame:
    """Of customers acquired in month M, how many bought again in each later month (share %)."""
    require(actor, "insights.read")
    return _figure(cache, session, _cohort_retention, f)


def survey_summary(actor: Actor, f: InsightFilters, *, session: Session,
                   cache: FigureCache | None = None) -> SurveySummary:
    """Reasons chosen first vs again, NPS over time and by segment, and comment themes."""
    require(actor, "insights.read")
    return _figure(cache, session, _survey_summary, f)


def nps(actor: Actor, f: InsightFilters, *, session: Session,
        cache: FigureCache | None = None) -> tuple[float | None, int]:
    """(NPS, number of answers) in the period: the headline figure, without the breakdowns."""
    require(actor, "insights.read")
    return _figure(cache, session, _nps, f)


def sales_by_month(actor: Actor, f: InsightFilters, *, session: Session,
                   cache: FigureCache | None = None) -> pd.DataFrame:
    """Revenue, cost and margin per month and product category."""
    require(actor, "insights.read")
    return _figure(cache, session, _sales_by_month, f)


def monthly_sales(actor: Actor, f: InsightFilters, *, session: Session,
                  cache: FigureCache | None = None) -> pd.DataFrame:
    """Per month: receipts, units, revenue, cost and margin (``Decimal``), and active customers."""
    require(actor, "insights.read")
    return _figure(cache, session, _monthly_sales, f)


def products(actor: Actor, f: InsightFilters, *, session: Session,
             cache: FigureCache | None = None) -> pd.DataFrame:
    """Per product: units, revenue, margin in the period, and stock on hand (best sellers first)."""
    require(actor, "insights.read")
    return _figure(cache, session, _products, f)


def repeat_purchase_rate(actor: Actor, f: InsightFilters, *, session: Session,
                         cache: FigureCache | None = None) -> tuple[float | None, int, int]:
    """(rate %, customers with 2+ receipts, customers with 1+) in the period."""
    require(actor, "insights.read")
    return _figure(cache, session, _repeat_purchase_rate, f)


def lifetime_value(actor: Actor, f: InsightFilters, *, limit: int = 10, session: Session,
                   cache: FigureCache | None = None) -> LifetimeValue:
    """Top and bottom customers by lifetime revenue, with cost and margin."""
    require(actor, "insights.read")
    return _figure(cache, session, _lifetime_value, f, limit)


def filter_values(actor: Actor, *, session: Session) -> dict[str, list[str]]:
    """The segments and countries to filter by (read on every call: a new one shows at once)."""
    require(actor, "insights.read")
    return _filter_values(session)
