"""Insights: trends, customer groups, why customers choose us, sales statistics, lifetime value."""
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from crm.insights import figures as insights
from crm.core.access import can
from crm.core.i18n import N_, _, is_missing, label, money, month, ngettext, number, percent
from crm.core.spreadsheet import frame_csv_bytes
from crm.insights.surveys import find_customers, record_survey
from ui.charts import chart, key_numbers
from ui.context import actor, call
from ui.formatting import dataframe, readable
from ui.lists import managed

who = actor()
ANY = "(all)"
DEPTS, CHANS = managed("departments"), managed("channels")
GROUP_LISTS = (managed("segments"), managed("acquisition_sources"), managed("reasons"))
# Every figure is read as the signed-in user: the service checks their right on every call, then takes the figure
# from the cache it shares with every reader for a minute (see crm.insights.figures). The figures are data only
# (English column names and codes, the same in every language); labels are translated below, where shown.
GROUP_BY = {"segment": N_("Segment"), "country": N_("Country"), "acquisition_source": N_("Acquisition source")}
MONTH_COLUMNS = {"Month", "Cohort"}  # 'YYYY-MM' columns of the figures
TREND_SERIES = {"New": N_("New customers"), "Active": N_("Active customers"), "Lost": N_("Lost customers")}


def read(figure: Callable[..., Any], **options: Any) -> Any:
    """``figure`` for the chosen filters, as the signed-in user (the page stops with the service's message
    if it refuses)."""
    value = call(figure, filters, cache=insights.SHARED_FIGURES, **options)
    if value is None:
        st.stop()
    return value


def any_label(value: str, labels: dict[str, str] | None = None) -> str:
    if value == ANY:
        return _("(all)")
    return label(labels, value) if labels else value


def group_label(value: str) -> str:
    """A segment, acquisition source or reason as its managed list names it (else as stored)."""
    for values in GROUP_LISTS:
        if value in values:
            return values.label(value)
    return value


