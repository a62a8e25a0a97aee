"""Import: bring records of any kind in from other systems' files: choose the columns, check the cleaning before
anything is written, import (or only check), see what happened to every row, revert; export customers."""
import streamlit as st

from crm.core.i18n import N_, _, get_language, label, ngettext, number, percent
from crm.core.spreadsheet import EXCEL_MIME
from crm.customers.importing import export_customers
from crm.importing import upload as imports
from crm.importing.kinds import KIND_LABELS
from crm.importing.writing import ON_DUPLICATE, UNKNOWN_PRODUCTS, ImportOptions
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe

UPLOAD = "import_upload"  # session state: (file id, the file as read, or the message why it cannot be)
REPORT = "last_import"  # session state: the report of the last import
QUESTIONS = "import_questions"  # session state: (file, kind, columns, language), what the file leaves open
PROBLEM = "background-color: rgba(255, 75, 75, 0.15)"  # preview rows with problems
DAY_FIRST = {True: N_("1 February 1997"), False: N_("January 2, 1997")}
DECIMAL_MARKS = {".": N_("Point: 1,234.56"), ",": N_("Comma: 1.234,56")}


def read_once(upload) -> imports.Table:  # noqa: ANN001 - Streamlit's UploadedFile
    """The uploaded file as read; read once per upload, not on every run of the page."""
    cached = st.session_state.get(UPLOAD)
    if cached is None or cached[0] != upload.file_id:
        try:
            cached = (upload.file_id, imports.read_file(upload.getvalue(), upload.name))
        except imports.ImportFileError as exc:
            cached = (upload.file_id, exc.message)
        st.session_state[UPLOAD] = cached
    if isinstance(cached[1], str):
        st.error(cached[1])
        st.stop()
    return cached[1]


def ask_once(kind: str, table: imports.Table, mapping: dict[str, int], file_id: str) -> imports.FileQuestions:
    """What the whole file leaves open, read again only when the file, the kind or the columns change."""
    asked_for = (file_id, kind, tuple(sorted(mapping.items())), get_language())
    cached = st.session_state.get(QUESTIONS)
    if cached is None or cached[0] != asked_for:
        asked = call(imports.questions, kind, table, mapping)
        if asked is None:  # the reason is shown; ask again on the next run
            return imports.FileQuestions(None, None, [])
        cached = st.session_state[QUESTIONS] = (asked_for, asked)
    return cached[1]


def choose_columns(fields: tuple, headers: list[str], guessed: dict[str, int], key: str) -> dict[str, int]:
    """One selectbox per field of the kind (custom fields too), guessed from the headers or the profile:
    field -> column index."""
    mapping: dict[str, int] = {}
    cols = st.columns(4)
    choices = [None, *range(len(headers))]
    for n, field in enumerate(fields):
        index = cols[n % 4].selectbox(imports.field_label(field), choices,
                                      index=choices.index(guessed.get(field.name)),
                                      format_func=lambda i: _("(not imported)") if i is None else headers[i],
                                      key=f"map_{key}_{field.name}")
        if index is not None:
            mapping[field.name] = index
    return mapping


def map_values(question: imports.ValueQuestion, start: ImportOptions, key: str) -> dict[str, str]:
    """Value, rows, and a "map to" selectbox for each value of a column the portal does not know."""
    st.markdown(_("**{field}** (column `{column}`): values the portal does not know").format(
        field=question.label, column=question.column))
    targets = dict(question.targets)
    head = st.columns([3, 1, 3])
    head[0].caption(_("Value"))
    head[1].caption(_("Rows"))
    head[2].caption(_("Map to"))
    chosen: dict[str, str] = {}
    for value, rows in question.values:
        value_col, rows_col, target_col = st.columns([3, 1, 3])
        value_col.write(f"`{value}`")
        rows_col.write(number(rows))
        chosen[value] = target_col.selectbox(
            _("Map {value} to").format(value=value), list(targets),
            index=list(targets).index(imports.saved_target(question, value, start)), format_func=targets.get,
            key=f"value_{key}_{question.field}_{value}", label_visibility="collapsed")
    if question.more:
        st.caption(ngettext("{n} more value: {target}.", "{n} more values: {target}.", question.more).format(
            n=number(question.more), target=targets[question.default]))
    return chosen


