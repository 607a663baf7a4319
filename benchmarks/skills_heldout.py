"""Risk detection and routing on the held-out sets of issue 24 (``benchmarks/data/heldout/``), product against
baseline, per language and per category: ``assistant eval risk`` and ``assistant eval routing`` run in one
process, results kept per label so the figures before and after a change sit side by side.

The sets were written by helper sessions that never saw the product's rules or routing examples, before any
change of issue 24, and are never used to tune (see the READMEs beside them).

Writes results/skills_heldout.{json,md}. Run: ``.venv/bin/python benchmarks/skills_heldout.py --label before``
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from pipelines.core.settings import load_settings
from pipelines.evals.risk import evaluate_risk
from pipelines.evals.routing import evaluate_routing
from pipelines.evals.similarity_router import SimilarityRouter
from pipelines.services import Services

HERE = Path(__file__).resolve().parent
HELD_OUT = HERE / "data" / "heldout"
OUT = HERE / "results"


def measure() -> dict[str, Any]:
    """Both evaluations on the held-out sets (errors dropped: the per-message lists stay in the CLI's --json)."""
    settings = load_settings(data_dir=Path(tempfile.mkdtemp(prefix="skills-heldout-")))
    settings.ingest.index_samples_on_start = False
    services = Services(settings)
    config = services.domains.domain("finance")
    detector = services.risk_detector("finance")
    assert detector is not None
    risk = evaluate_risk(
        config, services.analyzers("finance"), detector, services.deidentification, HELD_OUT / "risk.jsonl"
    )
    routing = evaluate_routing(
        services.router,
        SimilarityRouter(services.embedder, services.domains),
        services.deidentification,
        HELD_OUT / "routing.jsonl",
        reset=services.embedder.forget_queries,
    )
    for result in (risk, routing):
        for system in ("product", "baseline"):
            result[system].pop("errors")
    return {"risk": risk, "routing": routing, "intent_zh": chinese_intents(services)}


def chinese_intents(services: Services) -> dict[str, Any]:
    """BANKING77 intents of the Chinese held-out messages, de-identified as a finance turn de-identifies them:
    the product (with its multilingual head) against the same model without it (the English ensemble)."""
    from pipelines.core.deidentification import scratch_vault

    rows = [
        json.loads(line)
        for line in (HELD_OUT / "banking77_zh.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    classifier = services.intent_classifier("finance")
    assert classifier is not None and classifier.multilingual is not None
    vault = scratch_vault("heldout-intent")
    texts = [services.deidentification.pseudonymize(row["text"], vault, "finance").text for row in rows]
    result: dict[str, Any] = {"messages": len(rows)}
    head = classifier.multilingual
    for system, member in (("product", head), ("baseline", None)):
        classifier.multilingual = member
        predictions = classifier.predict(texts)
        result[system] = {
            "accuracy": round(
                sum(p.intent == r["label"] for p, r in zip(predictions, rows, strict=True)) / len(rows), 4
            ),
            "top_label_accuracy": round(
                sum(p.label == r["label"] for p, r in zip(predictions, rows, strict=True)) / len(rows), 4
            ),
            "unknown": round(sum(p.intent == "unknown" for p in predictions) / len(rows), 4),
        }
    classifier.multilingual = head
    return result


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(runs: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown tables of every labelled run."""
    lines = ["# Risk detection and routing on the held-out sets (benchmarks/skills_heldout.py)", ""]
    lines += [
        "## Risk (benchmarks/data/heldout/risk.jsonl)",
        "",
        "| run | system | lang | recall | precision | false-positive rate | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, run in runs.items():
        for system in ("product", "baseline"):
            figures = run["risk"][system]
            for lang, part in {"all": figures, **figures["by_language"]}.items():
                p99 = f"{figures['latency_ms']['p99']:.2f}" if lang == "all" else ""
                name = system if system == "product" else "baseline (rules alone)"
                lines.append(
                    f"| {label} | {name} | {lang} | {_f(part['recall'])} | {_f(part['precision'])} | "
                    f"{_f(part['false_positive_rate'])} | {p99} |"
                )
    lines += [
        "",
        "Recall by category (product / rules alone):",
        "",
        "| run | category | n | en | zh | all |",
        "|---|---|---|---|---|---|",
    ]
    for label, run in runs.items():
        product, baseline = run["risk"]["product"], run["risk"]["baseline"]
        for category, row in product["per_category"].items():
            cells = []
            for lang in ("en", "zh"):
                mine = product["by_language"].get(lang, {}).get("per_category", {}).get(category, {})
                theirs = baseline["by_language"].get(lang, {}).get("per_category", {}).get(category, {})
                cells.append(f"{_f(mine.get('recall'))} / {_f(theirs.get('recall'))}")
            other = baseline["per_category"][category]
            lines.append(
                f"| {label} | {category} | {row['support']} | {cells[0]} | {cells[1]} | "
                f"{_f(row['recall'])} / {_f(other['recall'])} |"
            )
    lines += [
        "",
        "## Routing (benchmarks/data/heldout/routing.jsonl)",
        "",
        "| run | system | lang | accuracy | unsure (in-domain) | unsure (out-of-domain) | ECE | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, run in runs.items():
        for system in ("product", "baseline"):
            figures = run["routing"][system]
            for lang, part in {"all": figures, **figures["by_language"]}.items():
                p99 = f"{figures['latency_ms']['p99']:.2f}" if lang == "all" else ""
                lines.append(
                    f"| {label} | {system} | {lang} | {_f(part['accuracy'])} | {_f(part['unsure_in_domain'])} | "
                    f"{_f(part['unsure_out_of_domain'])} | {_f(part['ece'])} | {p99} |"
                )
    lines += [
        "",
        "Baseline routing: the all-MiniLM-L6-v2 nearest-examples router as it was before issue 24 (never unsure). "
        "Accuracy counts an unsure answer on an in-domain question as wrong; ECE over in-domain questions "
        "answered with a domain (10 bins).",
        "",
        "## Chinese intents (benchmarks/data/heldout/banking77_zh.jsonl)",
        "",
        "| run | system | messages | accuracy | top-label accuracy | unknown |",
        "|---|---|---|---|---|---|",
    ]
    for label, run in runs.items():
        intents = run.get("intent_zh")
        if not intents:
            continue
        for system in ("product", "baseline"):
            figures = intents[system]
            name = system if system == "product" else "baseline (English ensemble alone)"
            lines.append(
                f"| {label} | {name} | {intents['messages']} | {_f(figures['accuracy'])} | "
                f"{_f(figures['top_label_accuracy'])} | {_f(figures['unknown'])} |"
            )
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", required=True, help="the run's name, e.g. before or the commit")
    args = parser.parse_args()
    out = OUT / "skills_heldout.json"
    runs: dict[str, Any] = json.loads(out.read_text())["runs"] if out.is_file() else {}
    runs[args.label] = measure()
    OUT.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": runs}, indent=1, ensure_ascii=False) + "\n")
    lines = table(runs)
    (OUT / "skills_heldout.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
