"""How a function's running time grows with its input, for tests of linear-time rules.

An absolute time limit fails on a busy CI machine and passes a quadratic rule on a fast one. The ratio of the times
at ``n`` and ``4n`` repeats of a hostile run tells the two apart on any machine: about 4 for a linear scan, about 16
for a rule that rescans the run from each character.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def best_seconds(call: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of ``repeats`` timed calls, in seconds (the minimum filters out other processes' noise)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def growth_ratio(work: Callable[[str], object], unit: str, count: int) -> float:
    """Seconds for ``unit * 4 * count`` divided by seconds for ``unit * count`` (best of three each).

    ``work`` is called once on a short text first so that lazy loading (models, compiled patterns) is not timed.
    """
    work(unit)
    small = best_seconds(lambda: work(unit * count))
    large = best_seconds(lambda: work(unit * 4 * count))
    return large / max(small, 1e-4)
