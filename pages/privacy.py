"""Privacy: consents, subject access, erasure and retention (for the data protection officer)."""
import pandas as pd
import streamlit as st

from crm.customers import search_customers
from crm.privacy import (
    PURPOSES,
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
from ui.context import call, flash, show_flash

st.title("Privacy")
show_flash()

st.subheader("A customer's consents and data")
find = st.text_input("Find the customer", key="privacy_find", placeholder="Name, company, e-mail or phone")
found = call(search_customers, find, page_size=20) if find.strip() else None
options = {f"{r.name} — {r.company or r.country or ''} (#{r.id})": r.id for r in (found.rows if found else [])}
chosen = st.selectbox("Customer", list(options), index=None, placeholder="Search above, then choose")
if chosen:
    cid = options[chosen]
    states = call(consent_state, cid) or []
    for state in states:
        c1, c2, c3 = st.columns([3, 2, 2])
        c1.markdown(f"**{PURPOSES[state.purpose]}**: {'given' if state.granted else 'not given'}"
                    + (f" ({state.recorded_at:%Y-%m-%d}, {state.source}, wording {state.wording_version})"
                       if state.recorded_at else ""))
        source = c2.text_input("Source of the decision", value="phone call", key=f"src_{state.purpose}")
        label = "Withdraw" if state.granted else "Record consent"
        if c3.button(label, key=f"consent_{state.purpose}"):
            if call(record_consent, cid, state.purpose, not state.granted, source=source):
                flash(f"{PURPOSES[state.purpose]}: consent {'withdrawn' if state.granted else 'recorded'}.")
                st.rerun()
    history = call(consent_history, cid) or []
    if history:
        st.dataframe(pd.DataFrame(history), hide_index=True, width="stretch")
    if st.button("Prepare subject access file"):
        data = call(subject_access, cid)
        if data:
            st.download_button("Download everything held (JSON)", data, file_name=f"subject-access-{cid}.json",
                               mime="application/json")
    with st.expander("Erase this customer's personal data"):
        st.warning("Irreversible. Name, contact details, notes and comments are replaced by an anonymous "
                   "placeholder; purchases and figures stay so that totals remain correct.")
        confirmation = st.text_input(f"Type the customer number {cid} to confirm", key=f"erase_{cid}")
        if st.button("Erase personal data", type="primary"):
            if call(erase_customer, cid, confirmation):
                flash(f"Customer #{cid} erased.")
                st.rerun()

st.subheader("Retention")
months = call(retention_months_for_page) or 24
new_months = st.number_input("Review prospects without contact for more than (months)", min_value=1,
                             max_value=120, value=int(months))
if new_months != months and st.button("Save retention period"):
    call(set_retention_months, int(new_months))
    st.rerun()
stale = call(stale_prospects) or []
st.caption(f"{len(stale)} prospects without contact for more than {months} months.")
if stale:
    st.dataframe(pd.DataFrame(stale), hide_index=True, width="stretch")
    sure = st.checkbox("Erase the personal data of all listed prospects (irreversible)")
    if st.button("Purge listed prospects", disabled=not sure):
        count = call(purge_prospects, [r["id"] for r in stale])
        if count is not None:
            flash(f"{count} prospects purged.")
            st.rerun()
