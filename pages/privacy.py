"""Privacy: consents, subject access, erasure and retention (for the data protection officer)."""
import streamlit as st

from crm.customers.service import search_customers
from crm.customers.privacy import (
    CONSENT_PURPOSES,
    consent_history,
    consent_state,
    erase_customer,
    purge_prospects,
    record_consent,
    retention_months_for_page,
    set_retention_months,
    stale_prospects,
    subject_access,
)
from crm.core.i18n import _, date, label, ngettext, number
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe, table_of

actor()  # signed in (and this session's language in use)
st.title(_("Privacy"))
show_flash()

st.header(_("A customer's consents and data"))
find = st.text_input(_("Find the customer"), key="privacy_find", placeholder=_("Name, company, e-mail or phone"))
found = call(search_customers, find, page_size=20) if find.strip() else None
options = {f"{r.name} — {r.company or r.country or ''} (#{r.id})": r.id for r in (found.rows if found else [])}
chosen = st.selectbox(_("Customer"), list(options), index=None, placeholder=_("Search above, then choose"))
if chosen:
    cid = options[chosen]
    states = call(consent_state, cid) or []
    for state in states:
        c1, c2, c3 = st.columns([3, 2, 2])
        purpose = label(CONSENT_PURPOSES, state.purpose)
        if state.recorded_at:
            line = (_("**{purpose}**: given ({date}, {source}, wording {version})") if state.granted
                    else _("**{purpose}**: not given ({date}, {source}, wording {version})"))
            c1.markdown(line.format(purpose=purpose, date=date(state.recorded_at), source=state.source,
                                    version=state.wording_version))
        else:
            c1.markdown((_("**{purpose}**: given") if state.granted else _("**{purpose}**: not given"))
                        .format(purpose=purpose))
        source = c2.text_input(_("Source of the decision"), value=_("phone call"), key=f"src_{state.purpose}")
        action = _("Withdraw") if state.granted else _("Record consent")
        if c3.button(action, key=f"consent_{state.purpose}"):
            if call(record_consent, cid, state.purpose, not state.granted, source=source):
                done = _("{purpose}: consent withdrawn.") if state.granted else _("{purpose}: consent recorded.")
                flash(done.format(purpose=purpose))
                st.rerun()
    history = call(consent_history, cid) or []
    if history:
        dataframe(table_of([{_("When"): date(h.recorded_at), _("Purpose"): label(CONSENT_PURPOSES, h.purpose),
                                    _("Decision"): _("given") if h.granted else _("withdrawn"),
                                    _("Source"): h.source, _("Wording"): h.wording_version} for h in history]),
                     hide_index=True, width="stretch")
    if st.button(_("Prepare subject access file")):
        data = call(subject_access, cid)
        if data:
            st.download_button(_("Download everything held (JSON)"), data, file_name=f"subject-access-{cid}.json",
                               mime="application/json")
    with st.expander(_("Erase this customer's personal data")):
        st.warning(_("Irreversible. Name, contact details, notes and comments are replaced by an anonymous "
                     "placeholder; purchases and figures stay so that totals remain correct."))
        confirmation = st.text_input(_("Type the customer number {number} to confirm").format(number=cid),
                                     key=f"erase_{cid}")
        if st.button(_("Erase personal data"), type="primary"):
            if call(erase_customer, cid, confirmation):
                flash(_("Customer #{number} erased.").format(number=cid))
                st.rerun()

st.header(_("Retention"))
months = call(retention_months_for_page) or 24
new_months = st.number_input(_("Review prospects without contact for more than (months)"), min_value=1,
                             max_value=120, value=int(months))
if new_months != months and st.button(_("Save retention period")):
    call(set_retention_months, int(new_months))
    st.rerun()
stale = call(stale_prospects) or []
st.caption(ngettext("{n} prospect without contact for more than {months} months.",
                    "{n} prospects without contact for more than {months} months.", len(stale))
           .format(n=number(len(stale)), months=number(months)))
if stale:
    dataframe(table_of([{"id": p.id, _("Name"): p.name, _("Created"): date(p.created_at),
                                _("Last contact"): date(p.last_contact_at)} for p in stale]),
                 hide_index=True, width="stretch")
    sure = st.checkbox(_("Erase the personal data of all listed prospects (irreversible)"))
    if st.button(_("Purge listed prospects"), disabled=not sure):
        count = call(purge_prospects, [p.id for p in stale])
        if count is not None:
            flash(ngettext("{n} prospect purged.", "{n} prospects purged.", count).format(n=number(count)))
            st.rerun()
