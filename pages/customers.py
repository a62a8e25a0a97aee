"""Customers: search and filter the list, open a profile, create, edit, bulk edit, archive."""
import datetime as dt

import streamlit as st

from crm.core.access import can
from crm.customers.service import (
    CUSTOM_COLUMN,
    DEFAULT_COLUMNS,
    LIST_COLUMNS,
    PAGE_SIZES,
    SORTS,
    CustomerFilters,
    archive_customer,
    bulk_update,
    create_customer,
    filter_choices,
    restore_customer,
    search_customers,
    update_customer,
)
from crm.customers.contact_rules import CUSTOMER_STATUSES, STATUSES
from crm.core.i18n import N_, _, get_currency, label, ngettext, number
from crm.core.i18n import date as fmt_date
from crm.core.i18n import money as fmt_money
from crm.core.spreadsheet import EXCEL_MIME
from crm.customers.importing import export_customers
from crm.customers.privacy import CONSENT_PURPOSES
from crm.interactions.service import DIRECTIONS, schedule_follow_up
from crm.customers.profile import PURCHASE_CHANNELS, customer_profile
from crm.customers.saved_views import delete_view, list_views, save_view
from crm.settings.lists import Choices
from ui.context import actor, call, flash, show_flash
from ui.lists import managed
from crm.settings.fields import fields_for
from ui.field_filters import cell_value, filter_inputs, restore_inputs, value_input
from ui.formatting import dataframe, own_direction, table_of
from ui.interaction_form import interaction_form
from crm.settings.field_types import shown as custom_text
from ui.custom_fields import custom_inputs, show_custom_values

who = actor()
may_write = can(who, "customers.write")
may_log = can(who, "interactions.write")
# Option values kept in session state are codes; only the label shown is translated.
ANY = "(any)"
NONE = "(none)"
KEEP = "(keep)"
SENTINELS = {ANY: N_("(any)"), NONE: N_("(none)"), KEEP: N_("(keep)")}
CONSENTS = {ANY: N_("(any)"), **CONSENT_PURPOSES, "none": N_("No consent")}  # the consent filter


def money(value) -> str:
    """An amount in the portal's currency, written the way the user's language writes money."""
    return fmt_money(value or 0)


def open_choice(where, title: str, values: Choices, current: str | None) -> str:
    """A drop-down of a managed list's active values (and the record's own); a new value may be typed."""
    options = [NONE, *values.offered(keep=current)]
    chosen = where.selectbox(title, options, index=options.index(current) if current else 0, accept_new_options=True,
                             format_func=lambda v: option_label(v) if v == NONE else values.listed(v))
    return "" if chosen in (None, NONE) else chosen


def option_label(value) -> str:
    """The label of a filter option: sentinels translated, data values shown as they are."""
    return _(SENTINELS[value]) if value in SENTINELS else str(value)


def status_label(code: str) -> str:
    return option_label(code) if code in SENTINELS else label(CUSTOMER_STATUSES, code)


def open_customer(customer_id: int | None) -> None:
    st.session_state["customer_id"] = customer_id
    st.session_state.pop("cust_open", None)
    if customer_id is None:
        st.query_params.pop("customer", None)
    else:
        st.query_params["customer"] = str(customer_id)


# --------------------------------------------------------------- profile --


