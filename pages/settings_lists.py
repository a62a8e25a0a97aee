"""Lists of values: the segments, sources, channels, outcomes, feedback kinds, reasons, categories and departments
that forms offer, filters list and Insights group by."""
import streamlit as st

from crm.core.i18n import _
from crm.settings.lists import LISTS, MANAGED
from ui.context import actor, show_flash
from ui.list_editor import list_editor

who = actor()
st.title(_("Lists of values"))
show_flash()
st.caption(_("Add, rename (in every language), order, deactivate or merge the values people choose from. A value "
             "no longer offered stays on the records that hold it; one still in use cannot be deleted."))
chosen = st.selectbox(_("List"), MANAGED, format_func=lambda code: _(LISTS[code].title), key="lists_chosen")
st.header(_(LISTS[chosen].title))
list_editor(chosen, f"lists_{chosen}")
