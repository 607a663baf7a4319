"""The generation gate's places: a gated stream gives its place back when it ends, fails or is closed, also
before anyone read from it; and an abandoned async body closes its stream (api/streaming.py)."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest

from api.limits import Busy, GenerationGate
from api.streaming import closing_stream


def _tokens(log: list[str]) -> Iterator[str]:
    try:
        yield from ("a", "b", "c")
    finally:
        log.append("closed")


def test_a_place_comes_back_when_the_stream_ends_fails_or_is_closed_unread() -> None:
    gate = GenerationGate(queue=0)
    log: list[str] = []
    assert list(gate.stream(lambda: _tokens(log))) == ["a", "b", "c"]
    unread = gate.stream(lambda: _tokens(log))  # a client gone before the response started
    with pytest.raises(Busy):
        gate.stream(lambda: _tokens(log))
    unread.close()
    unread.close()  # again: nothing
    assert log == ["closed", "closed"]

    def failing() -> Iterator[str]:
        yield "a"
        raise RuntimeError("the model server went away")

    broken = gate.stream(failing)
    with pytest.raises(RuntimeError):
        list(broken)
    assert list(gate.stream(lambda: _tokens(log))) == ["a", "b", "c"]  # the place is free again


def test_an_abandoned_body_closes_its_stream_in_a_worker_thread() -> None:
    log: list[str] = []

    async def read_one_then_go_away() -> None:
        body = closing_stream(_tokens(log))
        assert await body.__anext__() == "a"
        await body.aclose()  # what the event loop does with a body whose client disconnected

    anyio.run(read_one_then_go_away)
    assert log == ["closed"]
