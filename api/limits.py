"""Back-pressure: a per-key request rate limit and a bounded queue in front of generation.

The embedded llama.cpp model generates one answer at a time (its context is not thread-safe); requests beyond
the one generating and ``queue`` waiting are refused at once with 429 and ``Retry-After`` instead of piling up
threads (:class:`GenerationGate`; :meth:`GenerationGate.stream` holds a place for a whole streamed answer).
Each API key may make ``per_minute`` requests per minute, as a token bucket that refills continuously
(:class:`RateLimiter`). The places in use are the ``assistant_generation_queue_depth`` gauge.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from pipelines.core import metrics

__all__ = ["Busy", "GenerationGate", "RateLimiter"]

T = TypeVar("T")


class Busy(Exception):
    """Refused for load: ``retry_after`` seconds is a sensible wait (the ``Retry-After`` header)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to ``per_minute``."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill, monotonic s)
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one request of ``key``.

        Raises:
            Busy: The key has no request left this minute (``retry_after``: seconds until it has one).
        """
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / rate)
                raise Busy(f"rate limit of {self.per_minute} requests per minute reached", wait)
            self._buckets[key] = (tokens - 1.0, now)


class GenerationGate:
    """At most one generation running and ``queue`` waiting; more are refused (:class:`Busy`)."""

    def __init__(self, queue: int, retry_after: int = 5) -> None:
        self.capacity = 1 + queue
        self.retry_after = retry_after
        self._slots = threading.BoundedSemaphore(self.capacity)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a place for one generation (the model's own lock orders the waiting ones).

        Raises:
            Busy: ``1 + queue`` generations are already running or waiting.
        """
        if not self._slots.acquire(blocking=False):
            raise Busy(
                f"the model is busy ({self.capacity} requests running or queued); retry shortly",
                self.retry_after,
            )
        metrics.set_queue_depth(+1)
        try:
            yield
        finally:
            metrics.set_queue_depth(-1)
            self._slots.release()

    def stream(self, start: Callable[[], Iterator[T]]) -> Iterator[T]:
        """A streamed generation under a place of the gate, held until the stream ends or is closed.

        ``start()`` is called and its first item produced before this returns, so that bad input (an empty
        question, an unknown domain) fails with its own status before a response has started, not mid-stream.

        Args:
            start: Makes the stream (e.g. ``lambda: services.assist.stream(...)``); called once, at once.

        Returns:
            The stream's items, the first one included.

        Raises:
            Busy: ``1 + queue`` generations are already running or waiting.
            Exception: Whatever ``start()`` or the first item raises (the place is released first).
        """
        place = self.slot()
        place.__enter__()
        try:
            stream = start()
            first = next(stream)
        except BaseException:
            place.__exit__(None, None, None)
            raise
        return _GatedStream(first, stream, lambda: place.__exit__(None, None, None))


class _GatedStream(Iterator[T]):
    """A stream holding a place of the gate until it ends, fails or is closed, whichever comes first, also
    when it is closed before anyone read from it (a client gone before the response started)."""

    def __init__(self, first: T, stream: Iterator[T], release: Callable[[], object]) -> None:
        self._first: list[T] = [first]
        self._stream = stream
        self._release = release
        self._done = False
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._first:
            return self._first.pop()
        try:
            return next(self._stream)
        except BaseException:  # the end (StopIteration) or a failure: the place goes back either way
            self.close()
            raise

    def close(self) -> None:
        """Close the underlying stream (its generation stops) and give the place back; again: nothing."""
        with self._lock:
            if self._done:
                return
            self._done = True
        try:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
        finally:
            self._release()
