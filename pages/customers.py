"""Customers: search and filter the list, open a profile, create, edit, bulk edit, archive."""
import datetime as dt

import pandas as pd
import streamlit as st

from crm.access import can
from crm.customers import (
    PAGE_SIZES,
    SORTS,
    Filters,
    archive_customer,
    bulk_update,
    create_customer,
    filter_choices,
    restore_customer,
    search_customers,
    update_customer,
)
from crm.contact_data import STATUSES
from crm.importing import export_customers_csv, export_customers_xlsx
from crm.interactions import CHANNELS, FEEDBACK_KINDS, schedule_follow_up
from crm.profile import customer_profile
from crm.saved_views import delete_view, list_views, save_view
from ui.context import actor, call
from ui.interaction_form import interaction_form

who = actor()
may_write = can(who, "customers.write")
may_log = can(who, "interactions.write")
ANY = "(any)"
CONSENTS = {ANY: None, "Marketing": "marketing", "Third-party sharing": "third_party", "No consent": "none"}


def money(value) -> str:
    return f"{float(value or 0):,.2f}"


def open_customer(customer_id: int | None) -> None:
    st.session_state["customer_id"] = customer_id
    st.session_state.pop("cust_open", None)
    if customer_id is None:
        st.query_params.pop("customer", None)
    else:
        st.query_params["customer"] = str(customer_id)


# --------------------------------------------------------------- profile --


def customer_form(prefix: str, detail=None, choices=None) -> dict | None:
    """The fields of a customer; returns the values when the form is submitted."""
    owners = {o.label: o.id for o in (choices.owners if choices else [])}
    owner_labels = ["(none)"] + list(owners)
    current_owner = next((label for label, oid in owners.items() if detail and oid == detail.owner_id), "(none)")
    with st.form(f"{prefix}_form"):
        c1, c2 = st.columns(2)
        name = c1.text_input("Name", value=detail.name if detail else "")
        company = c2.text_input("Company", value=(detail.company or "") if detail else "")
        email = c1.text_input("E-mail", value=(detail.email or "") if detail and detail.pii_visible else "",
                              disabled=bool(detail and not detail.pii_visible))
        phone = c2.text_input("Phone", value=(detail.phone or "") if detail and detail.pii_visible else "",
                              help="International (+62 812…) or national with the country below",
                              disabled=bool(detail and not detail.pii_visible))
        country = c1.text_input("Country (ISO code, e.g. ID, BG, PK)", value=(detail.country or "") if detail else "")
        city = c2.text_input("City", value=(detail.city or "") if detail else "")
        status = c1.selectbox("Status", STATUSES, index=STATUSES.index(detail.status) if detail else 0)
        segment = c2.text_input("Segment", value=(detail.segment or "") if detail else "")
        source = c1.text_input("Acquisition source", value=(detail.acquisition_source or "") if detail else "")
        owner = c2.selectbox("Owner", owner_labels, index=owner_labels.index(current_owner))
        consent_m = c1.checkbox("Consents to marketing", value=bool(detail and detail.consent_marketing))
        consent_t = c2.checkbox("Consents to sharing with third parties",
                                value=bool(detail and detail.consent_third_party))
        notes = st.text_area("Notes", value=(detail.notes or "") if detail else "")
        submitted = st.form_submit_button("Save customer", type="primary")
    if not submitted:
        return None
    values = {"name": name, "company": company, "country": country, "city": city, "status": status,
              "segment": segment, "acquisition_source": source, "owner_id": owners.get(owner),
              "notes": notes, "consent_marketing": consent_m, "consent_third_party": consent_t}
    if not detail or detail.pii_visible:
        values.update(email=email, phone=phone)
    return values


def follow_up_form(customer_id: int) -> None:
    with st.form(f"follow_{customer_id}", clear_on_submit=True):
        st.markdown("**Schedule a follow-up**")
        c1, c2 = st.columns(2)
        due = c1.date_input("Due on", value=dt.date.today() + dt.timedelta(days=7))
        channel = c2.selectbox("How", list(CHANNELS), format_func=CHANNELS.get, key=f"fu_channel_{customer_id}")
        subject = st.text_input("What to follow up", key=f"fu_subject_{customer_id}")
        if st.form_submit_button("Schedule follow-up"):
            if call(schedule_follow_up, customer_id, due_on=due, subject=subject, channel=channel):
                st.success(f"Follow-up scheduled for {due:%Y-%m-%d}; it is on your Home page.")


