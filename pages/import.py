"""Import: bring customers in from other systems' files, see what happened to every row, revert."""
import pandas as pd
import streamlit as st

from crm.customers.importing import (
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
from crm.core.i18n import N_, _, datetime, ngettext, number, percent
from ui.context import actor, call, flash, show_flash

# Report outcomes are codes in the data; these are their labels.
OUTCOME_LABELS = {"imported": N_("Imported"), "updated": N_("Updated"), "duplicate": N_("Duplicate"),
                  "rejected": N_("Rejected"), "blank": N_("Blank")}
FIELD_LABELS = {"name": N_("Name"), "company": N_("Company"), "email": N_("E-mail"), "phone": N_("Phone"),
                "country": N_("Country"), "city": N_("City"), "address": N_("Address"), "status": N_("Status"),
                "segment": N_("Segment"), "acquisition_source": N_("Acquisition source"), "notes": N_("Notes")}
DUPLICATE_CHOICES = {"skip": N_("Skip it"), "update": N_("Update the customer"),
                     "create": N_("Create a new customer anyway")}


def _field_label(field: str) -> str:
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def _counts(counts: dict[str, int] | None) -> str:
    return ", ".join(_("{outcome}: {n}").format(outcome=_(OUTCOME_LABELS.get(k, k)), n=number(v))
                     for k, v in (counts or {}).items())

who = actor()
st.title(_("Import"))
show_flash()
st.caption(_("CSV (UTF-8, comma or semicolon) or Excel. Every row is accounted for: imported, updated, duplicate, "
             "rejected with its reasons, or blank. Nothing is saved unless the whole file is processed."))

upload = st.file_uploader(_("Customer file"), type=["csv", "txt", "xlsx"])
if upload is not None:
    data = upload.getvalue()
    try:
        headers, rows = read_table(data, upload.name)
    except ImportFileError as exc:
        st.error(exc.message)
        st.stop()
    st.markdown(ngettext("**{n} row** in `{file}`. Check how the columns map to customer fields:",
                         "**{n} rows** in `{file}`. Check how the columns map to customer fields:", len(rows))
                .format(n=number(len(rows)), file=upload.name))
    guessed = auto_mapping(headers)
    mapping: dict[str, int] = {}
    cols = st.columns(4)
    choices = [None, *range(len(headers))]
    for n, field in enumerate(FIELDS):
        index = cols[n % 4].selectbox(_field_label(field), choices,
                                      index=choices.index(guessed.get(field)),
                                      format_func=lambda i: _("(not imported)") if i is None else headers[i],
                                      key=f"map_{field}")
        if index is not None:
            mapping[field] = index
    st.markdown(_("**Preview**"))
    st.dataframe(pd.DataFrame([{_field_label(f): (r[i] if i < len(r) else "") for f, i in mapping.items()}
                               for r in rows[:20]]),
                 hide_index=True, width="stretch")
    on_duplicate = st.radio(_("When a row matches an existing customer"), ON_DUPLICATE, horizontal=True,
                            format_func=lambda c: _(DUPLICATE_CHOICES.get(c, c)))
    if st.button(_("Import"), type="primary"):
        bar = st.progress(0.0, text=_("Importing…"))
        report = call(run_import, upload.name, data, mapping=mapping, on_duplicate=on_duplicate,
                      progress=lambda share: bar.progress(share, text=_("Importing… {share}").format(
                          share=percent(share))))
        bar.empty()
        if report is not None:
            st.session_state["last_import"] = report

report = st.session_state.get("last_import")
if report is not None:
    st.subheader(_("Report: {file}").format(file=report.filename))
    counts = report.counts
    cols = st.columns(len(counts))
    for col, (outcome, n) in zip(cols, counts.items()):
        col.metric(_(OUTCOME_LABELS.get(outcome, outcome)), number(n))
    st.dataframe(pd.DataFrame([{_("Row"): r.row, _("Outcome"): _(OUTCOME_LABELS.get(r.outcome, r.outcome)),
                                _("Customer #"): r.customer_id, _("Name"): r.name, _("Reasons"): r.reasons}
                               for r in report.rows]), hide_index=True, width="stretch")
    st.download_button(_("Download report (CSV)"), report.as_csv(), file_name=f"import-report-{report.batch_id}.csv",
                       mime="text/csv")

st.subheader(_("Earlier imports"))
batches = call(list_batches) or []
if batches:
    shown = pd.DataFrame([{**b, "When": datetime(b["When"], "short"), "Counts": _counts(b["Counts"]),
                           "Reverted": datetime(b["Reverted"], "short") if b["Reverted"] else ""} for b in batches])
    st.dataframe(shown.rename(columns=_), hide_index=True, width="stretch")
    revertible = {f"#{b['id']} {b['File']} ({datetime(b['When'], 'short')})": b["id"]
                  for b in batches if not b["Reverted"]}
    chosen = st.selectbox(_("Revert an import"), list(revertible), index=None,
                          placeholder=_("Choose an import to revert"))
    confirm = st.checkbox(_("I understand: customers it created are removed and customers it updated are restored"))
    if st.button(_("Revert import"), disabled=not (chosen and confirm)):
        result = call(revert_import, revertible[chosen])
        if result:
            flash(_("Import reverted. Removed: {removed}; archived (already in use): {archived}; "
                    "restored: {restored}.").format(removed=number(result["removed"]),
                                                    archived=number(result["archived"]),
                                                    restored=number(result["restored"])))
            st.rerun()
else:
    st.caption(_("No imports yet."))

st.subheader(_("Export customers"))
third = st.checkbox(_("For a third party: only customers who consented to sharing"))
if st.button(_("Prepare export")):
    result = call(export_customers_csv, third_party=third)
    if result:
        data, included, left_out = result
        if third:
            st.caption(ngettext("{n} customer ({left_out} left out: no consent to third-party sharing).",
                                "{n} customers ({left_out} left out: no consent to third-party sharing).", included)
                       .format(n=number(included), left_out=number(left_out)))
        else:
            st.caption(ngettext("{n} customer.", "{n} customers.", included).format(n=number(included)))
        st.download_button(_("Download customers (CSV)"), data, file_name="customers.csv", mime="text/csv")
        workbook = call(export_customers_xlsx, third_party=third)
        if workbook:
            st.download_button(_("Download customers (Excel)"), workbook[0], file_name="customers.xlsx",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
