"""Managed lists of values: the codes records store, their labels per language, order and state.

Every managed list has a code (``segments``, ``departments``, ``custom:preferred_branch``...);
``values()`` reads it for forms and filters, ``add_value()`` adds to it (admins, audited).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ValidationError
from crm.core.i18n import LANGUAGES, _, get_language
from crm.core.text import fold
from db.models import ListValue


@dataclass(frozen=True)
class Value:
    """One value of a list: the stored code, its labels per language, whether it is still offered."""

    id: int
    code: str
    labels: dict[str, str]
    position: int
    active: bool

    @property
    def label(self) -> str:
        """The label in the current language (English, then the code, when it has none)."""
        return self.labels.get(get_language()) or self.labels.get("en") or self.code


def values(session: Session, list_code: str, *, include_inactive: bool = False) -> list[Value]:
    """The list's values in their order (active ones only unless asked)."""
    stmt = select(ListValue).where(ListValue.list_code == list_code)
    if not include_inactive:
        stmt = stmt.where(ListValue.active.is_(True))
    rows = session.scalars(stmt.order_by(ListValue.position, ListValue.id))
    return [Value(v.id, v.code, dict(v.labels or {}), v.position, v.active) for v in rows]


def code_for(label: str) -> str:
    """A stored code made from a label: folded, words joined by underscores ("Retail 2" -> "retail_2")."""
    words = "".join(ch if ch.isalnum() else " " for ch in fold(label)).split()
    return "_".join(words)[:60]


def add_value(actor: Actor, list_code: str, labels: dict[str, str], *, code: str | None = None,
              session: Session) -> Value:
    """Add a value at the end of a list; every problem reported at once."""
    require(actor, "settings.manage")
    clean = {lang: (text or "").strip() for lang, text in labels.items() if lang in LANGUAGES and (text or "").strip()}
    errors: dict[str, str] = {}
    if not clean.get("en"):
        errors["en"] = _("The English label is required.")
    stored = (code or code_for(clean.get("en", ""))).strip()
    if clean.get("en") and not stored:
        errors["code"] = _("The label needs at least one letter or digit.")
    existing = session.scalars(select(ListValue).where(ListValue.list_code == list_code)).all()
    if stored and any(v.code == stored for v in existing):
        errors["code"] = _("“{value}” is already in this list.").format(value=clean.get("en") or stored)
    taken = {fold(str(v.labels.get("en", ""))) for v in existing}
    if clean.get("en") and fold(clean["en"]) in taken and "code" not in errors:
        errors["en"] = _("“{value}” is already in this list.").format(value=clean["en"])
    if errors:
        raise ValidationError(errors)
    position = (session.scalar(select(func.max(ListValue.position)).where(ListValue.list_code == list_code))
                or 0) + 1
    row = ListValue(list_code=list_code, code=stored, labels=clean, position=position, active=True)
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "list_value", row.id,
                 after={"list": list_code, "code": stored, "labels": clean})
    return Value(row.id, row.code, dict(row.labels), row.position, row.active)
