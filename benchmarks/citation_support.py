"""Citation support check: lexical rule vs. MiniLM cosine on hand-labelled sentence–passage pairs.

Data: ``tests/pipelines/chat/citation_pairs.json`` (32 pairs, 17 supported, 15 unsupported; passages are
excerpts of the shipped corpora, sentences written to be extractive, paraphrased, or wrong: a wrong number,
another fact on the same topic, another topic; two negations and two heavy paraphrases). Small and hand-made: it shows which method separates the
cases and where a threshold sits, not a general accuracy.

Methods:
- ``lexical``: the product's rule (:func:`pipelines.chat.citations.support`): content-word recall (Snowball stems,
  spaCy stop words removed) with every number of the sentence required in the passage.
- ``lexical, no number rule``: the recall alone.
- ``cosine``: cosine similarity of all-MiniLM-L6-v2 embeddings of the sentence (markers removed) and the
  passage.
For each method, accuracy at every candidate threshold (0.05 steps); the best and the product's 0.5.
Writes results/citation_support.{json,md}.

Run: ``.venv/bin/python benchmarks/citation_support.py`` (about 15 seconds)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ingest import Embedder
from pipelines.chat.citations import SUPPORT_THRESHOLD, support

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "pipelines" / "chat" / "citation_pairs.json"
OUT = ROOT / "benchmarks" / "results"
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


def _accuracy(scores: list[float], gates: list[bool], labels: list[bool], threshold: float) -> float:
    right = sum((s >= threshold and g) == y for s, g, y in zip(scores, gates, labels, strict=True))
    return right / len(labels)


def main() -> None:
    """Score every pair with each method and write the comparison."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    pairs = data["pairs"]
    passages = data["passages"]
    labels = [bool(p["supported"]) for p in pairs]
    lexical = [support(p["sentence"], passages[p["passage"]]) for p in pairs]
    embedder = Embedder()
    sentences = [re.sub(r"\s*\[\d+\]", "", p["sentence"]) for p in pairs]
    vectors = embedder.embed(sentences + [passages[p["passage"]] for p in pairs])
    cosine = [
        sum(a * b for a, b in zip(vectors[i], vectors[len(pairs) + i], strict=True))
        for i in range(len(pairs))
    ]
    no_gate = [True] * len(pairs)
    number_gate = [not reason.startswith("number") for _, _, reason in lexical]
    methods = {
        "lexical (product)": ([score for _, score, _ in lexical], number_gate),
        "lexical, no number rule": ([score for _, score, _ in lexical], no_gate),
        "cosine MiniLM": (cosine, no_gate),
        "cosine MiniLM + number rule": (cosine, number_gate),
    }
    results = {}
    for name, (scores, gates) in methods.items():
        curve = {t: _accuracy(scores, gates, labels, t) for t in THRESHOLDS}
        best = max(curve, key=lambda t: (curve[t], -abs(t - 0.5)))
        top = [t for t in THRESHOLDS if curve[t] == curve[best]]
        results[name] = {
            "best_threshold": best,
            "best_range": [top[0], top[-1]],
            "best_accuracy": round(curve[best], 3),
            "accuracy_at_0.5": round(curve[0.5], 3),
            "supported_scores": sorted(round(s, 3) for s, y in zip(scores, labels, strict=True) if y),
            "unsupported_scores": sorted(round(s, 3) for s, y in zip(scores, labels, strict=True) if not y),
        }
    misses = [
        {
            "sentence": p["sentence"],
            "kind": p["kind"],
            "supported": p["supported"],
            "score": round(s, 3),
            "reason": r,
        }
        for p, (ok, s, r) in zip(pairs, lexical, strict=True)
        if ok != p["supported"]
    ]
    payload = {
        "pairs": len(pairs),
        "supported": sum(labels),
        "product_threshold": SUPPORT_THRESHOLD,
        "methods": results,
        "product_misses": misses,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "citation_support.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Citation support check",
        "",
        f"{len(pairs)} hand-labelled pairs ({sum(labels)} supported), `tests/pipelines/chat/citation_pairs.json`.",
        "Command: `.venv/bin/python benchmarks/citation_support.py`.",
        "",
        "| method | best threshold (range with the same accuracy) | accuracy there | accuracy at 0.5 |",
        "|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['best_threshold']} ({r['best_range'][0]}-{r['best_range'][1]}) | "
            f"{r['best_accuracy']} | {r['accuracy_at_0.5']} |"
        )
    lines += ["", "Scores (supported | unsupported):", ""]
    lines += [f"- {n}: {r['supported_scores']} | {r['unsupported_scores']}" for n, r in results.items()]
    lines += ["", f"Product rule (threshold {SUPPORT_THRESHOLD}) misclassifies:", ""]
    lines += [f'- {m["kind"]}: "{m["sentence"]}" (score {m["score"]}, {m["reason"]})' for m in misses] or [
        "- none"
    ]
    (OUT / "citation_support.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
