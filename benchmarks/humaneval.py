"""HumanEval through the product's *complete* mode (``pipelines.evals.code``), the same as ``assistant eval code``.

HumanEval: Chen et al. 2021, arXiv:2107.03374, MIT licence (../shared/datasets/humaneval). Each problem's prompt
goes through de-identification and the active backend with greedy decoding and the mode's stop sequences; the
completed code runs with the problem's tests in the sandbox (``pipelines.skills.code.sandbox``). pass@1 = problems passed /
problems (one greedy sample each). Published anchor in the same table: Codex-12B 28.8% (the paper, table 1).
Also: how each failure ended (exception type), seconds per problem (generation + sandboxed tests) and the
generation time alone. No Ollama is reachable here, so only the embedded llama.cpp model is measured.

Writes results/humaneval.{json,md}. Run: ``.venv/bin/python benchmarks/humaneval.py [--limit 20] [--backend llamacpp]``
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import statistics
import tempfile
from pathlib import Path

from pipelines.core.settings import load_settings
from pipelines.evals.code import evaluate_code
from pipelines.services import Services

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "datasets" / "humaneval"
OUT = HERE / "results"


def main() -> None:
    """Run the benchmark and write the JSON and markdown results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=20, help="Only the first N problems (164 in all).")
    parser.add_argument("--backend", default="llamacpp", help="auto|ollama|llamacpp")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = load_settings(data_dir=Path(tempfile.mkdtemp(prefix="humaneval-")))
    settings.ingest.index_samples_on_start = False
    report = evaluate_code(Services(settings).code_tasks(), DATA, args.limit, args.backend)
    rows = report.rows
    endings = collections.Counter(
        "passed" if r["passed"] else (r["error"].split(":")[0] or r["status"]) for r in rows
    )
    result = {
        **report.to_json_dict(),
        "endings": dict(endings.most_common()),
        "median_generate_s": statistics.median(r["generate_s"] for r in rows),
        "median_seconds": statistics.median(r["seconds"] for r in rows),
        "problems_with_masked_text": sum(1 for r in rows if r["masked"]),
        "published": {"Codex-12B pass@1": 0.288},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "humaneval.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        f"# HumanEval pass@1, first {report.problems} problems (`benchmarks/humaneval.py`)",
        "",
        "| system | pass@1 | problems | s/problem (mean) | generation s (median) |",
        "|---|---|---|---|---|",
        f"| product, complete mode, {report.backend} `{report.model}` | {report.pass_at_1:.1%} | {report.problems} | "
        f"{report.seconds_per_problem:.1f} | {result['median_generate_s']:.1f} |",
        "| published: Codex-12B (Chen et al. 2021) | 28.8% | 164 | | |",
        "",
        "How the problems ended: " + ", ".join(f"{k} {v}" for k, v in endings.most_common()) + ".",
        f"Sandbox: {report.sandbox}. Problems whose prompt had something de-identified: "
        f"{result['problems_with_masked_text']}.",
        "",
    ]
    (OUT / "humaneval.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
