"""Imports every module that registers a configuration-file section (see ``config_file``)."""
from __future__ import annotations

import crm.settings.lists  # noqa: F401  (lists of values)
import crm.settings.rights  # noqa: F401  (rights: grants over the capability table)
import crm.settings.list_config  # noqa: F401,E402  (lists of values: section "lists")
import crm.settings.template_config  # noqa: F401,E402  (checklist template, budget categories: "templates")
import crm.settings.fields  # noqa: F401  (custom fields)
