"""Strict de-identification on the hand-written sets, and de-identification latency (issue 22).

Quality: :mod:`pipelines.evals.pii_strict` (an identifier counts as removed only when no part of it survives in
what the model receives; over-redaction = keep terms destroyed) for this product and vanilla Presidio, on:

- ``heldout``: ``benchmarks/data/pii_strict/heldout_messages_*.jsonl`` + ``heldout_keep_*.jsonl``, written by
  hand before any recognizer change of issue 22 and never used to tune (see ``README_heldout_*.md``);
- ``dev``: ``dev_messages.jsonl`` + ``dev_keep.jsonl``, written by another author, used to tune;
- ``blind``: ``blind_messages.jsonl`` + ``blind_keep.jsonl``, written by a fresh author (who had seen neither the
  product nor the other sets) after tuning began, scored only at the end (``--sets heldout,dev,blind``).

Latency: each message of both sets (secrets and keep sentences), repeated to fill and cut at exactly
``--chars`` characters (default 200), de-identified ``--rounds`` times by each system after a warm-up pass
(product: its domain's policy, prompt sink, a scratch vault; wall time, ``time.perf_counter``); nearest-rank
percentiles over all timings. Both systems are timed in the same run, so their ratio holds on a busy machine.

Results are keyed by ``--label`` (``before`` for the code before issue 22's recognizer work, ``after``) and merged
into results/pii_strict.json, so one table shows both. The code under test is the ``privacy`` package Python
imports: run with ``PYTHONPATH=<a worktree of an older commit>`` to measure that commit (the commit is recorded).

Run: ``.venv/bin/python benchmarks/pii_strict.py --label after [--sets heldout,dev] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "pii_strict"
OUT = HERE / "results"
SETS = ("heldout", "dev", "blind")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def _code_under_test() -> dict[str, Any]:
    import privacy

    root = Path(privacy.__file__).resolve().parents[1]
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--", "privacy", "domains", ":!privacy/vanilla.py"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {"root": str(root), "commit": commit, "recognizers_modified_since_commit": bool(dirty)}


def _fill(text: str, chars: int) -> str:
    return ((text + " ") * (chars // (len(text) + 1) + 1))[:chars]


def main() -> None:
    """Run the strict evaluation and the latency benchmark; write results/pii_strict.{json,md}."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="Key of this run in the results (before, after, ...).")
    parser.add_argument("--sets", default="heldout,dev", help="Comma-separated: heldout, dev, blind.")
    parser.add_argument("--rounds", type=int, default=3, help="Timed passes over the latency messages.")
    parser.add_argument("--chars", type=int, default=200, help="Length of a latency message, characters.")
    args = parser.parse_args()

    from pipelines.core.settings import load_settings
    from pipelines.evals.pii_strict import (
        StrictRecord,
        evaluate_strict,
        load_strict,
        presidio_system,
        product_system,
    )
    from pipelines.services import Services

    code = _code_under_test()
    print(f"code under test: {code}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as data_dir:
        services = Services(load_settings(data_dir=Path(data_dir)))
        systems = {
            "product": product_system(services.deidentification),
            "baseline": presidio_system(services.settings.privacy.spacy_model),
        }
        run: dict[str, Any] = {"code": code, "sets": {}}
        latency_records: list[StrictRecord] = []
        for name in args.sets.split(","):
            messages = [
                r for f in sorted(DATA.glob(f"{name}_messages*.jsonl")) for r in load_strict(f, "secrets")
            ]
            keep = [r for f in sorted(DATA.glob(f"{name}_keep*.jsonl")) for r in load_strict(f, "keep")]
            result = evaluate_strict(
                messages,
                keep,
                systems,
                progress=lambda s, d, t: print(f"{s}: {d}/{t}", file=sys.stderr),
            )
            result["files"] = sorted(p.name for p in DATA.glob(f"{name}_*.jsonl"))
            run["sets"][name] = result
            latency_records += [*messages, *keep]
        run["latency"] = _latency(systems, latency_records, args.chars, args.rounds)
    run["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    run["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    path = OUT / "pii_strict.json"
    results = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for older in results.values():  # only the newest run keeps its misses, so the file does not grow per run
        for result in older.get("sets", {}).values():
            result.pop("misses", None)
            result.pop("over_redactions", None)
    results[args.label] = run
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (OUT / "pii_strict.md").write_text(_table(results), encoding="utf-8")
    print((OUT / "pii_strict.md").read_text(encoding="utf-8"))


def _latency(systems: dict[str, Any], records: list[Any], chars: int, rounds: int) -> dict[str, Any]:
    from pipelines.evals.pii_strict import StrictRecord

    texts = [StrictRecord(r.id, _fill(r.text, chars), r.domain, r.lang) for r in records]
    out: dict[str, Any] = {"messages": len(texts), "chars": chars, "rounds": rounds}
    for name, system in systems.items():
        for record in texts:
            system(record)  # warm-up
        timings = []
        for _ in range(rounds):
            for record in texts:
                started = time.perf_counter()
                system(record)
                timings.append(1000 * (time.perf_counter() - started))
            print(f"latency {name}: round done", file=sys.stderr)
        out[name] = {q: round(percentile(timings, v), 2) for q, v in (("p50", 50), ("p95", 95), ("p99", 99))}
    out["ratio_p95_product_to_baseline"] = round(out["product"]["p95"] / out["baseline"]["p95"], 2)
    return out


def _table(results: dict[str, Any]) -> str:
    lines = [
        "# Strict de-identification (issue 22)",
        "",
        "Removed whole = no word of 4+ letters and no run of 5+ letters/digits (2 Han characters) of the identifier",
        "left in what the model receives; over-redaction = keep terms destroyed, on sentences without personal data.",
        "Generated by `benchmarks/pii_strict.py`; held-out = written before tuning, never tuned on.",
        "",
        "| run | set | messages | identifiers | product removed whole | vanilla Presidio | product over-redaction "
        "| vanilla over-redaction |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, run in results.items():
        for name, res in run["sets"].items():
            p, b = res["product"], res["baseline"]
            lines.append(
                f"| {label} ({run['code']['commit']}) | {name} | {res['messages']} | {p['secrets']} | "
                f"{p['removed_whole']:.3f} | {b['removed_whole']:.3f} | {p['over_redaction']:.3f} | "
                f"{b['over_redaction']:.3f} |"
            )
    for group in ("lang", "domain", "kind"):
        lines += ["", f"## Removed whole by {group}", ""]
        header = "| set | " + group + " | n | " + " | ".join(f"{label} product" for label in results)
        header += " | " + " | ".join(f"{label} vanilla" for label in results) + " |"
        lines += [header, "|" + "---|" * (3 + 2 * len(results))]
        keys = sorted(
            {
                (s, k)
                for run in results.values()
                for s, res in run["sets"].items()
                for k in res["product"]["by"][group]
            }
        )
        for set_name, key in keys:
            cells, n = [], ""
            for system in ("product", "baseline"):
                for run in results.values():
                    stats = (
                        run["sets"].get(set_name, {}).get(system, {}).get("by", {}).get(group, {}).get(key)
                    )
                    cells.append(f"{stats['rate']:.3f}" if stats else "-")
                    n = str(stats["total"]) if stats else n
            lines.append(f"| {set_name} | {key} | {n} | " + " | ".join(cells) + " |")
    lines += ["", "## Latency of de-identifying one message (ms, wall time)", ""]
    lines += [
        "| run | chars | timings | product p50 | p95 | p99 | vanilla p50 | p95 | p99 | p95 ratio | load |"
    ]
    lines += ["|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, run in results.items():
        lat = run["latency"]
        p, b = lat["product"], lat["baseline"]
        lines.append(
            f"| {label} | {lat['chars']} | {lat['messages'] * lat['rounds']} | {p['p50']} | {p['p95']} | {p['p99']} "
            f"| {b['p50']} | {b['p95']} | {b['p99']} | {lat['ratio_p95_product_to_baseline']} "
            f"| {run['machine']['load_average_1min']} |"
        )
    lines += ["", f"Machine: {next(iter(results.values()))['machine']['cpus']} CPUs; runs: "]
    lines += [f"- {label}: {run['when']}, code {run['code']}" for label, run in results.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
