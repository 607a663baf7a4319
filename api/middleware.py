"""ASGI middleware: body limits (declared or not) and the last guard against unexpected errors.

- :class:`BodyLimit`: a body over its limit is refused with 413: at once when its ``Content-Length`` says so,
  else as soon as the bytes received pass the limit (a chunked body), so nothing over the limit is buffered.
- :class:`LastResort`: an exception no handler took becomes a 500 with an incident id; the log gets the
  incident, path and exception type only, never a traceback (which may quote personal values).
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

__all__ = ["BodyLimit", "HttpMiddleware", "LastResort", "ResponseWatch"]

logger = logging.getLogger(__name__)


class _Exceeded(BaseException):  # not Exception: FastAPI turns errors while reading a body into 400
    """The body passed its limit while it was being received."""


class ResponseWatch:
    """Passes messages to ``send`` and notes whether the response has started (then no error body can follow),
    its status and when it started (``time.perf_counter`` seconds; None before)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status: int | None = None
        self.started_at: float | None = None

    @property
    def started(self) -> bool:
        """Whether the response has started."""
        return self.started_at is not None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and self.started_at is None:
            self.status, self.started_at = int(message["status"]), time.perf_counter()
        await self._send(message)


class HttpMiddleware:
    """An ASGI middleware for HTTP requests: other scopes (lifespan, websockets) pass through untouched;
    subclasses implement :meth:`handle`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request (``scope["type"] == "http"``)."""
        raise NotImplementedError


class BodyLimit(HttpMiddleware):
    """Refuse bodies over ``upload_limit`` on ``upload_path`` and over ``limit`` elsewhere (413)."""

    def __init__(self, app: ASGIApp, limit: int, upload_path: str, upload_limit: int) -> None:
        super().__init__(app)
        self.limit, self.upload_path, self.upload_limit = limit, upload_path, upload_limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        limit = self.upload_limit if path == self.upload_path else self.limit
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, f"the request body of {int(declared):,} bytes exceeds the "
                               f"{limit:,}-byte limit")  # fmt: skip
            return
        received = 0
        response = ResponseWatch(send)

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _Exceeded()
            return message

        try:
            await self.app(scope, counted, response.send)
        except _Exceeded:
            if not response.started:
                await self._refuse(scope, receive, send, f"the request body exceeds the {limit:,}-byte limit")

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
        response = error_response(str(scope.get("path", "")), 413, message, {"Connection": "close"})
        await response(scope, receive, send)


class LastResort(HttpMiddleware):
    """Turn any exception that reaches it into a 500 JSON body (if no response has started) without a traceback."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = ResponseWatch(send)
        try:
            await self.app(scope, receive, response.send)
        except _Exceeded:
            raise
        except Exception as error:  # the last guard: report, never re-raise into the server's traceback log
            incident = uuid.uuid4().hex[:12]
            logger.error(
                "unexpected error incident=%s path=%s kind=%s",
                incident,
                scope.get("path"),
                type(error).__name__,
            )
            if not response.started:
                failure = error_response(
                    str(scope.get("path", "")),
                    500,
                    f"internal error (incident {incident}); see the server log",
                )
                await failure(scope, receive, send)
