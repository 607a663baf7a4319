"""Splitting ``<think>…</think>`` reasoning from the answer of reasoning models (e.g. DeepSeek-R1), streaming.

DeepSeek-R1 emits its chain of thought between ``<think>`` and ``</think>`` before the answer
(https://github.com/deepseek-ai/DeepSeek-R1). Reasoning is shown apart and never stored or sent back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["LineBuffer", "Piece", "ThinkSplitter", "split_reasoning"]

_OPEN, _CLOSE = "<think>", "</think>"


@dataclass(frozen=True)
class Piece:
    """A piece of streamed output: ``kind`` is "answer" or "reasoning"."""

    kind: str
    text: str


class ThinkSplitter:
    """Incremental parser: feed chunks, get answer/reasoning pieces; tags split across chunks are handled."""

    def __init__(self) -> None:
        self._buffer = ""
        self._in_think = False

    def feed(self, chunk: str) -> Iterator[Piece]:
        """Consume ``chunk`` and yield the pieces that are complete."""
        self._buffer += chunk
        while self._buffer:
            tag = _CLOSE if self._in_think else _OPEN
            kind = "reasoning" if self._in_think else "answer"
            position = self._buffer.find(tag)
            if position != -1:
                if position:
                    yield Piece(kind, self._buffer[:position])
                self._buffer = self._buffer[position + len(tag) :]
                self._in_think = not self._in_think
                continue
            keep = _partial_suffix(self._buffer, tag)
            emit = self._buffer[: len(self._buffer) - keep]
            if emit:
                yield Piece(kind, emit)
            self._buffer = self._buffer[len(emit) :]
            return

    def flush(self) -> Iterator[Piece]:
        """Yield whatever is held back at the end of the stream."""
        if self._buffer:
            yield Piece("reasoning" if self._in_think else "answer", self._buffer)
        self._buffer = ""


def _partial_suffix(text: str, tag: str) -> int:
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def split_reasoning(text: str) -> tuple[str, str]:
    """Split a complete output into ``(answer, reasoning)``; both stripped."""
    splitter = ThinkSplitter()
    pieces = [*splitter.feed(text), *splitter.flush()]
    answer = "".join(p.text for p in pieces if p.kind == "answer").strip()
    reasoning = "".join(p.text for p in pieces if p.kind == "reasoning").strip()
    return answer, reasoning


class LineBuffer:
    """Holds streamed text back until its lines are complete, so that a scanner sees whole lines: a name is
    found with its context and never cut in two between chunks. A line longer than ``max_chars`` is released
    up to its last sentence end (". ") or, failing that, its last space."""

    def __init__(self, max_chars: int = 1000) -> None:
        """Set up an empty buffer.

        Args:
            max_chars: Longest text held back without a line break, characters.
        """
        self.max_chars = max_chars
        self._buffer = ""

    def feed(self, chunk: str) -> str:
        """Add ``chunk``; return the complete lines (with their line breaks) now ready, or ``""``."""
        self._buffer += chunk
        cut = self._buffer.rfind("\n") + 1
        if not cut and len(self._buffer) > self.max_chars:
            sentence = self._buffer.rfind(". ")
            cut = sentence + 2 if sentence != -1 else self._buffer.rfind(" ") + 1
            cut = cut or len(self._buffer)
        ready, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return ready

    def flush(self) -> str:
        """Return whatever is held back (at the end of the reasoning)."""
        rest, self._buffer = self._buffer, ""
        return rest
