"""The kinds of record an import brings in, as data: their fields, which are required, which take a known value.

Each kind's writer module (``crm.importing.products``, ``.receipts``...) declares its ``Kind`` and registers
its writer with ``register``; the runner, the preview, the Import page and the command line read them here.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from dataclasses import field as attribute
from typing import TYPE_CHECKING, Any

from crm.core.i18n import N_, Codes
from crm.core.text import fold

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crm.importing.writing import Writer

# How a field's cells are cleaned (crm.importing.cleaning) before the writer sees them.
FIELD_TYPES = ("text", "long_text", "int", "amount", "datetime", "date", "country", "choice", "ref",
               "custom")  # custom: an admin-defined field, cleaned by its own type (crm.importing.custom_values)
# Kinds whose records take custom fields: kind -> the custom fields' entity.
CUSTOM_ENTITIES = {"customers": "customers", "interactions": "interactions"}


@dataclass(frozen=True)
class Field:
    """One field of a kind: what the file's column is cleaned into."""

    name: str
    label: str  # N_() marked; shown translated with _()
    type: str = "text"
    required: bool = False
    choices: Codes | None = None  # "choice": the values the portal knows
    open_list: bool = False  # "choice": a value the portal does not know yet may be kept as a new one
    managed: str | None = None  # "choice": the managed list (crm.settings.lists) whose values are known too
    aliases: tuple[str, ...] = ()  # column headers that mean this field (any case), besides name and label
    max_length: int | None = None
    custom: Any = attribute(default=None, compare=False)  # "custom": its ``FieldDef``

    @property
    def headers(self) -> set[str]:
        """Folded column headers recognised as this field."""
        return {fold(h.replace("_", " ")) for h in (self.name, self.label, *self.aliases)}


@dataclass(frozen=True)
class Kind:
    """A kind of record: its name on the command line, its label, its fields in the order a form shows them."""

    name: str  # customers, products, receipts, interactions, surveys
    label: str  # N_() marked
    entity: str  # the record's name in external_ids and the audit log: customer, product...
    fields: tuple[Field, ...]
    help: str = ""  # N_() marked: one sentence on what a file of this kind holds

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


KIND_LABELS = Codes("import kind", {"customers": N_("Customers"), "products": N_("Products and stock"),
                                    "receipts": N_("Sales receipts"), "interactions": N_("Interactions"),
                                    "surveys": N_("Survey answers")})
# The modules that declare each kind and its writer (imported on first use: no import cycles).
_MODULES = {"customers": "crm.importing.customers", "products": "crm.importing.products",
            "receipts": "crm.importing.receipts", "interactions": "crm.importing.interactions",
            "surveys": "crm.importing.surveys"}
_REGISTRY: dict[str, tuple[Kind, "Writer"]] = {}


def register(kind: Kind, writer: "Writer") -> None:
    """Called by each kind's module when it is imported."""
    _REGISTRY[kind.name] = (kind, writer)


def _load(name: str) -> tuple[Kind, "Writer"]:
    if name not in _REGISTRY and name in _MODULES:
        importlib.import_module(_MODULES[name])
    if name not in _REGISTRY:
        raise KeyError(name)
    return _REGISTRY[name]


def kind(name: str, session: "Session | None" = None) -> Kind:
    """The kind; with a session, its fields include one per active custom field (``custom.<code>``)."""
    k = _load(name)[0]
    if session is None or name not in CUSTOM_ENTITIES:
        return k
    from crm.importing.custom_values import import_fields

    extra = import_fields(session, CUSTOM_ENTITIES[name])
    return replace(k, fields=k.fields + extra) if extra else k


def writer(name: str) -> "Writer":
    return _load(name)[1]


def available() -> list[str]:
    """The kinds that can be imported, in the order the Import page offers them."""
    out = []
    for name in _MODULES:
        try:
            _load(name)
            out.append(name)
        except (KeyError, ModuleNotFoundError):
            continue
    return out


def auto_mapping(k: Kind, headers: list[str]) -> dict[str, int]:
    """Field -> column index for the usual headers (any case, stray spaces, underscores)."""
    mapping: dict[str, int] = {}
    keys = [" ".join(fold(h).replace("_", " ").replace(".", " ").split()) for h in headers]
    for f in k.fields:
        for index, key in enumerate(keys):
            if key in f.headers and index not in mapping.values():
                mapping[f.name] = index
                break
    return mapping
