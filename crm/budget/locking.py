"""Edit locks of budget plans: the version check, the status lock and the version bump every write makes."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from crm.core.errors import ConflictError, ValidationError
from crm.core.i18n import _
from crm.core.i18n import datetime as format_datetime
from db.models import AuditEvent, BudgetPlan, User


def check_version(plan: BudgetPlan, expected_version: int | None, session: Session) -> None:
    """``ConflictError`` naming who changed the plan last when it is no longer the version read."""
    if expected_version is not None and plan.version != expected_version:
        last = session.execute(
            select(func.coalesce(User.full_name, AuditEvent.username), AuditEvent.at)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(AuditEvent.entity == "budget_plan", AuditEvent.entity_id == str(plan.id))
            .order_by(AuditEvent.id.desc()).limit(1)
        ).first()
        if last is not None and last[0]:
            raise ConflictError(
                _("Plan '{name}' was changed by {who} at {when} UTC after you opened it; nothing was saved. "
                  "Reload the plan and apply your changes again.").format(
                    name=plan.name, who=last[0], when=format_datetime(last[1], "short"))
            )
        if last is not None:
            raise ConflictError(
                _("Plan '{name}' was changed by someone else at {when} UTC after you opened it; nothing was "
                  "saved. Reload the plan and apply your changes again.").format(
                    name=plan.name, when=format_datetime(last[1], "short"))
            )
        raise ConflictError(
            _("Plan '{name}' was changed by someone else after you opened it; nothing was saved. "
              "Reload the plan and apply your changes again.").format(name=plan.name)
        )


def require_editable(plan: BudgetPlan) -> None:
    """``ValidationError`` unless the plan's goals and lines may be changed (draft or returned, current)."""
    if plan.superseded:
        raise ValidationError({"plan": _("Plan '{name}' revision {revision} has been superseded by a newer "
                                         "revision and can no longer be changed.").format(
                                             name=plan.name, revision=plan.revision)})
    if plan.status == "approved":
        raise ValidationError({"plan": _("Plan '{name}' is approved and locked. "
                                         "Create a new revision to change it.").format(name=plan.name)})
    if plan.status == "submitted":
        raise ValidationError({"plan": _("Plan '{name}' is waiting for a sponsor's decision and cannot be "
                                         "changed until it is returned.").format(name=plan.name)})


def bump_version(plan: BudgetPlan, session: Session) -> None:
    """Raise the plan's version now (UPDATE ... WHERE version = loaded), so a concurrent
    writer of the same plan is refused instead of silently overwriting."""
    name = plan.name  # read before the flush: after a failed flush the session cannot load attributes
    flag_modified(plan, "name")
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(
            _("Plan '{name}' was changed by someone else while you were saving; nothing was saved. "
              "Reload the plan and apply your changes again.").format(name=name)
        ) from exc


def confirm_unchanged(plan: BudgetPlan, expected_version: int | None, session: Session) -> None:
    """For a save that writes nothing: ``ConflictError`` when another writer committed since the plan was
    read. The lines compared with the edits may already be theirs (each statement sees the newest committed
    rows), so "nothing changed" is only true while the plan's version still is the one read; the row lock
    waits for a writer still at work."""
    current = session.scalar(select(BudgetPlan.version).where(BudgetPlan.id == plan.id).with_for_update())
    if current != (plan.version if expected_version is None else expected_version):
        raise ConflictError(
            _("Plan '{name}' was changed by someone else while you were saving; nothing was saved. "
              "Reload the plan and apply your changes again.").format(name=plan.name)
        )
