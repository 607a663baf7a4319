"""Latency of `assistant ask` on the embedded llama.cpp backend (one-line questions, sample corpora indexed).

Measures, per question, the pipeline's own timings (``timings_ms``: deidentify, route, retrieve, first_token,
generate, total) in one warm process, plus the cold wall time of one ``assistant ask --json`` subprocess
(model loading included). Writes ``benchmarks/results/ask_latency.json`` and ``.md``.

Run: ``.venv/bin/python benchmarks/ask_latency.py [--data-dir DIR]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.core.settings import load_settings
from pipelines.services import Services

QUESTIONS = [
    "How long do I have to dispute a card transaction?",
    "What is the foreign transaction fee?",
    "What does json.dumps do?",
    "What are the symptoms of asthma?",
    "How do I block a lost card?",
]
OUT = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-")) / "data"
    services = Services(load_settings(data_dir=data_dir))
    services.settings.llm.backend = "llamacpp"
    started = time.perf_counter()
    services.ingestion.index_sample_corpora()
    index_seconds = time.perf_counter() - started
    pipeline = services.chat
    pipeline.ask(QUESTIONS[0])  # warm-up: loads the models
    rows = [pipeline.ask(q).timings_ms | {"question": q} for q in QUESTIONS]

    cold = time.perf_counter()
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("assistant")),
            "--data-dir",
            str(data_dir),
            "ask",
            QUESTIONS[0],
            "--backend",
            "llamacpp",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    cold_wall = time.perf_counter() - cold
    cold_timings = json.loads(done.stdout)["timings_ms"]

    keys = ["deidentify", "route", "retrieve", "first_token", "generate", "total"]
    summary = {k: statistics.median(r[k] for r in rows) for k in keys}
    result = {
        "backend": "llamacpp",
        "model": pipeline.services.llamacpp_backend().model_name,
        "sample_index_seconds": round(index_seconds, 1),
        "warm_median_ms": summary,
        "warm_runs": rows,
        "cold_cli_wall_seconds": round(cold_wall, 2),
        "cold_cli_timings_ms": cold_timings,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "ask_latency.json").write_text(json.dumps(result, indent=2))
    lines = ["| measure | ms (median of 5, warm) |", "|---|---|"] + [
        f"| {k} | {summary[k]:.0f} |" for k in keys
    ]
    lines += [
        "",
        f"Cold `assistant ask --json` (process start, model load, answer): {cold_wall:.1f} s wall; "
        f"in-pipeline first token {cold_timings['first_token']:.0f} ms, total {cold_timings['total']:.0f} ms.",
        f"Indexing the three sample corpora: {index_seconds:.1f} s.",
    ]
    (OUT / "ask_latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