def highlight(preview: imports.Preview):  # noqa: ANN201 - a pandas Styler
    """The preview with the rows that have problems highlighted."""
    return preview.frame.style.apply(
        lambda row: [PROBLEM if row.name in preview.problem_rows else ""] * len(row), axis=1)


who = actor()
st.title(_("Import"))
show_flash()
st.caption(_("CSV (UTF-8, comma or semicolon) or Excel. Every row is accounted for: imported, possible duplicate "
             "(imported, for you to compare with the customer it may be), updated, duplicate, rejected with its "
             "reasons, or blank. Nothing is saved unless the whole file is processed."))

kinds = imports.kinds()
kind = st.radio(_("What are you importing?"), kinds, format_func=lambda k: label(KIND_LABELS, k),
                captions=[imports.help_of(k) for k in kinds], key="import_kind")

saved_profiles = (call(imports.list_profiles, kind=kind) or []) if imports.profiles_available() else []
profile = st.selectbox(_("Start from a saved import profile"), saved_profiles, index=None,
                       format_func=lambda p: p.name, placeholder=_("None: choose the columns below"),
                       key=f"profile_{kind}") if saved_profiles else None
start = imports.profile_options(profile)  # what the profile (or nothing) says, for the choices below
key = f"{kind}_{profile.id if profile else 0}"
source_col, customers_col = st.columns(2)
source_system = source_col.text_input(_("Source system (optional)"), value=start.source_system or "",
                                      placeholder=_("e.g. shop, helpdesk"), key=f"source_{key}",
                                      help=_("The system the file comes from: its ids are kept, so importing a "
                                             "newer export of it updates instead of duplicating."))
customer_source = customers_col.text_input(
    _("Customer references are ids of"), value=start.customer_source or "", key=f"customer_source_{key}",
    placeholder=_("the same source system"),
    help=_("The system whose customer ids the file's customer column holds (e-mails and the portal's own "
           "customer numbers are recognised too).")) if imports.asks_customer_source(kind) else ""

