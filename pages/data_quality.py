"""Data quality: how complete the customer data is, what is invalid, duplicates to merge, neglected customers."""
import pandas as pd
import streamlit as st

from crm.quality import completeness, duplicate_clusters, invalid_contacts, merge_customers, neglected
from ui.context import call, flash, show_flash

st.title("Data quality")
show_flash()

st.subheader("Completeness")
fields = call(completeness) or []
if fields:
    st.dataframe(pd.DataFrame(fields), hide_index=True, width="stretch")

st.subheader("Invalid e-mails and phones")
bad = call(invalid_contacts) or []
if bad:
    st.dataframe(pd.DataFrame(bad).drop(columns=["id"]), hide_index=True, width="stretch")
else:
    st.caption("No invalid e-mail or phone found.")

st.subheader("Possible duplicates")
clusters = call(duplicate_clusters) or []
st.caption(f"{len(clusters)} groups. Merging keeps every interaction, receipt, survey answer and consent on the "
           "customer you keep; the other is archived, not deleted.")
for n, cluster in enumerate(clusters):
    with st.expander(f"{cluster.reason}: " + ", ".join(c["Name"] for c in cluster.customers)):
        st.dataframe(pd.DataFrame(cluster.customers), hide_index=True, width="stretch")
        labels = {f"#{c['id']} {c['Name']}": c["id"] for c in cluster.customers}
        keep = st.selectbox("Keep", list(labels), key=f"keep_{n}")
        merge = st.selectbox("Merge into it", [label for label in labels if label != keep], key=f"merge_{n}")
        if st.button("Merge", key=f"do_merge_{n}"):
            moved = call(merge_customers, labels[keep], labels[merge])
            if moved is not None:
                flash(f"Merged {merge} into {keep}: " + ", ".join(f"{v} {k}" for k, v in moved.items()) + " moved.")
                st.rerun()

st.subheader("Neglected customers")
months = st.number_input("Without contact for (months)", min_value=1, max_value=60, value=6)
lists = call(neglected, months=int(months)) or {"no_owner": [], "no_contact": []}
c1, c2 = st.columns(2)
c1.markdown(f"**Without owner** ({len(lists['no_owner'])})")
c1.dataframe(pd.DataFrame(lists["no_owner"]).drop(columns=["id"], errors="ignore"), hide_index=True, width="stretch")
c2.markdown(f"**No contact for {months} months** ({len(lists['no_contact'])})")
c2.dataframe(pd.DataFrame(lists["no_contact"]).drop(columns=["id"], errors="ignore"), hide_index=True, width="stretch")
