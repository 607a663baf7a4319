"""Streaming one generation for display: reasoning split off and scanned, the answer re-identified as it comes.

Shared by the chat turn and the code tasks. The model's output arrives as ``(content, reasoning)`` text
parts; ``<think>`` reasoning (or the backend's separate reasoning field) is scanned line by line
(the caller's ``scrub``, e.g. :meth:`pipelines.core.deidentification.DomainDeidentifier.scrub`) before it is shown, and the answer is shown with the user's own values restored
(:class:`privacy.StreamingReidentifier`) while the de-identified answer is kept for memory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage

from pipelines.core.errors import BackendError
from pipelines.llm.backends import Backend
from pipelines.llm.ollama import map_ollama_error
from pipelines.llm.reasoning import LineBuffer, Piece, ThinkSplitter
from privacy import PiiPolicy, StreamingReidentifier, Vault

__all__ = ["ChatParts", "Generation", "chat_parts", "sent_prompt", "stream_generation"]


@dataclass
class Generation:
    """What one generation produced, filled in by :func:`stream_generation` as it runs.

    Attributes:
        answer_redacted: The answer as the model wrote it (de-identified; placeholders not restored), stripped.
        answer_unstripped: The same with its leading and trailing whitespace (a code continuation's indent).
        reasoning: The reasoning, scanned, stripped.
        first_token_ms: Milliseconds from ``started`` to the first output part; None before it.
        output_tokens: Tokens the model generated (reasoning included) as the backend reported them; None when it
            reported none.
    """

    answer_redacted: str = ""
    answer_unstripped: str = ""
    reasoning: str = ""
    first_token_ms: float | None = None
    output_tokens: int | None = None


class ChatParts(Iterator[tuple[str, str]]):
    """The backend's chat model streamed as ``(content, reasoning)`` parts (the second is the backend's separate
    reasoning field, e.g. Ollama's ``reasoning_content``, or ""): an iterator; :meth:`close` stops the stream
    (and the generation on the host).

    Attributes:
        output_tokens: Once the stream ended, the output tokens of the backend's usage report (LangChain's
            ``usage_metadata``: Ollama's ``eval_count``, an OpenAI server's streamed ``usage`` when it sends one,
            the embedded model's sampled tokens); None when none was reported.
        finish_reason: Once the stream ended, why the backend says it ended: Ollama's ``done_reason`` or an
            OpenAI-compatible server's ``finish_reason`` (``stop``, ``length`` when the token limit cut it);
            None when none was reported (the embedded model, a stream closed early).
    """

    def __init__(self, backend: Backend, messages: Sequence[BaseMessage]) -> None:
        self._usage: list[int] = []  # the stream appends here: it holds no reference to self, so dropping
        self._reasons: list[str] = []  # this object closes the stream
        self._parts = _usage_stream(backend, list(messages), self._usage, self._reasons)

    @property
    def output_tokens(self) -> int | None:
        return sum(self._usage) if self._usage else None

    @property
    def finish_reason(self) -> str | None:
        return self._reasons[-1] if self._reasons else None

    def __next__(self) -> tuple[str, str]:
        return next(self._parts)

    def close(self) -> None:
        """Stop the stream (closes the backend's generator and with it the connection to the host)."""
        self._parts.close()


def _usage_stream(
    backend: Backend, messages: list[BaseMessage], usage: list[int], reasons: list[str]
) -> Generator[tuple[str, str], None, None]:
    for chunk in backend.chat_model.stream(messages):
        reported = getattr(chunk, "usage_metadata", None)
        if reported and reported.get("output_tokens") is not None:
            usage.append(int(reported["output_tokens"]))
        metadata = getattr(chunk, "response_metadata", None) or {}
        reason = metadata.get("done_reason") or metadata.get("finish_reason")
        if reason:
            reasons.append(str(reason))
        extra = chunk.additional_kwargs.get("reasoning_content") if chunk.additional_kwargs else None
        yield str(chunk.content), str(extra or "")


def chat_parts(backend: Backend, messages: Sequence[BaseMessage]) -> ChatParts:
    """Stream ``messages`` through the backend's chat model as ``(content, reasoning)`` parts
    (:class:`ChatParts`, which also keeps the reported output tokens)."""
    return ChatParts(backend, messages)


def sent_prompt(backend: Backend, messages: Sequence[BaseMessage]) -> str:
    """The exact prompt text the model received: the rendered completion prompt for llama.cpp, else the JSON
    list of chat messages ``[{role, content}]``."""
    return getattr(backend.chat_model, "last_prompt", "") or json.dumps(
        [{"role": m.type, "content": str(m.content)} for m in messages]
    )


def stream_generation(
    backend: Backend,
    parts: Iterable[tuple[str, str]],
    vault: Vault,
    display_policy: PiiPolicy | None,
    scrub: Callable[[str], str],
    out: Generation,
    started: float,
) -> Iterator[tuple[str, str]]:
    """Consume the model's output ``parts`` and yield ``("answer" | "reasoning", text)`` for display.

    Args:
        backend: The backend producing ``parts`` (named in errors).
        parts: ``(content, reasoning)`` pairs, e.g. :func:`chat_parts`; iterated inside the error mapping.
        vault: The session vault (restores the user's own values in the answer).
        display_policy: The domain's policy, whose ``display`` operators show the restored values.
        scrub: De-identifies a line of reasoning before it is shown (the domain's policy, the same vault).
        out: Filled with the de-identified answer, the reasoning, the first-token time and (from
            :class:`ChatParts`) the output tokens.
        started: ``time.perf_counter()`` at the start of the turn (for ``first_token_ms``).

    Raises:
        BackendError: The backend failed while generating (Ollama errors say what to do).
    """
    splitter = ThinkSplitter()
    display = StreamingReidentifier(vault, display_policy)
    thoughts = LineBuffer()
    answer_parts: list[str] = []
    reasoning_parts: list[str] = []

    def reasoning(text: str) -> Iterator[tuple[str, str]]:
        if text.strip():
            text = scrub(text)
        if text:
            reasoning_parts.append(text)
            yield "reasoning", text

    def emit(pieces: Iterable[Piece]) -> Iterator[tuple[str, str]]:
        for piece in pieces:
            if piece.kind == "reasoning":
                yield from reasoning(thoughts.feed(piece.text))
            else:
                yield from reasoning(thoughts.flush())
                answer_parts.append(piece.text)
                shown = display.feed(piece.text)
                if shown:
                    yield "answer", shown

    try:
        for content, extra in parts:
            if out.first_token_ms is None:
                out.first_token_ms = round((time.perf_counter() - started) * 1000.0, 1)
            if extra:
                yield from emit([Piece("reasoning", extra)])
            yield from emit(splitter.feed(content))
    except BackendError:
        raise
    except Exception as exc:
        if backend.name == "ollama":
            raise map_ollama_error(exc, backend.host, backend.model_name) from exc
        raise BackendError(f"{backend.name} failed while generating: {type(exc).__name__}") from exc
    finally:  # a consumer that stops (a cancelled stream) stops the generation on the host at once
        close = getattr(parts, "close", None)
        if callable(close):
            close()
    yield from emit(splitter.flush())
    yield from reasoning(thoughts.flush())
    tail = display.flush()
    if tail:
        yield "answer", tail
    out.output_tokens = getattr(parts, "output_tokens", None)
    out.answer_unstripped = "".join(answer_parts)
    out.answer_redacted = out.answer_unstripped.strip()
    out.reasoning = "".join(reasoning_parts).strip()
