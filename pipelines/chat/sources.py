"""The passages a turn's prompt cites: retrieved chunks numbered ``[1]..[n]``, and the sources those numbers
point back to (file, location, chunk id, score; for code the symbol and line range)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ingest import RetrievedChunk
from pipelines.llm.backends import Backend
from pipelines.llm.prompts import Passage, fit_passages

__all__ = ["Source", "number_passages"]


@dataclass(frozen=True)
class Source:
    """A retrieved passage as cited: number in the prompt, file name, chunk id, cosine score, location, text;
    for code also the enclosing symbol and the 1-based line range (None for other documents)."""

    number: int
    source: str
    chunk_id: str
    score: float
    location: str
    text: str
    symbol: str = ""
    start_line: int | None = None
    end_line: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """``{source, chunk_id, score, text, location, number, symbol, start_line, end_line}`` (score rounded to 4
        decimals; the text is de-identified, as stored)."""
        return {
            "source": self.source,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 4),
            "text": self.text,
            "location": self.location,
            "number": self.number,
            "symbol": self.symbol,
            "start_line": self.start_line,
            "end_line": self.end_line,
        }


def number_passages(
    backend: Backend, hits: Sequence[RetrievedChunk], llamacpp_context_chars: int
) -> tuple[list[Passage], list[Source]]:
    """Number retrieved chunks ``[1]..[n]`` as prompt passages and as the sources they are cited by, keeping
    as many as fit the llama.cpp context budget (``llamacpp_context_chars``, the setting
    ``llamacpp.context_chars``; no limit for other backends).

    Returns:
        ``(passages, sources)``, equally long, in retrieval order.
    """
    max_context = llamacpp_context_chars if backend.name == "llamacpp" else None
    passages = fit_passages(
        [
            Passage(n, hit.source, str(hit.metadata.get("location", "")), hit.text)
            for n, hit in enumerate(hits, start=1)
        ],
        max_context,
    )
    sources = [
        Source(
            p.number,
            p.source,
            hit.chunk_id,
            hit.score,
            p.location,
            hit.text,
            hit.symbol,
            *(hit.lines or (None, None)),
        )
        for p, hit in zip(passages, hits, strict=False)
    ]
    return passages, sources
