"""Budget: goal-based plans per fiscal year and scenario, lines, workflow, comparisons, export."""
import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from crm.budget import editing, export, plans, workflow
from crm.budget.codes import (ACTUALS, AMOUNT_LABELS, CATEGORY_LABELS, KPI_LABELS, KPIS, QUARTER_LABELS,
                              QUARTERS, PLAN_STATUSES, category_label)
from crm.core.access import can
from crm.core.database import session_scope
from crm.core.i18n import N_, _, get_currency, get_language, label, money, ngettext, number, percent, use_language
from ui.charts import chart, key_numbers
from ui.context import actor, call
from ui.columns import column_picker
from ui.formatting import data_editor, dataframe, date_column_format, readable

AMOUNTS = list(QUARTERS + ACTUALS)
LEVEL_LABELS = {"category": N_("Category"), "line": N_("Line"), "total": N_("Total")}


PLAN_CATEGORIES: dict[str, dict[str, str]] = {}  # the open plan's own categories (from its template)


def category_name(code: str | None) -> str:
    return category_label(PLAN_CATEGORIES, code) if code in PLAN_CATEGORIES else label(CATEGORY_LABELS, code)


def status_name(code: str) -> str:
    return label(PLAN_STATUSES, code)


def quarter_name(code: str) -> str:
    return label(QUARTER_LABELS, str(code).lower())


who = actor()
if not can(who, "budget.read"):
    st.error(_("Your role does not allow this: see budget plans (budget.read)."))
    st.stop()
may_write = can(who, "budget.write")
may_approve = can(who, "budget.approve")

st.title(_("Budget"))
st.caption(_("Plan from goals: every spend should serve a goal whose progress the portal measures."))

flash = st.session_state.pop("budget_flash", None)
if flash:
    st.success(flash)


def done(message: str | None, plan_id: int | None = None) -> None:
    if message:
        st.session_state["budget_flash"] = message
    if plan_id is not None:
        st.session_state["budget_plan_id"] = plan_id
    st.rerun()


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def amount_formatter(currency: str):
    """Money in the portal's currency, the way the user's language writes it (for table cells)."""
    return lambda v: "—" if is_missing(v) else money(v, currency)


def measure(v) -> str:
    """A KPI value (count, %, hours, points): whole numbers without decimals."""
    if is_missing(v):
        return "—"
    return number(v) if float(v) == int(float(v)) else number(v, 2)


def share(v) -> str:
    """A percentage value (12.5 means 12.5 %)."""
    return "—" if is_missing(v) else percent(float(v) / 100, 1)


def line_changes(edits: dict, lines: list[dict]) -> dict:
    """The table editor's edits (row positions) as the save service takes them (line and goal ids)."""
    def values(row: dict) -> dict:
        return {k: (None if is_missing(v) else v) for k, v in row.items() if k != "_index"}

    return {
        "changed": {lines[int(pos)]["id"]: values(row) for pos, row in edits.get("edited_rows", {}).items()},
        "added": [values(row) for row in edits.get("added_rows", [])],
        "deleted": [lines[int(pos)]["id"] for pos in edits.get("deleted_rows", [])],
    }


def on_click_export(build, plan_id: int):
    """The file of an export, made only when its download button is clicked (on Streamlit's own thread,
    so the signed-in user and language are taken along)."""
    who_now, language = who, get_language()

    def make() -> bytes:
        with use_language(language), session_scope() as session:
            return build(who_now, plan_id, session=session)

    return make


summaries = call(plans.list_plans) or []

if may_write:
    with st.expander(_("New plan"), expanded=not summaries):
        with st.form("budget_new_plan"):
            year = st.number_input(_("Fiscal year"), min_value=2000, max_value=2100, value=dt.date.today().year)
            name = st.text_input(_("Name"), value=_("CRM budget {year}").format(year=dt.date.today().year))
            scenario = st.text_input(_("Scenario"), value="Base")  # a stored name: "Base" is the main scenario
            ceiling = st.text_input(_("Ceiling (optional)"))
            if st.form_submit_button(_("Create plan")):
                new_id = call(plans.create_plan, fiscal_year=int(year), name=name, scenario=scenario,
                              ceiling=ceiling or None)
                if new_id:
                    done(_("Plan created."), new_id)

