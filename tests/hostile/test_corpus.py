"""The hostile-input corpus through ``assistant ingest`` (tests/hostile/corpus.py), every case in one process that
may grow to 4 GB resident and 120 s per case: each file ingested correctly or refused with one line naming it and
the reason, nothing of a refused file indexed, no planted value stored raw, no traceback. Per-case time and
memory figures: benchmarks/hostile_corpus.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.hostile.corpus import build_corpus, verdict

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_hostile_file_is_ingested_correctly_or_refused_cleanly(tmp_path: Path) -> None:
    cases = build_corpus(tmp_path / "corpus")
    spec = tmp_path / "cases.json"
    spec.write_text(
        json.dumps([{**asdict(c), "paths": [str(p) for p in c.paths]} for c in cases]), encoding="utf-8"
    )
    env = {
        **os.environ,
        "ASSISTANT_INGEST__INDEX_SAMPLES_ON_START": "false",
        "HOSTILE_CASE_SECONDS": "120",
        "HOSTILE_MEMORY_MB": "4000",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "hostile" / "run_cases.py"), str(spec), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    rows = {row["name"]: row for row in map(json.loads, filter(None, done.stdout.splitlines()))}
    assert done.returncode == 0, (done.returncode, done.stderr[-3000:], list(rows)[-1:])
    verdicts = {case.name: verdict({**asdict(case), "paths": case.paths}, rows[case.name]) for case in cases}
    assert {name: v for name, v in verdicts.items() if v != "ok"} == {}
