"""Budget: goal-based plans per fiscal year and scenario, lines, workflow, comparisons, export."""
import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from crm import budget
from crm.access import can
from ui.context import actor, call

CATEGORY_NAMES = {
    "marketing": "Marketing",
    "products": "Products",
    "customer_service": "Customer service",
    "maintenance": "Maintenance",
    "training": "Training",
}
KPI_NAMES = {
    "new_customers": "New customers",
    "retention_rate": "Retention rate (%)",
    "nps": "NPS",
    "repeat_revenue": "Revenue from repeat customers",
    "support_response": "Support response (hours)",
    "custom": "Custom (not measured)",
}
STATUS_NAMES = {"draft": "Draft", "submitted": "Submitted", "approved": "Approved", "returned": "Returned"}
AMOUNTS = list(budget.QUARTERS + budget.ACTUALS)
AMOUNT_LABELS = {"q1": "Plan Q1", "q2": "Plan Q2", "q3": "Plan Q3", "q4": "Plan Q4",
                 "actual_q1": "Actual Q1", "actual_q2": "Actual Q2", "actual_q3": "Actual Q3",
                 "actual_q4": "Actual Q4"}

who = actor()
if not can(who, "budget.read"):
    st.error("Your role does not allow this: see budget plans (budget.read).")
    st.stop()
may_write = can(who, "budget.write")
may_approve = can(who, "budget.approve")

st.title("Budget")
st.caption("Plan from goals: every spend should serve a goal whose progress the portal measures.")

flash = st.session_state.pop("budget_flash", None)
if flash:
    st.success(flash)


def done(message: str, plan_id: int | None = None) -> None:
    st.session_state["budget_flash"] = message
    if plan_id is not None:
        st.session_state["budget_plan_id"] = plan_id
    st.rerun()


def money(value) -> str:
    return "—" if value is None else f"{float(value):,.2f}"


plans = call(budget.list_plans) or []

if may_write:
    with st.expander("New plan", expanded=not plans):
        with st.form("budget_new_plan"):
            year = st.number_input("Fiscal year", min_value=2000, max_value=2100, value=dt.date.today().year)
            name = st.text_input("Name", value=f"CRM budget {dt.date.today().year}")
            scenario = st.text_input("Scenario", value="Base")
            ceiling = st.text_input("Ceiling (optional)")
            if st.form_submit_button("Create plan"):
                new_id = call(budget.create_plan, fiscal_year=int(year), name=name, scenario=scenario,
                              ceiling=ceiling or None)
                if new_id:
                    done("Plan created.", new_id)

if not plans:
    st.info("There are no budget plans yet.")
    st.stop()


def label(p: budget.PlanSummary) -> str:
    flag = " (superseded)" if p.superseded else ""
    return f"FY {p.fiscal_year} · {p.scenario} · revision {p.revision} · {STATUS_NAMES.get(p.status, p.status)}{flag}"


by_id = {p.id: p for p in plans}
current_ids = [p.id for p in plans if not p.superseded] + [p.id for p in plans if p.superseded]
wanted = st.session_state.get("budget_plan_id")
index = current_ids.index(wanted) if wanted in current_ids else 0
plan_id = st.selectbox("Plan", current_ids, index=index, format_func=lambda i: label(by_id[i]))
st.session_state["budget_plan_id"] = plan_id

view = call(budget.get_plan, plan_id)
if view is None:
    st.stop()

st.header(view.name)
status_text = STATUS_NAMES.get(view.status, view.status)
if view.superseded:
    st.info(f"Revision {view.revision} is kept for history; a newer revision replaces it.")
if view.status == "approved":
    st.success(f"Approved by {view.decided_by or 'a sponsor'} and locked. "
               + (f"Comment: {view.decision_comment}" if view.decision_comment else ""))
elif view.status == "returned":
    st.warning(f"Returned by {view.decided_by or 'a sponsor'}: {view.decision_comment}")
elif view.status == "submitted":
    st.info("Submitted: waiting for a sponsor's decision.")

