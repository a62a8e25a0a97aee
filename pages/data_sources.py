"""Data sources: departmental databases the portal imports from, registered, tested, previewed and synced here."""
import streamlit as st

from crm.core.i18n import _, datetime, label, ngettext, number, percent
from crm.importing.batches import revert
from crm.importing.kinds import KIND_LABELS, auto_mapping, available, kind as kind_named
from crm.importing.sources import (
    deactivate_source,
    list_sources,
    preview,
    read_again,
    register_source,
    sync,
    test_connection,
    update_source,
)
from crm.importing.writing import OUTCOMES
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe, table_of

CHECKED = "sources_checked"  # session state: (address, table or query, columns found) of the last test
NEW = ("src_name", "src_url", "src_query", "src_change", "src_interval")  # the form's inputs, cleared after saving


def show_report(report) -> None:  # noqa: ANN001 - an ImportReport
    counts = report.counts
    for col, (outcome, n) in zip(st.columns(len(counts)), counts.items()):
        col.metric(label(OUTCOMES, outcome), number(n))
    if report.rows:
        dataframe(table_of([{_("Row"): r.row, _("Outcome"): label(OUTCOMES, r.outcome),
                                    _("Record #"): r.entity_id, _("Name"): r.name, _("Reasons"): r.reasons}
                                   for r in report.rows]), hide_index=True, width="stretch")
        st.download_button(_("Download report (CSV)"), report.as_csv(),
                           file_name=f"sync-report-{report.batch_id or 'dry-run'}.csv", mime="text/csv")
    else:
        st.caption(_("Nothing new or changed since the last sync."))


who = actor()
st.title(_("Data sources"))
show_flash()
st.caption(_("Departmental databases (PostgreSQL, MySQL, MariaDB, SQLite) the portal reads from, read-only. "
             "Each sync is an import you can revert; with a change column (an updated-at time or a growing id) "
             "only new or changed rows are read. Scheduled syncs run with python -m crm sync."))

sources = call(list_sources) or []
if sources:
    dataframe(table_of([{
        _("Name"): s.name, _("Holds"): label(KIND_LABELS, s.kind), _("Address"): s.url, _("Table or query"): s.query,
        _("Change column"): s.change_column or "", _("Read up to"): s.change_mark or "",
        _("Every (minutes)"): s.interval_minutes, _("Active"): s.active,
        _("Last sync"): datetime(s.last_sync_at, "short") if s.last_sync_at else "",
        _("Last error"): s.last_error or "", _("Syncing now"): s.syncing or ""} for s in sources]),
        hide_index=True, width="stretch")
else:
    st.caption(_("No data sources yet."))

