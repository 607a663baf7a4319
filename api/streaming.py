"""Streamed responses whose generation stops, and gives its place back, when the client goes away.

Starlette streams a synchronous iterator by calling ``next`` in worker threads; when the client disconnects it
cancels that loop and drops the iterator without closing it. A turn's generator then stays paused at a
``yield`` while it holds the embedded model's lock and a place of the generation gate, until the garbage
collector finalizes it, which may be never: with every worker waiting for the lock, nothing allocates and no
collection runs (found by a break-it trial: six cancelled streams wedged every chat endpoint). Here the body is
an async generator that steps the iterator in a worker thread and, however it ends (finished, failed,
cancelled, or finalized unstarted), closes it in a worker thread, so every ``finally`` down the chain runs: the
model's lock and the gate's place are released and the model server's request is closed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import anyio
from fastapi.responses import StreamingResponse

__all__ = ["close_events", "closing_stream", "streaming_response"]

T = TypeVar("T")
_END = object()


def close_events(iterator: Iterator[object]) -> None:
    """Close ``iterator`` if it can be closed (a generator, a gated stream); else nothing."""
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


async def closing_stream(iterator: Iterator[T]) -> AsyncIterator[T]:
    """The items of the synchronous ``iterator``, each produced in a worker thread; the iterator is closed in a
    worker thread when this ends for any reason (also on cancellation: the close is shielded from it)."""
    try:
        while True:
            item = await anyio.to_thread.run_sync(next, iterator, _END)
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(close_events, iterator)


def streaming_response(body: Iterator[str] | Iterator[bytes], media_type: str) -> StreamingResponse:
    """A ``StreamingResponse`` of ``body`` (closed when the client goes away: :func:`closing_stream`), not cached
    and not buffered by proxies."""
    return StreamingResponse(
        closing_stream(body),
        media_type=media_type,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