cols = st.columns(4)
cols[0].metric("Status", status_text)
cols[1].metric("Planned", money(view.planned_total))
cols[2].metric("Ceiling", money(view.ceiling))
cols[3].metric("Actual so far", money(view.actual_total))
if view.ceiling is not None and view.planned_total > view.ceiling:
    st.error(f"The planned total is over the ceiling by {money(view.planned_total - view.ceiling)}.")

# ------------------------------------------------------------------ workflow
if may_write and not view.superseded:
    buttons = st.columns(3)
    if view.editable and buttons[0].button("Submit for approval"):
        if call(budget.submit_plan, plan_id, view.version):
            done("Plan submitted for approval.")
    if view.status in ("approved", "returned") and buttons[1].button("New revision"):
        new_id = call(budget.new_revision, plan_id)
        if new_id:
            done("A new draft revision was created; the previous one is kept.", new_id)
    with buttons[2].popover("Copy as scenario"):
        scenario_name = st.text_input("Scenario name", key="budget_copy_scenario")
        if st.button("Copy plan"):
            new_id = call(budget.copy_plan, plan_id, scenario=scenario_name)
            if new_id:
                done(f"Scenario '{scenario_name}' created.", new_id)

if may_approve and view.status == "submitted" and not view.superseded:
    st.subheader("Decision")
    comment = st.text_area("Comment (required to return the plan)", key="budget_decision_comment")
    left, right = st.columns(2)
    if left.button("Approve plan", type="primary"):
        if call(budget.approve_plan, plan_id, view.version, comment):
            done("Plan approved and locked.")
    if right.button("Return plan"):
        if call(budget.return_plan, plan_id, view.version, comment):
            done("Plan returned to the budget officer.")

# ------------------------------------------------------------------ goals
st.subheader("Goals")
if view.goals:
    st.dataframe(pd.DataFrame([{
        "Goal": g.title, "KPI": KPI_NAMES.get(g.kpi, g.kpi),
        "Baseline": None if g.baseline is None else float(g.baseline),
        "Now": None if g.current is None else float(g.current),
        "Target": float(g.target), "Deadline": g.deadline,
        "Progress %": None if g.progress is None else round(100 * g.progress, 1),
        "Planned cost": float(g.cost),
    } for g in view.goals]), hide_index=True, width="stretch")
else:
    st.info("This plan has no goals yet. The goal-based approach starts here.")

if may_write and view.editable:
    with st.expander("Edit goals"):
        goals_df = pd.DataFrame([{"id": g.id, "title": g.title, "kpi": g.kpi, "baseline": g.baseline,
                                  "target": g.target, "deadline": g.deadline, "unit": g.unit}
                                 for g in view.goals],
                                columns=["id", "title", "kpi", "baseline", "target", "deadline", "unit"])
        for c in ("baseline", "target"):
            goals_df[c] = pd.to_numeric(goals_df[c], errors="coerce")
        goals_df["deadline"] = pd.to_datetime(goals_df["deadline"])
        edited_goals = st.data_editor(
            goals_df, key=f"budget_goals_{plan_id}_{view.version}", num_rows="dynamic", hide_index=True,
            column_config={
                "id": None,
                "title": st.column_config.TextColumn("Goal", required=True),
                "kpi": st.column_config.SelectboxColumn("KPI", options=list(budget.KPIS), required=True),
                "baseline": st.column_config.NumberColumn("Baseline (empty = measure now)"),
                "target": st.column_config.NumberColumn("Target", required=True),
                "deadline": st.column_config.DateColumn("Deadline"),
                "unit": st.column_config.TextColumn("Unit"),
            },
        )
        if st.button("Save goals"):
            rows = edited_goals.astype(object).where(edited_goals.notna(), None).to_dict("records")
            if call(budget.save_goals, plan_id, view.version, rows) is not None:
                done("Goals saved.")

# ------------------------------------------------------------------ lines
st.subheader("Budget lines")
goal_titles = [g.title for g in view.goals]
lines_df = pd.DataFrame(view.lines, columns=["category", "description", "goal", *AMOUNTS])
for c in AMOUNTS:
    lines_df[c] = pd.to_numeric(lines_df[c]).astype(float)
