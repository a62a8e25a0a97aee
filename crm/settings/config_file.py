"""The portal's configuration as one file: each settings subject registers a section.

A section exports its part as plain data (JSON/YAML-friendly), says what importing a given part
would change, and applies it. ``export_config`` and ``import_config`` (in one transaction, after
every section has checked its part) are built on the registry.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from crm.core.access import Actor

FORMAT_VERSION = 1


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
