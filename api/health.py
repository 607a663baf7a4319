"""``/healthz`` (the process answers) and ``/readyz`` (models loaded, stores reachable); no key needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.context import Context

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Always ``{"status": "ok"}`` while the process serves."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(ctx: Context) -> dict[str, Any] | JSONResponse:
    """``{"status": "ready", "checks": {...}}``, or 503 with the check that failed (its error type only)."""
    checks: dict[str, str] = {}
    services = ctx.services
    probes = {
        "analyzer": lambda: services.deidentifier,
        "vector_store": lambda: services.status(),
        "memory": lambda: services.memory.sessions(),
        "accounts": (lambda: ctx.accounts.users()) if ctx.accounts is not None else (lambda: None),
    }
    ready = True
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # a probe's failure is the answer, not an error of this endpoint
            checks[name] = f"failed ({type(exc).__name__})"
            ready = False
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return body if ready else JSONResponse(body, status_code=503)
