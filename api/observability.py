"""``GET /metrics`` (Prometheus text format, no key: like ``/healthz``) and the middleware counting requests.

- :data:`router`: ``/metrics`` serves :mod:`pipelines.core.metrics` (the product's own registry). It needs no
  API key, like ``/healthz``: its labels carry no user, session, document name or text, only route templates,
  backends, hosts (without credentials), domains, entity types, risk categories and statuses. Put it behind the
  network's own access control when the server listens beyond loopback.
- :class:`RequestMetrics`: counts every HTTP request by route template (``/api/sessions/{session_id}``, never the
  raw path with its ids; ``unmatched`` for a path no route has), method and status code, and times it until its
  response starts (``assistant_http_requests_total``, ``assistant_http_request_seconds``).
- :class:`RequestIds`: gives each HTTP request a random id (16 hex digits; a client's own id is not taken, it
  could carry text), returned in the ``X-Request-ID`` header and carried by every log record written while the
  request is served (:func:`pipelines.core.logs.request_scope`; the ``request_id`` of JSON log lines).
"""

from __future__ import annotations

import time
import uuid

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.types import Message, Receive, Scope, Send

from api.middleware import HttpMiddleware, ResponseWatch
from pipelines.core import metrics
from pipelines.core.logs import request_scope

__all__ = ["RequestIds", "RequestMetrics", "router"]

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
def metrics_endpoint() -> Response:
    """Every metric of the product in the Prometheus text format (``text/plain; version=0.0.4``)."""
    body, content_type = metrics.exposition()
    return Response(content=body, media_type=content_type)


class RequestMetrics(HttpMiddleware):
    """ASGI middleware: count each HTTP request by route template, method and status; time it until the
    response starts. A request that ends without a response (the client left) counts as status 499."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        response = ResponseWatch(send)
        failed = False
        try:
            await self.app(scope, receive, response.send)
        except Exception:
            failed = True
            raise
        finally:
            status = response.status if response.status is not None else 500 if failed else 499
            route = scope.get("route")
            template = getattr(route, "path", None)
            endpoint = template if isinstance(template, str) else "unmatched"
            elapsed = (response.started_at or time.perf_counter()) - started
            metrics.observe_http(endpoint, str(scope.get("method", "")), status, elapsed)


class RequestIds(HttpMiddleware):
    """ASGI middleware: a fresh request id per HTTP request, in the log context and the ``X-Request-ID``
    response header."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        identifier = uuid.uuid4().hex[:16]

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", identifier.encode("ascii"))]
                message = {**message, "headers": headers}
            await send(message)

        with request_scope(identifier):
            await self.app(scope, receive, tagged)
