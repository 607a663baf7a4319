"""LLM backends behind LangChain's chat-model interface, and the choice between them.

- ``ollama``: ``langchain_ollama.ChatOllama`` against the hosts in settings (:mod:`pipelines.llm.ollama`).
- ``llamacpp``: the in-process llama.cpp model (:mod:`pipelines.llm.llamacpp`).
- ``auto``: Ollama when a host is reachable and has the model, else llama.cpp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from langchain_core.language_models.chat_models import BaseChatModel

from pipelines.core.errors import BackendError
from pipelines.core.settings import Settings
from pipelines.llm.ollama import build_ollama_chat, probe_ollama

__all__ = ["Backend", "BackendResolver", "resolve_backend"]


@dataclass
class Backend:
    """A ready chat backend: ``name`` ollama|llamacpp, the model name, the LangChain chat model."""

    name: str
    model_name: str
    chat_model: BaseChatModel
    note: str = ""
    host: str = ""


#: What a flow is given to obtain its backend: ``resolve(requested)`` with requested auto|ollama|llamacpp, or
#: None for the settings' choice (the composition root binds it to the settings and the loaded model).
BackendResolver = Callable[[str | None], Backend]


def resolve_backend(
    settings: Settings, requested: str, llamacpp_loader: Callable[[], Backend] | None = None
) -> Backend:
    """Return the backend for ``requested`` (auto|ollama|llamacpp).

    Args:
        settings: The settings tree.
        requested: Backend name; ``auto`` prefers a usable Ollama.
        llamacpp_loader: Zero-argument callable returning the (cached) llama.cpp backend; None = load it now
            from ``settings.llamacpp``.

    Raises:
        BackendError: ``ollama`` was requested but is not usable (the message says what to run), or the
            name is unknown.
    """

    def load_now() -> Backend:
        from pipelines.llm.llamacpp import build_llamacpp_backend  # the module imports this one

        return build_llamacpp_backend(settings.llamacpp)

    loader = llamacpp_loader or load_now
    if requested == "llamacpp":
        return loader()
    if requested not in {"auto", "ollama"}:
        raise BackendError(f"unknown backend {requested!r}; use auto, ollama or llamacpp")
    status = probe_ollama(settings.ollama)
    if status.host is not None:
        return Backend(
            "ollama",
            settings.ollama.model,
            build_ollama_chat(settings.ollama, status.host),
            note=f"Ollama at {status.host}",
            host=status.host,
        )
    if requested == "ollama":
        raise BackendError(status.reason)
    return replace(loader(), note=f"embedded llama.cpp (Ollama unavailable: {status.reason})")
