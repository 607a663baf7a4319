"""Building the FastAPI application over one data dir's services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from api import documents, health, openai_compat, product
from api.context import ApiContext
from api.errors import error_response, install_error_handlers
from api.limits import GenerationGate, RateLimiter
from pipelines.accounts import AccountStore
from pipelines.services import Services

__all__ = ["create_app"]

#: Largest body of a request that is not an upload (a question is at most 20,000 characters).
_JSON_LIMIT = 2 * 2**20
#: Room for the multipart envelope of an upload (boundaries, headers, the domain field).
_MULTIPART_OVERHEAD = 64 * 2**10


def create_app(services: Services, accounts: AccountStore | None, secret: bytes) -> FastAPI:
    """The API application (OpenAPI page at ``/docs``).

    Args:
        services: The data dir's composition root (shared models).
        accounts: The account store with ``auth.mode: local`` (every ``/v1`` and ``/api`` request needs a key);
            None for the single-user mode (no key; the server must listen on loopback only).
        secret: Key of the session-label HMAC (32 random bytes of the data dir).
    """
    settings = services.settings.api
    app = FastAPI(
        title="Domain assistant API",
        description="OpenAI-compatible chat (/v1) and the product's own endpoints (/api).",
        version="1",
    )
    app.state.api = ApiContext(
        services=services,
        accounts=accounts,
        secret=secret,
        rate=RateLimiter(settings.rate_limit_per_minute),
        gate=GenerationGate(settings.generation_queue),
    )
    install_error_handlers(app)
    upload_limit = int(services.settings.ingest.max_file_mb * 2**20) + _MULTIPART_OVERHEAD

    @app.middleware("http")
    async def body_limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Refuse a declared body over its limit before reading it: an upload over ``ingest.max_file_mb``
        (plus the multipart envelope), any other request over :data:`_JSON_LIMIT`."""
        declared = request.headers.get("content-length", "")
        limit = upload_limit if request.url.path == "/api/documents" else _JSON_LIMIT
        if declared.isdigit() and int(declared) > limit:
            return error_response(request.url.path, 413, f"the request body of {int(declared):,} bytes exceeds the "
                                  f"{limit:,}-byte limit")  # fmt: skip
        return await call_next(request)

    app.include_router(health.router)
    app.include_router(openai_compat.router)
    app.include_router(product.router)
    app.include_router(documents.router)
    return app
