"""The command line with a hostile data dir and hostile stored text: one error line, never a traceback; a
listing that cannot be used to drive the terminal; a data dir closed to other users."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pipelines.conversation.memory import MemoryStore
from tests.cli_runner import run
from tests.hostile.corpus import _docx


def test_a_data_dir_that_is_a_file_is_one_error_line(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("x")
    done = run("documents", "--domain", "finance", data_dir=not_a_dir)
    assert done.returncode == 1
    assert (
        done.stderr
        == f"error: the data dir {not_a_dir} is a file, not a folder; choose another with --data-dir\n"
    )


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root writes to read-only folders: the read-only mount case is below"
)
def test_a_read_only_data_dir_is_one_error_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    done = run("documents", "--domain", "finance", data_dir=data)
    assert done.returncode == 1 and done.stderr.startswith(f"error: the data dir {data} is not writable")


def test_a_data_dir_on_a_read_only_file_system_is_one_error_line() -> None:
    """/proc is read-only even for root (the case of a read-only mount)."""
    done = run("documents", "--domain", "finance", data_dir=Path("/proc/self"))
    assert done.returncode == 1 and "is not writable" in done.stderr and "Traceback" not in done.stderr


def test_the_data_dir_is_closed_to_other_users(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    run("sessions", "list", data_dir=data)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_a_bad_file_does_not_stop_the_good_ones(tmp_path: Path) -> None:
    bad = tmp_path / "broken.docx"
    bad.write_bytes(_docx(b'<?xml version="1.0"?><w:document><w:body><w:p>cut off'))
    good = tmp_path / "good.md"
    good.write_text("# Limits\n\nThe daily ATM limit is 500.\n")
    done = run("ingest", "--domain", "finance", str(bad), str(good), data_dir=tmp_path / "data")
    assert done.returncode == 1
    assert [line for line in done.stderr.splitlines() if line.startswith("error:")] == [
        "error: broken.docx: the DOCX is corrupt or unreadable (XMLSyntaxError)"
    ]
    assert done.stdout.startswith("good.md: 1 chunk added to finance")


def test_sessions_list_shows_no_terminal_control_codes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    MemoryStore(data / "memory.sqlite3").add_turn(
        "s1", "\x1b]0;pwned\x07\x1b[2JWhat is\nthe fee?", "It is 2.75%.", "finance", 0.9, [], "llamacpp", "m"
    )
    done = run("sessions", "list", data_dir=data)
    assert done.returncode == 0
    [line] = done.stdout.splitlines()
    assert line.startswith("s1\t1 turn\t") and line.endswith("\tWhat is the fee?")
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
