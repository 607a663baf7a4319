"""The REST API: an OpenAI-compatible chat endpoint (``/v1``) and the product's own endpoints (``/api``), a
delivery adapter over :mod:`pipelines` like ``app`` and ``cli`` (FastAPI, served by uvicorn: ``assistant
serve``)."""

from api.application import create_app

__all__ = ["create_app"]
