"""What the labelled-message evaluations share (``assistant eval risk`` and ``eval routing``): running a system
over labelled messages with its latency, and splitting scores by language. Reading them is
:func:`pipelines.core.labelled.read_labelled_jsonl` (the trainers read their data with it too)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

__all__ = ["by_language", "nearest_rank", "ratio", "timed"]

_Row = TypeVar("_Row", bound="_HasLanguage")
_Out = TypeVar("_Out")


class _HasLanguage(Protocol):
    @property
    def lang(self) -> str: ...


def nearest_rank(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values`` (0.0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` rounded to 4 decimals; None when there is nothing to divide by."""
    return round(numerator / denominator, 4) if denominator else None


def timed(system: Callable[[str], _Out], texts: Sequence[str]) -> tuple[list[_Out], dict[str, float]]:
    """``system`` on each text in order: its outputs and ``{p50, p99}`` milliseconds per call (nearest rank)."""
    outputs, timings = [], []
    for text in texts:
        started = time.perf_counter()
        outputs.append(system(text))
        timings.append(1000 * (time.perf_counter() - started))
    return outputs, {"p50": round(nearest_rank(timings, 50), 3), "p99": round(nearest_rank(timings, 99), 3)}


def by_language(
    rows: Sequence[_Row], outputs: Sequence[_Out], score: Callable[[list[_Row], list[_Out]], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``score`` of the rows of each language (with their outputs, in order), keyed by language code."""
    return {
        lang: score(
            [r for r in rows if r.lang == lang],
            [o for r, o in zip(rows, outputs, strict=True) if r.lang == lang],
        )
        for lang in sorted({r.lang for r in rows})
    }
