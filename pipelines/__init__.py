"""Pipelines: the composition root (``services``) and the flows over the leaves ``domains``, ``ingest`` and
``privacy`` (see ARCHITECTURE.md). The package itself exports the settings and the errors users see."""

from pipelines.core.errors import (
    USER_FACING_ERRORS,
    AssistantError,
    BackendError,
    DocumentError,
    SessionError,
)
from pipelines.core.settings import Settings, load_settings

__all__ = [
    "USER_FACING_ERRORS",
    "AssistantError",
    "BackendError",
    "DocumentError",
    "SessionError",
    "Settings",
    "load_settings",
]
