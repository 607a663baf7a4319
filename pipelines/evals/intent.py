"""``assistant eval intent``: the shipped intent model against a frozen-embedding baseline, on one labelled set.

Metrics (scikit-learn's definitions): accuracy of the top label (as published BANKING77 results are reported),
macro-F1 over the gold labels, and the confusion pairs (gold → predicted) that cost the most errors. The
product's ``unknown`` abstentions are reported apart (coverage, and accuracy on the messages it did label).

Baseline, trained in the same run on the same training data: all-MiniLM-L6-v2 sentence embeddings, frozen, with
multinomial logistic regression (C = 10, lbfgs) — the "frozen embeddings + LR" reference of the issue
(92.99 % accuracy on BANKING77 test in the issue's measurement).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from domains import DomainConfig
from ingest import Embedder
from pipelines.skills.triage.intent import UNKNOWN, IntentClassifier, IntentError
from pipelines.training.intent import load_labelled_csv

__all__ = [
    "BASELINE_C",
    "accuracy",
    "confusion_pairs",
    "evaluate_intent",
    "load_intent_dataset",
    "macro_f1",
]

#: Inverse regularisation strength of the baseline's logistic regression (best of 1, 10, 100 on BANKING77).
BASELINE_C = 10.0


def load_intent_dataset(path: Path) -> tuple[list[str], list[str]]:
    """Read a labelled test set: a ``text,category`` CSV, or a folder holding ``test.csv`` (BANKING77's layout).

    Raises:
        IntentError: No such file or folder, or the CSV is malformed.
    """
    if path.is_dir():
        path = path / "test.csv"
    return load_labelled_csv(path)


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of exact label matches, 0..1.

    Raises:
        IntentError: Lengths differ or nothing to score.
    """
    if len(gold) != len(predicted) or not gold:
        raise IntentError(f"cannot score {len(predicted)} predictions against {len(gold)} gold labels")
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean of per-label F1 over the labels that occur in ``gold``, 0..1.

    A label never predicted has F1 0; predictions of labels absent from ``gold`` (e.g. ``unknown``) count as
    false negatives of the gold label only (scikit-learn ``f1_score(average="macro", labels=gold labels)``).
    """
    if len(gold) != len(predicted) or not gold:
        raise IntentError(f"cannot score {len(predicted)} predictions against {len(gold)} gold labels")
    scores = []
    for label in sorted(set(gold)):
        true_positive = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        false_positive = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        false_negative = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        denominator = 2 * true_positive + false_positive + false_negative
        scores.append(2 * true_positive / denominator if denominator else 0.0)
    return sum(scores) / len(scores)


def confusion_pairs(gold: Sequence[str], predicted: Sequence[str], top: int = 10) -> list[dict[str, Any]]:
    """The most frequent (gold, predicted) error pairs, most frequent first (ties by name).

    Returns:
        Up to ``top`` dicts ``{gold, predicted, count}``.
    """
    errors = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    ranked = sorted(errors.items(), key=lambda item: (-item[1], item[0]))
    return [{"gold": g, "predicted": p, "count": n} for (g, p), n in ranked[:top]]


def _scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    return {"accuracy": accuracy(gold, predicted), "macro_f1": macro_f1(gold, predicted)}


def evaluate_intent(
    config: DomainConfig,
    classifier: IntentClassifier | None,
    embedder: Embedder,
    dataset: Path,
    limit: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Score the domain's shipped intent model and the frozen-embedding baseline on one labelled set.

    Args:
        config: A domain with an ``intent`` block.
        classifier: Its intent model (None: it has none).
        embedder: The embedder of the baseline (all-MiniLM-L6-v2).
        dataset: A ``text,category`` CSV or a folder with ``test.csv``.
        limit: Score only the first N messages (None = all).
        progress: Called as ``progress(stage, done, total)``.

    Returns:
        ``{"dataset", "domain", "examples", "product": {accuracy, macro_f1, coverage, accuracy_labelled,
        unknown_threshold, ms_per_message, model}, "baseline": {accuracy, macro_f1, method, seconds},
        "confusions": [{gold, predicted, count}]}``.

    Raises:
        IntentError: The domain has no intent model, or the data is invalid.
    """
    if limit is not None and limit < 1:
        raise IntentError(f"--limit must be at least 1, got {limit}")
    texts, gold = load_intent_dataset(dataset)
    if limit is not None:
        texts, gold = texts[:limit], gold[:limit]
    domain = config.name
    intent = config.intent
    if classifier is None or intent is None:
        raise IntentError(f"domain {domain!r} has no intent model (no intent: block in its domain.yaml)")

    started = time.perf_counter()
    predictions = []
    batch = 64
    for start in range(0, len(texts), batch):
        predictions.extend(classifier.predict(texts[start : start + batch]))
        if progress is not None:
            progress("product", min(start + batch, len(texts)), len(texts))
    product_seconds = time.perf_counter() - started
    top_labels = [p.label for p in predictions]
    labelled = [(g, p.intent) for g, p in zip(gold, predictions, strict=True) if p.intent != UNKNOWN]
    product: dict[str, Any] = {
        **_scores(gold, top_labels),
        "coverage": len(labelled) / len(gold),
        "accuracy_labelled": (sum(g == p for g, p in labelled) / len(labelled)) if labelled else 0.0,
        "unknown_threshold": classifier.threshold,
        "ms_per_message": 1000 * product_seconds / len(texts),
        "model": {
            "method": classifier.method,
            "training": classifier.description.get("training", {}),
        },
    }

    started = time.perf_counter()
    train_texts, train_labels = load_labelled_csv(config.resolve(intent.training_data))
    train_vectors = embedder.embed(
        train_texts, (lambda d, t: progress("baseline: embed training set", d, t)) if progress else None
    )
    test_vectors = embedder.embed(
        texts, (lambda d, t: progress("baseline: embed", d, t)) if progress else None
    )
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=BASELINE_C, max_iter=3000)
    model.fit(train_vectors, train_labels)
    baseline_predicted = [str(label) for label in model.predict(test_vectors)]
    baseline = {
        **_scores(gold, baseline_predicted),
        "method": f"frozen all-MiniLM-L6-v2 embeddings + logistic regression (C={BASELINE_C:g})",
        "seconds": time.perf_counter() - started,
    }
    return {
        "dataset": str(dataset),
        "domain": domain,
        "examples": len(gold),
        "product": product,
        "baseline": baseline,
        "confusions": confusion_pairs(gold, top_labels),
    }
