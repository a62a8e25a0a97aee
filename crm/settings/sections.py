"""Imports every module that registers a configuration-file section (see ``config_file``)."""
from __future__ import annotations

import crm.settings.lists  # noqa: F401  (lists of values)
import crm.settings.fields  # noqa: F401  (custom fields)
