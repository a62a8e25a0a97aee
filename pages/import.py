"""Import: bring customers in from other systems' files, see what happened to every row, revert."""
import pandas as pd
import streamlit as st

from crm.importing import (
    FIELDS,
    ImportFileError,
    ON_DUPLICATE,
    auto_mapping,
    export_customers_csv,
    export_customers_xlsx,
    list_batches,
    read_table,
    revert_import,
    run_import,
)
from ui.context import actor, call, flash, show_flash

who = actor()
st.title("Import")
show_flash()
st.caption("CSV (UTF-8, comma or semicolon) or Excel. Every row is accounted for: imported, updated, duplicate, "
           "rejected with its reasons, or blank. Nothing is saved unless the whole file is processed.")

upload = st.file_uploader("Customer file", type=["csv", "txt", "xlsx"])
if upload is not None:
    data = upload.getvalue()
    try:
        headers, rows = read_table(data, upload.name)
    except ImportFileError as exc:
        st.error(exc.message)
        st.stop()
    st.markdown(f"**{len(rows):,} rows** in `{upload.name}`. Check how the columns map to customer fields:")
    guessed = auto_mapping(headers)
    mapping: dict[str, int] = {}
    cols = st.columns(4)
    choices = [None, *range(len(headers))]
    for n, field in enumerate(FIELDS):
        index = cols[n % 4].selectbox(field.replace("_", " ").capitalize(), choices,
                                      index=choices.index(guessed.get(field)),
                                      format_func=lambda i: "(not imported)" if i is None else headers[i],
                                      key=f"map_{field}")
        if index is not None:
            mapping[field] = index
    st.markdown("**Preview**")
    st.dataframe(pd.DataFrame([{f: (r[i] if i < len(r) else "") for f, i in mapping.items()} for r in rows[:20]]),
                 hide_index=True, width="stretch")
    on_duplicate = st.radio("When a row matches an existing customer", ON_DUPLICATE, horizontal=True,
                            format_func={"skip": "Skip it", "update": "Update the customer",
                                         "create": "Create a new customer anyway"}.get)
    if st.button("Import", type="primary"):
        bar = st.progress(0.0, text="Importing…")
        report = call(run_import, upload.name, data, mapping=mapping, on_duplicate=on_duplicate,
                      progress=lambda share: bar.progress(share, text=f"Importing… {share:.0%}"))
        bar.empty()
        if report is not None:
            st.session_state["last_import"] = report

report = st.session_state.get("last_import")
if report is not None:
    st.subheader(f"Report: {report.filename}")
    counts = report.counts
    cols = st.columns(len(counts))
    for col, (outcome, n) in zip(cols, counts.items()):
        col.metric(outcome.capitalize(), n)
    st.dataframe(pd.DataFrame([{"Row": r.row, "Outcome": r.outcome, "Customer #": r.customer_id, "Name": r.name,
                                "Reasons": r.reasons} for r in report.rows]), hide_index=True, width="stretch")
    st.download_button("Download report (CSV)", report.as_csv(), file_name=f"import-report-{report.batch_id}.csv",
                       mime="text/csv")

st.subheader("Earlier imports")
batches = call(list_batches) or []
if batches:
    st.dataframe(pd.DataFrame(batches), hide_index=True, width="stretch")
    revertible = {f"#{b['id']} {b['File']} ({b['When']:%Y-%m-%d %H:%M})": b["id"] for b in batches if not b["Reverted"]}
    chosen = st.selectbox("Revert an import", list(revertible), index=None,
                          placeholder="Choose an import to revert")
    confirm = st.checkbox("I understand: customers it created are removed and customers it updated are restored")
    if st.button("Revert import", disabled=not (chosen and confirm)):
        result = call(revert_import, revertible[chosen])
        if result:
            flash(f"Reverted: {result['removed']} removed, {result['archived']} archived (already in use), "
                  f"{result['restored']} restored.")
            st.rerun()
else:
    st.caption("No imports yet.")

st.subheader("Export customers")
third = st.checkbox("For a third party: only customers who consented to sharing")
if st.button("Prepare export"):
    result = call(export_customers_csv, third_party=third)
    if result:
        data, included, left_out = result
        note = f" ({left_out} left out: no consent to third-party sharing)" if third else ""
        st.caption(f"{included} customers{note}.")
        st.download_button("Download customers (CSV)", data, file_name="customers.csv", mime="text/csv")
        workbook = call(export_customers_xlsx, third_party=third)
        if workbook:
            st.download_button("Download customers (Excel)", workbook[0], file_name="customers.xlsx",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
