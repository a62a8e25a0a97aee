"""Saved import profiles: how the files of one system are read (columns, values, options), kept by name.

A profile is made once for a system's export ("Shop products", "Helpdesk tickets") and reused for every later
file of it, from the Import page, the command line (``--profile``) or a data source. Its mapping is kept by
column *header* (not position): the next export may order its columns differently.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import ConflictError, NotFound, ValidationError
from crm.core.i18n import _, number
from crm.core.text import fold
from crm.core.versions import load_for_edit
from crm.importing.kinds import KIND_LABELS, kind as kind_named
from crm.importing.writing import ImportOptions
from db.models import ImportProfile
from db.types import utcnow

NAME_MAX = 120
# Options kept in the profile's own columns (or never kept: a dry run is decided per import).
_NOT_OPTIONS = ("source_system", "value_map", "dry_run")


@dataclass(frozen=True)
class Profile:
    """A saved way of reading one system's files of one kind."""

    id: int
    name: str
    kind: str
    source_system: str | None
    mapping: dict[str, str]  # field -> column header
    value_map: dict[str, dict[str, str]]  # field -> {folded value: code, "" (leave empty), "(new)", "(reject)"}
    options: dict[str, Any]  # ImportOptions' other settings: day_first, decimal_mark, time_zone, on_duplicate...
    version: int
    updated_at: dt.datetime


def list_profiles(actor: Actor, *, kind: str | None = None, session: Session) -> list[Profile]:
    """Every saved profile (of one kind when given), by name."""
    require(actor, "data.import")
    query = select(ImportProfile).order_by(ImportProfile.name)
    if kind:
        query = query.where(ImportProfile.kind == kind)
    return [_view(p) for p in session.scalars(query)]


def get_profile(actor: Actor, name: str, *, session: Session) -> Profile:
    """The profile of that name (any case, stray spaces); ``NotFound`` naming the profiles there are."""
    require(actor, "data.import")
    row = _by_name(session, name)
    if row is None:
        names = session.scalars(select(ImportProfile.name).order_by(ImportProfile.name)).all()
        known = _("Saved profiles: {names}.").format(names=", ".join(names)) if names else _(
            "No profile has been saved yet.")
        raise NotFound(_("There is no import profile named '{name}'.").format(name=name.strip()) + " " + known)
    return _view(row)


def save_profile(actor: Actor, *, name: str, kind: str, source_system: str | None, mapping: dict[str, str],
                 value_map: dict[str, dict[str, str]], options: dict[str, Any], version: int | None = None,
                 session: Session) -> Profile:
    """Create a profile (``version`` None) or update the one of that name read at ``version``.

    A stale ``version`` (someone saved the profile since it was read) raises ``ConflictError``; a name already
    taken by another profile, an unknown kind or field, or bad options raise ``ValidationError``.
    """
    require(actor, "data.import")
    name = " ".join((name or "").split())
    source = " ".join((source_system or "").split()) or None
    clean_map, clean_values, clean_options = _validate(name, kind, source, mapping, value_map, options)
    existing = _by_name(session, name) if name else None
    if version is None:
        if existing is not None:
            raise ValidationError({"name": _("A profile named '{name}' exists already: choose another name or "
                                             "open it to change it.").format(name=existing.name)})
        row = ImportProfile(name=name, kind=kind, source_system=source, mapping=clean_map, value_map=clean_values,
                            options=clean_options, created_by_id=actor.user_id, updated_at=utcnow(),
                            updated_by_id=actor.user_id)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError as exc:  # another user saved the same name meanwhile
            raise ValidationError({"name": _("A profile named '{name}' exists already: choose another name or "
                                             "open it to change it.").format(name=name)}) from exc
        audit.record(session, actor, "create", "import_profile", row.id, after=audit.snapshot(row),
                     detail=f"import profile {name}")
        return _view(row)
    row = load_for_edit(session, ImportProfile, existing.id if existing else -1, version,
                        missing=_("The import profile '{name}' no longer exists.").format(name=name),
                        changed=_("Someone changed the import profile '{name}' since you opened it; nothing was "
                                  "saved. Open it again and repeat your changes.").format(name=name))
    before = audit.snapshot(row)
    row.name, row.kind, row.source_system = name, kind, source
    row.mapping, row.value_map, row.options = clean_map, clean_values, clean_options
    row.updated_at, row.updated_by_id = utcnow(), actor.user_id
    try:
        session.flush()
    except StaleDataError as exc:  # saved by someone else between our read and our write
        raise ConflictError(_("Someone changed the import profile '{name}' since you opened it; nothing was "
                              "saved. Open it again and repeat your changes.").format(name=name)) from exc
    b, a = audit.diff(before, audit.snapshot(row))
    audit.record(session, actor, "update", "import_profile", row.id, before=b, after=a,
                 detail=f"import profile {name}")
    return _view(row)