def labelled(frame: pd.DataFrame, *columns: str, months: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy with the labels in ``columns`` translated (they come from the code, never from customers),
    and a readable month name next to each 'YYYY-MM' column in ``months`` (``<column> label``)."""
    out = frame.copy()
    for col in columns:
        if col == "Department":
            out[col] = out[col].map(DEPTS.listed)
        elif col == "Channel":
            out[col] = out[col].map(CHANS.listed)
        elif col in ("Group", "Reason", "Segment"):  # customer data (labelled by its managed list), or '(none)'
            out[col] = out[col].map(lambda v: _(insights.NONE) if v == insights.NONE else group_label(v))
        else:
            out[col] = out[col].map(_)
    for col in months:
        out[f"{col} label"] = out[col].map(month)
    return out


def month_axis(frame: pd.DataFrame, column: str = "Month", title: str | None = None, channel=alt.X):  # noqa: ANN001
    """Months in the user's language, in calendar order."""
    order = list(dict.fromkeys(frame.sort_values(column)[f"{column} label"])) if not frame.empty else []
    return channel(f"{column} label:O", sort=order, title=title or _("Month"))


def tips(*fields: str) -> list[alt.Tooltip]:
    """Tooltips titled in the user's language ('Month' shows the month name)."""
    return [alt.Tooltip(f"{f} label:N" if f in ("Month", "Cohort") else f, title=_(f)) for f in fields]


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its headers in the user's language, months named as the language names them ('Nov 2026',
    not '2026-11'), missing values empty, without helper columns: as shown, and as downloaded."""
    out = frame.drop(columns=[c for c in frame.columns if c.endswith(" label")])
    for column in MONTH_COLUMNS.intersection(out.columns):
        out[column] = out[column].map(lambda v: "" if is_missing(v) else month(v))
    return readable(out).rename(columns=_)


def download(frame: pd.DataFrame, name: str) -> None:
    st.download_button(_("Download data (CSV)"), frame_csv_bytes(table(frame)),
                       file_name=f"{name}.csv", mime="text/csv", key=f"dl_{name}")


st.title(_("Insights"))
choices = call(insights.filter_values)
if choices is None:  # refused: the service said why
    st.stop()
c1, c2, c3, c4 = st.columns(4)
default = insights.InsightFilters.last_months(12)
period = c1.date_input(_("Period"), value=(default.date_from, default.date_to))
segment = c2.selectbox(_("Segment"), [ANY, *choices["segment"]],
                       format_func=lambda v: any_label(v) if v == ANY else group_label(v))
country = c3.selectbox(_("Country"), [ANY, *choices["country"]], format_func=any_label)
department = c4.selectbox(_("Department"), [ANY, *DEPTS.offered()],
                          format_func=lambda d: any_label(d) if d == ANY else DEPTS.label(d))
if not isinstance(period, tuple) or len(period) != 2:
    st.info(_("Choose the end of the period."))
    st.stop()
filters = insights.InsightFilters(period[0], period[1], segment=None if segment == ANY else segment,
                                  country=None if country == ANY else country,
                                  department=None if department == ANY else department)

trends = read(insights.customer_trends)
sales = read(insights.sales_by_month)
rate, repeaters, buyers = read(insights.repeat_purchase_rate)
nps, answers = read(insights.nps)
k1, k2, k3, k4, k5 = st.columns(5)
k1.metric(_("New customers"), number(int(trends["New"].sum())))
k2.metric(_("Revenue"), money(sales["Revenue"].sum(), digits=0))
k3.metric(_("Margin"), money(sales["Margin"].sum(), digits=0))
k4.metric(_("Repeat-purchase rate"), percent(None if rate is None else rate / 100, 1),
          help=ngettext("{repeaters} of {buyers} buyer bought twice or more",
                        "{repeaters} of {buyers} buyers bought twice or more", buyers).format(
              repeaters=number(repeaters), buyers=number(buyers)))
k5.metric(_("NPS"), number(nps, 1),
          help=ngettext("{n} survey answer", "{n} survey answers", answers).format(n=number(answers)))



def show_trends() -> None:
    st.caption(_("New: first purchase in the month. Active: bought in the month. Lost: former customers, by the "
                 "month of their last purchase."))
    series = trends.rename(columns=TREND_SERIES)  # series named in full: "New customers", ...
    long = labelled(series.melt("Month", var_name="Customers", value_name="Count"), "Customers", months=("Month",))
    chart(alt.Chart(long).mark_line(point=True).encode(
        x=month_axis(long), y=alt.Y("Count:Q", title=_("Customers")),
        color=alt.Color("Customers:N", title=_("Customers"), sort=[_(s) for s in TREND_SERIES.values()]),
        tooltip=[*tips("Month", "Customers"), alt.Tooltip("Count:Q", title=_("Count"))]),
        _("New, active and lost customers per month"), key_numbers(long, "Customers", "Count", total=False))
    download(series, "customer-trends")
    inter = read(insights.interaction_trends)
    if not inter.empty:
        inter = labelled(inter, "Department", "Channel", months=("Month",))
        chart(alt.Chart(inter).mark_bar().encode(
            x=month_axis(inter), y=alt.Y("sum(Interactions):Q", title=_("Interactions")),
            color=alt.Color("Department:N", title=_("Department")),
            tooltip=tips("Month", "Department", "Channel", "Interactions")),
            _("Interactions per month by department and channel"), key_numbers(inter, "Month label", "Interactions"))
        download(inter, "interactions")


def show_groups() -> None:
    by = st.radio(_("Group by"), list(GROUP_BY), horizontal=True, format_func=lambda g: _(GROUP_BY[g]))
    groups = labelled(read(insights.buyers_by_group, by=by), "Group")
    chart(alt.Chart(groups).mark_bar().encode(
        x=alt.X("Group:N", sort="-y", title=_(GROUP_BY[by])), y=alt.Y("Revenue:Q", title=_("Revenue")),
        tooltip=[alt.Tooltip("Group", title=_(GROUP_BY[by])), *tips("Customers", "Revenue", "Margin")]),
        _("Revenue by {group}").format(group=_(GROUP_BY[by])), key_numbers(groups, "Group", "Revenue"))
    download(groups, f"groups-{by}")
    rfm = labelled(read(insights.rfm_groups), "Recency", "Frequency")
    cells = rfm.assign(Cell=rfm["Recency"] + " · " + rfm["Frequency"])
    chart(alt.Chart(rfm).mark_rect().encode(
        x=alt.X("Frequency:N", title=_("Frequency"), sort=[_(v) for v in reversed(insights.FREQUENCY)]),
        y=alt.Y("Recency:N", title=_("Recency"), sort=[_(v) for v in insights.RECENCY]),
        color=alt.Color("Customers:Q", title=_("Customers")),
        tooltip=tips("Recency", "Frequency", "Customers", "Revenue", "Margin")),
        _("Purchase behaviour (recency × frequency)"), key_numbers(cells, "Cell", "Customers"))
    download(rfm, "rfm")
    st.markdown(_("**Cohort retention** — of customers acquired in a month, the share who bought again later"))
    cohorts = read(insights.cohort_retention)
    if not cohorts.empty:
        cohorts = labelled(cohorts, months=("Cohort",))
        chart(alt.Chart(cohorts).mark_rect().encode(
            x=alt.X("Months later:O", title=_("Months later")), y=month_axis(cohorts, "Cohort", _("Cohort"), channel=alt.Y),
            color=alt.Color("Retention %:Q", title=_("Retention %")),
            tooltip=tips("Cohort", "Months later", "Customers", "Cohort size", "Retention %")),
            _("Retention % by cohort (average)"), key_numbers(cohorts, "Cohort label", "Retention %", average=True, digits=1))
    download(cohorts, "cohorts")


def show_reasons() -> None:
    survey = read(insights.survey_summary)
    reasons = labelled(survey.reasons, "Reason", "Question")
    if not reasons.empty:
        chart(alt.Chart(reasons).mark_bar().encode(
            y=alt.Y("Reason:N", sort="-x", title=_("Reason")), x=alt.X("Answers:Q", title=_("Answers")),
            color=alt.Color("Question:N", title=_("Question")), yOffset="Question:N",
            tooltip=tips("Question", "Reason", "Answers")),
            _("Why customers chose us, first and again"), key_numbers(reasons, "Reason", "Answers"))
    download(reasons, "survey-reasons")
    left, right = st.columns(2)
    with left:
        by_month = labelled(survey.by_month, months=("Month",))
        if not by_month.empty:
            chart(alt.Chart(by_month).mark_line(point=True).encode(
                x=month_axis(by_month), y=alt.Y("NPS:Q", title=_("NPS")),
                tooltip=tips("Month", "NPS", "Answers", "Average score")),
                _("NPS over time"), key_numbers(by_month, "Month label", "NPS", average=True, digits=1))
        download(by_month, "nps-by-month")
    with right:
        by_segment = labelled(survey.by_segment, "Segment")
        if not by_segment.empty:
            chart(alt.Chart(by_segment).mark_bar().encode(
                x=alt.X("Segment:N", title=_("Segment")), y=alt.Y("NPS:Q", title=_("NPS")),
                tooltip=tips("Segment", "NPS", "Answers")),
                _("NPS by segment"), key_numbers(by_segment, "Segment", "NPS", average=True, digits=1))
        download(by_segment, "nps-by-segment")
    st.markdown(_("**What comments talk about**"))
    dataframe(table(survey.themes), hide_index=True, width="stretch")
    download(survey.themes, "comment-themes")


def show_sales() -> None:
    sales_shown = labelled(sales, months=("Month",))
    chart(alt.Chart(sales_shown).mark_bar().encode(
        x=month_axis(sales_shown), y=alt.Y("Revenue:Q", title=_("Revenue")),
        color=alt.Color("Category:N", title=_("Category")),
        tooltip=tips("Month", "Category", "Units", "Revenue", "Cost", "Margin")),
        _("Revenue per month by category"), key_numbers(sales_shown, "Month label", "Revenue"))
    download(sales, "sales-by-month")
    st.markdown(_("**Sales per month** — receipts, units, amounts and the customers who bought"))
    monthly = read(insights.monthly_sales)
    dataframe(table(monthly), hide_index=True, width="stretch")
    download(monthly, "sales-per-month")
    prods = read(insights.products)
    st.markdown(_("**Best sellers and stock on hand**"))
    chart(alt.Chart(prods.head(15)).mark_bar().encode(
        y=alt.Y("Product:N", sort="-x", title=_("Product")), x=alt.X("Revenue:Q", title=_("Revenue")),
        tooltip=tips("SKU", "Product", "Category", "Units sold", "Stock", "Revenue", "Margin")),
        _("Revenue of the 15 best sellers"), key_numbers(prods.head(15), "Product", "Revenue"))
    dataframe(table(prods), hide_index=True, width="stretch")
    download(prods, "products")


def show_lifetime_value() -> None:
    lv = read(insights.lifetime_value)
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Customers who bought"), number(lv.customers))
    m2.metric(_("Lifetime revenue"), money(lv.revenue, digits=0))
    m3.metric(_("Average revenue per customer"), money(lv.average_revenue))
    st.markdown(_("**Top customers**"))
    chart(alt.Chart(lv.top).mark_bar().encode(
        y=alt.Y("Customer:N", sort="-x", title=_("Customer")), x=alt.X("Revenue:Q", title=_("Revenue")),
        tooltip=tips("Customer", "Company", "Revenue", "Cost", "Margin")),
        _("Revenue of the top customers"), key_numbers(lv.top, "Customer", "Revenue"))
    dataframe(table(lv.top), hide_index=True, width="stretch")
    download(lv.top, "top-customers")
    st.markdown(_("**Bottom customers**"))
    dataframe(table(lv.bottom), hide_index=True, width="stretch")
    download(lv.bottom, "bottom-customers")


def show_survey_answers() -> None:
    if not can(who, "surveys.write"):
        st.caption(_("Recording survey answers is for customer-facing departments."))
    else:
        find = st.text_input(_("Find the customer"), key="survey_find")
        options = dict(call(find_customers, find) or []) if find.strip() else {}
        with st.form("survey", clear_on_submit=True):
            cid = st.selectbox(_("Customer"), list(options), format_func=options.get, index=0 if options else None)
            score = st.slider(_("How likely to recommend us (0-10)"), 0, 10, 8)
            first = st.text_input(_("Why they chose us first"))
            again = st.text_input(_("Why they chose us again"))
            comment = st.text_area(_("Comment"))
            if st.form_submit_button(_("Record answer")):
                if cid is None:
                    st.error(_("Nothing was saved. Choose the customer first."))
                elif call(record_survey, cid, score=score, reason_first=first, reason_again=again, comment=comment):
                    st.success(_("Answer recorded; the figures include it within a minute."))
    if can(who, "data.import"):
        st.caption(_("Files of survey answers are imported on the Import page (kind: Survey answers), with a "
                     "report of every row and a revert."))


# Only the open tab is computed: its figures are read when the user opens it.
tabs = st.tabs([_("Trends"), _("Customer groups"), _("Why customers choose us"), _("Sales"), _("Lifetime value"),
                _("Survey answers")], key="insights_tab", on_change="rerun")
for tab, show in zip(tabs, (show_trends, show_groups, show_reasons, show_sales, show_lifetime_value,
                            show_survey_answers)):
    if tab.open:
        with tab:
            show()
