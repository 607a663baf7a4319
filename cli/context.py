"""What every command shares: the services of the chosen data dir (held in the Typer context, built on first
use), JSON output, and reading text from an argument or stdin."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from pipelines import AssistantError, Settings, load_settings
from pipelines.services import Models, Services

__all__ = [
    "CliState",
    "count",
    "emit",
    "input_lines",
    "one_line",
    "read_text",
    "services",
    "stderr_counter",
    "unexpected",
]


@dataclass
class CliState:
    """One invocation's state, in ``ctx.obj``: the ``--data-dir`` flag and the services built from it.

    Attributes:
        data_dir: The ``--data-dir`` flag (None: ``ASSISTANT_DATA_DIR`` or the default).
        build: Builds the services from the settings (default: over the process's shared models).
    """

    data_dir: Path | None = None
    build: Callable[[Settings], Services] = field(
        default=lambda settings: Services(settings, Models.shared())
    )
    _services: Services | None = field(default=None, repr=False)

    def services(self) -> Services:
        """The services of the data dir, built on first use (so ``--help`` loads nothing)."""
        if self._services is None:
            self._services = self.build(load_settings(data_dir=self.data_dir))
        return self._services


def services(ctx: typer.Context) -> Services:
    """The services of this invocation (see :class:`CliState`)."""
    state = ctx.find_object(CliState)
    if state is None:  # a command invoked without the root callback (not through ``assistant``)
        state = ctx.ensure_object(CliState)
    return state.services()


def emit(obj: Any) -> None:
    """Print ``obj`` as one line of JSON (non-ASCII characters as they are)."""
    typer.echo(json.dumps(obj, ensure_ascii=False))


def count(number: int, noun: str) -> str:
    """``1 chunk``, ``3 chunks``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def stdin_text() -> str:
    """All of stdin, decoded as UTF-8 before any of it is used.

    Raises:
        AssistantError: A byte sequence is not UTF-8, named by its line (nothing is processed).
    """
    stream = getattr(sys.stdin, "buffer", None)
    raw = stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
    try:
        return str(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AssistantError(
            f"stdin line {line} is not valid UTF-8 (byte {raw[exc.start]:#04x}); nothing was processed"
        ) from None


def read_text(text: str) -> str:
    """``text``, or all of stdin when ``text`` is ``-`` (:func:`stdin_text`)."""
    return stdin_text() if text == "-" else text


def input_lines(text: str) -> list[str]:
    """``text``, or each non-empty stdin line when ``text`` is ``-`` (stripped).

    Raises:
        AssistantError: The text (or every stdin line) is empty.
    """
    lines = (
        [line.strip() for line in stdin_text().splitlines() if line.strip()]
        if text == "-"
        else [text.strip()]
    )
    if not lines or not all(lines):
        raise AssistantError("the text is empty")
    return lines


def unexpected(path: Path, exc: BaseException) -> str:
    """One line for a failure no check foresaw, naming the file and the exception type only (its message may
    hold file content); the traceback goes to the data dir's log, scrubbed."""
    from pipelines.core.logs import logger

    logger.error("ingest failed unexpectedly file=%s error=%s", path.name, type(exc).__name__, exc_info=exc)
    return f"{path}: could not be ingested ({type(exc).__name__}); details in the log"


#: Terminal escape sequences and control characters other than tab (kept out of one-line listings).
_TERMINAL_CODES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?|[\x00-\x08\x0a-\x1f\x7f-\x9f]"
)


def one_line(text: str) -> str:
    """``text`` safe for one line of a terminal listing: escape sequences and control characters removed, line
    breaks as spaces (a stored title must neither break the listing nor drive the terminal)."""
    return " ".join(_TERMINAL_CODES.sub(" ", text).split())


def stderr_counter(stage: str, done: int, total: int) -> None:
    """A progress callback printing ``stage: done/total`` on stderr."""
    typer.echo(f"{stage}: {done}/{total}", err=True)
