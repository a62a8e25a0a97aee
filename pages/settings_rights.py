"""Rights: grant or revoke a capability per role and department after a preview of who gains or loses what;
the changes in force; the whole table; the portal's configuration as a file."""
import streamlit as st

from crm.core.access import ANY, CAPABILITIES, ROLES
from crm.core.errors import ValidationError
from crm.core.i18n import N_, _, label
from crm.settings import rights
from crm.settings.config_file import dumps, export_config, import_config, loads, plan_import
from ui.capability_table import capability_table
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe, table_of
from ui.lists import managed

CHANGES = {"grant": N_("Grant"), "revoke": N_("Revoke"), "reset": N_("Back to the built-in table")}
APPLY = {"grant": rights.grant, "revoke": rights.revoke, "reset": rights.reset}
GRANTED = {"grant": True, "revoke": False, "reset": None}
FORMATS = {"yaml": "application/x-yaml", "json": "application/json"}


def department_label(code: str) -> str:
    return _("all departments") if code == ANY else DEPARTMENTS.label(code)


def capability_label(code: str) -> str:
    return f"{code} · {_(CAPABILITIES[code][0])}"


actor()  # signed in (and this session's language in use)
DEPARTMENTS = managed("departments")  # the managed list: departments added by administrators too
st.title(_("Rights"))
show_flash()

st.header(_("Change a right"))
st.caption(_("A change holds from the affected users' next click, on every server. A change for all departments "
             "replaces the role's entries for single departments."))
c1, c2, c3 = st.columns(3)
capability = c1.selectbox(_("Capability"), list(CAPABILITIES), format_func=capability_label)
role = c2.selectbox(_("Role"), list(ROLES), format_func=lambda code: label(ROLES, code))
department = c3.selectbox(_("Department"), [ANY, *DEPARTMENTS.offered()], format_func=department_label)
change = st.radio(_("Change"), list(CHANGES), format_func=lambda code: _(CHANGES[code]), horizontal=True)

st.subheader(_("Who gains or loses what"))
preview = call(rights.preview_change, capability, role, department, GRANTED[change])
if preview is not None:
    if preview.users:
        dataframe(table_of([{
            _("Name"): u.full_name, _("Username"): u.username, _("Department"): DEPARTMENTS.label(u.department),
            _("Role"): label(ROLES, u.role), _("Gains"): ", ".join(u.gains), _("Loses"): ", ".join(u.loses),
        } for u in preview.users]), hide_index=True, width="stretch")
    else:
        st.info(_("No active user account gains or loses anything."))
    if preview.refusal:
        st.error(preview.refusal)
    if st.button(_("Apply this change"), type="primary", disabled=bool(preview.refusal)):
        if call(APPLY[change], capability, role, department) is not None:
            flash(_("Applied: {change} {capability} for {who}.").format(
                change=_(CHANGES[change]), capability=capability, who=rights.where(role, department)))
            st.rerun()

st.header(_("Changes in force"))
overrides = call(rights.list_overrides) or []
if overrides:
    dataframe(table_of([{
        _("Change"): rights.describe(o), _("Changed"): o.changed_at, _("By"): o.changed_by or "",
    } for o in overrides]), hide_index=True, width="stretch")
else:
    st.info(_("No changes: the built-in table is in force."))

st.header(_("Who may do what"))
st.caption(_("The capability table in force: the built-in rules with the changes above."))
dataframe(capability_table(), hide_index=True, width="stretch")

st.header(_("Configuration file"))
st.caption(_("Carry rights, lists of values, custom fields and templates from a test installation to production: "
             "download the configuration here, upload it there, check what would change, then apply it."))
kind = st.radio(_("Format"), list(FORMATS), format_func=str.upper, horizontal=True)
exported = call(export_config)
if exported is not None:
    st.download_button(_("Download the configuration"), dumps(exported, f"crm-config.{kind}"),
                       file_name=f"crm-config.{kind}", mime=FORMATS[kind])
upload = st.file_uploader(_("Configuration file to import (YAML or JSON)"), type=["yaml", "yml", "json"])
if upload is not None:
    try:
        data = loads(upload.getvalue(), upload.name)
    except ValidationError as exc:
        st.error(exc.message)
        data = None
    planned = call(plan_import, data) if data is not None else None
    if planned == []:
        st.info(_("Nothing to change: the configuration already matches the file."))
    elif planned:
        dataframe(table_of([{_("Section"): c.section, _("Change"): c.description} for c in planned]),
                  hide_index=True, width="stretch")
        if st.button(_("Apply the file"), type="primary"):
            applied = call(import_config, data)
            if applied is not None:
                flash(_("Applied the file {file}.").format(file=upload.name))
                st.rerun()
