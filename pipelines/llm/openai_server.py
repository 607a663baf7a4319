"""The ``openai`` backend: LangChain's ``ChatOpenAI`` against a pool of OpenAI-compatible servers (vLLM,
llama.cpp's ``llama-server``, llama-cpp-python's ``llama_cpp.server``, LM Studio, ...).

Health is ``GET {base}/models`` (https://platform.openai.com/docs/api-reference/models/list): the server answers
and, when it lists models, lists the one asked for. Reasoning comes either in the answer between ``<think>``
tags (split by :mod:`pipelines.llm.reasoning`) or in the streamed delta's ``reasoning_content`` field (vLLM's
reasoning parsers, llama-server with ``--reasoning-format deepseek``; newer vLLM also names it ``reasoning``),
which :class:`ReasoningChatOpenAI` keeps as ``additional_kwargs["reasoning_content"]`` (``ChatOpenAI`` drops it).
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.outputs import ChatGenerationChunk
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from pipelines.core.settings import OpenAISettings
from pipelines.llm.limits import GenerationOptions, StreamLimits, StreamTimeout
from pipelines.llm.pool import Failure, PoolHost, ServerKind

__all__ = [
    "ReasoningChatOpenAI",
    "build_openai_chat",
    "classify_openai_error",
    "openai_kind",
    "openai_options",
    "probe_openai_host",
]

#: The key sent to a server that needs none (the OpenAI client insists on one; vLLM's docs use "EMPTY").
NO_KEY = "EMPTY"


class ReasoningChatOpenAI(ChatOpenAI):
    """``ChatOpenAI`` that keeps a streamed delta's ``reasoning_content`` (or ``reasoning``) as
    ``additional_kwargs["reasoning_content"]``, like ``ChatOllama`` does for Ollama's thinking field."""

    def _convert_chunk_to_generation_chunk(
        self, chunk: dict[str, Any], default_chunk_class: type, base_generation_info: dict[str, Any] | None
    ) -> ChatGenerationChunk | None:
        generation = super()._convert_chunk_to_generation_chunk(
            chunk, default_chunk_class, base_generation_info
        )
        choices = chunk.get("choices") or []
        delta = (choices[0].get("delta") or {}) if choices else {}
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if generation is not None and isinstance(reasoning, str) and reasoning:
            generation.message.additional_kwargs["reasoning_content"] = reasoning
        return generation


def openai_options(settings: OpenAISettings) -> GenerationOptions:
    """The generation options of the settings (a domain's ``generation:`` block goes over them)."""
    return GenerationOptions(settings.temperature, settings.top_p, None, settings.num_predict)


def build_openai_chat(host: PoolHost, options: GenerationOptions, limits: StreamLimits) -> BaseChatModel:
    """A streaming :class:`ReasoningChatOpenAI` for ``host`` (its base URL ending in /v1, model and key).

    ``num_predict`` is sent as ``max_completion_tokens`` and ``max_tokens``; ``num_ctx`` is not sent (the server fixes its context, e.g.
    vLLM's ``--max-model-len``). The client never retries (the pool does, on another host, before the first
    token) and its HTTP timeouts back up ``limits``.
    """
    import openai

    return ReasoningChatOpenAI(
        model=host.model,
        base_url=host.url,
        api_key=SecretStr(host.api_key or NO_KEY),
        temperature=options.temperature,
        top_p=options.top_p,
        max_completion_tokens=options.num_predict,
        # llama.cpp's servers read max_tokens only; vLLM reads either
        extra_body=None if options.num_predict is None else {"max_tokens": options.num_predict},
        max_retries=0,
        streaming=True,
        stream_usage=True,  # the last chunk reports usage.completion_tokens (output tokens metric, /v1 usage)
        timeout=openai.Timeout(limits.read_s, connect=limits.connect_s),
    )


def probe_openai_host(host: PoolHost, timeout_s: float) -> str | None:
    """Probe one OpenAI-compatible server: ``GET {base}/models`` must answer and list ``host.model`` (when it
    lists any model and a model is configured).

    Returns:
        None when the host can answer; else why not.
    """
    import httpx

    headers = {"Authorization": f"Bearer {host.api_key}"} if host.api_key else {}
    try:
        response = httpx.get(f"{host.url}/models", timeout=timeout_s, headers=headers)
    except (httpx.HTTPError, OSError) as exc:
        return f"not reachable ({type(exc).__name__}); is the server running at this /v1 base URL?"
    if response.status_code in (401, 403):
        return f"the key was refused (HTTP {response.status_code}); set ASSISTANT_OPENAI__API_KEY"
    if response.status_code != 200:
        return f"answered HTTP {response.status_code} to GET /models; the base URL must end in /v1"
    try:
        served = [str(m.get("id")) for m in response.json().get("data", [])]
    except (ValueError, AttributeError):
        return "GET /models did not return an OpenAI model list; the base URL must end in /v1"
    if not host.model:
        return "no model configured; set ASSISTANT_OPENAI__MODEL"
    if served and host.model not in served:
        return f"model {host.model!r} is not served here (it serves {', '.join(served[:5])}); set ASSISTANT_OPENAI__MODEL"
    return None


def classify_openai_error(exc: Exception, host: PoolHost) -> Failure:
    """How an exception raised while chatting with an OpenAI-compatible ``host`` counts for the pool."""
    import openai

    if isinstance(exc, StreamTimeout):
        return Failure(True, f"{exc}; raise ASSISTANT_OPENAI__{exc.phase.upper()}_TIMEOUT_S")
    if isinstance(exc, openai.APITimeoutError):
        return Failure(True, "did not answer in time; raise ASSISTANT_OPENAI__FIRST_TOKEN_TIMEOUT_S")
    if isinstance(exc, openai.APIConnectionError):
        return Failure(True, "not reachable; is the server running?")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            return Failure(True, f"the key was refused (HTTP {status}); set ASSISTANT_OPENAI__API_KEY")
        if status == 404:
            return Failure(True, f"model {host.model!r} or the endpoint was not found (HTTP 404)")
        return Failure(status >= 500 or status == 429, f"HTTP {status}")
    if isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in {"httpx", "httpx2", "httpcore"}:
        return Failure(True, f"the connection failed ({type(exc).__name__})")
    return Failure(False, f"failed: {type(exc).__name__}")


def openai_kind() -> ServerKind:
    """The pool's view of OpenAI-compatible servers."""
    return ServerKind(
        name="openai",
        label="OpenAI-compatible server",
        probe=probe_openai_host,
        build=build_openai_chat,
        classify=classify_openai_error,
    )
