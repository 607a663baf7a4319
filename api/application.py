"""Building the FastAPI application over one data dir's services."""

from __future__ import annotations

from fastapi import FastAPI

from api import documents, health, observability, openai_compat, product
from api.context import ApiContext
from api.errors import install_error_handlers
from api.limits import GenerationGate, RateLimiter
from api.middleware import BodyLimit, LastResort
from api.observability import RequestIds, RequestMetrics
from pipelines.accounts import AccountStore
from pipelines.services import Services

__all__ = ["create_app"]

#: Largest body of a request that is not an upload (a question is at most 20,000 characters).
_JSON_LIMIT = 2 * 2**20
#: Room for the multipart envelope of an upload (boundaries, headers, the domain field).
_MULTIPART_OVERHEAD = 64 * 2**10


def create_app(services: Services, accounts: AccountStore | None, secret: bytes) -> FastAPI:
    """The API application (OpenAPI page at ``/docs``; Prometheus metrics at ``/metrics``, no key).

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
    # added last = outermost: the metrics see every request, the body limit next, the last resort catches what
    # handlers left
    app.add_middleware(LastResort)
    app.add_middleware(BodyLimit, limit=_JSON_LIMIT, upload_path="/api/documents", upload_limit=upload_limit)
    app.add_middleware(RequestMetrics)  # counts the 413s and 500s of the two above too
    app.add_middleware(RequestIds)  # outermost: every log line of a request carries its id
    app.include_router(health.router)
    app.include_router(observability.router)
    app.include_router(openai_compat.router)
    app.include_router(product.router)
    app.include_router(documents.router)
    return app
