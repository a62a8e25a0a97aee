"""Import: bring customers in from other systems' files, see what happened to every row, revert."""
import pandas as pd
import streamlit as st

from crm.core.i18n import _, datetime, label, ngettext, number, percent
from crm.core.spreadsheet import EXCEL_MIME
from crm.customers.contact_rules import CUSTOMER_FIELDS
from crm.customers.importing import (
    FIELDS,
    ImportFileError,
    ON_DUPLICATE,
    OUTCOMES,
    Table,
    auto_mapping,
    export_customers,
    list_batches,
    read_table,
    revert_import,
    run_import,
)
from ui.context import actor, call, flash, show_flash

UPLOAD = "import_upload"  # session state: (file id, the file as read, or the message why it cannot be)


def _counts(counts: dict[str, int] | None) -> str:
    return ", ".join(_("{outcome}: {n}").format(outcome=label(OUTCOMES, k), n=number(v))
                     for k, v in (counts or {}).items())


def read_once(upload) -> Table:  # noqa: ANN001 - Streamlit's UploadedFile
    """The uploaded file as read; read once per upload, not on every run of the page."""
    cached = st.session_state.get(UPLOAD)
    if cached is None or cached[0] != upload.file_id:
        try:
            cached = (upload.file_id, read_table(upload.getvalue(), upload.name))
        except ImportFileError as exc:
            cached = (upload.file_id, exc.message)
        st.session_state[UPLOAD] = cached
    if isinstance(cached[1], str):
        st.error(cached[1])
        st.stop()
    return cached[1]


who = actor()
st.title(_("Import"))
show_flash()
st.caption(_("CSV (UTF-8, comma or semicolon) or Excel. Every row is accounted for: imported, possible duplicate "
             "(imported, for you to compare with the customer it may be), updated, duplicate, rejected with its "
             "reasons, or blank. Nothing is saved unless the whole file is processed."))

upload = st.file_uploader(_("Customer file"), type=["csv", "txt", "xlsx"])
if upload is not None:
    table = read_once(upload)
    headers, rows = table
    st.markdown(ngettext("**{n} row** in `{file}`. Check how the columns map to customer fields:",
                         "**{n} rows** in `{file}`. Check how the columns map to customer fields:", len(rows))
                .format(n=number(len(rows)), file=upload.name))
    guessed = auto_mapping(headers)
    mapping: dict[str, int] = {}
    cols = st.columns(4)
    choices = [None, *range(len(headers))]
    for n, field in enumerate(FIELDS):
        index = cols[n % 4].selectbox(label(CUSTOMER_FIELDS, field), choices,
                                      index=choices.index(guessed.get(field)),
                                      format_func=lambda i: _("(not imported)") if i is None else headers[i],
                                      key=f"map_{field}")
        if index is not None:
            mapping[field] = index
    st.markdown(_("**Preview**"))
    st.dataframe(pd.DataFrame([{label(CUSTOMER_FIELDS, f): (r[i] if i < len(r) else "") for f, i in mapping.items()}
                               for r in rows[:20]]),
                 hide_index=True, width="stretch")
    on_duplicate = st.radio(_("When a row matches an existing customer"), list(ON_DUPLICATE), horizontal=True,
                            format_func=lambda c: label(ON_DUPLICATE, c))
    if st.button(_("Import"), type="primary"):
        bar = st.progress(0.0, text=_("Importing…"))
        report = call(run_import, upload.name, upload.getvalue(), table=table, mapping=mapping,
                      on_duplicate=on_duplicate,
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
        col.metric(label(OUTCOMES, outcome), number(n))
    st.dataframe(pd.DataFrame([{_("Row"): r.row, _("Outcome"): label(OUTCOMES, r.outcome),
                                _("Customer #"): r.customer_id, _("Name"): r.name, _("Reasons"): r.reasons}
                               for r in report.rows]), hide_index=True, width="stretch")
    st.download_button(_("Download report (CSV)"), report.as_csv(), file_name=f"import-report-{report.batch_id}.csv",
                       mime="text/csv")

st.subheader(_("Earlier imports"))
batches = call(list_batches) or []
if batches:
    st.dataframe(pd.DataFrame([{"id": b.id, _("When"): datetime(b.created_at, "short"), _("File"): b.filename,
                                _("Source"): b.source, _("Counts"): _counts(b.counts),
                                _("Reverted"): datetime(b.reverted_at, "short") if b.reverted_at else ""}
                               for b in batches]), hide_index=True, width="stretch")
    revertible = {f"#{b.id} {b.filename} ({datetime(b.created_at, 'short')})": b.id
                  for b in batches if not b.reverted_at}
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
    export = call(export_customers, third_party=third)  # one export (and one audit row) for both files
    if export is not None:
        included, left_out = export.included, export.left_out
        if third:
            st.caption(ngettext("{n} customer ({left_out} left out: no consent to third-party sharing).",
                                "{n} customers ({left_out} left out: no consent to third-party sharing).", included)
                       .format(n=number(included), left_out=number(left_out)))
        else:
            st.caption(ngettext("{n} customer.", "{n} customers.", included).format(n=number(included)))
        st.download_button(_("Download customers (CSV)"), export.csv(), file_name="customers.csv", mime="text/csv")
        st.download_button(_("Download customers (Excel)"), export.xlsx(), file_name="customers.xlsx",
                           mime=EXCEL_MIME)
