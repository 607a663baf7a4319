"""LLM backends behind LangChain's chat-model interface, and the choice between them.

- ``ollama``: ``langchain_ollama.ChatOllama`` over a pool of Ollama hosts (:mod:`pipelines.llm.ollama`).
- ``openai``: ``langchain_openai.ChatOpenAI`` over a pool of OpenAI-compatible servers
  (:mod:`pipelines.llm.openai_server`).
- ``llamacpp``: the in-process llama.cpp model (:mod:`pipelines.llm.llamacpp`).
- ``auto``: Ollama when a host is healthy with the model, else an OpenAI-compatible server when one is
  configured and healthy, else llama.cpp. Host health is cached by the pools (:mod:`pipelines.llm.pool`), so
  choosing costs no network round trip per turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from langchain_core.language_models.chat_models import BaseChatModel

from domains.config import GenerationConfig
from pipelines.core.errors import BackendError
from pipelines.core.settings import Settings
from pipelines.llm.limits import GenerationOptions
from pipelines.llm.ollama import ollama_kind, ollama_options
from pipelines.llm.openai_server import openai_kind, openai_options
from pipelines.llm.pool import HostPool, HostPools, PooledChatModel

__all__ = ["Backend", "BackendResolver", "answered_by", "resolve_backend"]


@dataclass
class Backend:
    """A ready chat backend: ``name`` ollama|openai|llamacpp, the model name, the LangChain chat model, why it
    was chosen (``note``) and, for a single known host, ``host`` (pooled backends: see :func:`answered_by`)."""

    name: str
    model_name: str
    chat_model: BaseChatModel
    note: str = ""
    host: str = ""

    def with_options(self, options: GenerationOptions) -> Backend:
        """This backend with ``options`` over its settings' (a domain's ``generation:`` block); a chat model
        without a ``with_options`` method is kept as it is."""
        apply = getattr(self.chat_model, "with_options", None)
        return self if apply is None else replace(self, chat_model=apply(options))

    def for_domain(self, generation: GenerationConfig | None) -> Backend:
        """This backend with a domain's ``generation:`` block over its settings (None: as it is)."""
        return self if generation is None else self.with_options(GenerationOptions(**generation.model_dump()))


def answered_by(backend: Backend) -> tuple[str, str]:
    """``(host, model)`` that answered the backend's last call: a pooled backend's host (its base URL without
    credentials) and model, else ``(backend.host, backend.model_name)``."""
    host = getattr(backend.chat_model, "last_host", "") or backend.host
    return host, getattr(backend.chat_model, "last_model", "") or backend.model_name


#: What a flow is given to obtain its backend: ``resolve(requested)`` with requested auto|ollama|openai|llamacpp,
#: or None for the settings' choice (the composition root binds it to the settings, the loaded model, the pools).
BackendResolver = Callable[[str | None], Backend]


def _pooled(name: str, pool: HostPool, options: GenerationOptions) -> Backend:
    models = sorted({h.model for h in pool.hosts})
    chat = PooledChatModel(pool=pool, options=options, model_name=models[0] if models else "")
    hosts = ", ".join(h.name for h in pool.hosts)
    return Backend(name, ", ".join(models), chat, note=f"{pool.kind.label} pool: {hosts}")


def resolve_backend(
    settings: Settings,
    requested: str,
    llamacpp_loader: Callable[[], Backend] | None = None,
    pools: HostPools | None = None,
) -> Backend:
    """Return the backend for ``requested`` (auto|ollama|openai|llamacpp).

    Args:
        settings: The settings tree.
        requested: Backend name; ``auto`` prefers a healthy Ollama host, then a configured and healthy
            OpenAI-compatible server, then llama.cpp.
        llamacpp_loader: Zero-argument callable returning the (cached) llama.cpp backend; None = load it now
            from ``settings.llamacpp``.
        pools: The composition root's host pools (health cached across turns); None = fresh pools (every
            host probed now).

    Raises:
        BackendError: ``ollama`` or ``openai`` was requested but no host can answer (the message names each
            host and what to run), or the name is unknown.
    """

    def load_now() -> Backend:
        from pipelines.llm.llamacpp import build_llamacpp_backend  # the module imports this one

        return build_llamacpp_backend(settings.llamacpp)

    loader = llamacpp_loader or load_now
    pools = pools or HostPools()
    if requested == "llamacpp":
        return loader()
    if requested not in {"auto", "ollama", "openai"}:
        raise BackendError(f"unknown backend {requested!r}; use auto, ollama, openai or llamacpp")
    unavailable = []
    if requested in {"auto", "ollama"}:
        pool = pools.get(ollama_kind(settings.ollama), settings.ollama)
        if pool.available(wait=requested == "ollama"):
            return _pooled("ollama", pool, ollama_options(settings.ollama))
        if requested == "ollama":
            raise pool.down_error()
        unavailable.append(f"Ollama unavailable: {pool.down_error()}")
    if requested == "openai" or settings.openai.hosts:
        pool = pools.get(openai_kind(), settings.openai)
        if pool.available(wait=requested == "openai"):
            return _pooled("openai", pool, openai_options(settings.openai))
        if requested == "openai":
            raise pool.down_error()
        unavailable.append(f"OpenAI-compatible server unavailable: {pool.down_error()}")
    return replace(loader(), note=f"embedded llama.cpp ({'; '.join(unavailable)})")
