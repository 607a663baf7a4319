"""What the command line prints (issue 21, item 10): ``documents`` under a header row, ``sessions list`` one
line per session that fits the terminal (a long title cut with an ellipsis), and no llama.cpp log line on
stderr when ``ask`` runs the embedded model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cli
from pipelines.conversation.memory import MemoryStore, new_session_id
from pipelines.services import Services
from tests.cli_runner import ServicesRunner, run, run_console_script
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_VALUES

DOCUMENT_COLUMNS = ["name", "sha256", "chunks", "ingested at", "risk", "redacted", "visibility"]
HELD_COLUMNS = ["name", "sha256", "held at", "risk", "redacted"]


def test_documents_are_listed_under_a_header_row(services: Services, tmp_path: Path) -> None:
    services.accounts.add_user("alice", "agent", "alice has a long password")
    fees = tmp_path / "fees.md"
    fees.write_text("# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n")
    memo = tmp_path / "memo.md"
    memo.write_text(f"# Memo\n\nCall {CANARY_NAME} about card {CANARY_CARD}.\n")
    runner = ServicesRunner(services)
    for path, extra in ((fees, []), (memo, ["--private-for", "alice"])):
        done = runner.invoke(cli.app, ["ingest", "--domain", "finance", str(path), *extra])
        assert done.exit_code == 0, done.output
    listed = runner.invoke(cli.app, ["documents", "--domain", "finance"])
    assert listed.exit_code == 0, listed.output
    header, *rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert header == DOCUMENT_COLUMNS
    assert all(len(row) == len(header) for row in rows), rows
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_name) == {"fees.md", "memo.md"}
    assert by_name["fees.md"]["visibility"] == "shared" and by_name["fees.md"]["risk"] == "0.00"
    assert by_name["memo.md"]["visibility"] == "private to alice"
    assert "CREDIT_CARD 1" in by_name["memo.md"]["redacted"] and by_name["fees.md"]["redacted"] == "none"
    assert (
        re.fullmatch(r"[0-9a-f]{12}", by_name["fees.md"]["sha256"]) and by_name["fees.md"]["chunks"].isdigit()
    )
    assert not [value for value in CANARY_VALUES if value in listed.stdout]


def test_an_empty_listing_says_so_on_stderr_and_keeps_stdout_to_the_header(tmp_path: Path) -> None:
    done = run("documents", "--domain", "finance", data_dir=tmp_path / "data")
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["\t".join(DOCUMENT_COLUMNS)]
    assert done.stderr.strip() == "no documents indexed in finance"
    held = run("documents", "--domain", "finance", "--held", data_dir=tmp_path / "data")
    assert held.stdout.splitlines() == ["\t".join(HELD_COLUMNS)]
    assert held.stderr.strip() == "no documents held for review in finance"


@pytest.mark.parametrize("columns", [80, 120])
def test_sessions_list_prints_one_line_per_session_within_the_terminal_width(
    tmp_path: Path, columns: int
) -> None:
    data = tmp_path / "data"
    memory = MemoryStore(data / "memory.sqlite3")
    long_id, short_id = new_session_id(), new_session_id()
    title = "Why was my card declined\nat the airport " + "and then again at the hotel " * 8 + "?"
    memory.add_turn(long_id, title, "It was blocked.", "finance", 0.9, [], "llamacpp", "m")
    memory.add_turn(short_id, "What is the fee?", "It is 2.75%.", "finance", 0.9, [], "llamacpp", "m")
    done = run("sessions", "list", data_dir=data, env={"COLUMNS": str(columns)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2  # one line per session: the title's line break is not printed
    by_id = {line.split("\t")[0]: line for line in lines}
    assert all(len(line.expandtabs()) <= columns for line in lines), [len(x.expandtabs()) for x in lines]
    long_title = by_id[long_id].split("\t")[-1]
    assert long_title.endswith("…") and " ".join(title.split()).startswith(long_title[:-1])
    assert len(long_title) >= {80: 8, 120: 48}[columns]  # the room the terminal leaves is used
    if columns >= 120:
        assert by_id[short_id].endswith("\tWhat is the fee?")  # a title that fits is shown whole


@pytest.mark.slow
def test_ask_prints_no_llama_cpp_log_line(tmp_path: Path) -> None:
    """The embedded model's load and first decode log through llama.cpp's callback; none of it reaches the
    terminal (llama-cpp-python's own callback printed a warning such as ``llama_kv_cache_iswa: using full-size
    SWA cache`` on every cold ``ask``)."""
    done = run_console_script("ask", "What is the foreign transaction fee?", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()  # the model answered
    leaked = [
        line for line in done.stderr.splitlines() if re.match(r"\s*(llama|ggml|gguf|sched|load)\w*[:_]", line)
    ]
    assert leaked == [], leaked