def render_profile(customer_id: int) -> None:
    if st.button("← Back to the list"):
        open_customer(None)
        st.rerun()
    profile = call(customer_profile, customer_id)
    if profile is None:
        return
    c = profile.customer
    st.header(c.name)
    facts = [c.company, c.status, c.segment, f"owner: {c.owner}" if c.owner else "no owner"]
    st.caption(" · ".join(f for f in facts if f))
    if c.archived_at:
        st.warning(f"Archived on {c.archived_at:%Y-%m-%d}.")
    if c.erased:
        st.warning("This customer's personal data was erased.")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Lifetime revenue", money(c.lifetime_revenue))
    m2.metric("Lifetime cost", money(c.lifetime_cost))
    m3.metric("Lifetime margin", money(c.lifetime_margin))
    m4.metric("Purchases", c.purchase_count)
    st.markdown(
        f"**E-mail** {c.email or '—'} · **Phone** {c.phone or '—'} · **City** {c.city or '—'} "
        f"· **Country** {c.country or '—'}"
    )
    if not c.pii_visible:
        st.caption("Contact details are masked for your role.")
    st.markdown(
        f"**Consents** marketing: {'yes' if c.consent_marketing else 'no'} · "
        f"third-party sharing: {'yes' if c.consent_third_party else 'no'}"
    )
    if profile.open_follow_ups:
        st.subheader("Open follow-ups")
        st.dataframe(pd.DataFrame(profile.open_follow_ups), hide_index=True, width="stretch")

    tabs = st.tabs(["Timeline", "Products and purchases", "Support calls", "Surveys", "Consent history"])
    with tabs[0]:
        st.caption(f"{profile.timeline_total} interactions from every department, newest first"
                   + (f" (showing {len(profile.timeline)})" if profile.timeline_total > len(profile.timeline) else ""))
        if profile.timeline:
            st.dataframe(pd.DataFrame([{
                "When": r.occurred_at, "Department": r.department, "Who": r.user, "Channel": CHANNELS.get(r.channel),
                "Direction": r.direction, "Subject": r.subject, "Notes": r.notes, "Outcome": r.outcome,
                "Feedback": FEEDBACK_KINDS.get(r.feedback_kind or "", ""), "Tags": ", ".join(r.tags),
            } for r in profile.timeline]), hide_index=True, width="stretch")
    with tabs[1]:
        st.markdown("**Products owned**")
        st.dataframe(pd.DataFrame(profile.products), hide_index=True, width="stretch")
        st.markdown("**Purchase history**")
        st.dataframe(pd.DataFrame(profile.purchases), hide_index=True, width="stretch")
    with tabs[2]:
        st.dataframe(pd.DataFrame(profile.support_calls), hide_index=True, width="stretch")
    with tabs[3]:
        st.dataframe(pd.DataFrame(profile.surveys), hide_index=True, width="stretch")
    with tabs[4]:
        st.dataframe(pd.DataFrame(profile.consents), hide_index=True, width="stretch")

    if may_log:
        left, right = st.columns(2)
        with left:
            interaction_form(f"log_{customer_id}", customer_id=customer_id)
        with right:
            follow_up_form(customer_id)

    if may_write and not c.erased:
        version_key = f"loaded_version_{customer_id}"
        st.session_state.setdefault(version_key, c.version)
        with st.expander("Edit customer", expanded=False):
            values = customer_form(f"edit_{customer_id}", c, call(filter_choices))
            if values is not None:
                saved = call(update_customer, customer_id, values, st.session_state[version_key])
                if saved:
                    st.session_state[version_key] = saved.version
                    st.success("Saved.")
            if st.button("Reload the latest version", key=f"reload_{customer_id}"):
                st.session_state.pop(version_key, None)
                st.rerun()
        if c.archived_at:
            if st.button("Restore customer"):
                call(restore_customer, customer_id)
                st.rerun()
        elif st.button("Archive customer"):
            call(archive_customer, customer_id)
            st.rerun()


# ------------------------------------------------------------------ list --


def apply_view(params: dict) -> None:
    st.session_state["cust_query"] = params.get("query", "")
    for key in ("status", "segment", "country", "acquisition_source"):
        st.session_state[f"cust_{key}"] = params.get(key) or ANY
    st.session_state["cust_consent"] = next((k for k, v in CONSENTS.items() if v == params.get("consent")), ANY)
    st.session_state["cust_sort"] = params.get("sort", "name")
    st.session_state["cust_archived"] = bool(params.get("include_archived"))


