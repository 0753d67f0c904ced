"""API errors and how they become Nova's fault bodies.

Handlers and the layers below raise exception types named for what went wrong
(`NotFound`, `BadRequest`, `Conflict`, ...); this module is the one place that turns
them, and every other error that reaches the HTTP edge, into Nova's body
`{"<faultName>": {"code": N, "message": "..."}}` (`nova/api/openstack/wsgi.py`, `Fault`).

Fault names follow Nova's table; any status it does not name (500, 406, ...) is a
`computeFault`, as in Nova. A 500 never shows internals: the message names the request
id, the log has the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.numa.errors import InvalidRequest

LOG = logging.getLogger(__name__)

FAULT_NAMES: Mapping[int, str] = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}
DEFAULT_FAULT_NAME = "computeFault"

# webob's explanations, which Nova sends when a handler gives none.
_DEFAULT_MESSAGES: Mapping[int, str] = {
    400: "The server could not comply with the request since it is either malformed "
    "or otherwise incorrect.",
    401: "This server could not verify that you are authorized to access the document "
    "you requested.",
    403: "Access was denied to this resource.",
    404: "The resource could not be found.",
    405: "The method is not allowed for this resource.",
    406: "The resource could not be generated that was acceptable to your browser.",
    409: "There was a conflict when trying to complete your request.",
    413: "The request is larger than the server is willing or able to process.",
    415: "The request media type is not supported by this server.",
    429: "This request was rate-limited.",
    501: "The server has either erred or is incapable of performing the requested "
    "operation.",
    503: "The server is currently unavailable. Please try again at a later time.",
}

UNEXPECTED_ERROR = (
    "Unexpected API Error. Please report this with the request ID %s and attach the "
    "Tessera API log if possible."
)


class APIError(Exception):
    """Base of the errors the API answers with a fault body; `code` is the status."""

    code: ClassVar[int] = 500

    def __init__(self, message: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.message = message or _DEFAULT_MESSAGES.get(self.code, "")
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)


class BadRequest(APIError):
    """The request is malformed or fails validation (400 `badRequest`)."""

    code = 400


class Unauthorized(APIError):
    """No or no valid credentials (401 `unauthorized`)."""

    code = 401


class Forbidden(APIError):
    """The caller may not do this (403 `forbidden`)."""

    code = 403


class PolicyNotAuthorized(Forbidden):
    """A policy rule refused the action, with Nova's message."""

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__("Policy doesn't allow %s to be performed." % action)


class NotFound(APIError):
    """No such resource, or not at this microversion (404 `itemNotFound`)."""

    code = 404


class MethodNotAllowed(APIError):
    """The path exists but not for this method (405 `badMethod`)."""

    code = 405


class NotAcceptable(APIError):
    """The requested representation cannot be served (406; Nova's `computeFault`)."""

    code = 406


class Conflict(APIError):
    """The resource's state forbids the request (409 `conflictingRequest`)."""

    code = 409


class OverLimit(APIError):
    """A quota or size limit is exceeded (413 `overLimit`, `retryAfter` when known)."""

    code = 413

    def __init__(self, message: str | None = None, retry_after: int | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        merged = dict(headers or {})
        if retry_after is not None:
            merged["Retry-After"] = str(max(0, int(retry_after)))
        super().__init__(message, merged)


class UnsupportedMediaType(APIError):
    """The body is not JSON (415 `badMediaType`)."""

    code = 415


class NotImplementedByAPI(APIError):
    """The API knows the request but Tessera does not implement it (501)."""

    code = 501


class ServiceUnavailable(APIError):
    """A service the API needs does not answer (503 `serviceUnavailable`)."""

    code = 503


def fault_body(code: int, message: str, retry_after: str | None = None) -> dict[str, Any]:
    """Nova's fault body for `code`."""
    name = FAULT_NAMES.get(code, DEFAULT_FAULT_NAME)
    fault: dict[str, Any] = {"code": code, "message": message}
    if code in (413, 429) and retry_after is not None:
        fault["retryAfter"] = retry_after
    return {name: fault}


def fault_response(code: int, message: str | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A JSON response carrying Nova's fault body."""
    headers = dict(headers or {})
    text = message or _DEFAULT_MESSAGES.get(code, "")
    return JSONResponse(fault_body(code, text, headers.get("Retry-After")),
                        status_code=code, headers=headers)


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """A readable 400 message from pydantic/FastAPI error dicts, in Nova's words:
    "Invalid input for field/attribute server.name. Value: None. Field required"."""
    parts = []
    for error in errors:
        if error.get("type") == "json_invalid":
            return "Malformed request body"
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path",
                                                                   "header")]
        field = ".".join(loc) or "request body"
        value = error.get("input")
        parts.append("Invalid input for field/attribute %s. Value: %s. %s"
                     % (field, _short(value), error.get("msg", "invalid")))
    return "; ".join(parts) or "Invalid input"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a fault body, once."""
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(ValidationError, _pydantic_validation)
    app.add_exception_handler(InvalidRequest, _invalid_request)
    app.add_exception_handler(OperationalError, _database_unreachable)


async def _database_unreachable(request: Request, exc: Exception) -> JSONResponse:
    """A database (a cell's, during an outage) did not answer: the request may be
    retried, and nothing about the cloud's internals is said."""
    LOG.error("%s %s: a database is unreachable: %s", request.method, request.url.path,
              str(exc).splitlines()[0] if str(exc) else exc)
    return fault_response(503, "A database of this cloud is not reachable at the "
                          "moment; try again later.", {"Retry-After": "10"})


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    if exc.code >= 500:
        LOG.error("%s %s: %s", request.method, request.url.path, exc.message)
    return fault_response(exc.code, exc.message, exc.headers)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = None
    if exc.status_code == 405:
        message = "The method %s is not allowed for this resource." % request.method
    elif exc.detail and exc.detail not in ("Not Found", "Method Not Allowed"):
        message = str(exc.detail)
    return fault_response(exc.status_code, message, exc.headers)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return fault_response(400, validation_message(exc.errors()))


async def _pydantic_validation(request: Request, exc: Exception) -> JSONResponse:
    # A model validated by hand in a handler failed: the input was bad, not the code.
    assert isinstance(exc, ValidationError)
    return fault_response(400, validation_message(exc.errors()))


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    return fault_response(400, str(exc))


class FaultWrapMiddleware:
    """Turns an unexpected exception into a 500 `computeFault` that hides internals
    (Nova's `FaultWrapper`). It sits inside the microversion middleware, so the 500
    carries the version headers too; Starlette's own last-resort handler would not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            if started:
                raise
            context = scope.get("state", {}).get("context")
            request_id = getattr(context, "request_id", None) or "(unknown)"
            LOG.exception("Unexpected API error on %s %s (request %s)",
                          scope.get("method"), scope.get("path"), request_id)
            response = fault_response(500, UNEXPECTED_ERROR % request_id)
            await response(scope, receive, send)
