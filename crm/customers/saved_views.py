"""Saved views: a named search + filters (custom fields' too) + sort + columns, personal or shared with the department."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm.core import audit
from crm.core.access import Actor, require
from crm.core.errors import NotFound, PermissionDenied, ValidationError
from crm.core.i18n import _
from crm.accounts.users import department_id
from crm.settings.field_filters import FieldFilter, conditions
from db.models import Customer, SavedView, User

ALLOWED_KEYS = {"query", "status", "segment", "owner_id", "country", "acquisition_source", "consent",
                "include_archived", "sort", "page_size", "columns", "custom"}


@dataclass(frozen=True)
class View:
    id: int
    name: str
    params: dict[str, Any]
    shared: bool
    owner: str
    mine: bool


def save_view(actor: Actor, name: str, params: dict[str, Any], *, shared: bool = False,
              page: str = "customers", session: Session) -> View:
    require(actor, "customers.read")
    name = " ".join((name or "").split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the view a name.")
    elif len(name) > 120:
        errors["name"] = _("The name is longer than {limit} characters.").format(limit=120)
    unknown = set(params) - ALLOWED_KEYS
    if unknown:
        errors["params"] = _("Unknown settings: {settings}.").format(settings=", ".join(sorted(unknown)))
    columns = params.get("columns")
    if columns is not None and not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        errors["columns"] = _("The columns of a view are a list of column names.")
    custom = params.get("custom")
    if custom is not None:
        try:
            filters = [FieldFilter.from_params(f) for f in custom]
            params = {**params, "custom": [f.params() for f in filters]}
            conditions(session, "customers", filters, Customer.id)  # unknown fields or bad values refused
        except ValidationError as exc:
            errors.update(exc.errors)
        except (TypeError, AttributeError):
            errors["custom"] = _("The custom field filters of a view are a list of filters.")
    if errors:
        raise ValidationError(errors)
    existing = session.scalar(select(SavedView).where(
        SavedView.user_id == actor.user_id, SavedView.page == page, SavedView.name == name))
    dept = department_id(actor.department, session=session)
    if existing is None:
        existing = SavedView(user_id=actor.user_id, page=page, name=name, params=params,
                             shared=shared, department_id=dept if shared else None)
        session.add(existing)
    else:
        existing.params = params
        existing.shared = shared
        existing.department_id = dept if shared else None
    session.flush()
    audit.record(session, actor, "save_view", "saved_view", existing.id,
                 after={"name": name, "shared": shared, "params": params})
    return View(existing.id, name, params, shared, actor.full_name, True)


def list_views(actor: Actor, *, page: str = "customers", session: Session) -> list[View]:
    """My views and the views shared with my department."""
    require(actor, "customers.read")
    dept = department_id(actor.department, session=session)
    rows = session.execute(
        select(SavedView, User.full_name).join(User, User.id == SavedView.user_id)
        .where(SavedView.page == page,
               or_(SavedView.user_id == actor.user_id,
                   (SavedView.shared.is_(True)) & (SavedView.department_id == dept)))
        .order_by(SavedView.name)
    ).all()
    return [View(v.id, v.name, v.params, v.shared, owner, v.user_id == actor.user_id) for v, owner in rows]


def delete_view(actor: Actor, view_id: int, *, session: Session) -> None:
    require(actor, "customers.read")
    view = session.get(SavedView, view_id)
    if view is None:
        raise NotFound(_("That saved view no longer exists."))
    if view.user_id != actor.user_id:
        raise PermissionDenied("customers.read", _("Only the person who saved a view can delete it."))  # i18n: ok (capability code)
    session.delete(view)
    audit.record(session, actor, "delete_view", "saved_view", view_id, before={"name": view.name})
