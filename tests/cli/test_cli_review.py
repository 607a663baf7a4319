"""Ingestion reports and the review queue through the ``assistant`` console script (in process, real models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import Completed
from tests.cli_runner import run as run_command
from tests.conftest import CANARY_CARD, CANARY_EMAIL, CANARY_NAME, CANARY_VALUES, scan_tree_for

LETTER = f"Complaint\n\nContact {CANARY_NAME} at {CANARY_EMAIL}. The card {CANARY_CARD} was charged twice.\n"
FEES = "# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"


def run(*args: str, data_dir: Path) -> Completed:
    return run_command(*args, data_dir=data_dir, env={"ASSISTANT_INGEST__HOLD_RISK_THRESHOLD": "1.0"})


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Completed]:
    root = tmp_path_factory.mktemp("review")
    (root / "letter.md").write_text(LETTER)
    (root / "fees.md").write_text(FEES)
    data = root / "data"
    done = run("ingest", "--domain", "finance", str(root / "letter.md"), str(root / "fees.md"), data_dir=data)
    return data, done


def test_ingest_prints_one_line_per_file_and_a_held_file_is_not_a_failure(
    ingested: tuple[Path, Completed],
) -> None:
    data, done = ingested
    assert done.returncode == 0, done.stderr
    letter, fees = done.stdout.splitlines()
    assert letter.startswith("letter.md: held for review in finance, not indexed (risk 5.00 > threshold 1;")
    assert "CREDIT_CARD 1, EMAIL_ADDRESS 1, PERSON 1" in letter and "CreditCardRecognizer 1" in letter
    assert "assistant review release --domain finance" in letter
    assert fees.startswith("fees.md: 1 chunk added to finance (markdown, redacted: none, risk 0.00")
    assert scan_tree_for(data, CANARY_VALUES) == []


def test_documents_lists_reports_and_the_held_queue_then_release_indexes(
    ingested: tuple[Path, Completed],
) -> None:
    data, _ = ingested
    (held,) = json.loads(run("documents", "--domain", "finance", "--held", "--json", data_dir=data).stdout)
    assert held["name"] == "letter.md" and held["report"]["entities"] == {
        "CREDIT_CARD": 1,
        "EMAIL_ADDRESS": 1,
        "PERSON": 1,
    }
    assert "sections" not in held
    released = run("review", "release", "--domain", "finance", held["sha256"][:10], data_dir=data)
    assert released.returncode == 0, released.stderr
    assert released.stdout.startswith("letter.md: 1 chunk added to finance")
    listed = run("documents", "--domain", "finance", data_dir=data).stdout.splitlines()
    assert len(listed) == 3 and any(line.startswith("letter.md\t") and "\t5.00\t" in line for line in listed)
    documents = json.loads(run("documents", "--domain", "finance", "--json", data_dir=data).stdout)
    assert {d["name"]: d["report"]["risk"] for d in documents} == {"letter.md": 5.0, "fees.md": 0.0}
    assert scan_tree_for(data, CANARY_VALUES) == []


def test_ingest_json_carries_the_report_and_reject_deletes(tmp_path: Path) -> None:
    doc = tmp_path / "letter.txt"
    doc.write_text(LETTER)
    done = run("ingest", "--domain", "finance", str(doc), "--json", data_dir=tmp_path / "data")
    out = json.loads(done.stdout)
    assert done.returncode == 0 and out["ok"] and out["status"] == "held" and out["held"]
    assert out["report"]["risk"] == 5.0 and out["report"]["findings"] == 3
    rejected = run(
        "review", "reject", "--domain", "finance", out["sha256"], "--json", data_dir=tmp_path / "data"
    )
    assert json.loads(rejected.stdout)["rejected"]["sha256"] == out["sha256"]
    again = run("review", "reject", "--domain", "finance", out["sha256"][:8], data_dir=tmp_path / "data")
    assert again.returncode == 1
    assert again.stderr.strip() == f"error: no document '{out['sha256'][:8]}' is held for review in 'finance'"
