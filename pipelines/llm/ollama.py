"""The Ollama backend: ``langchain_ollama.ChatOllama`` against a pool of Ollama hosts.

Health is probed the way Ollama documents it (https://github.com/ollama/ollama/blob/main/docs/api.md):
``GET /api/version`` (the server answers) and ``GET /api/tags`` (the model is pulled). Errors raised while
chatting are classified for the pool (:func:`ollama_kind`) and translated into :class:`~pipelines.core.errors.BackendError`
messages that say what to run.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel

from pipelines.core.errors import BackendError
from pipelines.core.settings import OllamaSettings
from pipelines.llm.limits import GenerationOptions, StreamLimits, StreamTimeout
from pipelines.llm.pool import Failure, PoolHost, ServerKind, pool_hosts, public_url

__all__ = [
    "OllamaStatus",
    "build_ollama_chat",
    "map_ollama_error",
    "ollama_kind",
    "probe_ollama",
    "probe_ollama_host",
]


@dataclass(frozen=True)
class OllamaStatus:
    """Result of probing Ollama hosts: the usable host (or None) and why not."""

    host: str | None
    reason: str


def _headers(host: PoolHost) -> dict[str, str]:
    return {"Authorization": f"Bearer {host.api_key}"} if host.api_key else {}


def probe_ollama_host(host: PoolHost, timeout_s: float) -> str | None:
    """Probe one Ollama host: ``GET /api/version``, then ``GET /api/tags`` must list ``host.model``.

    Returns:
        None when the host can answer; else why not and what to run.
    """
    import httpx

    try:
        with httpx.Client(base_url=host.url, timeout=timeout_s, headers=_headers(host)) as client:
            client.get("/api/version").raise_for_status()
            listing = client.get("/api/tags")
            listing.raise_for_status()
            names = {str(m.get("model") or m.get("name")) for m in listing.json().get("models", [])}
    except httpx.HTTPStatusError as exc:
        return f"answered HTTP {exc.response.status_code} to {exc.request.url.path}; is it Ollama?"
    except (httpx.HTTPError, OSError, ValueError) as exc:
        return (
            f"Ollama is not reachable ({type(exc).__name__}); start it with `ollama serve` "
            "(or `docker compose up -d ollama`)"
        )
    if _has_model(names, host.model):
        return None
    return f"model {host.model!r} is not on this Ollama server; run `ollama pull {host.model}`"


def probe_ollama(settings: OllamaSettings) -> OllamaStatus:
    """Probe the hosts of ``settings`` in order (no cache) and return the first that has ``settings.model``.

    Returns:
        ``OllamaStatus(host, reason)``; ``host`` is None when none is usable and ``reason`` says what to run
        for each host.
    """
    reasons = []
    for host in pool_hosts(settings):
        reason = probe_ollama_host(host, settings.probe_timeout_s)
        if reason is None:
            return OllamaStatus(host.url, "ok")
        reasons.append(f"{host.name}: {reason}")
    return OllamaStatus(None, "; ".join(reasons) or "no Ollama hosts configured")


def _has_model(names: set[str], wanted: str) -> bool:
    candidates = {wanted} if ":" in wanted else {wanted, f"{wanted}:latest"}
    return bool(names & candidates)


def build_ollama_chat(
    settings: OllamaSettings,
    host: str | PoolHost,
    options: GenerationOptions | None = None,
    limits: StreamLimits | None = None,
) -> BaseChatModel:
    """A streaming ``ChatOllama`` for ``host`` with the model, options and limits of ``settings``.

    Args:
        settings: The Ollama settings (model, sampling, ``num_ctx``, ``keep_alive``, timeouts).
        host: A base URL (the settings' model) or a pool host (its model and key).
        options: Options over the settings' (a domain's ``generation:`` block); None = the settings'.
        limits: HTTP connect and read timeouts; None = the settings'.

    ``reasoning=True`` asks Ollama to return a thinking model's reasoning separately
    (``additional_kwargs["reasoning_content"]``); ``<think>`` tags in content are split as well.
    """
    import httpx
    from langchain_ollama import ChatOllama

    if isinstance(host, str):
        host = PoolHost(host, public_url(host), settings.model)
    chosen = (options or GenerationOptions()).over(ollama_options(settings))
    limits = limits or StreamLimits.of(settings)
    timeout = httpx.Timeout(limits.read_s, connect=limits.connect_s)
    return ChatOllama(
        model=host.model,
        base_url=host.url,
        temperature=chosen.temperature,
        top_p=chosen.top_p,
        num_ctx=chosen.num_ctx,
        num_predict=chosen.num_predict,
        keep_alive=settings.keep_alive,
        reasoning=True,
        client_kwargs={"timeout": timeout, "headers": _headers(host)},
    )


def ollama_options(settings: OllamaSettings) -> GenerationOptions:
    """The generation options of the Ollama settings (a domain's ``generation:`` block goes over them)."""
    return GenerationOptions(settings.temperature, settings.top_p, settings.num_ctx, settings.num_predict)


def classify_ollama_error(exc: Exception, host: PoolHost) -> Failure:
    """How an exception raised while chatting with Ollama ``host`` counts for the pool (see :class:`Failure`)."""
    import httpx
    import ollama

    if isinstance(exc, StreamTimeout):
        return Failure(True, f"{exc}; raise ASSISTANT_OLLAMA__{exc.phase.upper()}_TIMEOUT_S")
    if isinstance(exc, ollama.ResponseError):
        if exc.status_code == 404:
            return Failure(
                True, f"model {host.model!r} is not on this server; run `ollama pull {host.model}`"
            )
        if exc.status_code in (401, 403):
            return Failure(True, f"the key was refused (HTTP {exc.status_code})")
        return Failure(
            exc.status_code >= 500 or exc.status_code == 429, f"HTTP {exc.status_code}: {exc.error}"
        )
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return Failure(True, "Ollama is not reachable; start it with `ollama serve`")
    if isinstance(exc, httpx.TimeoutException):
        return Failure(True, "did not answer in time; raise ASSISTANT_OLLAMA__FIRST_TOKEN_TIMEOUT_S")
    if isinstance(exc, httpx.TransportError | OSError):
        return Failure(True, f"the connection failed ({type(exc).__name__})")
    return Failure(False, f"failed: {type(exc).__name__}")


def map_ollama_error(exc: Exception, host: str, model: str) -> BackendError:
    """Translate an exception raised while chatting with Ollama into a :class:`BackendError` saying what to do."""
    failure = classify_ollama_error(exc, PoolHost(host, public_url(host), model))
    return BackendError(f"Ollama at {public_url(host)}: {failure.reason}")


def ollama_kind(settings: OllamaSettings) -> ServerKind:
    """The pool's view of Ollama servers with ``settings`` (keep-alive, sampling defaults)."""
    return ServerKind(
        name="ollama",
        label="Ollama",
        probe=probe_ollama_host,
        build=lambda host, options, limits: build_ollama_chat(settings, host, options, limits),
        classify=classify_ollama_error,
    )
