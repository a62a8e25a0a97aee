"""Custom fields in the API: the ``custom`` object of records and the ``custom.<code>=value`` list filters."""
from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import Field

from crm.core.access import Actor
from crm.core.errors import ValidationError
from crm.core.i18n import _
from crm.settings.field_filters import FieldFilter, from_query
from crm.settings.fields import fields_for

CUSTOM_OUT = Field(default_factory=dict, description="Custom field values by field code (active fields; a field "
                   "without a value is left out): text, numbers and money as decimal text, dates as YYYY-MM-DD, "
                   "yes/no as true/false, a choice as its value's code, a multiple choice as a list of codes")
CUSTOM_IN = Field(None, description="Custom field values by field code, as on the page's form (checked with the "
                  "other fields: every problem in one 422); in an update only the fields given change, null clears")
FILTER_HELP = ("Filter by a custom field with custom.<code>=value: choices comma-separated (any of), yes/no, a range "
               "from..to for numbers, money and dates (either end may be left out), text contained; (empty) for none")


def query_filters(request: Request, actor: Actor, entity: str, *, session: Any) -> tuple[FieldFilter, ...]:
    """The ``custom.<code>=value`` query parameters as filters (an unknown field is a 422)."""
    given = [(k[len("custom."):], v) for k, v in request.query_params.multi_items() if k.startswith("custom.")]
    if not given:
        return ()
    fields = {f.code: f for f in fields_for(actor, entity, session=session)}
    unknown = [code for code, _v in given if code not in fields]
    if unknown:
        raise ValidationError({f"custom.{code}": _("There is no custom field '{code}' to filter by.").format(code=code)
                               for code in unknown})
    return tuple(from_query(fields[code], value) for code, value in given)


def custom_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """Take the ``custom`` object out of a request body's fields (None when not given)."""
    return body.pop("custom", None)
