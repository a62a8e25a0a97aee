"""Every error of the API in one JSON shape: ``{"error": {"code", "message", "fields"}}``.

The code is stable (clients branch on it); the message is the one the pages show, in the language of the
request's Accept-Language; ``fields`` holds every field error at once. Nothing a client sends yields a
traceback: a real bug is logged and answered with a plain 500.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from crm.core.errors import (AuthError, ConflictError, CRMError, NotFound, PermissionDenied, RateLimited,
                             ValidationError)
from crm.core.i18n import _

log = logging.getLogger("crm.api")


class ErrorDetail(BaseModel):
    code: str = Field(description="validation_error, not_found, conflict, forbidden, unauthorized, "
                                  "rate_limited, bad_request, method_not_allowed or internal_error")
    message: str = Field(description="What went wrong, in the language asked for (en, id, bg, ur)")
    fields: dict[str, str] = Field(default_factory=dict, description="Each field's problem (validation errors)")


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An answer other than success decided by the API layer itself (no key, too many requests...)."""

    def __init__(self, status: int, code: str, message: str, *, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields or {}, headers or {}


_DESCRIPTIONS = {400: "Bad request", 401: "No valid API key", 403: "The key lacks the capability",
                 404: "Not found", 409: "Stale version: someone changed the record", 422: "Invalid input",
                 429: "Too many requests for this key (see Retry-After)"}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of an operation (every one has the ErrorBody shape)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in (401, 422, 429, *statuses):
        out[status] = {"model": ErrorBody, "description": _DESCRIPTIONS[status]}
        if status == 429:
            out[status]["headers"] = _RETRY_AFTER
    return out


def error(status: int, code: str, message: str, fields: dict[str, str] | None = None,
          headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def from_domain(exc: CRMError) -> JSONResponse:
    """A service's refusal as the API's answer."""
    if isinstance(exc, ValidationError):
        return error(422, "validation_error", exc.message, exc.errors)
    if isinstance(exc, PermissionDenied):
        return error(403, "forbidden", exc.message)
    if isinstance(exc, NotFound):
        return error(404, "not_found", exc.message)
    if isinstance(exc, ConflictError):
        return error(409, "conflict", exc.message)
    if isinstance(exc, RateLimited):
        return error(429, "rate_limited", exc.message, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, AuthError):
        return error(401, "unauthorized", exc.message)
    return error(400, "bad_request", exc.message)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "request"


def _problem(err: dict[str, Any]) -> str:
    if err.get("type") == "missing":
        return _("A value is required.")
    if err.get("type") == "extra_forbidden":
        return _("This field is unknown.")
    return _("Not a valid value: {problem}.").format(problem=str(err.get("msg", "")).rstrip("."))


def install(app: FastAPI, key_refusal: Callable[[Request], Awaitable[ApiError | None]]) -> None:
    """Turn every kind of failure into the one error shape. ``key_refusal`` answers a request refused for its input
    before its key was checked: a bad key is told so (401, 429) rather than what is wrong with its input."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.exception_handler(CRMError)
    async def _domain(_request: Request, exc: CRMError) -> JSONResponse:
        return from_domain(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        refused = await key_refusal(request)
        if refused is not None:
            return await _api_error(request, refused)
        fields: dict[str, str] = {}
        for err in exc.errors():
            fields.setdefault(_field_name(tuple(err.get("loc", ()))), _problem(err))
        return error(422, "validation_error",
                     _("Please correct: {problems}").format(problems="; ".join(
                         f"{name}: {problem}" for name, problem in fields.items())), fields)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error(404, "not_found", _("There is no such address in the API."))
        if exc.status_code == 400:  # a body that is not JSON at all
            refused = await key_refusal(request)
            if refused is not None:
                return await _api_error(request, refused)
            return error(422, "validation_error", _("The body is not valid JSON."),
                         {"body": _("The body is not valid JSON.")})
        if exc.status_code == 405:
            return error(405, "method_not_allowed", _("This address does not answer this method."),
                         headers=dict(exc.headers or {}))
        return error(exc.status_code, "bad_request", str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API error on %s %s", request.method, request.url.path)
        return error(500, "internal_error", _("Something went wrong on the server; it has been logged."))