if not summaries:
    st.info(_("There are no budget plans yet."))
    st.stop()


def plan_label(p: plans.PlanSummary) -> str:
    if p.superseded:
        text = _("FY {year} · {scenario} · revision {revision} · {status} (superseded)")
    else:
        text = _("FY {year} · {scenario} · revision {revision} · {status}")
    return text.format(year=p.fiscal_year, scenario=p.scenario, revision=p.revision, status=status_name(p.status))


by_id = {p.id: p for p in summaries}
current_ids = [p.id for p in summaries if not p.superseded] + [p.id for p in summaries if p.superseded]
wanted = st.session_state.get("budget_plan_id")
index = current_ids.index(wanted) if wanted in current_ids else 0
plan_id = st.selectbox(_("Plan"), current_ids, index=index, format_func=lambda i: plan_label(by_id[i]))
st.session_state["budget_plan_id"] = plan_id

view = call(plans.get_plan, plan_id)  # the one read of the plan this run: everything below uses it
if view is None:
    st.stop()

currency = get_currency()  # the portal's one currency (Users page, Portal settings)
PLAN_CATEGORIES.update(view.categories)
show_amount = amount_formatter(currency)

st.header(view.name)
if view.superseded:
    st.info(_("Revision {revision} is kept for history; a newer revision replaces it.").format(revision=view.revision))
if view.status == "approved":
    if view.decided_by and view.decision_comment:
        st.success(_("Approved by {who} and locked. Comment: {comment}").format(
            who=view.decided_by, comment=view.decision_comment))
    elif view.decided_by:
        st.success(_("Approved by {who} and locked.").format(who=view.decided_by))
    elif view.decision_comment:
        st.success(_("Approved by a sponsor and locked. Comment: {comment}").format(comment=view.decision_comment))
    else:
        st.success(_("Approved by a sponsor and locked."))
elif view.status == "returned":
    if view.decided_by:
        st.warning(_("Returned by {who}: {comment}").format(who=view.decided_by, comment=view.decision_comment or ""))
    else:
        st.warning(_("Returned by a sponsor: {comment}").format(comment=view.decision_comment or ""))
elif view.status == "submitted":
    st.info(_("Submitted: waiting for a sponsor's decision."))

cols = st.columns(4)
cols[0].metric(_("Status"), status_name(view.status))
cols[1].metric(_("Planned"), money(view.planned_total, currency))
cols[2].metric(_("Ceiling"), money(view.ceiling, currency))
cols[3].metric(_("Actual so far"), money(view.actual_total, currency))
if view.ceiling is not None and view.planned_total > view.ceiling:
    st.error(_("The planned total is over the ceiling by {amount}.").format(
        amount=money(view.planned_total - view.ceiling, currency)))

# ------------------------------------------------------------------ workflow
if may_write and not view.superseded:
    buttons = st.columns(3)
    if view.editable and buttons[0].button(_("Submit for approval")):
        if call(workflow.submit_plan, plan_id, view.version):
            done(_("Plan submitted for approval."))
    if view.status in ("approved", "returned") and buttons[1].button(_("New revision")):
        new_id = call(workflow.new_revision, plan_id)
        if new_id:
            done(_("A new draft revision was created; the previous one is kept."), new_id)
    with buttons[2].popover(_("Copy as scenario")):
        scenario_name = st.text_input(_("Scenario name"), key="budget_copy_scenario")
        if st.button(_("Copy plan")):
            new_id = call(workflow.copy_plan, plan_id, scenario=scenario_name)
            if new_id:
                done(_("Scenario '{name}' created.").format(name=scenario_name), new_id)

