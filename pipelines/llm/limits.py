"""Generation options and the time limits of a streamed answer.

:class:`GenerationOptions` are the sampling and length options a domain may set (its ``generation:`` block in
``domain.yaml``) over the backend's settings. :func:`timed_stream` enforces :class:`StreamLimits`: connecting,
the wait for the first token, the gaps between tokens and the whole answer are limited separately, because a
reasoning model (DeepSeek-R1) may read and think for minutes before its first token and then stream quickly.
The stream is read by a worker thread so a limit holds even while a read blocks; when the consumer stops (the
user cancels, the client disconnects, a limit is hit) the source iterator is closed, which closes the HTTP
response, and the model server stops generating (Ollama and llama.cpp's server cancel a request whose
connection closes).
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, fields, replace
from typing import TypeVar

from pipelines.core.settings import ModelServerSettings

__all__ = ["GenerationOptions", "StreamLimits", "StreamTimeout", "timed_stream"]

T = TypeVar("T")


@dataclass(frozen=True)
class GenerationOptions:
    """Sampling and length options of one generation; None = not set (the next layer's value applies).

    Attributes:
        temperature: Sampling temperature.
        top_p: Nucleus sampling probability mass, in (0, 1].
        num_ctx: Context window, tokens (Ollama's ``num_ctx``; a llama.cpp model and an OpenAI-compatible
            server fix theirs when loaded).
        num_predict: Most new tokens (Ollama's ``num_predict``, OpenAI's ``max_tokens``).
    """

    temperature: float | None = None
    top_p: float | None = None
    num_ctx: int | None = None
    num_predict: int | None = None

    def over(self, base: GenerationOptions) -> GenerationOptions:
        """These options with ``base``'s values where these are None."""
        return replace(
            base, **{f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        )


@dataclass(frozen=True)
class StreamLimits:
    """Time limits of one streamed answer, seconds (see the module docstring)."""

    connect_s: float = 5.0
    first_token_s: float = 300.0
    between_tokens_s: float = 60.0
    total_s: float = 1800.0

    @classmethod
    def of(cls, settings: ModelServerSettings) -> StreamLimits:
        """The limits of a pooled backend's settings (``connect_timeout_s`` ... ``total_timeout_s``)."""
        return cls(
            settings.connect_timeout_s,
            settings.first_token_timeout_s,
            settings.between_tokens_timeout_s,
            settings.total_timeout_s,
        )

    @property
    def read_s(self) -> float:
        """The HTTP read timeout that backs these limits up (the longest wait for one chunk)."""
        return max(self.first_token_s, self.between_tokens_s) + 5.0


class StreamTimeout(Exception):
    """A stream exceeded one of its :class:`StreamLimits`; ``phase`` is first_token|between_tokens|total and
    ``limit_s`` the limit in seconds."""

    _WHAT = {
        "first_token": "no first token within {:g} s",
        "between_tokens": "no next token within {:g} s",
        "total": "the answer took longer than {:g} s",
    }

    def __init__(self, phase: str, limit_s: float) -> None:
        super().__init__(self._WHAT[phase].format(limit_s))
        self.phase = phase
        self.limit_s = limit_s


_END = object()


def timed_stream(open_stream: Callable[[], Iterable[T]], limits: StreamLimits) -> Generator[T, None, None]:
    """Yield the items of ``open_stream()`` within ``limits``; the source is read by a worker thread.

    Closing this generator (or a limit) stops the worker: it closes the source iterator after the item it is
    waiting for, or at once when it is between items, which closes the HTTP response.

    Raises:
        StreamTimeout: The first item, a next item or the whole stream took longer than its limit.
        Exception: Whatever the source raised (re-raised here, in the consumer's thread).
    """
    items: queue.Queue[tuple[object, T | BaseException | None]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        source: Iterator[T] | None = None
        try:
            source = iter(open_stream())
            for item in source:
                if stop.is_set():
                    break
                items.put((None, item))
            items.put((_END, None))
        except BaseException as exc:  # handed to the consumer
            items.put((_END, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(work,), name="model-stream", daemon=True).start()
    started = time.monotonic()
    phase = "first_token"
    try:
        while True:
            limit = limits.first_token_s if phase == "first_token" else limits.between_tokens_s
            left = limits.total_s - (time.monotonic() - started)
            if left <= 0:
                raise StreamTimeout("total", limits.total_s)
            try:
                marker, value = items.get(timeout=min(limit, left))
            except queue.Empty:
                raise (
                    StreamTimeout(phase, limit) if limit <= left else StreamTimeout("total", limits.total_s)
                ) from None
            if marker is _END:
                if isinstance(value, BaseException):
                    raise value
                return
            phase = "between_tokens"
            yield value  # type: ignore[misc]
    finally:
        stop.set()
