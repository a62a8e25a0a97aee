"""The ``cursor`` of a list: where the next page starts, opaque to clients (a keyset position, not an offset)."""
from __future__ import annotations

import base64
import binascii

from api.errors import ApiError
from crm.core.i18n import _

_VERSION = "k1:"


def encode(after: int | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(f"{_VERSION}{after}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int | None:
    """The id to continue after, or None for the first page; 422 for a cursor this API did not hand out."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith(_VERSION):
            after = int(text[len(_VERSION):])
            if 0 <= after < 2**63:
                return after
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise ApiError(422, "validation_error", _("The cursor is not valid: send the next_cursor of the previous page."),
                   fields={"cursor": _("The cursor is not valid: send the next_cursor of the previous page.")})
