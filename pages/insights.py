"""Insights: trends, customer groups, why customers choose us, sales statistics, lifetime value."""
import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from crm import insights
from crm.access import DEPARTMENTS, Actor, can, require
from crm.config import database_url
from crm.database import session_scope
from crm.errors import CRMError
from crm.surveys import find_customers, import_surveys, record_survey
from ui.context import actor, call

who = actor()
ANY = "(all)"
# The figures are the same for everybody allowed to see them: computed as a neutral reader and cached per filter
# for a minute. The signed-in user's own right is checked first, on every run.
READER = Actor(None, "insights", "Insights", "management", "sponsor", source="page")


@st.cache_data(ttl=60, show_spinner=False)
def figures(name: str, date_from: dt.date, date_to: dt.date, segment, country, department, database: str = "",
            **extra):
    f = insights.Filters(date_from, date_to, segment, country, department)
    with session_scope(database or None) as session:
        return getattr(insights, name)(READER, f, session=session, **extra)


def download(frame: pd.DataFrame, name: str) -> None:
    st.download_button("Download data (CSV)", frame.to_csv(index=False).encode("utf-8"), file_name=f"{name}.csv",
                       mime="text/csv", key=f"dl_{name}")


st.title("Insights")
try:
    require(who, "insights.read")
except CRMError as exc:
    st.error(exc.message)
    st.stop()

choices = call(insights.filter_values) or {"segment": [], "country": []}
c1, c2, c3, c4 = st.columns(4)
default = insights.Filters.last_months(12)
period = c1.date_input("Period", value=(default.date_from, default.date_to))
segment = c2.selectbox("Segment", [ANY, *choices["segment"]])
country = c3.selectbox("Country", [ANY, *choices["country"]])
department = c4.selectbox("Department", [ANY, *DEPARTMENTS], format_func=lambda d: DEPARTMENTS.get(d, d))
if not isinstance(period, tuple) or len(period) != 2:
    st.info("Choose the end of the period.")
    st.stop()
key = dict(date_from=period[0], date_to=period[1], segment=None if segment == ANY else segment,
           country=None if country == ANY else country, department=None if department == ANY else department,
           database=database_url())

trends = figures("customer_trends", **key)
sales = figures("sales_by_month", **key)
rate, repeaters, buyers = figures("repeat_purchase_rate", **key)
survey = figures("survey_summary", **key)
k1, k2, k3, k4, k5 = st.columns(5)
k1.metric("New customers", int(trends["New"].sum()))
k2.metric("Revenue", f"{sales['Revenue'].sum():,.0f}")
k3.metric("Margin", f"{sales['Margin'].sum():,.0f}")
k4.metric("Repeat-purchase rate", "—" if rate is None else f"{rate}%", help=f"{repeaters} of {buyers} buyers bought twice or more")
k5.metric("NPS", "—" if survey["nps"] is None else survey["nps"], help=f"{survey['answers']} survey answers")

tabs = st.tabs(["Trends", "Customer groups", "Why customers choose us", "Sales", "Lifetime value", "Survey answers"])

with tabs[0]:
    st.caption("New: first purchase in the month. Active: bought in the month. Lost: former customers, by the month "
               "of their last purchase.")
    long = trends.melt("Month", var_name="Customers", value_name="Count")
    st.altair_chart(alt.Chart(long).mark_line(point=True).encode(
        x="Month:O", y="Count:Q", color="Customers:N", tooltip=["Month", "Customers", "Count"]), width="stretch")
    download(trends, "customer-trends")
    inter = figures("interaction_trends", **key)
    if not inter.empty:
        st.markdown("**Interactions per month by department and channel**")
        st.altair_chart(alt.Chart(inter).mark_bar().encode(
            x="Month:O", y="sum(Interactions):Q", color="Department:N",
            tooltip=["Month", "Department", "Channel", "Interactions"]), width="stretch")
        download(inter, "interactions")

with tabs[1]:
    by = st.radio("Group by", ["segment", "country", "acquisition_source"], horizontal=True,
                  format_func=lambda g: g.replace("_", " ").capitalize())
    groups = figures("customer_groups", by=by, **key)
    st.altair_chart(alt.Chart(groups).mark_bar().encode(
        x=alt.X("Group:N", sort="-y"), y="Revenue:Q", tooltip=["Group", "Customers", "Revenue", "Margin"]),
        width="stretch")
    download(groups, f"groups-{by}")
    st.markdown("**Purchase behaviour (recency × frequency)**")
    rfm = figures("rfm_groups", **key)
    st.altair_chart(alt.Chart(rfm).mark_rect().encode(
        x="Frequency:N", y="Recency:N", color="Customers:Q",
        tooltip=["Recency", "Frequency", "Customers", "Revenue", "Margin"]), width="stretch")
    download(rfm, "rfm")
    st.markdown("**Cohort retention** — of customers acquired in a month, the share who bought again later")
    cohorts = figures("cohort_retention", **key)
    if not cohorts.empty:
        st.altair_chart(alt.Chart(cohorts).mark_rect().encode(
            x="Months later:O", y="Cohort:O", color="Retention %:Q",
            tooltip=["Cohort", "Months later", "Customers", "Cohort size", "Retention %"]), width="stretch")
    download(cohorts, "cohorts")

