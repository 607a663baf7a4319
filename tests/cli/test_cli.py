"""The ``assistant`` command as a user runs it (in process through Typer's runner, and the installed console
script in a subprocess), on the real models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run, run_console_script
from tests.conftest import CANARY_CARD, CANARY_EMAIL, CANARY_NAME, CANARY_VALUES, scan_tree_for


@pytest.fixture(scope="module")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "data"
    doc = data.parent / "fees.md"
    doc.write_text(f"# Fees\n\nThe foreign transaction fee is 2.75%. Ask {CANARY_NAME} ({CANARY_EMAIL}).\n")
    done = run("ingest", "--domain", "finance", str(doc), "--json", data_dir=data)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (
        report["ok"]
        and report["chunks_added"] >= 1
        and report["redactions"] == {"EMAIL_ADDRESS": 1, "PERSON": 1}
    )
    return data


def test_ask_json_has_the_contract_fields_and_no_raw_pii(cli_data: Path) -> None:
    done = run(
        "ask",
        f"I am {CANARY_NAME}, card {CANARY_CARD}. What is the foreign fee?",
        "--json",
        data_dir=cli_data,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert {
        "answer",
        "reasoning",
        "domain",
        "route_confidence",
        "sources",
        "redacted_question",
        "session_id",
        "backend",
        "model",
        "timings_ms",
    } <= set(out)
    assert out["domain"] == "finance" and out["backend"] == "llamacpp"
    assert {"source", "chunk_id", "score", "text"} <= set(out["sources"][0])
    assert out["sources"][0]["source"] == "fees.md"
    assert set(out["timings_ms"]) >= {"route", "deidentify", "retrieve", "generate", "total"}
    assert out["masked"] == {"CREDIT_CARD": 1, "PERSON": 1}
    out.pop("answer")
    assert not [v for v in CANARY_VALUES if v in json.dumps(out)]
    assert scan_tree_for(cli_data, CANARY_VALUES) == []


def test_route_reads_stdin_and_prints_one_json_per_line(cli_data: Path) -> None:
    done = run(
        "route",
        "-",
        "--json",
        data_dir=cli_data,
        stdin="I lost my credit card\nHow do I parse JSON in Python?\nWhat causes asthma?\n",
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["domain"] for r in rows] == ["finance", "code", "medical"]
    assert set(rows[0]) == {"question", "domain", "confidence", "scores", "out_of_domain", "best"}


def test_route_reports_an_unsure_question_as_null_with_the_probabilities(cli_data: Path) -> None:
    done = run("route", "What is a good recipe for banana bread?", "--json", data_dir=cli_data)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["domain"] is None and row["best"] in row["scores"]
    assert row["out_of_domain"] > max(row["scores"].values())
    plain = run("route", "What is a good recipe for banana bread?", data_dir=cli_data)
    assert plain.stdout.startswith(f"unsure (best {row['best']})\t")


def test_ask_on_an_unsure_first_question_names_the_domains_to_choose(cli_data: Path) -> None:
    done = run("ask", "What is a good recipe for banana bread?", data_dir=cli_data)
    assert done.returncode == 1
    assert "not sure which domain this question is about" in done.stderr
    assert "choose a domain (code, finance, medical) and ask again with --domain NAME" in done.stderr
    assert "Traceback" not in done.stderr


def test_deidentify_json_gives_offsets_but_no_values(cli_data: Path) -> None:
    done = run("deidentify", f"Email {CANARY_EMAIL} now", "--json", data_dir=cli_data)
    out = json.loads(done.stdout)
    assert out["text"] == "Email <EMAIL_ADDRESS_1> now"
    assert out["entities"] == [
        {"type": "EMAIL_ADDRESS", "start": 6, "end": 6 + len(CANARY_EMAIL), "score": 1.0}
    ]


def test_documents_lists_the_ingested_file(cli_data: Path) -> None:
    done = run("documents", "--domain", "finance", "--json", data_dir=cli_data)
    (doc,) = json.loads(done.stdout)
    assert doc["name"] == "fees.md" and doc["chunks"] >= 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "--domain", "finance", "missing.pdf"), "missing.pdf: no such file"),
        (("ingest", "--domain", "nope", "x.md"), "unknown domain 'nope'"),
        (("ask", "   "), "the question is empty"),
    ],
)
def test_errors_are_one_clear_line_without_traceback(
    cli_data: Path, args: tuple[str, ...], message: str
) -> None:
    done = run(*args, data_dir=cli_data)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_sessions_erase_removes_vault_and_turns_and_prints_a_receipt(cli_data: Path) -> None:
    from pipelines.conversation.memory import MemoryStore
    from privacy import VaultStore

    vaults = VaultStore(cli_data / "vault")
    vault = vaults.open("erase-me")
    vault.placeholder_for("PERSON", CANARY_NAME)
    vaults.save(vault)
    MemoryStore(cli_data / "memory.sqlite3").add_turn(
        "erase-me", "I am <PERSON_1>.", "Hello <PERSON_1>.", "finance", 0.9, [], "llamacpp", "m"
    )
    listed = run("sessions", "list", "--json", data_dir=cli_data)
    assert {"id": "erase-me", "turns": 1} in [
        {"id": s["id"], "turns": s["turns"]} for s in json.loads(listed.stdout)
    ]

    done = run("sessions", "erase", "erase-me", "--json", data_dir=cli_data)
    assert done.returncode == 0, done.stderr
    receipt = json.loads(done.stdout)
    assert {k: v for k, v in receipt.items() if k != "erased_at"} == {
        "session_id": "erase-me",
        "turns": 1,
        "session_record": True,
        "vault_file": True,
        "vault_values": 1,
    }
    assert not (cli_data / "vault" / "erase-me.vault").exists()

    again = run("sessions", "erase", "erase-me", data_dir=cli_data)
    assert again.returncode == 1 and "error: no session 'erase-me': nothing to erase" in again.stderr


@pytest.mark.slow
def test_the_console_script_prints_one_error_line_and_exits_1(tmp_path: Path) -> None:
    """The installed ``assistant`` in a real process: a user error is one line on stderr, exit code 1."""
    done = run_console_script("ingest", "--domain", "nope", "x.md", data_dir=tmp_path / "data")
    assert done.returncode == 1
    assert done.stderr == "error: unknown domain 'nope'; known: code, finance, medical\n"
    assert done.stdout == ""


@pytest.mark.slow
def test_the_console_script_and_python_m_pipelines_answer_the_same(tmp_path: Path) -> None:
    """``assistant`` and ``python -m pipelines`` are the same command (in real processes)."""
    text = f"Call {CANARY_NAME} on 212-555-0199"
    script = run_console_script("deidentify", text, "--json", data_dir=tmp_path / "data")
    module = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines",
            "--data-dir",
            str(tmp_path / "data"),
            "deidentify",
            text,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert script.returncode == module.returncode == 0, script.stderr + module.stderr
    assert json.loads(script.stdout) == json.loads(module.stdout)
    assert CANARY_NAME not in script.stdout and "<PHONE_NUMBER_1>" in json.loads(script.stdout)["text"]