if may_approve and view.status == "submitted" and not view.superseded:
    st.subheader(_("Decision"))
    comment = st.text_area(_("Comment (required to return the plan)"), key="budget_decision_comment")
    left, right = st.columns(2)
    if left.button(_("Approve plan"), type="primary"):
        if call(workflow.approve_plan, plan_id, view.version, comment):
            done(None)  # the page's "Approved by ... and locked." banner says it: one green banner, not two
    if right.button(_("Return plan")):
        if call(workflow.return_plan, plan_id, view.version, comment):
            done(_("Plan returned to the budget officer."))

# ------------------------------------------------------------------ goals
st.subheader(_("Goals"))
if view.goals:
    goal_cols = {"goal": _("Goal"), "kpi": _("KPI"), "baseline": _("Baseline"), "now": _("Now"),
                 "target": _("Target"), "deadline": _("Deadline"), "progress": _("Progress"),
                 "cost": _("Planned cost")}
    goal_table = pd.DataFrame([{
        "goal": g.title, "kpi": label(KPI_LABELS, g.kpi),
        "baseline": None if g.baseline is None else float(g.baseline),
        "now": None if g.current is None else float(g.current),
        "target": float(g.target), "deadline": g.deadline,
        "progress": None if g.progress is None else round(100 * g.progress, 1),
        "cost": float(g.cost),
    } for g in view.goals], columns=list(goal_cols)).rename(columns=goal_cols)
    dataframe(readable(goal_table).style.format({
        goal_cols["baseline"]: measure, goal_cols["now"]: measure, goal_cols["target"]: measure,
        goal_cols["progress"]: share, goal_cols["cost"]: show_amount,
    }), hide_index=True, width="stretch")
else:
    st.info(_("This plan has no goals yet. The goal-based approach starts here."))

if may_write and view.editable:
    with st.expander(_("Edit goals")):
        goals_df = pd.DataFrame([{"id": g.id, "title": g.title, "kpi": g.kpi, "baseline": g.baseline,
                                  "target": g.target, "deadline": g.deadline, "unit": g.unit}
                                 for g in view.goals],
                                columns=["id", "title", "kpi", "baseline", "target", "deadline", "unit"])
        for c in ("baseline", "target"):
            goals_df[c] = pd.to_numeric(goals_df[c], errors="coerce")
        goals_df["deadline"] = pd.to_datetime(goals_df["deadline"])
        edited_goals = data_editor(
            goals_df, key=f"budget_goals_{plan_id}_{view.version}", num_rows="dynamic", hide_index=True, placeholder="",
            column_config={
                "id": None,
                "title": st.column_config.TextColumn(_("Goal"), required=True),
                "kpi": st.column_config.SelectboxColumn(_("KPI"), options=list(KPIS), required=True,
                                                        format_func=lambda k: label(KPI_LABELS, k)),
                "baseline": st.column_config.NumberColumn(_("Baseline (empty = measure now)")),
                "target": st.column_config.NumberColumn(_("Target"), required=True),
                "deadline": st.column_config.DateColumn(_("Deadline"), format=date_column_format()),
                "unit": st.column_config.TextColumn(_("Unit")),
            },
        )
        if st.button(_("Save goals")):
            rows = edited_goals.astype(object).where(edited_goals.notna(), None).to_dict("records")
            if call(editing.save_goals, plan_id, view.version, rows) is not None:
                done(_("Goals saved."))

# ------------------------------------------------------------------ lines
st.subheader(_("Budget lines"))
goal_titles = {g.id: g.title for g in view.goals}
lines_df = pd.DataFrame(view.lines, columns=["category", "description", "goal_id", *AMOUNTS])
lines_df["goal_id"] = lines_df["goal_id"].astype("Int64")
for c in AMOUNTS:
    lines_df[c] = pd.to_numeric(lines_df[c]).astype(float)
amount_config = {c: st.column_config.NumberColumn(label(AMOUNT_LABELS, c), min_value=0.0, format="%.2f",
                                                 width="small")
                 for c in AMOUNTS}
