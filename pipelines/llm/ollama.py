"""The Ollama backend: ``langchain_ollama.ChatOllama`` against the configured hosts.

Reachability and the model's presence are probed with the official ``ollama`` client (``GET /api/tags``); errors
raised while chatting are translated into :class:`~pipelines.core.errors.BackendError` messages that say what to
run (https://github.com/ollama/ollama/blob/main/docs/api.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel

from pipelines.core.errors import BackendError
from pipelines.core.settings import OllamaSettings

__all__ = ["OllamaStatus", "build_ollama_chat", "map_ollama_error", "probe_ollama"]


@dataclass(frozen=True)
class OllamaStatus:
    """Result of probing Ollama hosts: the usable host (or None) and why not."""

    host: str | None
    reason: str


def probe_ollama(settings: OllamaSettings) -> OllamaStatus:
    """Find the first host that answers ``GET /api/tags`` and lists ``settings.model``.

    Returns:
        ``OllamaStatus(host, reason)``; ``host`` is None when none is usable and ``reason`` says what to run.
    """
    import httpx
    import ollama

    reasons = []
    for host in settings.hosts:
        try:
            listing = ollama.Client(host=host, timeout=settings.probe_timeout_s).list()
        except (httpx.HTTPError, ConnectionError, ollama.ResponseError) as exc:
            reasons.append(
                f"Ollama is not reachable at {host} ({type(exc).__name__}); start it with `ollama serve` "
                "(or `docker compose up -d ollama`)"
            )
            continue
        names = {str(model.model) for model in listing.models}
        if _has_model(names, settings.model):
            return OllamaStatus(host, "ok")
        reasons.append(
            f"model {settings.model!r} is not on the Ollama server at {host}; run `ollama pull {settings.model}`"
        )
    return OllamaStatus(None, "; ".join(reasons) or "no Ollama hosts configured")


def _has_model(names: set[str], wanted: str) -> bool:
    candidates = {wanted} if ":" in wanted else {wanted, f"{wanted}:latest"}
    return bool(names & candidates)


def build_ollama_chat(settings: OllamaSettings, host: str) -> BaseChatModel:
    """Return a streaming ``ChatOllama`` for ``host`` with the model and options from settings.

    ``reasoning=True`` asks Ollama to return a thinking model's reasoning separately
    (``additional_kwargs["reasoning_content"]``); ``<think>`` tags in content are split as well.
    """
    from langchain_ollama import ChatOllama

    return ChatOllama(
        model=settings.model,
        base_url=host,
        temperature=settings.temperature,
        num_ctx=settings.num_ctx,
        reasoning=True,
        client_kwargs={"timeout": settings.timeout_s},
    )


def map_ollama_error(exc: Exception, host: str, model: str) -> BackendError:
    """Translate an exception raised while chatting with Ollama into a :class:`BackendError` saying what to do."""
    import httpx
    import ollama

    if isinstance(exc, ollama.ResponseError) and exc.status_code == 404:
        return BackendError(
            f"model {model!r} is not on the Ollama server at {host}; run `ollama pull {model}`"
        )
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return BackendError(f"Ollama is not reachable at {host}; start it with `ollama serve`")
    if isinstance(exc, httpx.TimeoutException):
        return BackendError(f"Ollama at {host} did not answer in time; raise ASSISTANT_OLLAMA__TIMEOUT_S")
    return BackendError(f"Ollama at {host} failed: {type(exc).__name__}: {exc}")
