"""Domain exceptions. Each carries the message a user reads."""
from __future__ import annotations

from crm.core.i18n import _


class CRMError(Exception):
    """Base of every error a page shows as a plain message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(CRMError):
    def __init__(self, capability: str, message: str | None = None) -> None:
        super().__init__(message or _("You do not have permission for this ({capability}).").format(
            capability=capability))
        self.capability = capability


class ValidationError(CRMError):
    """Bad input; ``errors`` maps each field (or row) to every problem found."""

    def __init__(self, errors: dict[str, str] | list[str]) -> None:
        if isinstance(errors, list):
            errors = {str(i): e for i, e in enumerate(errors)}
        self.errors = dict(errors)
        super().__init__(_("Please correct: {problems}").format(problems="; ".join(self.errors.values())))


class ConflictError(CRMError):
    """Someone else changed the record since it was loaded."""


class NotFound(CRMError):
    pass


class AuthError(CRMError):
    """Sign-in problems (locked account, inactive user)."""


class RateLimited(CRMError):
    """Too many requests of one kind by one user in a short time; ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
