"""Data quality: how complete the customer data is, what is invalid, duplicates to merge, neglected customers."""
import streamlit as st

from crm.core.i18n import _, date, label, ngettext, number
from crm.customers.contact_rules import CUSTOMER_STATUSES
from crm.customers.quality import (
    CONTACT_PROBLEMS,
    FIELD_LABELS,
    Neglected,
    completeness,
    duplicate_clusters,
    invalid_contacts,
    merge_customers,
    neglected,
)
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe, table_of

# What a merge moved, per kind (codes returned by merge_customers).
MOVED = {
    "interactions": lambda n: ngettext("{n} interaction", "{n} interactions", n),
    "receipts": lambda n: ngettext("{n} receipt", "{n} receipts", n),
    "surveys": lambda n: ngettext("{n} survey answer", "{n} survey answers", n),
    "consents": lambda n: ngettext("{n} consent", "{n} consents", n),
}


actor()  # signed in (and this session's language in use)
st.title(_("Data quality"))
show_flash()

st.header(_("Completeness"))
fields = call(completeness) or []
if fields:
    dataframe(table_of([{_("Field"): label(FIELD_LABELS, f.field), _("Filled"): f.filled,
                                _("Missing"): f.missing, _("Complete %"): number(f.complete_pct, 1)}
                               for f in fields]), hide_index=True, width="stretch")

st.header(_("Invalid e-mails and phones"))
bad = call(invalid_contacts) or []
if bad:
    dataframe(table_of([{_("Name"): c.name, _("E-mail"): c.email, _("Phone"): c.phone,
                                _("Problem"): ", ".join(label(CONTACT_PROBLEMS, p) for p in c.problems)}
                               for c in bad]), hide_index=True, width="stretch")
else:
    st.caption(_("No invalid e-mail or phone found."))

st.header(_("Possible duplicates"))
clusters = call(duplicate_clusters) or []
st.caption(ngettext("{n} group. Merging keeps every interaction, receipt, survey answer and consent on the "
                    "customer you keep; the other is archived, not deleted.",
                    "{n} groups. Merging keeps every interaction, receipt, survey answer and consent on the "
                    "customer you keep; the other is archived, not deleted.", len(clusters)).format(n=number(len(clusters))))
for n, cluster in enumerate(clusters):
    names = ", ".join(c.name for c in cluster.customers)
    with st.expander(_("{reason}: {names}").format(reason=_(cluster.reason), names=names)):
        dataframe(table_of([{_("Name"): c.name, _("Company"): c.company, _("E-mail"): c.email,
                                    _("Phone"): c.phone, _("Created"): date(c.created_at)}
                                   for c in cluster.customers]), hide_index=True, width="stretch")
        labels = {f"#{c.id} {c.name}": c.id for c in cluster.customers}
        keep = st.selectbox(_("Keep"), list(labels), key=f"keep_{n}")
        merge = st.selectbox(_("Merge into it"), [name for name in labels if name != keep], key=f"merge_{n}")
        if st.button(_("Merge"), key=f"do_merge_{n}"):
            moved = call(merge_customers, labels[keep], labels[merge])
            if moved is not None:
                what = ", ".join(MOVED[k](v).format(n=number(v)) if k in MOVED else f"{v} {k}"
                                 for k, v in moved.items())
                flash(_("Merged {merged} into {kept}. Moved: {moved}.").format(merged=merge, kept=keep, moved=what))
                st.rerun()

st.header(_("Neglected customers"))
months = st.number_input(_("Without contact for (months)"), min_value=1, max_value=60, value=6)
lists = call(neglected, months=int(months)) or Neglected([], [])
c1, c2 = st.columns(2)
c1.markdown(_("**Without owner** ({count})").format(count=number(len(lists.no_owner))))
dataframe(container=c1, data=table_of([{_("Name"): c.name, _("Status"): label(CUSTOMER_STATUSES, c.status),
                            _("Created"): date(c.created_at)} for c in lists.no_owner]),
             hide_index=True, width="stretch")
c2.markdown(ngettext("**No contact for {months} month** ({count})", "**No contact for {months} months** ({count})",
                     int(months)).format(months=number(int(months)), count=number(len(lists.no_contact))))
dataframe(container=c2, data=table_of([{_("Name"): c.name, _("Status"): label(CUSTOMER_STATUSES, c.status),
                            _("Last contact"): date(c.last_contact_at), _("Owner"): c.owner}
                           for c in lists.no_contact]), hide_index=True, width="stretch")
