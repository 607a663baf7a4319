"""Progress on stderr for long commands (ingestion, sample indexing, training)."""

from __future__ import annotations

import sys
from types import TracebackType

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

__all__ = ["StderrProgress"]


#: Share of a file's ingest time at the start of each stage, and at its end (the next stage's start): a rough
#: split (de-identification is the slow step on CPU) so that one bar moves forward through all stages.
_STAGE_SPANS = {
    "load": (0.0, 0.05),
    "deidentify": (0.05, 0.6),
    "chunk": (0.6, 0.65),
    "embed": (0.65, 0.95),
    "store": (0.95, 1.0),
}


class StderrProgress:
    """Progress on stderr: a rich bar when stderr is a terminal, else one plain line per stage or file.

    Use as a context manager; :meth:`start` begins a task (a file, or the sample corpora), then pass
    :meth:`stage` (a file's ``(stage, fraction)`` callback) or :meth:`overall` (a fraction of the whole task,
    labelled by ``stage``) as the ``progress`` callback.
    """

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._label = ""
        self._last_line = ""

    def __enter__(self) -> StderrProgress:
        if sys.stderr.isatty():
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, label: str) -> None:
        """Begin a new task (a new bar) called ``label``."""
        self._label = label
        self._last_line = ""
        if self._bar is not None:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(label, total=1.0)

    def stage(self, stage: str, fraction: float) -> None:
        """A file's progress: ``fraction`` (0..1) of ``stage`` (load|deidentify|chunk|embed|store)."""
        low, high = _STAGE_SPANS.get(stage, (0.0, 1.0))
        self._show(f"{self._label}: {stage}", low + (high - low) * min(max(fraction, 0.0), 1.0), stage)

    def overall(self, stage: str, fraction: float) -> None:
        """The task's overall progress ``fraction`` (0..1), now at ``stage``."""
        self._show(f"{self._label} {fraction:4.0%} {stage}", fraction, stage)

    def _show(self, line: str, fraction: float, stage: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=fraction, description=f"{self._label}: {stage}")
        elif self._bar is None and stage != self._last_line:
            self._last_line = stage
            typer.echo(line, err=True)
