"""Templates: the rollout checklist a new project starts from, and the budget categories a new plan starts from."""
import streamlit as st

from crm.core.i18n import _, label
from crm.rollout.checklist import PHASES
from crm.settings.templates import add_template_item, checklist_template, update_template_item
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe, table_of
from ui.list_editor import list_editor
from ui.lists import managed

NONE = "(none)"

who = actor()
st.title(_("Templates"))
show_flash()
st.caption(_("A change here reaches the projects and budget plans started after it: a running checklist and an "
             "approved plan keep what they started with."))
cats, depts = managed("checklist_categories"), managed("departments")


def department_label(code: str | None) -> str:
    return _("(none)") if code in (None, NONE) else depts.listed(code)


def item_fields(key: str, item=None) -> dict:  # noqa: ANN001 - a TemplateItem or None
    """The inputs of a checklist template item (inside a form)."""
    c1, c2, c3 = st.columns(3)
    phases = list(PHASES)
    phase = c1.selectbox(_("Phase"), phases, index=phases.index(item.phase) if item else 0,
                         format_func=lambda p: label(PHASES, p), key=f"{key}_phase")
    offered = cats.offered(keep=item.category if item else None)
    category = c2.selectbox(_("Category"), offered, index=offered.index(item.category) if item else 0,
                            format_func=cats.listed, key=f"{key}_category")
    owners = [NONE, *depts.offered(keep=item.owner_department if item else None)]
    owner = c3.selectbox(_("Default owner (department)"), owners,
                         index=owners.index(item.owner_department) if item and item.owner_department else 0,
                         format_func=department_label, key=f"{key}_owner")
    title = st.text_input(_("Title"), value=item.title if item else "", key=f"{key}_title")
    c4, c5, c6 = st.columns(3)
    days = c4.number_input(_("Due (days after the project start)"), min_value=0, max_value=3650, step=1,
                           value=item.days if item and item.days is not None else None, key=f"{key}_days")
    months = c5.number_input(_("Repeats every (months, maintenance)"), min_value=1, max_value=60, step=1,
                             value=item.recurrence_months if item else None, key=f"{key}_months")
    cert = c6.checkbox(_("A certification with an expiry"), value=bool(item and item.certification),
                       key=f"{key}_cert")
    return {"phase": phase, "category": category, "title": title,
            "days": int(days) if days is not None else None,
            "recurrence_months": int(months) if months is not None else None, "certification": cert,
            "owner_department": None if owner == NONE else owner}


st.header(_("Checklist template"))
items = call(checklist_template) or []
dataframe(table_of([{
    _("Phase"): label(PHASES, t.phase), _("Category"): cats.listed(t.category), _("Title"): _(t.title),
    _("Due (days)"): t.days, _("Repeats (months)"): t.recurrence_months, _("Certification"): t.certification,
    _("Default owner"): department_label(t.owner_department), _("In use"): t.active,
} for t in items]), hide_index=True, width="stretch")

st.subheader(_("Add a checklist item"))
with st.form("tpl_add", clear_on_submit=True):
    data = item_fields("tpl_add")
    if st.form_submit_button(_("Add item"), type="primary"):
        made = call(add_template_item, data)
        if made:
            flash(_("Added “{title}” to the template.").format(title=made.title))
            st.rerun()

if items:
    st.subheader(_("Change a checklist item"))
    by_id = {t.id: t for t in items}
    chosen = by_id[st.selectbox(_("Item"), list(by_id), format_func=lambda i: _(by_id[i].title), key="tpl_item")]
    with st.form(f"tpl_edit_{chosen.id}"):
        data = item_fields(f"tpl_edit_{chosen.id}", chosen)
        data["active"] = st.checkbox(_("In the template (a new project gets it)"), value=chosen.active,
                                     key=f"tpl_edit_{chosen.id}_active")
        if st.form_submit_button(_("Save item")):
            if call(update_template_item, chosen.id, data):
                flash(_("Saved “{title}”.").format(title=data["title"]))
                st.rerun()

st.header(_("Budget categories"))
list_editor("budget_categories", "tpl_budget")
st.header(_("Checklist categories"))
list_editor("checklist_categories", "tpl_checklist")