def customer_form(prefix: str, detail=None, choices=None) -> dict | None:
    """The fields of a customer, built-in and custom; returns the values when the form is submitted (the custom
    fields' under "custom")."""
    custom_fields = call(fields_for, "customers") or []
    owners = {o.id: o.label for o in (choices.owners if choices else [])}
    owner_ids = [NONE, *owners]
    current_owner = detail.owner_id if detail and detail.owner_id in owners else NONE
    with st.form(f"{prefix}_form"):
        c1, c2 = st.columns(2)
        name = c1.text_input(_("Name"), value=detail.name if detail else "")
        company = c2.text_input(_("Company"), value=(detail.company or "") if detail else "")
        email = c1.text_input(_("E-mail"), value=(detail.email or "") if detail and detail.pii_visible else "",
                              disabled=bool(detail and not detail.pii_visible))
        phone = c2.text_input(_("Phone"), value=(detail.phone or "") if detail and detail.pii_visible else "",
                              help=_("International (+62 812…) or national with the country below"),
                              disabled=bool(detail and not detail.pii_visible))
        country = c1.text_input(_("Country (ISO code, e.g. ID, BG, PK)"),
                                value=(detail.country or "") if detail else "")
        city = c2.text_input(_("City"), value=(detail.city or "") if detail else "")
        status = c1.selectbox(_("Status"), STATUSES, index=STATUSES.index(detail.status) if detail else 0,
                              format_func=status_label)
        segment = open_choice(c2, _("Segment"), managed("segments"), detail.segment if detail else None)
        source = open_choice(c1, _("Acquisition source"), managed("acquisition_sources"),
                             detail.acquisition_source if detail else None)
        owner = c2.selectbox(_("Owner"), owner_ids, index=owner_ids.index(current_owner),
                             format_func=lambda o: option_label(o) if o == NONE else owners[o])
        consent_m = c1.checkbox(_("Consents to marketing"), value=bool(detail and detail.consent_marketing))
        consent_t = c2.checkbox(_("Consents to sharing with third parties"),
                                value=bool(detail and detail.consent_third_party))
        notes = st.text_area(_("Notes"), value=(detail.notes or "") if detail else "")
        custom = custom_inputs(custom_fields, detail.custom if detail else None, prefix)
        submitted = st.form_submit_button(_("Save customer"), type="primary")
    if not submitted:
        return None
    values = {"name": name, "company": company, "country": country, "city": city, "status": status,
              "segment": segment, "acquisition_source": source, "owner_id": None if owner == NONE else owner,
              "notes": notes, "consent_marketing": consent_m, "consent_third_party": consent_t, "custom": custom}
    if not detail or detail.pii_visible:
        values.update(email=email, phone=phone)
    return values


def follow_up_form(customer_id: int) -> None:
    with st.form(f"follow_{customer_id}", clear_on_submit=True):
        st.markdown(_("**Schedule a follow-up**"))
        c1, c2 = st.columns(2)
        due = c1.date_input(_("Due on"), value=dt.date.today() + dt.timedelta(days=7))
        chans = managed("channels")
        channel = c2.selectbox(_("How"), chans.offered(), format_func=chans.label,
                               key=f"fu_channel_{customer_id}")
        subject = st.text_input(_("What to follow up"), key=f"fu_subject_{customer_id}")
        if st.form_submit_button(_("Schedule follow-up")):
            if call(schedule_follow_up, customer_id, due_on=due, subject=subject, channel=channel):
                flash(_("Follow-up scheduled for {date}; it is on your Home page.").format(date=fmt_date(due)))
                st.rerun()  # the profile's open follow-ups were read before this one existed




