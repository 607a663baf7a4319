"""Running the ``assistant`` command in tests: in process (Typer's ``CliRunner``, sharing the session's loaded
models through :meth:`pipelines.services.Models.shared`) or, for the few tests of the console script itself, as
a real subprocess. Both return ``returncode``, ``stdout`` and ``stderr``."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from cli import app
from pipelines.services import Services

ASSISTANT = str(Path(sys.executable).with_name("assistant"))

#: The embedded model with a short answer, and no sample indexing: what every CLI test runs with.
BASE_ENV = {
    "ASSISTANT_INGEST__INDEX_SAMPLES_ON_START": "false",
    "ASSISTANT_LLM__BACKEND": "llamacpp",
    "ASSISTANT_LLAMACPP__MAX_TOKENS": "32",
}


@dataclass(frozen=True)
class Completed:
    """What a command did: its exit code and what it wrote to stdout and stderr."""

    returncode: int
    stdout: str
    stderr: str


def run(
    *args: str, data_dir: Path, stdin: str | bytes | None = None, env: dict[str, str] | None = None
) -> Completed:
    """Run ``assistant --data-dir DATA_DIR ARGS`` in this process; ``env`` adds variables for the run.

    An exception the command does not turn into an exit code (a bug, which the console script would show as a
    traceback) is raised here, so the test fails with it.
    """
    result = CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), *args],
        input=stdin,
        env={**BASE_ENV, **(env or {})},
        prog_name="assistant",
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Completed(result.exit_code, result.stdout, result.stderr)


def run_console_script(
    *args: str, data_dir: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> Completed:
    """Run the installed console script in a subprocess, as a user does (a cold start: about 6 s)."""
    done = subprocess.run(
        [ASSISTANT, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **BASE_ENV, **(env or {})},
        input=stdin,
        timeout=600,
        check=False,
    )
    return Completed(done.returncode, done.stdout, done.stderr)


class ServicesRunner(CliRunner):
    """A ``CliRunner`` whose commands use the given services (a test's data dir and its loaded models)."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def invoke(self, *args: Any, **kwargs: Any) -> Result:  # type: ignore[override]
        """``CliRunner.invoke`` with ``obj`` set to a factory that returns :attr:`services`."""
        kwargs.setdefault("obj", lambda settings: self.services)
        return super().invoke(*args, **kwargs)
