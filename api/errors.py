"""Error responses: OpenAI's shape under ``/v1``, one shape of our own under ``/api``; never a traceback, a stack
path or an input value.

- ``/v1``: ``{"error": {"message", "type", "param": null, "code"}}`` (OpenAI's API reference, "Error codes").
- everything else: ``{"error": {"status", "type", "message"}}``.

Statuses: 400 bad input (any error the product shows users: an empty text, a text over its length limit, an
unknown domain or backend; see :mod:`api.checks`), 401 no or bad key, 403 a known domain the role may not use,
404 unknown session, turn, document, or model (``/v1``: an unknown model name, as OpenAI answers it), 413 too
large, 409 a session's vault saved by another replica at the same moment (send the message again), 422 a body
that does not fit the schema (the message names the fields, never their values), 429 rate limit or a full
generation queue (with ``Retry-After``), 503 a known model backend, the shared database or the document store
(Chroma, the BM25 index) failing, 500 anything else (logged with an id that the response gives).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.limits import Busy
from pipelines.accounts import AuthError
from pipelines.chat.routing import UnsureRouteError
from pipelines.conversation.vault_sql import VaultConflict
from pipelines.core.errors import (
    USER_FACING_ERRORS,
    BackendError,
    DatabaseError,
    DocumentError,
    SessionError,
    StoreError,
)

__all__ = ["Forbidden", "NotFound", "TooLarge", "error_response", "install_error_handlers", "status_of"]


#: How an API caller names the domain of a question the router was unsure about.
API_DOMAIN_HINT = 'name it in the request: "domain" under /api, the model assistant-<domain> under /v1'


class Forbidden(Exception):
    """The caller's role may not use what it asked for."""


class NotFound(Exception):
    """No such model, session or document (for this caller)."""


class TooLarge(Exception):
    """A body or upload over its limit."""


_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "service_unavailable",
}


def error_response(
    path: str, status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The error body for ``path`` (OpenAI's shape under ``/v1``)."""
    kind = _TYPES.get(status, "error")
    body: dict[str, Any]
    if path.startswith("/v1/") or path == "/v1":
        body = {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}
    else:
        body = {"error": {"status": status, "type": kind, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(error: Exception) -> int:
    """The HTTP status of an error the product knows (see the module docstring); 400 for any other."""
    if isinstance(error, AuthError):
        return 401
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, NotFound | SessionError | DocumentError):
        return 404
    if isinstance(error, TooLarge):
        return 413
    if isinstance(error, VaultConflict):
        return 409  # another replica saved the same session's vault at the same moment: send it again
    if isinstance(error, BackendError | DatabaseError | StoreError):
        return 503  # a model server, the shared database or the Chroma server cannot be reached
    return 400


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(Busy)
    async def busy(request: Request, error: Busy) -> JSONResponse:
        return error_response(request.url.path, 429, str(error), {"Retry-After": str(error.retry_after)})

    known_errors: tuple[type[Exception], ...] = (
        AuthError,
        Forbidden,
        NotFound,
        TooLarge,
        *USER_FACING_ERRORS,
    )
    for kind in known_errors:

        @app.exception_handler(kind)
        async def known(request: Request, error: Exception) -> JSONResponse:
            status = status_of(error)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            message = str(error)
            if isinstance(error, UnsureRouteError):  # the chat turn's message, and how an API caller chooses
                message = f"{message}; {API_DOMAIN_HINT}"
            return error_response(request.url.path, status, message, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "body"
            problems.append(
                f"{where}: {item.get('msg', 'invalid')}"
            )  # never item["input"]: it may be personal
        return error_response(request.url.path, 422, "invalid request: " + "; ".join(problems))

    @app.exception_handler(HTTPException)
    async def http(request: Request, error: HTTPException) -> JSONResponse:
        message = error.detail if isinstance(error.detail, str) else "request failed"
        return error_response(request.url.path, error.status_code, message, getattr(error, "headers", None))