def render_profile(customer_id: int) -> None:
    depts, chans, kinds = managed("departments"), managed("channels"), managed("feedback_kinds")
    if st.button(_("← Back to the list")):
        open_customer(None)
        st.rerun()
    profile = call(customer_profile, customer_id)
    if profile is None:
        return
    c = profile.customer
    st.header(c.name)
    show_flash()  # what the forms below saved, after the rerun that shows it in the profile
    facts = [c.company, status_label(c.status), c.segment,
             _("owner: {name}").format(name=c.owner) if c.owner else _("no owner")]
    st.caption(" · ".join(f for f in facts if f))
    if c.archived_at:
        st.warning(_("Archived on {date}.").format(date=fmt_date(c.archived_at)))
    if c.erased:
        st.warning(_("This customer's personal data was erased."))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(_("Lifetime revenue"), money(c.lifetime_revenue))
    m2.metric(_("Lifetime cost"), money(c.lifetime_cost))
    m3.metric(_("Lifetime margin"), money(c.lifetime_margin))
    m4.metric(_("Purchases"), number(c.purchase_count))
    st.markdown(
        _("**E-mail** {email} · **Phone** {phone} · **City** {city} · **Country** {country}").format(
            email=own_direction(c.email or "—"), phone=own_direction(c.phone or "—"), city=c.city or "—",
            country=c.country or "—")
    )
    if not c.pii_visible:
        st.caption(_("Contact details are masked for your role."))
    show_custom_values(call(fields_for, "customers") or [], c.custom)
    st.markdown(
        _("**Consents** marketing: {marketing} · third-party sharing: {third_party}").format(
            marketing=_("yes") if c.consent_marketing else _("no"),
            third_party=_("yes") if c.consent_third_party else _("no"))
    )
    if profile.open_follow_ups:
        st.subheader(_("Open follow-ups"))
        dataframe(table_of([{
            _("Due"): f.due_on, _("Overdue"): f.overdue, _("Subject"): f.subject, _("Who"): f.user,
        } for f in profile.open_follow_ups]), hide_index=True, width="stretch")

    tabs = st.tabs([_("Timeline"), _("Products and purchases"), _("Support calls"), _("Surveys"),
                    _("Consent history")])
    with tabs[0]:
        total, shown = profile.timeline_total, len(profile.timeline)
        if total > shown:
            st.caption(ngettext("{n} interaction from every department, newest first (showing {shown})",
                                "{n} interactions from every department, newest first (showing {shown})",
                                total).format(n=number(total), shown=number(shown)))
        else:
            st.caption(ngettext("{n} interaction from every department, newest first",
                                "{n} interactions from every department, newest first",
                                total).format(n=number(total)))
        if profile.timeline:
            interaction_fields = call(fields_for, "interactions") or []
            dataframe(table_of([{
                _("When"): r.occurred_at, _("Department"): depts.listed(r.department), _("Who"): r.user,
                _("Channel"): chans.listed(r.channel), _("Direction"): label(DIRECTIONS, r.direction),
                _("Subject"): r.subject, _("Notes"): r.notes, _("Outcome"): r.outcome,
                _("Feedback"): kinds.listed(r.feedback_kind), _("Tags"): ", ".join(r.tags),
                **{f.label: custom_text(f, r.custom.get(f.code)) for f in interaction_fields},
            } for r in profile.timeline]), hide_index=True, width="stretch")
    with tabs[1]:
        st.markdown(_("**Products owned**"))
        dataframe(table_of([{
            _("Product"): p.product, _("Category"): p.category, _("Quantity"): p.quantity,
            _("Revenue"): money(p.revenue), _("Last bought"): p.last_bought,
        } for p in profile.products]), hide_index=True, width="stretch")
        st.markdown(_("**Purchase history**"))
        dataframe(table_of([{
            _("Receipt"): p.receipt, _("Date"): p.purchased_at, _("Channel"): label(PURCHASE_CHANNELS, p.channel),
            _("Total"): money(p.total), _("Margin"): money(p.margin),
        } for p in profile.purchases]), hide_index=True, width="stretch")
    with tabs[2]:
        dataframe(table_of([{
            _("Date"): r.occurred_at, _("Subject"): r.subject, _("Outcome"): r.outcome,
            _("Channel"): chans.listed(r.channel),
        } for r in profile.support_calls]), hide_index=True, width="stretch")
    with tabs[3]:
        dataframe(table_of([{
            _("Date"): a.answered_at, _("Score"): a.score, _("Chose us first for"): a.reason_first,
            _("Chose us again for"): a.reason_again, _("Comment"): a.comment,
        } for a in profile.surveys]), hide_index=True, width="stretch")
    with tabs[4]:
        dataframe(table_of([{
            _("When"): c.recorded_at, _("Purpose"): label(CONSENT_PURPOSES, c.purpose), _("Given"): c.granted,
            _("Source"): c.source, _("Wording"): c.wording_version,
        } for c in profile.consents]), hide_index=True, width="stretch")

    if may_log:
        left, right = st.columns(2)
        with left:
            interaction_form(f"log_{customer_id}", customer_id=customer_id)
        with right:
            follow_up_form(customer_id)

    if may_write and not c.erased:
        version_key = f"loaded_version_{customer_id}"
        st.session_state.setdefault(version_key, c.version)
        with st.expander(_("Edit customer"), expanded=False):
            values = customer_form(f"edit_{customer_id}", c, call(filter_choices))
            if values is not None:
                custom = values.pop("custom")
                saved = call(update_customer, customer_id, values, st.session_state[version_key], custom=custom)
                if saved:
                    st.session_state[version_key] = saved.version
                    st.success(_("Saved."))
            if st.button(_("Reload the latest version"), key=f"reload_{customer_id}"):
                st.session_state.pop(version_key, None)
                st.rerun()
        if c.archived_at:
            if st.button(_("Restore customer")):
                call(restore_customer, customer_id)
                st.rerun()
        elif st.button(_("Archive customer")):
            call(archive_customer, customer_id)
            st.rerun()


