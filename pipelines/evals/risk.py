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

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domains import DomainConfig
from pipelines.chat.signals import MessageAnalyzer, detect_signals
from pipelines.core.deidentification import DomainDeidentifier, scratch_vault
from pipelines.core.errors import AssistantError
from pipelines.skills.triage.risk import RiskDetector

__all__ = [
    "RiskExample",
    "evaluate_risk",
    "load_risk_dataset",
    "nearest_rank",
    "read_labelled_jsonl",
    "score_risk",
]

_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class RiskExample:
    """One labelled message: its text, gold categories (empty = benign) and language (``en`` or ``zh``)."""

    text: str
    categories: frozenset[str]
    lang: str


def read_labelled_jsonl(path: Path, shape: str) -> list[tuple[int, dict[str, Any]]]:
    """The objects of a JSONL file with their line numbers (blank lines skipped), each with a non-empty
    ``text`` and, if given, a ``lang`` code (a string of 2-8 letters; when absent it is guessed: ``zh`` when the
    text has Han characters, else ``en``).

    Args:
        path: The file.
        shape: What a line holds, for messages, e.g. ``{text, categories, lang}``.

    Raises:
        AssistantError: The path is missing or a folder, the file is not UTF-8, or a line is not JSON, not an
            object, has no text or a malformed ``lang`` (named with its line number).
    """
    if path.is_dir():
        raise AssistantError(f"{path}: is a folder; a JSONL file of {shape} is expected")
    if not path.is_file():
        raise AssistantError(f"{path}: no such file (a JSONL of {shape} is expected)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise AssistantError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise AssistantError(f"{path}:{number}: not JSON ({exc.__class__.__name__})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
            raise AssistantError(f"{path}:{number}: expected an object with a non-empty 'text'")
        lang = row.get("lang")
        if lang is None:
            row["lang"] = "zh" if _HAN.search(row["text"]) else "en"
        elif not isinstance(lang, str) or not re.fullmatch(r"[A-Za-z]{2,8}", lang):
            raise AssistantError(
                f"{path}:{number}: 'lang' must be a language code such as en or zh, got {lang!r}"
            )
        rows.append((number, row))
    return rows


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


def nearest_rank(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values`` (0.0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


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
        "recall": _ratio(tp, tp + fn),
        "precision": _ratio(tp, tp + fp),
        "flagged_risky": _ratio(flagged, risky),
        "false_positive_rate": _ratio(false_alarms, benign),
        "per_category": {
            c: {
                "support": n[0] + n[2],
                "recall": _ratio(n[0], n[0] + n[2]),
                "precision": _ratio(n[0], n[0] + n[1]),
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
    predicted, timings = [], []
    for text in redacted:
        started = time.perf_counter()
        predicted.append(assess(text))
        timings.append(1000 * (time.perf_counter() - started))
    result = score_risk(rows, predicted, categories)
    result["by_language"] = {
        lang: score_risk(
            [r for r in rows if r.lang == lang],
            [p for r, p in zip(rows, predicted, strict=True) if r.lang == lang],
            categories,
        )
        for lang in sorted({r.lang for r in rows})
    }
    result["latency_ms"] = {
        "p50": round(nearest_rank(timings, 50), 3),
        "p99": round(nearest_rank(timings, 99), 3),
    }
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
