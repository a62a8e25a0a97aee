"""The portal's configuration as one file: each settings subject registers a section.

A section exports its part as plain data (JSON/YAML-friendly), says what importing a given part
would change, and applies it. ``export_config`` and ``import_config`` (in one transaction, after
every section has checked its part) are built on the registry.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import yaml
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ValidationError
from crm.core.i18n import _

FORMAT_VERSION = 1
PORTAL = "crm-portal"
HEADER = ("format_version", "portal")


@dataclass(frozen=True)
class Section:
    """One part of the configuration file (``lists``, ``fields``, ``templates``, ``rights``).

    ``export(session)`` returns the part as plain data; ``changes(session, data)`` lists, in words,
    what applying ``data`` would change (raising ``ValidationError`` with every problem when it cannot
    be applied); ``apply(actor, data, session)`` applies it (audited, no commit).
    """

    name: str
    export: Callable[[Session], Any]
    changes: Callable[[Session, Any], list[str]]
    apply: Callable[[Actor, Any, Session], None]
    order: int = 100  # applied in this order (lists before the fields that use them)


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    SECTIONS[section.name] = section
    return section


@dataclass(frozen=True)
class Change:
    """One thing an import would change, in words, under the section it belongs to."""

    section: str
    description: str


def _sections() -> list[Section]:
    """Every registered section, in the order they are applied."""
    import crm.settings.sections  # noqa: F401  (registers every section)

    return sorted(SECTIONS.values(), key=lambda s: (s.order, s.name))


def export_config(actor: Actor, *, session: Session) -> dict[str, Any]:
    """The whole configuration as plain data: the header, then each section by name."""
    require(actor, "settings.manage")
    data: dict[str, Any] = {"format_version": FORMAT_VERSION, "portal": PORTAL}
    for section in _sections():
        data[section.name] = section.export(session)
    return data


def plan_import(actor: Actor, data: Any, *, session: Session) -> list[Change]:
    """What importing ``data`` would change; every problem of every section at once. Nothing is changed."""
    require(actor, "settings.manage")
    return _plan(data, session)


def import_config(actor: Actor, data: Any, dry_run: bool = False, *, session: Session) -> list[Change]:
    """Check the whole file, then (unless ``dry_run``) apply each section that changes something, in order,
    in the caller's one transaction (an error rolls every section back). Returns what changes."""
    require(actor, "settings.manage")
    changes = _plan(data, session)
    if dry_run or not changes:
        return changes
    touched = {change.section for change in changes}
    for section in _sections():
        if section.name in touched:
            section.apply(actor, data[section.name], session)
    audit.record(session, actor, "import", "configuration", None,
                 after={"sections": sorted(touched), "changes": [c.description for c in changes][:200]})
    session.flush()
    return changes


def _plan(data: Any, session: Session) -> list[Change]:
    if not isinstance(data, Mapping):
        raise ValidationError({"file": _("This is not a configuration file of the CRM portal; nothing was imported.")})
    if data.get("portal") != PORTAL:
        raise ValidationError({"portal": _("This file does not come from the CRM portal (it names “{portal}”); "
                                           "nothing was imported.").format(portal=data.get("portal") or "-")})
    if data.get("format_version") != FORMAT_VERSION:
        raise ValidationError({"format_version": _(
            "This file is in configuration format {found}; this portal reads format {wanted}. Export it again "
            "from a portal of this version; nothing was imported.").format(
                found=data.get("format_version") or "-", wanted=FORMAT_VERSION)})
    sections = _sections()
    errors = {name: _("The file has a section “{name}” that this portal does not know.").format(name=name)
              for name in data if name not in HEADER and name not in SECTIONS}
    changes: list[Change] = []
    for section in sections:
        if section.name not in data:  # missing from the file: left as it is
            continue
        try:
            changes.extend(Change(section.name, line) for line in section.changes(session, data[section.name]))
        except ValidationError as exc:
            errors.update({(k if k.startswith(section.name) else f"{section.name}.{k}"): v
                           for k, v in exc.errors.items()})
    if errors:
        raise ValidationError(errors)
    return changes


# ------------------------------------------------------------------ the file: YAML or JSON by its name


def _kind(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    raise ValidationError({"file": _("Give a file name ending in .yaml, .yml or .json.")})


def dumps(data: Mapping[str, Any], filename: str) -> str:
    """``data`` as the text of a file named ``filename`` (YAML or JSON by its extension)."""
    if _kind(filename) == "yaml":
        return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def loads(text: str | bytes, filename: str) -> Any:
    """The data in the text of a file named ``filename``; a file that does not parse is a ValidationError."""
    kind = _kind(filename)
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return yaml.safe_load(text) if kind == "yaml" else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError({"file": _("The file could not be read as {kind}: {problem}").format(
            kind=kind.upper(), problem=str(exc).splitlines()[0] if str(exc) else kind)}) from None