if sources:
    st.header(_("Work with a source"))
    by_id = {s.id: s for s in sources}
    chosen = by_id[st.selectbox(_("Source"), list(by_id), format_func=lambda i: by_id[i].name, key="src_chosen")]
    test_col, preview_col, sync_col, dry_col = st.columns(4)
    if test_col.button(_("Test connection"), key="src_test_saved"):
        found = call(test_connection, chosen.id)
        if found is not None:
            st.success(ngettext("Connected: {n} row.", "Connected: {n} rows.", found.rows).format(n=number(found.rows))
                       + (" " + _("{n} new or changed since the last sync.").format(n=number(found.changed))
                          if found.changed is not None else ""))
            st.caption(_("Columns: {names}").format(names=", ".join(found.names)))
    if preview_col.button(_("Preview"), key="src_preview"):
        shown = call(preview, chosen.id)
        if shown is not None:
            if not shown.changed_only:
                st.info(_("Nothing new or changed since the last sync: these are the source's first rows."))
            k = kind_named(chosen.kind)
            dataframe(table_of([{**{_(k.field(f).label): ("" if v is None else str(v))
                                           for f, v in r.stored.items()},
                                        _("Problems"): "; ".join(r.problems)} for r in shown.rows]),
                         hide_index=True, width="stretch")
    for col, dry in ((sync_col, False), (dry_col, True)):
        if col.button(_("Dry run") if dry else _("Sync now"), key=f"src_sync_{dry}", type="secondary" if dry
                      else "primary", disabled=not chosen.active):
            bar = st.progress(0.0, text=_("Syncing…"))
            report = call(sync, chosen.id, dry_run=dry, progress=lambda share: bar.progress(
                share, text=_("Syncing… {share}").format(share=percent(share))))
            bar.empty()
            if report is not None:
                st.session_state["sources_report"] = (chosen.name, report)
    last = st.session_state.get("sources_report")
    if last is not None:
        st.markdown(_("**Report: {name}**").format(name=last[0]) + (_(" (dry run: nothing was written)")
                                                                      if last[1].dry_run else ""))
        show_report(last[1])

    with st.expander(_("Change, pause or undo")):
        interval = st.number_input(_("Sync every (minutes)"), 1, 44640, chosen.interval_minutes,
                                   key=f"src_every_{chosen.id}")
        new_url = st.text_input(_("New database address (leave empty to keep it)"), type="password",
                                key=f"src_new_url_{chosen.id}")
        if st.button(_("Save changes"), key="src_save_changes"):
            if call(update_source, chosen.id, {"interval_minutes": int(interval), "url": new_url},
                    version=chosen.version):
                flash(_("{name} saved.").format(name=chosen.name))
                st.rerun()
        if chosen.active and st.button(_("Deactivate"), key="src_deactivate"):
            if call(deactivate_source, chosen.id, version=chosen.version):
                flash(_("{name} will no longer be synced.").format(name=chosen.name))
                st.rerun()
        if not chosen.active and st.button(_("Activate"), key="src_activate"):
            if call(update_source, chosen.id, {"active": True}, version=chosen.version):
                flash(_("{name} will be synced again.").format(name=chosen.name))
                st.rerun()
        if chosen.change_column and st.button(_("Read everything again on the next sync"), key="src_again"):
            if call(read_again, chosen.id, version=chosen.version):
                flash(_("The next sync of {name} reads every row again.").format(name=chosen.name))
                st.rerun()
        if chosen.last_batch_id:
            sure = st.checkbox(_("I understand: what the last sync created is removed and what it updated is "
                                 "restored"), key="src_revert_sure")
            if st.button(_("Revert the last sync"), disabled=not sure, key="src_revert"):
                result = call(revert, chosen.last_batch_id)
                if result is not None:
                    flash(_("Last sync of {name} reverted: {counts}.").format(
                        name=chosen.name, counts=", ".join(f"{k}: {number(v)}" for k, v in result.items())))
                    st.rerun()

st.header(_("Add a source"))
name = st.text_input(_("Name (also the source system of what it imports)"), key="src_name", max_chars=40)
kind = st.selectbox(_("What it holds"), available(), format_func=lambda k: label(KIND_LABELS, k), key="src_kind")
url = st.text_input(_("Database address"), type="password", key="src_url",
                    help=_("For example postgresql+psycopg://reader:password@host:5432/shop, "
                           "mysql+pymysql://reader:password@host:3306/shop or sqlite:////path/shop.sqlite3. "
                           "It is never shown again."))
query = st.text_area(_("Table or SELECT query"), key="src_query", height=80)
change = st.text_input(_("Change column (optional: an updated-at time or a growing id)"), key="src_change")
every = st.number_input(_("Sync every (minutes)"), 1, 44640, 60, key="src_interval")
if st.button(_("Test connection"), key="src_test_new"):
    found = call(test_connection, url=url, query=query, change_column=change or None)
    st.session_state[CHECKED] = (url, query, found.names, found.rows) if found is not None else None
checked = st.session_state.get(CHECKED)
if checked and checked[:2] == (url, query):
    names = checked[2]
    st.success(ngettext("Connected: {n} row.", "Connected: {n} rows.", checked[3]).format(n=number(checked[3])))
    st.markdown(_("Check how the columns map to fields:"))
    k = kind_named(kind)
    guessed = auto_mapping(k, names)
    mapping: dict[str, str] = {}
    choices = [None, *range(len(names))]
    cols = st.columns(4)
    for n, field in enumerate(k.fields):
        index = cols[n % 4].selectbox(
            _(field.label) + (" *" if field.required else ""), choices, index=choices.index(guessed.get(field.name)),
            format_func=lambda i: _("(not imported)") if i is None else names[i], key=f"src_map_{kind}_{field.name}")
        if index is not None:
            mapping[field.name] = names[index]
    if st.button(_("Save source"), type="primary", key="src_save"):
        saved = call(register_source, name=name, kind=kind, url=url, query=query, change_column=change or None,
                     mapping=mapping, interval_minutes=int(every))
        if saved is not None:
            for key in (*NEW, CHECKED):
                st.session_state.pop(key, None)
            flash(_("{name} saved: sync it now or let the schedule do it.").format(name=saved.name))
            st.rerun()