amount_config = {c: st.column_config.NumberColumn(AMOUNT_LABELS[c], min_value=0.0, format="%.2f")
                 for c in AMOUNTS}

if may_write and view.editable:
    key = f"budget_lines_{plan_id}_{view.version}"
    st.data_editor(
        lines_df, key=key, num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "category": st.column_config.SelectboxColumn("Category", options=list(budget.CATEGORIES),
                                                         required=True),
            "description": st.column_config.TextColumn("Description", required=True, max_chars=300),
            "goal": st.column_config.SelectboxColumn("Goal", options=goal_titles),
            **amount_config,
        },
    )
    st.caption("Changes are kept only when you press Save. The whole table is checked first; "
               "if anything is wrong nothing is saved.")
    if st.button("Save", type="primary"):
        edits = st.session_state.get(key, {})
        result = call(budget.save_lines, plan_id, view.version,
                      edited_rows=edits.get("edited_rows", {}), added_rows=edits.get("added_rows", []),
                      deleted_rows=edits.get("deleted_rows", []))
        if result is not None:
            done("Budget lines saved.")
elif may_write and view.status == "approved" and not view.superseded:
    st.caption("The plan is locked; only actual spend can be recorded.")
    key = f"budget_actuals_{plan_id}_{view.version}"
    st.data_editor(lines_df, key=key, hide_index=True, width="stretch",
                   disabled=["category", "description", "goal", *budget.QUARTERS],
                   column_config={"category": "Category", "description": "Description", "goal": "Goal",
                                  **amount_config})
    if st.button("Save actuals"):
        edits = st.session_state.get(key, {}).get("edited_rows", {})
        actuals = {view.lines[int(pos)]["id"]: values for pos, values in edits.items()}
        if call(budget.record_actuals, plan_id, view.version, actuals) is not None:
            done("Actual spend saved.")
else:
    st.dataframe(lines_df.rename(columns={"category": "Category", "description": "Description",
                                          "goal": "Goal", **AMOUNT_LABELS}),
                 hide_index=True, width="stretch")

if view.unjustified:
    names = ", ".join(f"'{line['description']}'" for line in view.unjustified)
    st.warning(f"{len(view.unjustified)} line(s) serve no goal: {names}. "
               "Goal-based planning wants every spend justified by a goal.")

# ------------------------------------------------------------------ analysis
tab_hist, tab_var, tab_charts, tab_rev, tab_export = st.tabs(
    ["Vs last year", "Plan vs actual", "Charts", "Revisions and scenarios", "Export"])

with tab_hist:
    hist = call(budget.vs_last_year, plan_id)
    if hist is not None:
        if hist["last_year_actual"].isna().all():
            st.info(f"There is no approved plan for fiscal year {view.fiscal_year - 1} to compare with.")
        shown = pd.DataFrame({
            "Category": hist["category"].map(CATEGORY_NAMES),
            "This plan": hist["plan"].astype(float),
            f"Actual FY {view.fiscal_year - 1}": pd.to_numeric(hist["last_year_actual"]).astype(float),
            "Change": pd.to_numeric(hist["change"]).astype(float),
            "Change %": pd.to_numeric(hist["change_pct"]).round(1),
        })
        st.dataframe(shown, hide_index=True, width="stretch")
        st.caption("The historical approach repeats last year's spending; differences show where this "
                   "plan follows its goals instead.")

with tab_var:
    var = call(budget.variance, plan_id)
    if var is not None and not var.empty:
        shown = pd.DataFrame({
            "Category": var["category"].map(CATEGORY_NAMES), "Line": var["description"],
            "Goal": var["goal"], "Quarter": var["quarter"],
            "Plan": var["plan"].astype(float), "Actual": var["actual"].astype(float),
            "Variance": var["variance"].astype(float), "Over-spend": var["over_spend"],
        })
        over = int(shown["Over-spend"].sum())
        if over:
            st.error(f"{over} line-quarter(s) are over-spent.")

        def highlight(row: pd.Series) -> list[str]:
            style = "background-color: #f8d7da; color: #721c24" if row["Over-spend"] else ""
            return [style] * len(row)

        st.dataframe(shown.style.apply(highlight, axis=1).format(
            {"Plan": "{:,.2f}", "Actual": "{:,.2f}", "Variance": "{:,.2f}"}),
            hide_index=True, width="stretch")