def delete_profile(actor: Actor, profile_id: int, *, session: Session) -> None:
    """Remove a profile; imports made with it keep their own copy of the mapping and options."""
    require(actor, "data.import")
    row = session.get(ImportProfile, profile_id)
    if row is None:
        raise NotFound(_("That import profile no longer exists."))
    before = audit.snapshot(row)
    session.delete(row)
    session.flush()
    audit.record(session, actor, "delete", "import_profile", profile_id, before=before,
                 detail=f"import profile {before['name']}")


def mapping_for(profile: Profile, headers: list[str]) -> dict[str, int]:
    """Field -> column index in a file with these headers (any case, stray spaces); missing headers left out."""
    index: dict[str, int] = {}
    for i, header in enumerate(headers):
        index.setdefault(_header_key(header), i)
    out: dict[str, int] = {}
    for field, header in profile.mapping.items():
        i = index.get(_header_key(header))
        if i is not None:
            out[field] = i
    return out


def options_for(profile: Profile, **overrides: Any) -> ImportOptions:
    """The import options the profile keeps (its source system and value map too), with ``overrides`` on top."""
    data: dict[str, Any] = {**profile.options, "source_system": profile.source_system,
                            "value_map": {f: dict(m) for f, m in profile.value_map.items()}}
    data.update(overrides)
    return ImportOptions.from_dict(data)


# ----------------------------------------------------------------- helpers


def _view(row: ImportProfile) -> Profile:
    return Profile(id=row.id, name=row.name, kind=row.kind, source_system=row.source_system,
                   mapping=dict(row.mapping or {}), value_map={f: dict(m) for f, m in (row.value_map or {}).items()},
                   options=dict(row.options or {}), version=row.version, updated_at=row.updated_at)


def _header_key(header: str) -> str:
    return " ".join(fold(str(header)).split())


def _by_name(session: Session, name: str) -> ImportProfile | None:
    wanted = " ".join((name or "").split())
    row = session.scalar(select(ImportProfile).where(ImportProfile.name == wanted))
    if row is not None:
        return row
    key = fold(wanted)
    return next((p for p in session.scalars(select(ImportProfile)) if fold(p.name) == key), None)


def _validate(name: str, kind: str, source: str | None, mapping: dict[str, str],
              value_map: dict[str, dict[str, str]], options: dict[str, Any],
              ) -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, Any]]:
    """The mapping, value map and options as kept (value keys folded, options known to ImportOptions), or
    ``ValidationError`` with every problem."""
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the profile a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("The profile's name is longer than {n} characters.").format(n=number(NAME_MAX))
    fields: set[str] | None = None
    if kind not in KIND_LABELS:
        errors["kind"] = _("'{kind}' is not a kind of import: choose one of {kinds}.").format(
            kind=kind, kinds=", ".join(KIND_LABELS))
    else:
        try:
            fields = {f.name for f in kind_named(kind).fields}
        except (KeyError, ModuleNotFoundError):  # a kind whose writer is not installed yet: fields not checked
            fields = None
    clean_map = {str(f): " ".join(str(h).split()) for f, h in (mapping or {}).items() if str(h).strip()}
    clean_values = {str(f): {fold(str(k)): str(v) for k, v in (m or {}).items()} for f, m in (value_map or {}).items()}
    if fields is not None:
        unknown = sorted(f for f in (set(clean_map) | set(clean_values)) - fields
                         if not f.startswith("custom."))  # custom fields: checked when the import runs
        if unknown:
            errors["mapping"] = _("Unknown fields: {fields}.").format(fields=", ".join(unknown))
    clean_options = {k: v for k, v in (options or {}).items()
                     if k in ImportOptions.__dataclass_fields__ and k not in _NOT_OPTIONS}
    errors.update(_option_errors(clean_options, source))
    if errors:
        raise ValidationError(errors)
    return clean_map, clean_values, clean_options


def _option_errors(options: dict[str, Any], source: str | None) -> dict[str, str]:
    from crm.importing.runner import check_options  # the runner's rules, so a saved profile always runs

    try:
        check_options(ImportOptions.from_dict({**options, "source_system": source}))
    except ValidationError as exc:
        return exc.errors
    except TypeError:
        return {"options": _("The profile's options are not valid.")}
    return {}
