"""The Insights figures as named tables with plain column names: what ``python -m crm insights`` prints.

Each table is read through the figure services of ``crm.insights.figures`` (so the same access check, filters and
numbers as the Insights page) and only renamed and reshaped here: a name in kebab-case, a one-line description,
and its columns as ``(key, kind)``. The kind tells an export how to write a value exactly:

- ``text``: as is (months are 'YYYY-MM' strings already);
- ``count``: a whole number;
- ``amount``: money, 2 decimals;
- ``percent``: a percentage as the page shows it, 1 decimal;
- ``score``: an average survey score, 2 decimals.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from crm.core.access import Actor, require
from crm.insights import figures
from crm.insights.figures import InsightFilters

TEXT, COUNT, AMOUNT, PERCENT, SCORE = "text", "count", "amount", "percent", "score"
DECIMALS = {AMOUNT: 2, PERCENT: 1, SCORE: 2}
Reader = Callable[[Actor, InsightFilters, Session], pd.DataFrame]


@dataclass(frozen=True)
class FigureTable:
    """One figure of the Insights page as a table: ``read`` returns a frame whose columns are the keys of
    ``columns``, in that order."""

    name: str
    description: str
    columns: tuple[tuple[str, str], ...]  # (key, kind)
    read: Reader

    @property
    def keys(self) -> list[str]:
        return [key for key, _kind in self.columns]


def _renamed(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``frame``'s columns ``names`` (page column -> key), renamed, in the order of ``names``."""
    return frame[list(names)].rename(columns=names).reset_index(drop=True)


def _service_table(service: Callable[..., pd.DataFrame], names: dict[str, str], **options: object) -> Reader:
    """A reader of a figure service that returns one frame."""
    def read(actor: Actor, f: InsightFilters, session: Session) -> pd.DataFrame:
        return _renamed(service(actor, f, session=session, **options), names)
    return read


def _survey_table(part: str, names: dict[str, str]) -> Reader:
    """A reader of one table of the survey summary (reasons, by_month, by_segment, themes)."""
    def read(actor: Actor, f: InsightFilters, session: Session) -> pd.DataFrame:
        return _renamed(getattr(figures.survey_summary(actor, f, session=session), part), names)
    return read


def _lifetime_table(part: str) -> Reader:
    """The top or bottom customers by lifetime revenue, as many as the page lists."""
    def read(actor: Actor, f: InsightFilters, session: Session) -> pd.DataFrame:
        return _renamed(getattr(figures.lifetime_value(actor, f, session=session), part), CUSTOMER_COLUMNS)
    return read


def _headline(actor: Actor, f: InsightFilters, session: Session) -> pd.DataFrame:
    """The key figures above the page's tabs, as one row."""
    trends = figures.customer_trends(actor, f, session=session)
    sales = figures.monthly_sales(actor, f, session=session)
    rate, repeaters, buyers = figures.repeat_purchase_rate(actor, f, session=session)
    score, answers = figures.nps(actor, f, session=session)
    return pd.DataFrame([{
        "new_customers": int(trends["New"].sum()), "revenue": sum(sales["Revenue"], start=0),
        "margin": sum(sales["Margin"], start=0), "repeat_purchase_rate": rate, "repeat_buyers": repeaters,
        "buyers": buyers, "nps": score, "survey_answers": answers}])


def _repeat_purchase(actor: Actor, f: InsightFilters, session: Session) -> pd.DataFrame:
    rate, repeaters, buyers = figures.repeat_purchase_rate(actor, f, session=session)
    return pd.DataFrame([{"buyers": buyers, "repeat_buyers": repeaters, "repeat_purchase_rate": rate}])


def _lifetime_totals(actor: Actor, f: InsightFilters, session: Session) -> pd.DataFrame:
    lv = figures.lifetime_value(actor, f, session=session)
    return pd.DataFrame([{"customers": lv.customers, "revenue": lv.revenue, "average_revenue": lv.average_revenue}])


CUSTOMER_COLUMNS = {"Customer": "customer", "Company": "company", "Segment": "segment", "Country": "country",
                    "Revenue": "revenue", "Cost": "cost", "Margin": "margin", "Purchases": "purchases"}
CUSTOMER_KINDS = (("customer", TEXT), ("company", TEXT), ("segment", TEXT), ("country", TEXT), ("revenue", AMOUNT),
                  ("cost", AMOUNT), ("margin", AMOUNT), ("purchases", COUNT))


def _group_table(by: str, label: str) -> FigureTable:
    """Customers buying in the period per segment, country or acquisition source (the page's "Group by")."""
    names = {"Group": by, "Customers": "customers", "Revenue": "revenue", "Margin": "margin"}
    return FigureTable(f"groups-by-{by.replace('_', '-')}",
                       f"customers who bought in the period, their revenue and margin, per {label}",
                       ((by, TEXT), ("customers", COUNT), ("revenue", AMOUNT), ("margin", AMOUNT)),
                       _service_table(figures.buyers_by_group, names, by=by))


