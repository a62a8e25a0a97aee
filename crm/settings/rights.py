"""Rights: administrators grant and revoke capabilities per role and department, seeing first who gains or loses.

The grants live in ``capability_grants`` over the table of crm/core/access.py. Each change bumps the setting
``rights_version``; every server calls ``refresh(session)`` on each page run, API request and command-line
start (one small query) and reloads the grants when the version moved, so a change holds from the affected
users' next click on every server. No change may leave the portal without an active user who manages users
(or settings).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import URL, select
from sqlalchemy.orm import Session

from crm.core import access, audit
from crm.core.access import ANY, CAPABILITIES, DEPARTMENTS, ROLES, Actor, Grants, holds, require
from crm.core.errors import ValidationError
from crm.core.i18n import _, label
from crm.settings.config_file import Section, register
from db.models import CapabilityGrant, Department, Setting, User
from db.types import utcnow

VERSION_KEY = "rights_version"
# capabilities that some active user must always keep (else nobody could undo the change in the portal)
GUARDED = ("users.manage", "settings.manage")
Key = tuple[str, str, str]  # (capability, role, department or "*")


@dataclass(frozen=True)
class Override:
    """One grant (or revocation) made by an administrator, over the capability table."""

    capability: str
    role: str
    department: str  # a department code, or "*" for every department
    granted: bool
    changed_at: dt.datetime | None = None
    changed_by: str | None = None


@dataclass(frozen=True)
class UserChange:
    """What one active user account gains and loses."""

    username: str
    full_name: str
    department: str
    role: str
    gains: tuple[str, ...]
    loses: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    """Who gains or loses what through a change; ``refusal`` says why it may not be applied (else None)."""

    users: list[UserChange]
    refusal: str | None = None


# ------------------------------------------------------------------ in force on this server


def refresh(session: Session) -> bool:
    """Put the database's grants in force in this process if they changed since the last look (one small
    query when they did not). True when they were reloaded."""
    source = (_named(session.get_bind().engine.url), _version(session))  # bound to an engine or a connection
    if access.overlay().source == source:
        return False
    access.use_overlay(access.Overlay(source, _load(session)))
    return True


@functools.lru_cache(maxsize=16)
def _named(url: URL) -> str:
    return url.render_as_string(hide_password=True)


# read on every page run and API request: built once, in Core
_VERSION = select(Setting.__table__.c.value).where(Setting.__table__.c.key == VERSION_KEY)


def _version(session: Session) -> int:
    value = session.connection().execute(_VERSION).scalar()
    return int(value) if value is not None else 0


def _bump(session: Session) -> None:
    row = session.get(Setting, VERSION_KEY, with_for_update=True)
    if row is None:
        session.add(Setting(key=VERSION_KEY, value=1))
    else:
        row.value = int(row.value or 0) + 1
    session.flush()


def _load(session: Session) -> dict[Key, bool]:
    return {(g.capability, g.role, g.department): bool(g.granted) for g in session.scalars(select(CapabilityGrant))}


# ------------------------------------------------------------------ services


def list_overrides(actor: Actor, *, session: Session) -> list[Override]:
    """The grants and revocations made by administrators, by capability, role and department."""
    require(actor, "settings.manage")
    rows = session.scalars(select(CapabilityGrant).order_by(
        CapabilityGrant.capability, CapabilityGrant.role, CapabilityGrant.department))
    return [Override(g.capability, g.role, g.department, bool(g.granted), g.changed_at, g.changed_by) for g in rows]


def preview_change(actor: Actor, capability: str, role: str, department: str = ANY, granted: bool | None = True,
                   *, session: Session) -> Preview:
    """Who would gain or lose what if ``capability`` were granted (True), revoked (False) or put back to the
    table (None) for ``role`` in ``department`` (``*``: every department, replacing the role's department
    entries). Nothing is changed."""
    require(actor, "settings.manage")
    _check(session, capability, role, department)
    old = _load(session)
    return _preview(session, old, _proposed(old, capability, role, department, granted))


def grant(actor: Actor, capability: str, role: str, department: str = ANY, *, session: Session) -> Preview:
    """Give ``capability`` to ``role`` in ``department`` (``*``: all); returns who gained what."""
    require(actor, "settings.manage")
    return _change(actor, session, capability, role, department, True)


def revoke(actor: Actor, capability: str, role: str, department: str = ANY, *, session: Session) -> Preview:
    """Take ``capability`` from ``role`` in ``department`` (``*``: all); returns who lost what."""
    require(actor, "settings.manage")
    return _change(actor, session, capability, role, department, False)


def reset(actor: Actor, capability: str, role: str, department: str = ANY, *, session: Session) -> Preview:
    """Back to the capability table for ``role`` in ``department`` (``*``: the role's every entry)."""
    require(actor, "settings.manage")
    return _change(actor, session, capability, role, department, None)


def _change(actor: Actor, session: Session, capability: str, role: str, department: str,
            granted: bool | None) -> Preview:
    _check(session, capability, role, department)
    old = _load(session)
    new = _proposed(old, capability, role, department, granted)
    preview = _preview(session, old, new)
    if preview.refusal:
        raise ValidationError({"capability": preview.refusal})
    _write(actor, session, old, new, preview)
    return preview


# ------------------------------------------------------------------ the rules of a change


def _check(session: Session, capability: str, role: str, department: str) -> None:
    """Every problem with the names of a change at once."""
    errors = _problems(session, capability, role, department)
    if errors:
        raise ValidationError(errors)


def _problems(session: Session, capability: Any, role: Any, department: Any, prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    if capability not in CAPABILITIES:
        errors[prefix + "capability"] = _("Unknown capability “{value}”.").format(value=capability)
    if role not in ROLES:
        errors[prefix + "role"] = _("Unknown role “{value}”; the roles are: {known}.").format(
            value=role, known=", ".join(ROLES))
    if department != ANY and department not in _departments(session):
        errors[prefix + "department"] = _("Unknown department “{value}” (use * for every department).").format(
            value=department)
    return errors


def _departments(session: Session) -> set[str]:
    return set(DEPARTMENTS) | set(session.scalars(select(Department.code)))


def _proposed(grants: Grants, capability: str, role: str, department: str, granted: bool | None) -> dict[Key, bool]:
    new = dict(grants)
    if department == ANY:  # a change for the whole role replaces its departments' own entries
        for key in [k for k in new if k[0] == capability and k[1] == role]:
            del new[key]
    else:
        new.pop((capability, role, department), None)
    if granted is not None:
        new[(capability, role, department)] = granted
    return new


def _accounts(session: Session) -> list[tuple[str, str, str, str]]:
    """(username, full name, department, role) of every active user account."""
    rows = session.execute(select(User.username, User.full_name, Department.code, User.role)
                           .join(Department, User.department_id == Department.id)
                           .where(User.active.is_(True)).order_by(User.full_name, User.username))
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _preview(session: Session, old: Grants, new: Grants) -> Preview:
    accounts = _accounts(session)
    effects: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}  # per (role, department)
    for role, department in {(role, dept) for _u, _n, dept, role in accounts}:
        effects[(role, department)] = (
            tuple(c for c in CAPABILITIES if holds(role, department, c, new) and not holds(role, department, c, old)),
            tuple(c for c in CAPABILITIES if holds(role, department, c, old) and not holds(role, department, c, new)))
    users = [UserChange(username, full_name, department, role, *effects[(role, department)])
             for username, full_name, department, role in accounts if any(effects[(role, department)])]
    return Preview(users, _refusal({(role, dept) for _u, _n, dept, role in accounts}, old, new))


def _refusal(pairs: set[tuple[str, str]], old: Grants, new: Grants) -> str | None:
    """Why ``new`` may not be put in force: no active user (of these (role, department) pairs) would keep a
    guarded capability."""
    for capability in GUARDED:
        held_before = any(holds(role, dept, capability, old) for role, dept in pairs)
        if held_before and not any(holds(role, dept, capability, new) for role, dept in pairs):
            return _("Refused: after this change no active user account would hold {capability} ({what}). "
                     "The last administrator must keep it; grant it to another account first.").format(
                capability=capability, what=_(CAPABILITIES[capability][0]))
    return None


def _write(actor: Actor, session: Session, old: Grants, new: Grants, preview: Preview) -> None:
    """Store ``new`` in place of ``old`` (each changed entry audited with before and after), bump the version."""
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if not changed:
        return
    rows = {(g.capability, g.role, g.department): g for g in session.scalars(select(CapabilityGrant))}
    detail = "; ".join(_effect(u) for u in preview.users)[:4000] or None
    for key in changed:
        capability, role, department = key
        entry = {"capability": capability, "role": role, "department": department}
        before = {**entry, "granted": old[key]} if key in old else None
        after = {**entry, "granted": new[key]} if key in new else None
        row = rows.get(key)
        if key not in new:
            if row is not None:
                session.delete(row)
            action = "delete"
        elif row is None:
            session.add(CapabilityGrant(capability=capability, role=role, department=department, granted=new[key],
                                        changed_at=utcnow(), changed_by=actor.username))
            action = "create"
        else:
            row.granted, row.changed_at, row.changed_by = new[key], utcnow(), actor.username
            action = "update"
        audit.record(session, actor, action, "capability_grant", f"{capability}:{role}:{department}",
                     before=before, after=after, detail=detail)
    session.flush()
    _bump(session)


def _effect(user: UserChange) -> str:
    parts = [f"+{c}" for c in user.gains] + [f"-{c}" for c in user.loses]
    return f"{user.username}: {' '.join(parts)}"


# ------------------------------------------------------------------ words for people


def where(role: str, department: str) -> str:
    """'Staff in Sales', 'Manager in all departments'."""
    place = _("all departments") if department == ANY else label(DEPARTMENTS, department)
    return _("{role} in {department}").format(role=label(ROLES, role), department=place)


def describe(override: Override) -> str:
    """One sentence for an entry: granted or revoked, what, to whom."""
    if override.granted:
        return _("Grant {capability} to {who}").format(capability=override.capability,
                                                       who=where(override.role, override.department))
    return _("Revoke {capability} from {who}").format(capability=override.capability,
                                                      who=where(override.role, override.department))


def describe_user(user: UserChange) -> str:
    """'Ann Lee (Staff in Sales) gains insights.read; loses data.export'."""
    parts = []
    if user.gains:
        parts.append(_("gains {capabilities}").format(capabilities=", ".join(user.gains)))
    if user.loses:
        parts.append(_("loses {capabilities}").format(capabilities=", ".join(user.loses)))
    return _("{name} ({who}) {changes}").format(name=user.full_name, who=where(user.role, user.department),
                                                changes="; ".join(parts))


# ------------------------------------------------------------------ the configuration file's "rights" section


def _export(session: Session) -> list[dict[str, Any]]:
    return [{"capability": c, "role": r, "department": d, "granted": g} for (c, r, d), g in sorted(_load(session).items())]


def _parse(session: Session, data: Any) -> dict[Key, bool]:
    """The grants a file's section describes; every problem at once."""
    if not isinstance(data, list):
        raise ValidationError({"rights": _("The section “rights” must be a list of entries.")})
    errors: dict[str, str] = {}
    grants: dict[Key, bool] = {}
    for i, entry in enumerate(data, start=1):
        prefix = f"rights[{i}]."
        if not isinstance(entry, Mapping):
            problems = {prefix[:-1]: _("not a mapping of capability, role, department and granted.")}
        else:
            capability, role = entry.get("capability"), entry.get("role")
            department, granted = entry.get("department", ANY), entry.get("granted")
            problems = _problems(session, capability, role, department, prefix)
            if not isinstance(granted, bool):
                problems[prefix + "granted"] = _("“granted” must be true or false.")
            if not problems and (capability, role, department) in grants:
                problems[prefix + "capability"] = _("{capability} for {who} is listed twice.").format(
                    capability=capability, who=where(role, department))
            if not problems:
                grants[(capability, role, department)] = granted
        errors.update({k: _("Rights, entry {n}: {problem}").format(n=i, problem=v) for k, v in problems.items()})
    if errors:
        raise ValidationError(errors)
    return grants


def _changes(session: Session, data: Any) -> list[str]:
    old, new = _load(session), _parse(session, data)
    preview = _preview(session, old, new)
    if preview.refusal:
        raise ValidationError({"rights": preview.refusal})
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        capability, role, department = key
        if key in new:
            lines.append(describe(Override(capability, role, department, new[key])))
        else:
            lines.append(_("Back to the table: {capability} for {who}").format(
                capability=capability, who=where(role, department)))
    if not lines:
        return []
    return lines + [describe_user(u) for u in preview.users]


def _apply(actor: Actor, data: Any, session: Session) -> None:
    require(actor, "settings.manage")
    old, new = _load(session), _parse(session, data)
    preview = _preview(session, old, new)
    if preview.refusal:
        raise ValidationError({"rights": preview.refusal})
    _write(actor, session, old, new, preview)


SECTION = register(Section("rights", _export, _changes, _apply, order=40))