with tab_charts:
    if view.lines:
        frame = pd.DataFrame(view.lines)
        frame["Category"] = frame["category"].map(CATEGORY_NAMES)
        frame["Goal"] = frame["goal"].fillna("(no goal)")
        frame["Planned"] = frame["planned"].astype(float)
        by_cat = frame.groupby("Category", as_index=False)["Planned"].sum()
        st.altair_chart(alt.Chart(by_cat, title="Planned spend by category").mark_bar().encode(
            x=alt.X("Planned:Q"), y=alt.Y("Category:N", sort="-x")), width="stretch")
        by_goal = frame.groupby("Goal", as_index=False)["Planned"].sum()
        st.altair_chart(alt.Chart(by_goal, title="Planned spend by goal").mark_bar().encode(
            x=alt.X("Planned:Q"), y=alt.Y("Goal:N", sort="-x")), width="stretch")
        quarters = []
        for q in budget.QUARTERS:
            quarters.append({"Quarter": q.upper(), "Kind": "Plan", "Amount": float(frame[q].astype(float).sum())})
            quarters.append({"Quarter": q.upper(), "Kind": "Actual",
                             "Amount": float(frame[f"actual_{q}"].astype(float).sum())})
        st.altair_chart(alt.Chart(pd.DataFrame(quarters), title="Plan vs actual by quarter").mark_bar().encode(
            x="Quarter:N", xOffset="Kind:N", y="Amount:Q", color="Kind:N"), width="stretch")
        measured = [{"Goal": g.title, "Planned cost": float(g.cost), "Progress %": round(100 * g.progress, 1)}
                    for g in view.goals if g.progress is not None]
        if measured:
            st.altair_chart(alt.Chart(pd.DataFrame(measured), title="Cost per goal vs progress")
                            .mark_circle(size=120).encode(x="Planned cost:Q", y="Progress %:Q",
                                                          tooltip=["Goal", "Planned cost", "Progress %"]),
                            width="stretch")
        else:
            st.caption("No goal has measurable progress yet.")
    else:
        st.info("Add budget lines to see charts.")

with tab_rev:
    history = call(budget.revisions, plan_id) or []
    st.dataframe(pd.DataFrame([{"Revision": r.revision, "Status": STATUS_NAMES.get(r.status, r.status),
                                "Superseded": r.superseded, "Planned": float(r.planned)} for r in history]),
                 hide_index=True, width="stretch")
    others = [p.id for p in plans if p.id != plan_id]
    if others:
        other = st.selectbox("Compare with", others, format_func=lambda i: label(by_id[i]))
        cmp = call(budget.compare_plans, plan_id, other)
        if cmp is not None:
            st.dataframe(pd.DataFrame({
                "Level": cmp["level"], "Category": cmp["category"].map(CATEGORY_NAMES).fillna(""),
                "Line": cmp["line"], "This plan": cmp["a"].astype(float),
                "Other plan": cmp["b"].astype(float), "Difference": cmp["difference"].astype(float),
            }), hide_index=True, width="stretch")

with tab_export:
    stem = f"budget_{view.fiscal_year}_{view.scenario}_rev{view.revision}".replace(" ", "_")
    csv_bytes = call(budget.export_csv, plan_id)
    if csv_bytes is not None:
        st.download_button("Download CSV", csv_bytes, file_name=f"{stem}.csv", mime="text/csv")
    xlsx_bytes = call(budget.export_xlsx, plan_id)
    if xlsx_bytes is not None:
        st.download_button("Download Excel", xlsx_bytes, file_name=f"{stem}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
