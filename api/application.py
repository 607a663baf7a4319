"""Building the FastAPI application over one data dir's services."""

from __future__ import annotations

from fastapi import FastAPI

from api import health, openai_compat, product
from api.context import ApiContext
from api.errors import install_error_handlers
from api.limits import GenerationGate, RateLimiter
from pipelines.accounts import AccountStore
from pipelines.services import Services

__all__ = ["create_app"]


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
    app.include_router(health.router)
    app.include_router(openai_compat.router)
    app.include_router(product.router)
    return app
