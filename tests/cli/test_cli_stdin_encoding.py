"""Commands that read messages from stdin (``-``) decode all of it as UTF-8 first: a byte sequence that is not
UTF-8 is named by its line and nothing is processed (it used to surface as "a lone UTF-16 surrogate" after the
lines before it had been printed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import run

BAD = b"someone stole my card\nhello \xff there\nwhat is my balance\n"


@pytest.mark.parametrize("command", ["risk", "route", "intent"])
def test_stdin_that_is_not_utf8_is_named_by_its_line_and_nothing_is_processed(
    tmp_path: Path, command: str
) -> None:
    done = run(command, "-", data_dir=tmp_path / "data", stdin=BAD)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "stdin line 2 is not valid UTF-8 (byte 0xff); nothing was processed" in done.stderr
    assert done.stdout == ""


def test_valid_utf8_stdin_is_read_line_by_line(tmp_path: Path) -> None:
    done = run(
        "risk", "-", data_dir=tmp_path / "data", stdin="你们周六营业吗\nsomeone stole my card\n".encode()
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2
