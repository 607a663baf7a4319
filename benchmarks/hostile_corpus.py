"""The hostile-input corpus (``tests/hostile/corpus.py``), each case in its own process: outcome, seconds and
peak resident memory per case, against the case's expectation. Writes ``results/hostile_corpus.{json,md}``
(or ``--label``-suffixed files, e.g. the figures before a fix).

Run: ``.venv/bin/python benchmarks/hostile_corpus.py [--label before]`` from the repository root (2 cores: about
5 minutes; each process loads the models, about 6 s and 1.5 GB of the peak).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile.corpus import build_corpus, verdict  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", default="", help="suffix of the result files (e.g. before)")
    parser.add_argument("--seconds", type=int, default=300, help="time budget per case")
    parser.add_argument("--memory-mb", type=int, default=8000, help="resident memory budget per process")
    args = parser.parse_args()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "ASSISTANT_INGEST__INDEX_SAMPLES_ON_START": "false",
        "HOSTILE_CASE_SECONDS": str(args.seconds),
        "HOSTILE_MEMORY_MB": str(args.memory_mb),
        "PYTHONPATH": str(ROOT),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = build_corpus(Path(tmp) / "corpus")
        for case in cases:
            spec = Path(tmp) / "case.json"
            spec.write_text(
                json.dumps([{**asdict(case), "paths": [str(p) for p in case.paths]}]), encoding="utf-8"
            )
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(ROOT / "tests" / "hostile" / "run_cases.py"), str(spec), str(Path(tmp) / "data" / case.name)],
                capture_output=True, text=True, env=env, timeout=args.seconds + 120, check=False,
            )  # fmt: skip
            lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
            row = lines[-1] if lines else {"outcome": f"process exit {done.returncode}"}
            row["process_seconds"] = round(time.perf_counter() - started, 1)
            summary = {
                "case": case.name,
                "about": case.about,
                "expect": case.expect,
                "verdict": verdict({**asdict(case), "paths": case.paths}, row),
                "seconds": row.get("seconds"),
                "peak_mb": row.get("peak_mb", row.get("resident_mb")),
                "error": (row.get("errors") or [""])[0][:160],
            }
            rows.append(summary)
            print(json.dumps(summary), flush=True)
    suffix = f"_{args.label}" if args.label else ""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"hostile_corpus{suffix}.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    ok = sum(r["verdict"] == "ok" for r in rows)
    lines = [
        f"# Hostile-input corpus{' (' + args.label + ')' if args.label else ''}",
        "",
        f"{ok} of {len(rows)} cases as expected. Each case in its own process (`benchmarks/hostile_corpus.py`); "
        "seconds: the ingest command's wall time in process; peak: the process's peak resident memory, models "
        "included (about 1.5 GB before any file).",
        "",
        "| case | expect | verdict | seconds | peak MB | error line |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        error = r["error"].replace("|", "\\|")
        lines.append(
            f"| {r['case']} | {r['expect']} | {r['verdict']} | {r['seconds']} | {r['peak_mb']} | {error} |"
        )
    (RESULTS / f"hostile_corpus{suffix}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