with tabs[2]:
    reasons = survey["reasons"]
    if not reasons.empty:
        st.altair_chart(alt.Chart(reasons).mark_bar().encode(
            y=alt.Y("Reason:N", sort="-x"), x="Answers:Q", color="Question:N", yOffset="Question:N",
            tooltip=["Question", "Reason", "Answers"]), width="stretch")
    download(reasons, "survey-reasons")
    left, right = st.columns(2)
    with left:
        st.markdown("**NPS over time**")
        if not survey["by_month"].empty:
            st.altair_chart(alt.Chart(survey["by_month"]).mark_line(point=True).encode(
                x="Month:O", y="NPS:Q", tooltip=["Month", "NPS", "Answers", "Average score"]), width="stretch")
        download(survey["by_month"], "nps-by-month")
    with right:
        st.markdown("**NPS by segment**")
        if not survey["by_segment"].empty:
            st.altair_chart(alt.Chart(survey["by_segment"]).mark_bar().encode(
                x="Segment:N", y="NPS:Q", tooltip=["Segment", "NPS", "Answers"]), width="stretch")
        download(survey["by_segment"], "nps-by-segment")
    st.markdown("**What comments talk about**")
    st.dataframe(survey["themes"], hide_index=True, width="stretch")
    download(survey["themes"], "comment-themes")

with tabs[3]:
    st.altair_chart(alt.Chart(sales).mark_bar().encode(
        x="Month:O", y="Revenue:Q", color="Category:N",
        tooltip=["Month", "Category", "Units", "Revenue", "Cost", "Margin"]), width="stretch")
    download(sales, "sales-by-month")
    prods = figures("products", **key)
    st.markdown("**Best sellers and stock on hand**")
    st.altair_chart(alt.Chart(prods.head(15)).mark_bar().encode(
        y=alt.Y("Product:N", sort="-x"), x="Revenue:Q",
        tooltip=["SKU", "Product", "Category", "Units sold", "Stock", "Revenue", "Margin"]), width="stretch")
    st.dataframe(prods, hide_index=True, width="stretch")
    download(prods, "products")

with tabs[4]:
    lv = figures("lifetime_value", **key)
    summary = lv["summary"].iloc[0]
    m1, m2, m3 = st.columns(3)
    m1.metric("Customers who bought", int(summary["Customers"]))
    m2.metric("Lifetime revenue", f"{summary['Revenue']:,.0f}")
    m3.metric("Average revenue per customer", f"{summary['Average revenue']:,.2f}")
    st.markdown("**Top customers**")
    st.altair_chart(alt.Chart(lv["top"]).mark_bar().encode(
        y=alt.Y("Customer:N", sort="-x"), x="Revenue:Q", tooltip=["Customer", "Company", "Revenue", "Cost", "Margin"]),
        width="stretch")
    st.dataframe(lv["top"], hide_index=True, width="stretch")
    download(lv["top"], "top-customers")
    st.markdown("**Bottom customers**")
    st.dataframe(lv["bottom"], hide_index=True, width="stretch")
    download(lv["bottom"], "bottom-customers")

with tabs[5]:
    if not can(who, "surveys.write"):
        st.caption("Recording survey answers is for customer-facing departments.")
    else:
        find = st.text_input("Find the customer", key="survey_find")
        options = dict(call(find_customers, find) or []) if find.strip() else {}
        with st.form("survey", clear_on_submit=True):
            cid = st.selectbox("Customer", list(options), format_func=options.get, index=0 if options else None)
            score = st.slider("How likely to recommend us (0-10)", 0, 10, 8)
            first = st.text_input("Why they chose us first")
            again = st.text_input("Why they chose us again")
            comment = st.text_area("Comment")
            if st.form_submit_button("Record answer"):
                if cid is None:
                    st.error("Nothing was saved. Choose the customer first.")
                elif call(record_survey, cid, score=score, reason_first=first, reason_again=again, comment=comment):
                    st.success("Answer recorded; the figures include it within a minute.")
        upload = st.file_uploader("Import answers (CSV: customer_id, score, reason_first, reason_again, comment, "
                                  "answered_on)", type=["csv"])
        if upload is not None and st.button("Import answers"):
            count = call(import_surveys, upload.name, upload.getvalue())
            if count is not None:
                st.success(f"Imported {count} answers.")