# ------------------------------------------------------------------ list --


def apply_view(params: dict, fields: list) -> None:
    st.session_state["cust_query"] = params.get("query", "")
    for key in ("status", "segment", "country", "acquisition_source"):
        st.session_state[f"cust_{key}"] = params.get(key) or ANY
    st.session_state["cust_consent"] = params.get("consent") if params.get("consent") in CONSENTS else ANY
    st.session_state["cust_sort"] = params.get("sort", "name")
    st.session_state["cust_archived"] = bool(params.get("include_archived"))
    if params.get("columns"):
        st.session_state["cust_columns_kept"] = params["columns"]
        st.session_state.pop("cust_columns", None)
    restore_inputs(fields, "cust", params.get("custom") or [])


def column_choice(fields: list) -> list[str]:
    """The list's columns: the defaults fit the screen; the user adds others (custom fields too), kept for the session."""
    names = {**{k: _(v) for k, v in LIST_COLUMNS.items()}, **{CUSTOM_COLUMN + f.code: f.label for f in fields}}
    if "cust_columns" not in st.session_state:
        kept = st.session_state.get("cust_columns_kept", list(DEFAULT_COLUMNS))
        st.session_state["cust_columns"] = [c for c in kept if c in names] or list(DEFAULT_COLUMNS)
    chosen = st.multiselect(_("Columns"), list(names), key="cust_columns", format_func=names.__getitem__)
    st.session_state["cust_columns_kept"] = chosen
    return chosen or ["name"]


def row_cells(r, columns: list[str], fields: dict) -> dict:
    """One customer's cells for the chosen columns, headed by their labels."""
    built_in = {
        "name": r.name, "company": r.company, "email": r.email, "phone": r.phone, "country": r.country,
        "status": (_("{status} (archived)").format(status=status_label(r.status)) if r.archived
                   else status_label(r.status)),
        "segment": r.segment, "owner": r.owner, "last_contact_at": r.last_contact_at,
        "lifetime_revenue": float(r.lifetime_revenue)}
    cells = {}
    for column in columns:
        if column == "lifetime_revenue":  # in the portal's currency, named in the header
            cells[_("{column} ({currency})").format(column=_(LIST_COLUMNS[column]), currency=get_currency())] = \
                built_in[column]
        elif column in built_in:
            cells[_(LIST_COLUMNS[column])] = built_in[column]
        else:
            f = fields[column.removeprefix(CUSTOM_COLUMN)]
            cells[f.label] = cell_value(f, r.custom.get(f.code))
    return cells


def view_label(v) -> str:
    if v.mine:
        return _("{name} (shared)").format(name=v.name) if v.shared else v.name
    return _("{name} (shared by {owner})").format(name=v.name, owner=v.owner)