upload = st.file_uploader(_("File (CSV or Excel)"), type=["csv", "txt", "xlsx"])
if upload is not None:
    table = read_once(upload)
    headers, rows = table
    key = f"{key}_{upload.file_id}"

    st.header(_("Columns"))
    st.markdown(ngettext("**{n} row** in `{file}`. Check which of its columns holds each field:",
                         "**{n} rows** in `{file}`. Check which of its columns holds each field:", len(rows))
                .format(n=number(len(rows)), file=upload.name))
    kind_fields = call(imports.kind_for, kind) or imports.kind_of(kind)
    guessed = imports.guess_mapping(kind, headers, profile, kind_fields)
    mapping = choose_columns(kind_fields.fields, headers, guessed, key)
    missing = imports.missing_fields(kind, mapping)
    if missing:
        st.warning(_("Choose the columns for: {fields}.").format(fields=", ".join(missing)))

    st.header(_("Cleaning"))
    st.caption(_("Nothing is written yet. The first rows as found in the file and as they will be stored; "
                 "rows with problems are highlighted and would be rejected."))
    preview_box = st.container()
    asked = ask_once(kind, table, mapping, upload.file_id)
    day_first = asked.dates.day_first if asked.dates and asked.dates.day_first is not None else start.day_first
    if asked.dates and asked.dates.needs_choice:
        day_first = st.radio(_("01/02/1997 means"), list(DAY_FIRST), format_func=lambda v: _(DAY_FIRST[v]), horizontal=True,
                             index=None if start.day_first is None else list(DAY_FIRST).index(start.day_first),
                             key=f"day_first_{key}")
        st.caption(_("Dates in this file: {examples}").format(examples=", ".join(asked.dates.examples)))
        if asked.dates.conflicting:
            st.warning(_("Some dates in this file fit only day first and others only month first: the rows that "
                         "do not fit your choice are rejected."))
    decimal_mark = start.decimal_mark
    if asked.decimal_mark:
        decimal_mark = st.radio(_("Decimal mark of amounts"), list(DECIMAL_MARKS), format_func=lambda m: _(DECIMAL_MARKS[m]),
                                index=list(DECIMAL_MARKS).index(start.decimal_mark or asked.decimal_mark),
                                horizontal=True, key=f"decimal_mark_{key}")
    time_zone = start.time_zone if profile else (st.context.timezone or "UTC")
    if imports.has_times(kind, mapping):
        zones = imports.time_zones()
        time_zone = st.selectbox(_("Time zone of times written without one"), zones,
                                 index=zones.index(time_zone) if time_zone in zones else zones.index("UTC"),
                                 key=f"time_zone_{key}")
    chosen = {question.field: map_values(question, start, key) for question in asked.unknown}

    st.header(_("Options"))
    on_duplicate, unknown_products = start.on_duplicate, start.unknown_products
    if kind == "customers":
        on_duplicate = st.radio(_("When a row matches an existing customer"), list(ON_DUPLICATE), horizontal=True,
                                index=list(ON_DUPLICATE).index(on_duplicate), format_func=lambda c: label(ON_DUPLICATE, c),
                                key=f"on_duplicate_{key}")
    if kind == "receipts":
        unknown_products = st.radio(_("When a receipt line's product is unknown"), list(UNKNOWN_PRODUCTS),
                                    index=list(UNKNOWN_PRODUCTS).index(unknown_products), horizontal=True,
                                    format_func=lambda c: label(UNKNOWN_PRODUCTS, c), key=f"unknown_products_{key}")
    dry_run = st.checkbox(_("Dry run (check only, save nothing)"), key=f"dry_run_{key}")
    options = ImportOptions(source_system=source_system.strip() or None, customer_source=customer_source.strip() or None,
                            on_duplicate=on_duplicate, unknown_products=unknown_products, day_first=day_first,
                            decimal_mark=decimal_mark, time_zone=time_zone,
                            value_map=imports.value_map(chosen, start.value_map), dry_run=dry_run)

    with preview_box:
        preview = call(imports.preview, kind, table, mapping, options)
        if preview is not None:
            dataframe(highlight(preview), hide_index=True, width="stretch")

    if imports.profiles_available():
        with st.expander(_("Save these settings as a profile")):
            name = st.text_input(_("Profile name"), value=profile.name if profile else "", key=f"profile_name_{key}",
                                 help=_("A profile of that name is updated."))
            if st.button(_("Save profile")):
                saved = call(imports.save_profile, name=name, kind=kind, headers=headers, mapping=mapping,
                             options=options)
                if saved is not None:
                    flash(_("Profile '{name}' saved.").format(name=saved.name))
                    st.rerun()

    waiting = bool(asked.dates and asked.dates.needs_choice and day_first is None)
    if waiting:
        st.info(_("Say what 01/02/1997 means in this file (above) before importing."))
    if st.button(_("Import"), type="primary", disabled=waiting or bool(missing)):
        bar = st.progress(0.0, text=_("Importing…"))
        report = call(imports.import_file, kind, table, filename=upload.name, data=upload.getvalue(),
                      mapping=mapping, options=options, profile_id=profile.id if profile else None,
                      progress=lambda share: bar.progress(share, text=_("Importing… {share}").format(
                          share=percent(share))))
        bar.empty()
        if report is not None:
            st.session_state[REPORT] = report

report = st.session_state.get(REPORT)
if report is not None:
    st.header(_("Report: {file}").format(file=report.filename))
    if report.dry_run:
        st.info(_("Dry run: nothing was saved."))
    counts = imports.counts(report)
    for col, (outcome, n) in zip(st.columns(len(counts)), counts):
        col.metric(outcome, number(n))
    dataframe(imports.report_table(report), hide_index=True, width="stretch")
    st.download_button(_("Download report (CSV)"), report.as_csv(), mime="text/csv",
                       file_name=f"import-report-{report.batch_id or 'dry-run'}.csv")

st.header(_("Earlier imports"))
earlier = call(imports.earlier_imports)
if earlier is not None and not earlier.frame.empty:
    dataframe(earlier.frame, hide_index=True, width="stretch")
    chosen_batch = st.selectbox(_("Revert an import"), list(earlier.revertible), index=None,
                                placeholder=_("Choose an import to revert"))
    confirm = st.checkbox(_("I understand: records it created are removed (or archived when already in use) and "
                            "records it updated are restored"))
    if st.button(_("Revert import"), disabled=not (chosen_batch and confirm)):
        done = call(imports.revert, earlier.revertible[chosen_batch])
        if done:
            flash(done)
            st.rerun()
else:
    st.caption(_("No imports yet."))

st.header(_("Export customers"))
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