TABLES: dict[str, FigureTable] = {t.name: t for t in (
    FigureTable("headline", "the key figures above the tabs: new customers, revenue, margin, repeat-purchase "
                "rate, NPS (one row)",
                (("new_customers", COUNT), ("revenue", AMOUNT), ("margin", AMOUNT), ("repeat_purchase_rate", PERCENT),
                 ("repeat_buyers", COUNT), ("buyers", COUNT), ("nps", PERCENT), ("survey_answers", COUNT)),
                _headline),
    FigureTable("sales-by-month", "per month: receipts, units, revenue, cost, margin and active customers",
                (("month", TEXT), ("receipts", COUNT), ("units", COUNT), ("revenue", AMOUNT), ("cost", AMOUNT),
                 ("margin", AMOUNT), ("active_customers", COUNT)),
                _service_table(figures.monthly_sales, {
                    "Month": "month", "Receipts": "receipts", "Units": "units", "Revenue": "revenue",
                    "Cost": "cost", "Margin": "margin", "Active customers": "active_customers"})),
    FigureTable("sales-by-category", "per month and product category: units, revenue, cost, margin",
                (("month", TEXT), ("category", TEXT), ("units", COUNT), ("revenue", AMOUNT), ("cost", AMOUNT),
                 ("margin", AMOUNT)),
                _service_table(figures.sales_by_month, {
                    "Month": "month", "Category": "category", "Units": "units", "Revenue": "revenue",
                    "Cost": "cost", "Margin": "margin"})),
    FigureTable("products", "per product: units sold, revenue, cost, margin in the period and stock on hand "
                "(best sellers first)",
                (("sku", TEXT), ("product", TEXT), ("category", TEXT), ("stock", COUNT), ("units_sold", COUNT),
                 ("revenue", AMOUNT), ("cost", AMOUNT), ("margin", AMOUNT)),
                _service_table(figures.products, {
                    "SKU": "sku", "Product": "product", "Category": "category", "Stock": "stock",
                    "Units sold": "units_sold", "Revenue": "revenue", "Cost": "cost", "Margin": "margin"})),
    FigureTable("customer-trends", "per month: new, active and lost customers",
                (("month", TEXT), ("new_customers", COUNT), ("active_customers", COUNT), ("lost_customers", COUNT)),
                _service_table(figures.customer_trends, {"Month": "month", "New": "new_customers",
                                                         "Active": "active_customers", "Lost": "lost_customers"})),
    FigureTable("interactions", "interactions per month, department and channel",
                (("month", TEXT), ("department", TEXT), ("channel", TEXT), ("interactions", COUNT)),
                _service_table(figures.interaction_trends, {"Month": "month", "Department": "department",
                                                            "Channel": "channel", "Interactions": "interactions"})),
    _group_table("segment", "segment"),
    _group_table("country", "country"),
    _group_table("acquisition_source", "acquisition source"),
    FigureTable("purchase-behaviour", "customers by recency and frequency of purchase, with lifetime revenue "
                "and margin",
                (("recency", TEXT), ("frequency", TEXT), ("customers", COUNT), ("revenue", AMOUNT),
                 ("margin", AMOUNT)),
                _service_table(figures.rfm_groups, {"Recency": "recency", "Frequency": "frequency",
                                                    "Customers": "customers", "Revenue": "revenue",
                                                    "Margin": "margin"})),
    FigureTable("cohort-retention", "of the customers whose first purchase was in a month, how many bought "
                "again N months later (share in %)",
                (("cohort_month", TEXT), ("months_since_first_purchase", COUNT), ("customers", COUNT),
                 ("share_of_cohort", PERCENT)),
                _service_table(figures.cohort_retention, {
                    "Cohort": "cohort_month", "Months later": "months_since_first_purchase",
                    "Customers": "customers", "Retention %": "share_of_cohort"})),
    FigureTable("repeat-purchase", "customers who bought in the period, those who bought twice or more, and the "
                "repeat-purchase rate (%)",
                (("buyers", COUNT), ("repeat_buyers", COUNT), ("repeat_purchase_rate", PERCENT)), _repeat_purchase),
    FigureTable("survey-reasons", "survey answers per reason, for 'chose us first' and 'chose us again'",
                (("question", TEXT), ("reason", TEXT), ("answers", COUNT)),
                _survey_table("reasons", {"Question": "question", "Reason": "reason", "Answers": "answers"})),
    FigureTable("nps-by-month", "per month: promoters, detractors, answers, average score and NPS",
                (("month", TEXT), ("promoters", COUNT), ("detractors", COUNT), ("answers", COUNT),
                 ("average_score", SCORE), ("nps", PERCENT)),
                _survey_table("by_month", {"Month": "month", "Promoters": "promoters", "Detractors": "detractors",
                                           "Answers": "answers", "Average score": "average_score", "NPS": "nps"})),
    FigureTable("nps-by-segment", "per customer segment: promoters, detractors, answers and NPS",
                (("segment", TEXT), ("promoters", COUNT), ("detractors", COUNT), ("answers", COUNT),
                 ("nps", PERCENT)),
                _survey_table("by_segment", {"Segment": "segment", "Promoters": "promoters",
                                             "Detractors": "detractors", "Answers": "answers", "NPS": "nps"})),
    FigureTable("comment-themes", "the words survey comments use most",
                (("word", TEXT), ("mentions", COUNT)),
                _survey_table("themes", {"Word": "word", "Mentions": "mentions"})),
    FigureTable("lifetime-value", "customers who bought, their lifetime revenue and the average revenue per "
                "customer (one row)",
                (("customers", COUNT), ("revenue", AMOUNT), ("average_revenue", AMOUNT)),
                _lifetime_totals),
    FigureTable("top-customers", "the customers with the highest lifetime revenue", CUSTOMER_KINDS,
                _lifetime_table("top")),
    FigureTable("bottom-customers", "the customers with the lowest lifetime revenue", CUSTOMER_KINDS,
                _lifetime_table("bottom")),
)}


def read_table(actor: Actor, name: str, f: InsightFilters, *, session: Session) -> pd.DataFrame:
    """The figure ``name`` for the filters ``f``, as ``actor`` (each figure service checks insights.read).

    Raises ``KeyError`` for a name not in ``TABLES``."""
    require(actor, "insights.read")
    table = TABLES[name]
    return table.read(actor, f, session)[table.keys]