line_config = {
    "category": st.column_config.SelectboxColumn(_("Category"), options=list(view.categories), required=True,
                                                 format_func=category_name),
    "description": st.column_config.TextColumn(_("Description"), required=True, max_chars=300),
    "goal_id": st.column_config.SelectboxColumn(_("Goal"), options=list(goal_titles),
                                                format_func=lambda i: goal_titles.get(i, "")),
    **amount_config,
}

if may_write and view.editable:
    key = f"budget_lines_{plan_id}_{view.version}"
    data_editor(lines_df, key=key, num_rows="dynamic", hide_index=True, width="stretch", placeholder="",
                   column_config=line_config)
    st.caption(_("Changes are kept only when you press Save. The whole table is checked first; "
                 "if anything is wrong nothing is saved."))
    if st.button(_("Save"), type="primary"):
        edits = st.session_state.get(key, {})
        saved = call(editing.save_lines, plan_id, view.version, **line_changes(edits, view.lines))
        if saved is not None and saved.changed:
            done(ngettext("{n} line changed.", "{n} lines changed.", saved.changed).format(n=number(saved.changed)))
        elif saved is not None:
            st.info(_("Nothing changed."))
elif may_write and view.status == "approved" and not view.superseded:
    st.caption(_("The plan is locked; only actual spend can be recorded."))
    key = f"budget_actuals_{plan_id}_{view.version}"
    line_names = {"category": _("Category"), "description": _("Description"), "goal_id": _("Goal"),
                  **{c: label(AMOUNT_LABELS, c) for c in AMOUNTS}}
    shown = column_picker("budget_actuals_columns", list(line_names), ["description", *ACTUALS],
                          format_func=line_names.get)
    data_editor(lines_df, key=key, hide_index=True, width="stretch", placeholder="",
                   disabled=["category", "description", "goal_id", *QUARTERS],
                   column_config=line_config, column_order=shown)
    if st.button(_("Save actuals")):
        edits = st.session_state.get(key, {}).get("edited_rows", {})
        actuals = {view.lines[int(pos)]["id"]: values for pos, values in edits.items()}
        if call(editing.record_actuals, plan_id, view.version, actuals) is not None:
            done(_("Actual spend saved."))
else:
    line_cols = {"category": _("Category"), "description": _("Description"), "goal": _("Goal"),
                 **{c: label(AMOUNT_LABELS, c) for c in AMOUNTS}}
    read_only = pd.DataFrame(view.lines, columns=["category", "description", "goal", *AMOUNTS]).assign(
        category=lines_df["category"].map(category_name), **{c: lines_df[c] for c in AMOUNTS})
    read_only = read_only.rename(columns=line_cols)
    shown = column_picker("budget_lines_columns", list(line_cols.values()),
                          [line_cols[c] for c in ("description", *QUARTERS, *ACTUALS)])
    dataframe(readable(read_only[shown]).style.format({line_cols[c]: show_amount for c in AMOUNTS
                                                       if line_cols[c] in shown}),
              hide_index=True, width="stretch",
              column_config={line_cols["description"]: st.column_config.TextColumn(width="medium")})

if view.unjustified:
    count = len(view.unjustified)
    names = ", ".join(f"'{line['description']}'" for line in view.unjustified)
    st.warning(ngettext("{n} line serves no goal: {names}. Goal-based planning wants every spend justified by a goal.",
                        "{n} lines serve no goal: {names}. Goal-based planning wants every spend justified by a goal.",
                        count).format(n=number(count), names=names))

# ------------------------------------------------------------------ analysis
tab_hist, tab_var, tab_charts, tab_rev, tab_export = st.tabs(
    [_("Vs last year"), _("Plan vs actual"), _("Charts"), _("Revisions and scenarios"), _("Export")])

