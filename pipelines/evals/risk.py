"""``assistant eval risk``: a domain's risk detection as the chat runs it against its rules alone, on one
labelled set.

Data: a JSONL file of ``{"text", "categories": [...], "lang"}`` (``categories`` empty = benign; ``lang``
``en`` or ``zh``, else guessed from the script), e.g. ``benchmarks/data/heldout/risk.jsonl``.

Both systems see the same de-identified message (the domain's policy, as in the chat):
* **product**: the domain's message analyzers in order (the intent model, whose label feeds the rules'
  ``intents:`` map, then the risk detector), exactly :func:`pipelines.chat.signals.detect_signals`;
* **baseline**: the risk rules alone (phrases and patterns, no intent).

Metrics, overall and per language:
* ``recall``: micro recall over (message, gold category) pairs;
* ``precision``: micro precision over predicted (message, category) pairs;
* ``flagged_risky``: share of risky messages with at least one category;
* ``false_positive_rate``: share of benign messages with any category;
* per category: support, recall, precision;
* latency per message (p50 / p99, milliseconds; de-identification excluded).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domains import DomainConfig
from pipelines.chat.signals import MessageAnalyzer, detect_signals
from pipelines.core.deidentification import DomainDeidentifier, scratch_vault
from pipelines.core.errors import AssistantError
from pipelines.core.labelled import read_labelled_jsonl
from pipelines.evals.labelled import by_language, ratio, timed
from pipelines.skills.triage.risk import RiskDetector

__all__ = ["RiskExample", "evaluate_risk", "load_risk_dataset", "score_risk"]


@dataclass(frozen=True)
class RiskExample:
    """One labelled message: its text, gold categories (empty = benign) and language (``en`` or ``zh``)."""

    text: str
    categories: frozenset[str]
    lang: str


def load_risk_dataset(path: Path, categories: Sequence[str]) -> list[RiskExample]:
    """Read a JSONL of ``{text, categories, lang}`` (``lang`` optional: see :func:`read_labelled_jsonl`).

    Raises:
        AssistantError: The file is missing, a folder or not UTF-8, a line is not such an object, the text is
            empty, ``categories`` is missing or not a list, or a category is not one of ``categories`` (named
            with its line number).
    """
    shape = "{text, categories, lang}"
    known = set(categories)
    rows = []
    for number, row in read_labelled_jsonl(path, shape):
        if "categories" not in row:
            raise AssistantError(
                f"{path}:{number}: no 'categories' (a list of names; [] for a benign message)"
            )
        gold = row["categories"]
        if not isinstance(gold, list) or not all(isinstance(c, str) for c in gold):
            raise AssistantError(f"{path}:{number}: 'categories' must be a list of names")
        unknown = sorted(set(gold) - known)
        if unknown:
            raise AssistantError(
                f"{path}:{number}: unknown risk categor{'y' if len(unknown) == 1 else 'ies'} "
                f"{', '.join(unknown)}; expected some of {', '.join(categories)}"
            )
        rows.append(RiskExample(row["text"], frozenset(gold), row["lang"]))
    if not rows:
        raise AssistantError(f"{path}: no labelled messages")
    return rows


def score_risk(
    rows: Sequence[RiskExample], predicted: Sequence[frozenset[str]], categories: Sequence[str]
) -> dict[str, Any]:
    """The metrics of the module docstring for one system's predictions (one set per row, in order)."""
    found = {c: [0, 0, 0] for c in categories}  # true positives, false positives, false negatives
    risky = flagged = benign = false_alarms = 0
    for row, guess in zip(rows, predicted, strict=True):
        for category in categories:
            found[category][0] += category in guess and category in row.categories
            found[category][1] += category in guess and category not in row.categories
            found[category][2] += category not in guess and category in row.categories
        if row.categories:
            risky += 1
            flagged += bool(guess)
        else:
            benign += 1
            false_alarms += bool(guess)
    tp, fp, fn = (sum(counts[i] for counts in found.values()) for i in range(3))
    return {
        "messages": len(rows),
        "risky": risky,
        "benign": benign,
        "recall": ratio(tp, tp + fn),
        "precision": ratio(tp, tp + fp),
        "flagged_risky": ratio(flagged, risky),
        "false_positive_rate": ratio(false_alarms, benign),
        "per_category": {
            c: {
                "support": n[0] + n[2],
                "recall": ratio(n[0], n[0] + n[2]),
                "precision": ratio(n[0], n[0] + n[1]),
            }
            for c, n in found.items()
        },
    }


def _system(
    rows: Sequence[RiskExample],
    redacted: Sequence[str],
    assess: Callable[[str], frozenset[str]],
    categories: Sequence[str],
) -> dict[str, Any]:
    predicted, latency = timed(assess, redacted)
    result = score_risk(rows, predicted, categories)
    result["by_language"] = by_language(rows, predicted, lambda r, p: score_risk(r, p, categories))
    result["latency_ms"] = latency
    result["errors"] = [
        {"text": text, "lang": row.lang, "gold": sorted(row.categories), "predicted": sorted(guess)}
        for row, text, guess in zip(rows, redacted, predicted, strict=True)
        if guess != row.categories
    ]
    return result


def evaluate_risk(
    config: DomainConfig,
    analyzers: Sequence[MessageAnalyzer],
    detector: RiskDetector,
    deidentification: DomainDeidentifier,
    dataset: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Score the product's risk detection and the rules alone on one labelled set.

    Args:
        config: The domain (:class:`domains.DomainConfig`) whose rules, analyzers and policy are used.
        analyzers: The domain's message analyzers, in order (``Services.analyzers``).
        detector: The domain's risk rules (``Services.risk_detector``).
        deidentification: De-identification under the domain's policy.
        dataset: A JSONL of ``{text, categories, lang}``.
        progress: Called as ``progress(stage, done, total)``.

    Returns:
        ``{"dataset", "domain", "messages", "product": metrics, "baseline": metrics}`` with the metrics of
        :func:`score_risk` plus ``by_language``, ``latency_ms`` and ``errors`` (de-identified text only).

    Raises:
        AssistantError: The domain has no risk rules, or the data is invalid.
    """
    if config.risk is None:
        raise AssistantError(f"domain {config.name!r} has no risk rules (no risk: file in its domain.yaml)")
    categories = list(config.risk.categories)
    rows = load_risk_dataset(dataset, categories)
    vault = scratch_vault("eval-risk")
    redacted = []
    for number, row in enumerate(rows, start=1):
        redacted.append(deidentification.pseudonymize(row.text, vault, config.name).text)
        if progress and (number % 50 == 0 or number == len(rows)):
            progress("de-identify", number, len(rows))

    def product(text: str) -> frozenset[str]:
        risk = detect_signals(config, analyzers, text).risk
        return frozenset(risk.categories) if risk else frozenset()

    def baseline(text: str) -> frozenset[str]:
        return frozenset(detector.assess(text).categories)

    return {
        "dataset": str(dataset),
        "domain": config.name,
        "messages": len(rows),
        "product": _system(rows, redacted, product, categories),
        "baseline": _system(rows, redacted, baseline, categories),
    }