def render_list() -> None:
    choices = call(filter_choices)
    if choices is None:
        return
    views = call(list_views) or []
    if views:
        by_label = {f"{v.name}{' (shared)' if v.shared else ''}{'' if v.mine else f' by {v.owner}'}": v
                    for v in views}
        c1, c2, c3 = st.columns([3, 1, 1])
        chosen = c1.selectbox("Saved view", list(by_label), index=None, placeholder="Choose a saved view")
        if c2.button("Apply view", disabled=chosen is None):
            apply_view(by_label[chosen].params)
            st.rerun()
        if chosen and by_label[chosen].mine and c3.button("Delete view"):
            call(delete_view, by_label[chosen].id)
            st.rerun()

    query = st.text_input("Search", key="cust_query", placeholder="Name, company, e-mail or phone")
    f1, f2, f3, f4 = st.columns(4)
    status = f1.selectbox("Status", [ANY, *STATUSES], key="cust_status")
    segment = f2.selectbox("Segment", [ANY, *choices.segments], key="cust_segment")
    owner_labels = {ANY: None, **{o.label: o.id for o in choices.owners}}
    owner = f3.selectbox("Owner", list(owner_labels), key="cust_owner")
    country = f4.selectbox("Country", [ANY, *choices.countries], key="cust_country")
    f5, f6, f7, f8 = st.columns(4)
    source = f5.selectbox("Acquisition source", [ANY, *choices.sources], key="cust_acquisition_source")
    consent = f6.selectbox("Consent", list(CONSENTS), key="cust_consent")
    sort = f7.selectbox("Sort by", list(SORTS), format_func=SORTS.get, key="cust_sort")
    page_size = f8.selectbox("Rows per page", PAGE_SIZES, key="cust_page_size")
    include_archived = st.checkbox("Include archived customers", key="cust_archived")

    filters = Filters(
        status=None if status == ANY else status, segment=None if segment == ANY else segment,
        owner_id=owner_labels[owner], country=None if country == ANY else country,
        acquisition_source=None if source == ANY else source, consent=CONSENTS[consent],
        include_archived=include_archived, sort=sort,
    )
    page_no = st.session_state.get("cust_page", 1)
    result = call(search_customers, query, filters, page=page_no, page_size=page_size)
    if result is None:
        return
    if page_no > result.pages:
        st.session_state["cust_page"] = 1
        result = call(search_customers, query, filters, page=1, page_size=page_size)
    first = (result.page - 1) * result.page_size + 1 if result.total else 0
    last = min(result.total, result.page * result.page_size)
    st.caption(f"{result.total:,} customer{'' if result.total == 1 else 's'} · showing {first:,}–{last:,}")
    if result.rows:
        st.dataframe(pd.DataFrame([{
            "Name": r.name, "Company": r.company, "E-mail": r.email, "Phone": r.phone, "Country": r.country,
            "Status": r.status + (" (archived)" if r.archived else ""), "Segment": r.segment, "Owner": r.owner,
            "Last contact": r.last_contact_at, "Lifetime revenue": float(r.lifetime_revenue),
        } for r in result.rows]), hide_index=True, width="stretch")
    else:
        st.info("No customer matches. Check the spelling, clear a filter, or create the customer below.")
    p1, p2 = st.columns([1, 3])
    p1.number_input("Page", min_value=1, max_value=result.pages, key="cust_page")
    labels = {f"{r.name} — {r.company or r.country or ''} (#{r.id})": r.id for r in result.rows}
    chosen = p2.selectbox("Open customer", list(labels), index=None, placeholder="Choose a customer to open",
                          key="cust_open")
    if chosen:
        open_customer(labels[chosen])
        st.rerun()

    with st.expander("Save this view"):
        name = st.text_input("View name")
        shared = st.checkbox(f"Share with {who.department_name}")
        if st.button("Save view"):
            params = {"query": query, "status": filters.status, "segment": filters.segment,
                      "country": filters.country, "acquisition_source": filters.acquisition_source,
                      "consent": filters.consent, "include_archived": include_archived, "sort": sort}
            if call(save_view, name, params, shared=shared):
                st.success(f"Saved view '{name}'.")

    if can(who, "data.export"):
        with st.expander("Export customers"):
            third = st.checkbox("For a third party: only customers who consented to sharing", key="cust_export_third")
            if st.button("Prepare export files"):
                csv_file = call(export_customers_csv, third_party=third)
                xlsx_file = call(export_customers_xlsx, third_party=third)
                if csv_file and xlsx_file:
                    left = f"; {csv_file[2]} left out without consent" if third else ""
                    st.caption(f"{csv_file[1]} customers{left}.")
                    st.download_button("Download CSV", csv_file[0], file_name="customers.csv", mime="text/csv")
                    st.download_button("Download Excel", xlsx_file[0], file_name="customers.xlsx",
                                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    if may_write and result.rows:
        with st.expander("Bulk edit"):
            selected = st.multiselect("Customers to change", list(labels))
            b1, b2, b3 = st.columns(3)
            new_owner = b1.selectbox("New owner", ["(keep)", *[o.label for o in choices.owners]])
            new_segment = b2.text_input("New segment (empty: keep)")
            new_status = b3.selectbox("New status", ["(keep)", *STATUSES])
            if st.button("Apply to selected"):
                changes = {}
                if new_owner != "(keep)":
                    changes["owner_id"] = owner_labels[new_owner]
                if new_segment.strip():
                    changes["segment"] = new_segment
                if new_status != "(keep)":
                    changes["status"] = new_status
                if not changes:
                    st.warning("Choose at least one change.")
                else:
                    count = call(bulk_update, [labels[s] for s in selected], changes)
                    if count is not None:
                        st.success(f"Changed {count} customers.")

    if may_write:
        with st.expander("New customer"):
            values = customer_form("new", None, choices)
            if values is not None:
                created = call(create_customer, values)
                if created:
                    st.success(f"Created {created.name}.")
                    open_customer(created.id)
                    st.rerun()


st.title("Customers")
if "customer" in st.query_params and st.session_state.get("customer_id") is None:
    try:
        st.session_state["customer_id"] = int(st.query_params["customer"])
    except ValueError:
        st.query_params.pop("customer", None)
if st.session_state.get("customer_id"):
    render_profile(st.session_state["customer_id"])
else:
    render_list()