with tab_hist:
    last_year = call(plans.last_year_actuals, view.fiscal_year - 1)
    hist = plans.versus_last_year(view, last_year)
    if hist["last_year_actual"].isna().all():
        st.info(_("There is no approved plan for fiscal year {year} to compare with.").format(
            year=view.fiscal_year - 1))
    hist_cols = {"category": _("Category"), "plan": _("This plan"),
                 "last": _("Actual FY {year}").format(year=view.fiscal_year - 1),
                 "change": _("Change"), "change_pct": _("Change %")}
    versus = pd.DataFrame({
        "category": hist["category"].map(category_name),
        "plan": hist["plan"].astype(float),
        "last": pd.to_numeric(hist["last_year_actual"]).astype(float),
        "change": pd.to_numeric(hist["change"]).astype(float),
        "change_pct": pd.to_numeric(hist["change_pct"]).round(1),
    }).rename(columns=hist_cols)
    dataframe(readable(versus).style.format({
        hist_cols["plan"]: show_amount, hist_cols["last"]: show_amount, hist_cols["change"]: show_amount,
        hist_cols["change_pct"]: share,
    }), hide_index=True, width="stretch")
    st.caption(_("The historical approach repeats last year's spending; differences show where this "
                 "plan follows its goals instead."))

with tab_var:
    var = plans.line_variance(view)
    if not var.empty:
        var_cols = {"category": _("Category"), "line": _("Line"), "goal": _("Goal"), "quarter": _("Quarter"),
                    "plan": _("Plan"), "actual": _("Actual"), "variance": _("Variance"),
                    "over_spend": _("Over-spend")}
        over_spent = var["over_spend"].astype(bool).tolist()
        variances = pd.DataFrame({
            "category": var["category"].map(category_name), "line": var["description"],
            "goal": var["goal"], "quarter": var["quarter"].map(quarter_name),
            "plan": var["plan"].astype(float), "actual": var["actual"].astype(float),
            "variance": var["variance"].astype(float), "over_spend": var["over_spend"].astype(bool),
        }).rename(columns=var_cols)
        over = sum(over_spent)
        if over:
            st.error(ngettext("{n} line-quarter is over-spent.", "{n} line-quarters are over-spent.",
                              over).format(n=number(over)))

        def highlight(row: pd.Series) -> list[str]:
            style = "background-color: #f8d7da; color: #721c24" if over_spent[row.name] else ""
            return [style] * len(row)

        shown = column_picker("budget_variance_columns", list(var_cols.values()),
                              [var_cols[c] for c in ("line", "quarter", "plan", "actual", "variance", "over_spend")])
        dataframe(readable(variances.reset_index(drop=True)).style.apply(highlight, axis=1).format(
            {var_cols["plan"]: show_amount, var_cols["actual"]: show_amount, var_cols["variance"]: show_amount}),
            hide_index=True, width="stretch", column_order=shown)