def render_list() -> None:
    choices = call(filter_choices)
    if choices is None:
        return
    fields = call(fields_for, "customers") or []
    views = call(list_views) or []
    if views:
        by_id = {v.id: v for v in views}
        c1, c2, c3 = st.columns([3, 1, 1])
        chosen = c1.selectbox(_("Saved view"), list(by_id), index=None, placeholder=_("Choose a saved view"),
                              format_func=lambda i: view_label(by_id[i]))
        if c2.button(_("Apply view"), disabled=chosen is None):
            apply_view(by_id[chosen].params, fields)
            st.rerun()
        if chosen and by_id[chosen].mine and c3.button(_("Delete view")):
            call(delete_view, chosen)
            st.rerun()

    query = st.text_input(_("Search"), key="cust_query", placeholder=_("Name, company, e-mail or phone"))
    f1, f2, f3, f4 = st.columns(4)
    status = f1.selectbox(_("Status"), [ANY, *STATUSES], key="cust_status", format_func=status_label)
    segment = f2.selectbox(_("Segment"), [ANY, *choices.segments], key="cust_segment",
                           format_func=lambda v: choices.segment_labels.get(v) or option_label(v))
    owner_labels = {o.id: o.label for o in choices.owners}
    owner = f3.selectbox(_("Owner"), [ANY, *owner_labels], key="cust_owner",
                         format_func=lambda o: option_label(o) if o == ANY else owner_labels[o])
    country = f4.selectbox(_("Country"), [ANY, *choices.countries], key="cust_country", format_func=option_label)
    f5, f6, f7, f8 = st.columns(4)
    source = f5.selectbox(_("Acquisition source"), [ANY, *choices.sources], key="cust_acquisition_source",
                          format_func=lambda v: choices.source_labels.get(v) or option_label(v))
    consent = f6.selectbox(_("Consent"), list(CONSENTS), key="cust_consent", format_func=lambda k: label(CONSENTS, k))
    sort = f7.selectbox(_("Sort by"), list(SORTS), format_func=lambda k: label(SORTS, k), key="cust_sort")
    page_size = f8.selectbox(_("Rows per page"), PAGE_SIZES, key="cust_page_size", format_func=number)
    include_archived = st.checkbox(_("Include archived customers"), key="cust_archived")
    custom_filters: tuple = ()
    if fields:
        with st.expander(_("Filter by custom fields")):
            custom_filters = filter_inputs(fields, "cust")
    columns = column_choice(fields)

    filters = CustomerFilters(
        status=None if status == ANY else status, segment=None if segment == ANY else segment,
        owner_id=None if owner == ANY else owner, country=None if country == ANY else country,
        acquisition_source=None if source == ANY else source, consent=None if consent == ANY else consent,
        include_archived=include_archived, sort=sort, custom=custom_filters,
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
    if result.more:
        count = _("more than {n} customers: search or filter to narrow them down").format(n=number(result.total))
    else:
        count = ngettext("{n} customer", "{n} customers", result.total).format(n=number(result.total))
    showing = _("showing {first}–{last}").format(first=number(first), last=number(last))
    st.caption(f"{count} · {showing}")
    if result.rows:
        by_code = {f.code: f for f in fields}
        dataframe(table_of([row_cells(r, columns, by_code) for r in result.rows]), hide_index=True, width="stretch")
    else:
        st.info(_("No customer matches. Check the spelling, clear a filter, or create the customer below."))
    p1, p2 = st.columns([1, 3])
    p1.number_input(_("Page"), min_value=1, max_value=result.pages, key="cust_page")
    labels = {f"{r.name} — {r.company or r.country or ''} (#{r.id})": r.id for r in result.rows}
    chosen = p2.selectbox(_("Open customer"), list(labels), index=None, placeholder=_("Choose a customer to open"),
                          key="cust_open")
    if chosen:
        open_customer(labels[chosen])
        st.rerun()

    with st.expander(_("Save this view")):
        name = st.text_input(_("View name"))
        shared = st.checkbox(_("Share with {department}").format(department=who.department_name))
        if st.button(_("Save view")):
            params = {"query": query, "status": filters.status, "segment": filters.segment,
                      "country": filters.country, "acquisition_source": filters.acquisition_source,
                      "consent": filters.consent, "include_archived": include_archived, "sort": sort,
                      "columns": columns, "custom": [f.params() for f in custom_filters]}
            if call(save_view, name, params, shared=shared):
                st.success(_("Saved view '{name}'.").format(name=name))

    if can(who, "data.export"):
        with st.expander(_("Export customers")):
            third = st.checkbox(_("For a third party: only customers who consented to sharing"),
                                key="cust_export_third")
            if st.button(_("Prepare export files")):
                export = call(export_customers, third_party=third)  # one export (one audit row) for both files
                if export is not None:
                    exported, left_out = export.included, export.left_out
                    if third:
                        st.caption(ngettext("{n} customer; {left} left out without consent.",
                                            "{n} customers; {left} left out without consent.",
                                            exported).format(n=number(exported), left=number(left_out)))
                    else:
                        st.caption(ngettext("{n} customer.", "{n} customers.", exported).format(n=number(exported)))
                    st.download_button(_("Download CSV"), export.csv(), file_name="customers.csv", mime="text/csv")
                    st.download_button(_("Download Excel"), export.xlsx(), file_name="customers.xlsx",
                                       mime=EXCEL_MIME)

    if may_write and result.rows:
        with st.expander(_("Bulk edit")):
            selected = st.multiselect(_("Customers to change"), list(labels))
            b1, b2, b3 = st.columns(3)
            new_owner = b1.selectbox(_("New owner"), [KEEP, *owner_labels],
                                     format_func=lambda o: option_label(o) if o == KEEP else owner_labels[o])
            new_segment = b2.text_input(_("New segment (empty: keep)"))
            new_status = b3.selectbox(_("New status"), [KEEP, *STATUSES], format_func=status_label)
            custom = {}
            if fields:
                b4, b5 = st.columns(2)
                field_labels = {f.code: f.label for f in fields}
                code = b4.selectbox(_("Custom field to set"), [KEEP, *field_labels], key="cust_bulk_field",
                                    format_func=lambda c: option_label(c) if c == KEEP else field_labels[c])
                if code != KEEP:
                    f = next(f for f in fields if f.code == code)
                    custom[code] = value_input(f, f"cust_bulk_value_{code}", b5)
            if st.button(_("Apply to selected")):
                changes = {}
                if new_owner != KEEP:
                    changes["owner_id"] = new_owner
                if new_segment.strip():
                    changes["segment"] = new_segment
                if new_status != KEEP:
                    changes["status"] = new_status
                if not changes and not custom:
                    st.warning(_("Choose at least one change."))
                else:
                    count = call(bulk_update, [labels[s] for s in selected], changes, custom=custom)
                    if count is not None:
                        st.success(ngettext("Changed {n} customer.", "Changed {n} customers.", count).format(
                            n=number(count)))

    if may_write:
        with st.expander(_("New customer")):
            values = customer_form("new", None, choices)
            if values is not None:
                custom = values.pop("custom")
                created = call(create_customer, values, custom=custom)
                if created:
                    st.success(_("Created {name}.").format(name=created.name))
                    open_customer(created.id)
                    st.rerun()


st.title(_("Customers"))
if "customer" in st.query_params and st.session_state.get("customer_id") is None:
    try:
        st.session_state["customer_id"] = int(st.query_params["customer"])
    except ValueError:
        st.query_params.pop("customer", None)
if st.session_state.get("customer_id"):
    render_profile(st.session_state["customer_id"])
else:
    render_list()
