"""``assistant medical stats`` and ``assistant medical budget`` as a user runs them (in process, real models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run
from tests.conftest import CANARY_NAME, CANARY_VALUES


def test_stats_spend_the_budget_until_a_query_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    note = tmp_path / "note.txt"
    note.write_text(f"Clinic note\n\n{CANARY_NAME} has hypertension and asthma. Started metformin.\n")
    assert run("ingest", "--domain", "medical", str(note), data_dir=data).returncode == 0

    done = run(
        "medical", "stats", "--type", "DISEASE", "--epsilon", "0.6", "--top", "5", "--json", data_dir=data
    )
    assert done.returncode == 0, done.stderr
    release = json.loads(done.stdout)
    assert release["epsilon"] == pytest.approx(0.6) and release["scale"] == pytest.approx(20 / 0.6)
    assert len(release["counts"]) == 5 and {row["type"] for row in release["counts"]} == {"DISEASE"}
    assert release["budget"] == {"total": 1.0, "spent": 0.6, "remaining": pytest.approx(0.4), "queries": 1}
    assert not any(value in done.stdout for value in CANARY_VALUES)

    refused = run("medical", "stats", "--epsilon", "0.6", data_dir=data)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith(
        "error: privacy budget exhausted: this query needs epsilon 0.6 but only 0.4"
    )

    plain = run("medical", "stats", "--type", "CHEMICAL", "--top", "3", data_dir=data)  # default epsilon 0.1
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert len(lines) == 5 and all(line.split("\t")[1] == "CHEMICAL" for line in lines[:3])
    assert lines[-1].startswith("epsilon spent by this query 0.1; budget: total 1, spent 0.7, remaining 0.3")

    budget = run("medical", "budget", "--json", data_dir=data)
    assert json.loads(budget.stdout) == {
        "total": 1.0,
        "spent": pytest.approx(0.7),
        "remaining": pytest.approx(0.3),
        "queries": 2,
    }