with tab_charts:
    if view.lines:
        frame = pd.DataFrame(view.lines)
        frame["category_name"] = frame["category"].map(category_name)
        frame["goal_name"] = frame["goal"].fillna(_("(no goal)"))
        frame["planned_amount"] = frame["planned"].astype(float)
        planned_axis = _("Planned ({currency})").format(currency=currency)
        for field, title, heading in (("category_name", _("Category"), _("Planned spend by category")),
                                      ("goal_name", _("Goal"), _("Planned spend by goal"))):
            totals = frame.groupby(field, as_index=False)["planned_amount"].sum()
            chart(alt.Chart(totals).mark_bar().encode(
                x=alt.X("planned_amount:Q", title=planned_axis),
                y=alt.Y(f"{field}:N", sort="-x", title=title),
                tooltip=[alt.Tooltip(f"{field}:N", title=title),
                         alt.Tooltip("planned_amount:Q", title=planned_axis, format=",.2f")]),
                heading, key_numbers(totals, field, "planned_amount", digits=2))
        quarters = []
        for q in QUARTERS:
            quarters.append({"quarter": quarter_name(q), "kind": _("Plan"),
                             "amount": float(frame[q].astype(float).sum())})
            quarters.append({"quarter": quarter_name(q), "kind": _("Actual"),
                             "amount": float(frame[f"actual_{q}"].astype(float).sum())})
        amount_axis = _("Amount ({currency})").format(currency=currency)
        chart(alt.Chart(pd.DataFrame(quarters)).mark_bar().encode(
            x=alt.X("quarter:N", title=_("Quarter")), xOffset="kind:N",
            y=alt.Y("amount:Q", title=amount_axis),
            color=alt.Color("kind:N", title=_("Kind")),
            tooltip=[alt.Tooltip("quarter:N", title=_("Quarter")), alt.Tooltip("kind:N", title=_("Kind")),
                     alt.Tooltip("amount:Q", title=amount_axis, format=",.2f")]),
            _("Plan vs actual by quarter"), key_numbers(pd.DataFrame(quarters), "kind", "amount", total=False, digits=2))
        measured = [{"goal": g.title, "cost": float(g.cost), "progress": round(100 * g.progress, 1)}
                    for g in view.goals if g.progress is not None]
        if measured:
            cost_axis = _("Planned cost ({currency})").format(currency=currency)
            chart(alt.Chart(pd.DataFrame(measured)).mark_circle(size=120).encode(
                x=alt.X("cost:Q", title=cost_axis),
                y=alt.Y("progress:Q", title=_("Progress %")),
                tooltip=[alt.Tooltip("goal:N", title=_("Goal")),
                         alt.Tooltip("cost:Q", title=cost_axis, format=",.2f"),
                         alt.Tooltip("progress:Q", title=_("Progress %"))]),
                _("Cost per goal vs progress"),
                _("Progress %") + ": " + key_numbers(pd.DataFrame(measured), "goal", "progress", average=True, digits=1))
        else:
            st.caption(_("No goal has measurable progress yet."))
    else:
        st.info(_("Add budget lines to see charts."))

with tab_rev:
    history = call(plans.revisions, plan_id) or []
    rev_cols = {"revision": _("Revision"), "status": _("Status"), "superseded": _("Superseded"),
                "planned": _("Planned")}
    revisions_table = pd.DataFrame([{"revision": r.revision, "status": status_name(r.status),
                                     "superseded": r.superseded, "planned": float(r.planned)} for r in history],
                                   columns=list(rev_cols)).rename(columns=rev_cols)
    dataframe(readable(revisions_table).style.format({rev_cols["planned"]: show_amount}),
                 hide_index=True, width="stretch")
    others = [p.id for p in summaries if p.id != plan_id]
    if others:
        other = st.selectbox(_("Compare with"), others, format_func=lambda i: plan_label(by_id[i]))
        other_view = call(plans.get_plan, other, measure=False)  # the other plan, read once
        cmp = None if other_view is None else plans.comparison(view, other_view)
        if cmp is not None:
            cmp_cols = {"level": _("Level"), "category": _("Category"), "line": _("Line"), "a": _("This plan"),
                        "b": _("Other plan"), "difference": _("Difference")}
            compared = pd.DataFrame({
                "level": cmp["level"].map(lambda c: label(LEVEL_LABELS, c)),
                "category": cmp["category"].map(lambda c: category_name(c) if c else ""),
                "line": cmp["line"], "a": cmp["a"].astype(float),
                "b": cmp["b"].astype(float), "difference": cmp["difference"].astype(float),
            }).rename(columns=cmp_cols)
            dataframe(readable(compared).style.format({cmp_cols[c]: show_amount for c in ("a", "b", "difference")}),
                         hide_index=True, width="stretch")

with tab_export:
    stem = f"budget_{view.fiscal_year}_{view.scenario}_rev{view.revision}".replace(" ", "_")
    st.download_button(_("Download CSV"), on_click_export(export.export_csv, plan_id), file_name=f"{stem}.csv",
                       mime="text/csv", on_click="ignore")
    st.download_button(_("Download Excel"), on_click_export(export.export_xlsx, plan_id), file_name=f"{stem}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
