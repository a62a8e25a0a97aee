"""Managed lists of values: the codes records store, their labels per language, order and state.

Every managed list has a code (``segments``, ``departments``, ``custom:preferred_branch``...). A built-in
list (``LISTS``) starts from the codes in the code (their labels translated by gettext); rows of
``list_values`` add values and override a value's labels, position and state. ``values()`` gives a list's
effective values in order, ``choices()`` the same for a page (offered codes, labels of stored codes);
admins add, rename, reorder, deactivate, merge and delete values (``crm.settings.list_admin``).
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, func, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ValidationError
from crm.core.i18n import LANGUAGES, N_, _, get_language, gettext, use_language
from crm.core.text import fold
from db.distinct import distinct_values
from db.models import Base, ListValue


@dataclass(frozen=True)
class ListSpec:
    """A built-in list: its title, the built-in codes (``module:NAME`` of a ``Codes``), where records keep it.

    ``stored_in`` names "table.column" pairs holding the codes (for "in use" counts and merges); ``keyed``
    the summary tables where the code is part of the key, with the columns to add up on a merge; ``open``
    lists (free text so far) also show the values in use; ``by_id`` lists are referenced through a table's
    ids (departments); ``mergeable`` is off where a merge would rewrite approved work.
    """

    code: str
    title: str
    builtin: str | None = None
    stored_in: tuple[str, ...] = ()
    keyed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    open: bool = False
    in_use_from: str | None = None  # an indexed "table.column" whose values are listed (open lists)
    by_id: str | None = None  # "table" whose ``code`` rows the columns reference by id
    mergeable: bool = True


LISTS: dict[str, ListSpec] = {spec.code: spec for spec in (
    ListSpec("segments", N_("Customer segments"), stored_in=(
        "customers.segment", "customer_months.segment", "survey_responses.segment"),
        open=True, in_use_from="customers.segment"),
    ListSpec("acquisition_sources", N_("Acquisition sources"), stored_in=(
        "customers.acquisition_source", "customer_months.acquisition_source"),
        open=True, in_use_from="customers.acquisition_source"),
    ListSpec("channels", N_("Interaction channels"), "crm.interactions.service:CHANNELS",
             stored_in=("interactions.channel",), keyed=(("interaction_monthly.channel", ("interactions",)),)),
    ListSpec("outcomes", N_("Interaction outcomes"), stored_in=("interactions.outcome",), open=True),
    ListSpec("feedback_kinds", N_("Feedback kinds"), "crm.interactions.service:FEEDBACK_KINDS",
             stored_in=("interactions.feedback_kind",)),
    ListSpec("reasons", N_("Reasons for choosing us"), stored_in=(
        "survey_responses.reason_first", "survey_responses.reason_again"), open=True),
    ListSpec("product_categories", N_("Product categories"), stored_in=("products.category",),
             open=True, in_use_from="products.category"),
    ListSpec("departments", N_("Departments"), "crm.core.access:DEPARTMENTS", by_id="departments", stored_in=(
        "users.department_id", "interactions.department_id", "saved_views.department_id",
        "stakeholders.department_id"), keyed=(("interaction_monthly.department_id", ("interactions",)),)),
    ListSpec("budget_categories", N_("Budget categories"), "crm.budget.codes:CATEGORY_LABELS",
             stored_in=("budget_lines.category",), mergeable=False),
    ListSpec("checklist_categories", N_("Checklist categories"), "crm.rollout.checklist:CATEGORIES",
             stored_in=("checklist_items.category", "checklist_template_items.category"), mergeable=False),
)}
# shown on the "Lists of values" page (the last two are edited on the "Templates" page)
MANAGED = ("segments", "acquisition_sources", "channels", "outcomes", "feedback_kinds", "reasons",
           "product_categories", "departments")


@dataclass(frozen=True)
class Value:
    """One value of a list: the stored code, its labels per language, whether it is still offered.

    ``id`` is the ``list_values`` row (None for a built-in or in-use value nobody changed); ``default`` is a
    built-in value's label in the code (translated by gettext where ``labels`` has none for the language).
    """

    id: int | None
    code: str
    labels: dict[str, str]
    position: int
    active: bool
    default: str | None = None
    builtin: bool = False

    @property
    def label(self) -> str:
        """The label in the current language (English, then the code, when it has none)."""
        lang = get_language()
        if self.labels.get(lang):
            return self.labels[lang]
        if self.default is not None and (lang != "en" or not self.labels.get("en")):
            return gettext(self.default)
        return self.labels.get("en") or self.code

    def label_in(self, lang: str) -> str:
        """The label in ``lang`` as an admin would edit it (the built-in one when not overridden)."""
        with use_language(lang):
            return self.label


@dataclass(frozen=True)
class Choices:
    """A list as a page uses it: the codes to offer, and the label of any stored code."""

    list_code: str
    values: tuple[Value, ...] = field(default_factory=tuple)

    def offered(self, keep: str | None = None) -> list[str]:
        """The active codes in order (plus ``keep``, a record's current value, when it is inactive)."""
        codes = [v.code for v in self.values if v.active]
        if keep and keep not in codes:
            codes.append(keep)
        return codes

    def label(self, code: str | None) -> str:
        """The label of a stored code ('' for none; an unknown code as it is)."""
        if code is None or code == "":
            return ""
        for v in self.values:
            if v.code == code:
                return v.label
        return str(code)

    def listed(self, code: str | None) -> str:
        """The label, marked "(inactive)" for a value no longer offered."""
        for v in self.values:
            if v.code == code and not v.active:
                return _("{label} (inactive)").format(label=v.label)
        return self.label(code)

    def __contains__(self, code: object) -> bool:
        return any(v.code == code for v in self.values)


def spec_of(list_code: str) -> ListSpec | None:
    return LISTS.get(list_code)


def builtin_codes(list_code: str) -> Mapping[str, str]:
    """The built-in codes of a list and their untranslated labels ({} for lists with none)."""
    spec = LISTS.get(list_code)
    if spec is None or spec.builtin is None:
        return {}
    module, name = spec.builtin.split(":")
    return getattr(importlib.import_module(module), name)


def column_of(path: str) -> Column:
    table, column = path.split(".")
    return Base.metadata.tables[table].c[column]


def table_of(name: str) -> Table:
    return Base.metadata.tables[name]


def values(session: Session, list_code: str, *, include_inactive: bool = False,
           include_in_use: bool = True) -> list[Value]:
    """The list's effective values in their order: built-in, added, and (open lists) in use.

    Active ones only unless asked; an open list's values in use that nobody listed come last, by name.
    """
    rows = {v.code: v for v in session.scalars(select(ListValue).where(ListValue.list_code == list_code))}
    out: list[Value] = []
    builtin = builtin_codes(list_code)
    for index, (code, text) in enumerate(builtin.items(), start=1):
        row = rows.pop(code, None)
        out.append(Value(row.id if row else None, code, dict(row.labels or {}) if row else {},
                         row.position if row else index, row.active if row else True, text, True))
    out.extend(Value(r.id, r.code, dict(r.labels or {}), r.position, r.active) for r in rows.values())
    out.sort(key=lambda v: (v.position, v.id or 0))
    spec = LISTS.get(list_code)
    if include_in_use and spec is not None and spec.in_use_from:
        known = {v.code for v in out}
        last = max((v.position for v in out), default=0)
        extra = sorted((str(x) for x in distinct_values(session, column_of(spec.in_use_from))
                        if str(x) not in known), key=fold)
        out.extend(Value(None, code, {}, last + i, True) for i, code in enumerate(extra, start=1))
    return out if include_inactive else [v for v in out if v.active]


def choices(actor: Actor, list_code: str, *, session: Session) -> Choices:
    """A list for a form or a filter: every value (inactive ones too, to label the records that hold them)."""
    require(actor, "customers.read")
    return Choices(list_code, tuple(values(session, list_code, include_inactive=True)))


def choices_of(session: Session, list_code: str) -> Choices:
    """``choices`` for a service that already checked its own capability."""
    return Choices(list_code, tuple(values(session, list_code, include_inactive=True)))


def is_offered(session: Session, list_code: str, code: str) -> bool:
    """Whether ``code`` is an active value of the list (what a form may store)."""
    return any(v.code == code for v in values(session, list_code))


def code_for(label: str) -> str:
    """A stored code made from a label: folded, words joined by underscores ("Retail 2" -> "retail_2")."""
    words = "".join(ch if ch.isalnum() else " " for ch in fold(label)).split()
    return "_".join(words)[:60]


def clean_labels(labels: Mapping[str, str | None]) -> dict[str, str]:
    return {lang: " ".join(str(text or "").split()) for lang, text in labels.items()
            if lang in LANGUAGES and str(text or "").strip()}


def label_errors(existing: list[Value], clean: dict[str, str], *, skip: str | None = None) -> dict[str, str]:
    """Every problem with a value's labels: English missing, too long, a label another value has."""
    errors: dict[str, str] = {}
    if not clean.get("en"):
        errors["en"] = _("The English label is required.")
    for lang, text in clean.items():
        if len(text) > 120:
            errors[lang] = _("A label has at most {n} characters.").format(n=120)
            continue
        for v in existing:
            if v.code != skip and (fold(v.label_in(lang)) == fold(text) or fold(v.code) == fold(text)):
                errors[lang] = _("“{value}” is already in this list.").format(value=text)
                break
    return errors


def add_value(actor: Actor, list_code: str, labels: dict[str, str], *, code: str | None = None,
              session: Session) -> Value:
    """Add a value at the end of a list; every problem reported at once (a duplicate name too)."""
    require(actor, "settings.manage")
    clean = clean_labels(labels)
    existing = values(session, list_code, include_inactive=True)
    errors = label_errors(existing, clean)
    spec = LISTS.get(list_code)
    stored = (code or code_for(clean.get("en", ""))).strip()[:40 if spec is not None and spec.by_id else 60]
    if clean.get("en") and not stored:
        errors["code"] = _("The label needs at least one letter or digit.")
    if stored and any(v.code == stored for v in existing) and "en" not in errors:
        errors["code"] = _("“{value}” is already in this list.").format(value=clean.get("en") or stored)
    if errors:
        raise ValidationError(errors)
    position = max((v.position for v in existing), default=0) + 1
    row = ListValue(list_code=list_code, code=stored, labels=clean, position=position, active=True)
    session.add(row)
    session.flush()
    if spec is not None and spec.by_id:
        _ensure_referenced(session, spec, stored, clean["en"])
    audit.record(session, actor, "create", "list_value", row.id,
                 after={"list": list_code, "code": stored, "labels": clean})
    return Value(row.id, row.code, dict(row.labels), row.position, row.active)


def _ensure_referenced(session: Session, spec: ListSpec, code: str, name: str) -> int:
    """The id of the row that records reference for ``code`` (a department), made when missing."""
    table = table_of(spec.by_id or "")
    found = session.execute(select(table.c.id).where(table.c.code == code)).scalar()
    if found is None:
        session.execute(table.insert().values(code=code, name=name[:120]))
        found = session.execute(select(table.c.id).where(table.c.code == code)).scalar()
    return int(found)


def usage(session: Session, list_code: str, code: str) -> dict[str, int]:
    """How many records hold ``code``, per "table.column" (only the ones that do)."""
    spec = LISTS.get(list_code)
    if spec is None:
        return {}
    key: object = code
    if spec.by_id:
        table = table_of(spec.by_id)
        key = session.execute(select(table.c.id).where(table.c.code == code)).scalar()
        if key is None:
            return {}
    out: dict[str, int] = {}
    for path in spec.stored_in:
        col = column_of(path)
        n = session.execute(select(func.count()).select_from(col.table).where(col == key)).scalar() or 0
        if n:
            out[path] = int(n)
    return out
