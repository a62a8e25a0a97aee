"""Managed lists of values for a page: the codes a form offers and the labels of stored codes."""
from __future__ import annotations

from crm.settings.lists import Choices, choices
from ui.context import call


def managed(list_code: str) -> Choices:
    """The list's values (inactive ones too, to label records); an empty list when it cannot be read."""
    return call(choices, list_code) or Choices(list_code)
