"""``assistant serve``: run uvicorn (the bind rule is :func:`pipelines.core.serving.check_bind`)."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["run"]


def run(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` with uvicorn until interrupted (no access log: paths may carry session ids)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
