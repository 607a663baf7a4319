"""Medical entity recognition on BC5CDR test (chemicals + diseases) and NCBI-disease test (cross-corpus).

Runs ``assistant eval ner``'s evaluation (the shipped CRF with its text-level pass, the same model on each
sentence alone, and the dictionary baseline, in one run on the same sentences) and adds what the CLI does not
print: the text-context window ablation (sentences on either side given to the consistency pass) and the
recognizer's throughput on whole clinical-style texts (``recognize``, as the clinical view and ingestion call it).
The training facts (time, size) are the shipped model's ``ner_model.json``. Writes results/ner.{json,md}.

Published references on BC5CDR test (both types together unless said): scispaCy en_ner_bc5cdr_md 84.28 F1;
BioBERT 93.04 (chemicals) and 86.37 (diseases) as separate tasks (Lee et al. 2020).

Run: ``.venv/bin/python benchmarks/ner.py``
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from pipelines.core.settings import load_settings
from pipelines.evals.ner import evaluate_ner, score_entities
from pipelines.services import Services
from pipelines.skills.medical.context import tag_with_context
from pipelines.skills.medical.entities import MedicalEntityRecognizer
from pipelines.training.ner_corpus import read_iob

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "medical_ner"
OUT = Path(__file__).resolve().parent / "results"
WINDOWS = (0, 2, 5, 10, 20)


def _window_ablation(recognizer: MedicalEntityRecognizer, path: Path) -> list[dict[str, float]]:
    sentences = read_iob(path)
    words = [w for w, _ in sentences]
    gold = [t for _, t in sentences]
    alone = [recognizer.tag(w) for w in words]
    rows = []
    for window in WINDOWS:
        scores = score_entities(gold, tag_with_context(words, alone, window))
        rows.append(
            {"window": window, "precision": scores.precision, "recall": scores.recall, "f1": scores.f1}
        )
    return rows


def _throughput(recognizer: MedicalEntityRecognizer, path: Path) -> dict[str, float]:
    sentences = read_iob(path)[:1000]
    texts = [" ".join(" ".join(w) for w, _ in sentences[i : i + 10]) for i in range(0, len(sentences), 10)]
    timings = []
    for text in texts:
        started = time.perf_counter()
        recognizer.recognize(text)
        timings.append(time.perf_counter() - started)
    chars = sum(len(t) for t in texts)
    return {
        "texts": len(texts),
        "median_ms_per_text": round(1000 * statistics.median(timings), 2),
        "chars_per_second": round(chars / sum(timings)),
    }


def main() -> None:
    settings = load_settings(data_dir=Path("/tmp/ner-benchmark"))
    settings.ingest.index_samples_on_start = False
    recognizer = Services(settings).entity_recognizer("medical")
    assert recognizer is not None
    bc5cdr = DATA / "BC5CDR-IOB" / "test.tsv"
    results = {
        "model": recognizer.info,
        "evaluations": [
            evaluate_ner(recognizer, p).to_dict() for p in (bc5cdr, DATA / "NCBI-disease-IOB" / "test.tsv")
        ],
        "context_window_bc5cdr": _window_ablation(recognizer, bc5cdr),
        "throughput": _throughput(recognizer, bc5cdr),
        "published_bc5cdr": {
            "scispacy_en_ner_bc5cdr_md": 0.8428,
            "biobert_chemical": 0.9304,
            "biobert_disease": 0.8637,
        },
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "ner.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    model = results["model"]
    lines = [
        "# Medical entity recognition",
        "",
        f"Model: {model['method']}; trained on {model['sentences']} sentences in {model['seconds']} s, "
        f"{model['size_bytes'] / 1e6:.2f} MB, {model['features']} features. Entity-level exact match (seqeval).",
        "",
        "| test set | system | precision | recall | F1 | ms/sentence |",
        "|---|---|---|---|---|---|",
    ]
    for ev in results["evaluations"]:
        for name, key in (
            ("product (±10-sentence context)", "product"),
            ("product, sentence alone", "product_sentence"),
            ("dictionary baseline", "baseline"),
        ):
            row = ev[key]
            lines.append(
                f"| {ev['dataset']} | {name} | {row['precision']:.4f} | {row['recall']:.4f} | {row['f1']:.4f} | "
                f"{row['ms_per_sentence'] or '—'} |"
            )
    lines += [
        "",
        "Context window of the text-level pass (BC5CDR test):",
        "",
        "| sentences each side | P | R | F1 |",
        "|---|---|---|---|",
    ]
    for row in results["context_window_bc5cdr"]:
        lines.append(f"| {row['window']} | {row['precision']:.4f} | {row['recall']:.4f} | {row['f1']:.4f} |")
    t = results["throughput"]
    lines += [
        "",
        f"Throughput of `recognize` on {t['texts']} ten-sentence texts: median {t['median_ms_per_text']} ms per text, "
        f"{t['chars_per_second']:,} characters/s.",
        "",
        "Published (BC5CDR test): scispaCy en_ner_bc5cdr_md 0.8428 (both types); BioBERT 0.9304 chemicals, 0.8637 diseases.",
    ]
    (OUT / "ner.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
