"""The one turn loop of every streamed flow (a chat turn, an agent-assist draft, a code task): the events it
yields, running it to completion, and timing its steps.

A flow's ``stream(...)`` yields :class:`TurnEvent` values:

- ``meta``: everything known before generation (the result so far, in ``data``), shown first;
- ``answer`` / ``reasoning``: text as the model writes it, for display (the answer with the user's own values
  restored, the reasoning scanned and de-identified);
- ``check``: a line saying what runs now (a code task's sandboxed check);
- ``done``: the final result (``data``), after which nothing follows.

Its ``run(...)``/``ask(...)`` is :func:`run_to_completion` over the same events, so the streamed and the
complete form can never disagree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

__all__ = ["Stopwatch", "TurnEvent", "completing", "elapsed_ms", "run_to_completion"]

R = TypeVar("R")
P = ParamSpec("P")


@dataclass(frozen=True)
class TurnEvent(Generic[R]):
    """A streamed event of a turn: ``kind`` meta|answer|reasoning|check|done (see the module docstring),
    ``text`` for answer/reasoning/check, ``data`` (the flow's result object) for meta and done."""

    kind: str
    text: str = ""
    data: R | None = None


def run_to_completion(events: Iterable[TurnEvent[R]]) -> R:
    """Consume a turn's events and return the ``done`` event's data.

    Raises:
        RuntimeError: The events ended without a ``done`` event (a flow bug, not a user error).
    """
    result: R | None = None
    for event in events:
        if event.kind == "done":
            result = event.data
    if result is None:
        raise RuntimeError("the turn ended without a result")
    return result


def completing(stream: Callable[P, Iterable[TurnEvent[R]]]) -> Callable[P, R]:
    """The complete form of a flow's ``stream`` method: the same arguments, the ``done`` event's data
    (:func:`run_to_completion`). Use in the class body: ``ask = completing(stream)``."""

    def complete(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_to_completion(stream(*args, **kwargs))

    complete.__doc__ = (
        f"Run :meth:`{stream.__name__}` to completion and return its final result (same arguments)."
    )
    return complete


def elapsed_ms(since: float) -> float:
    """Milliseconds from ``since`` (a ``time.perf_counter()`` value) to now, rounded to 0.1."""
    return round((time.perf_counter() - since) * 1000.0, 1)


class Stopwatch:
    """Times the steps of one turn in milliseconds (``timings_ms`` of a result).

    ``with watch.step("retrieve"): ...`` adds the block's time to ``timings["retrieve"]`` (a step timed twice
    adds up); :meth:`total` stores and returns the time since the stopwatch started.
    """

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as step ``name`` (also when it ends with an exception)."""
        mark = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + elapsed_ms(mark), 1)

    def since_start(self) -> float:
        """Milliseconds since the stopwatch started."""
        return elapsed_ms(self.started)

    def total(self) -> dict[str, float]:
        """Record ``total`` (milliseconds since the start) and return the timings."""
        self.timings["total"] = self.since_start()
        return self.timings
