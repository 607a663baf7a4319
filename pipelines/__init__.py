"""Pipelines: the composition root, the chat and ingestion flows, routing, memory, prompts, LLM backends, CLI."""

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
