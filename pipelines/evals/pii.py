"""PII detection evaluation: this product's de-identifier against vanilla Presidio, on the same data.

Datasets (format autodetected from the path):
- Presidio-research synthetic set (``synth_dataset_v2.json`` or any file of that JSON layout; MIT): gold spans
  with types, mapped to Presidio's names by :data:`SYNTH_TO_PRESIDIO` (the presidio-research
  ``presidio_entities_map`` idea); gold types with no Presidio counterpart (TITLE, AGE, ZIP_CODE,
  ORGANIZATION) are left out and listed in the result.
- PhysioNet deid gold corpus (a folder with ``id.text`` and ``id-phi.phrase``; GPL-2.0): nursing notes with
  surrogate PHI. Every gold span is PHI, whatever detector type finds it, so matching there is type-agnostic.

The product is evaluated as it runs: with a domain's policy (``--domain``; default: medical for PhysioNet, the
union of every domain's policy, which applies to a message before routing, for the synthetic set), its
per-entity thresholds and keep_terms. Its entity types are scored under the dataset's names through
:data:`PRODUCT_TO_EVAL` (e.g. a STREET_ADDRESS finding counts as LOCATION); on the typed dataset, findings of
types the dataset does not annotate (say a US_BANK_NUMBER) cannot be scored and are left out and counted.
Vanilla Presidio is asked for the dataset's entity types at its default threshold.

Matching rule (span level, lenient): a gold span is *found* when a prediction overlaps it by at least one
character (with the same mapped type, except on PhysioNet); a prediction is *correct* when it overlaps such a
gold span. Recall = found gold / gold; precision = correct predictions / predictions; F2 = 5PR / (4P + R)
(recall weighted 4x over precision, as in presidio-research's evaluation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipelines.core.domains import DomainRegistry
from pipelines.core.errors import AssistantError
from privacy import Deidentifier, Finding, build_vanilla_analyzer, find_vanilla

__all__ = [
    "PRODUCT_TO_EVAL",
    "Dataset",
    "GoldSpan",
    "Sample",
    "as_evaluated",
    "evaluate",
    "evaluate_product_and_presidio",
    "load_dataset",
    "score",
]

#: presidio_synth entity -> Presidio entity.
SYNTH_TO_PRESIDIO = {
    "PERSON": "PERSON",
    "STREET_ADDRESS": "LOCATION",
    "ADDRESS": "LOCATION",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "CREDIT_CARD": "CREDIT_CARD",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "DATE_TIME": "DATE_TIME",
    "DOMAIN_NAME": "URL",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "NRP": "NRP",
}
#: PhysioNet PHI category -> the Presidio entity expected to find it (reporting only; matching is type-agnostic).
PHYSIONET_TO_PRESIDIO = {
    "HCPName": "PERSON",
    "PTName": "PERSON",
    "PTNameInitial": "PERSON",
    "RelativeProxyName": "PERSON",
    "Date": "DATE_TIME",
    "DateYear": "DATE_TIME",
    "Location": "LOCATION",
    "Phone": "PHONE_NUMBER",
    "Age": "AGE",
    "Other": "OTHER",
}
#: Product entity type -> the dataset-level name it is scored under (types not listed score as themselves).
PRODUCT_TO_EVAL = {
    "STREET_ADDRESS": "LOCATION",
    "UK_POSTCODE": "LOCATION",
    "DATE_OF_BIRTH": "DATE_TIME",
}
_RECORD = re.compile(r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n(.*?)\|\|\|\|END_OF_RECORD", re.S)


@dataclass(frozen=True)
class GoldSpan:
    """An annotated span: reporting type, offsets (end exclusive)."""

    entity_type: str
    start: int
    end: int


@dataclass(frozen=True)
class Sample:
    """One text and its gold spans."""

    text: str
    spans: tuple[GoldSpan, ...]


@dataclass(frozen=True)
class Dataset:
    """Samples, the Presidio entities to ask detectors for, whether matching is typed, and what was left out."""

    name: str
    samples: list[Sample]
    entities: tuple[str, ...]
    typed: bool
    skipped_types: dict[str, int]
    default_domain: str | None = None


#: PhysioNet halves by patient id (deterministic, no patient in both): odd ids to develop rules on, even ids
#: held out to report on.
SPLITS = ("all", "dev", "heldout")


def load_dataset(path: Path, limit: int | None = None, split: str = "all") -> Dataset:
    """Load presidio_synth (a JSON file, or a folder with ``synth_dataset_v2.json``) or PhysioNet deid (a folder
    with ``id.text``). ``limit`` keeps the first n samples; ``split`` (PhysioNet only, see :data:`SPLITS`)
    keeps the notes of odd (``dev``) or even (``heldout``) patient ids.

    Raises:
        AssistantError: The path is neither, or ``split`` is unknown or used with presidio_synth.
    """
    if split not in SPLITS:
        raise AssistantError(f"unknown split {split!r} (choose from {', '.join(SPLITS)})")
    if path.is_dir() and (path / "id.text").is_file():
        return _load_physionet(path, limit, split)
    if split != "all":
        raise AssistantError(f"split {split!r} applies to the PhysioNet deid folder only, not {path}")
    file = path / "synth_dataset_v2.json" if path.is_dir() else path
    if file.is_file() and file.suffix == ".json":
        return _load_synth(file, limit)
    raise AssistantError(f"{path}: not a presidio_synth JSON file or folder, nor a PhysioNet deid folder")


def _load_synth(file: Path, limit: int | None) -> Dataset:
    raw = json.loads(file.read_text(encoding="utf-8"))[:limit]
    samples: list[Sample] = []
    skipped: dict[str, int] = {}
    for record in raw:
        spans = []
        for span in record["spans"]:
            mapped = SYNTH_TO_PRESIDIO.get(span["entity_type"])
            if mapped is None:
                skipped[span["entity_type"]] = skipped.get(span["entity_type"], 0) + 1
                continue
            spans.append(GoldSpan(mapped, span["start_position"], span["end_position"]))
        samples.append(Sample(record["full_text"], tuple(spans)))
    return Dataset(
        f"presidio_synth ({file.name})",
        samples,
        tuple(sorted(set(SYNTH_TO_PRESIDIO.values()))),
        True,
        skipped,
    )


def _load_physionet(folder: Path, limit: int | None, split: str = "all") -> Dataset:
    text = (folder / "id.text").read_text(encoding="latin-1")
    notes = {(int(m.group(1)), int(m.group(2))): m.group(3) for m in _RECORD.finditer(text)}
    gold: dict[tuple[int, int], list[GoldSpan]] = {key: [] for key in notes}
    for line in (folder / "id-phi.phrase").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) >= 5 and (int(parts[0]), int(parts[1])) in gold:
            gold[(int(parts[0]), int(parts[1]))].append(GoldSpan(parts[4], int(parts[2]), int(parts[3])))
    keys = [k for k in sorted(notes) if split == "all" or (k[0] % 2 == 1) == (split == "dev")][:limit]
    samples = [Sample(notes[key], tuple(gold[key])) for key in keys]
    entities = (
        "PERSON",
        "LOCATION",
        "DATE_TIME",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "US_SSN",
        "URL",
        "IP_ADDRESS",
    )
    name = "physionet_deid (id.text)" if split == "all" else f"physionet_deid (id.text, {split} half)"
    return Dataset(name, samples, entities, False, {}, default_domain="medical")


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score(samples: Sequence[Sample], predictions: Sequence[Sequence[Finding]], typed: bool) -> dict[str, Any]:
    """Precision, recall and F2 overall and per gold type (see the module docstring for the matching rule)."""
    per: dict[str, dict[str, int]] = {}
    predicted = correct = 0
    for sample, found in zip(samples, predictions, strict=True):
        for gold in sample.spans:
            stats = per.setdefault(gold.entity_type, {"gold": 0, "found": 0, "predicted": 0, "correct": 0})
            stats["gold"] += 1
            stats["found"] += any(
                _overlaps(gold.start, gold.end, f.start, f.end)
                and (not typed or f.entity_type == gold.entity_type)
                for f in found
            )
        for f in found:
            predicted += 1
            hit = any(
                _overlaps(g.start, g.end, f.start, f.end) and (not typed or f.entity_type == g.entity_type)
                for g in sample.spans
            )
            correct += hit
            if typed:
                stats = per.setdefault(f.entity_type, {"gold": 0, "found": 0, "predicted": 0, "correct": 0})
                stats["predicted"] += 1
                stats["correct"] += hit
    gold_total = sum(s["gold"] for s in per.values())
    found_total = sum(s["found"] for s in per.values())
    result = _prf(correct, predicted, found_total, gold_total)
    result["per_entity"] = {
        name: {**_prf(s["correct"], s["predicted"], s["found"], s["gold"]), "support": s["gold"]}
        if typed
        else {"recall": round(s["found"] / s["gold"], 4) if s["gold"] else 0.0, "support": s["gold"]}
        for name, s in sorted(per.items())
    }
    return result


def _prf(correct: int, predicted: int, found: int, gold: int) -> dict[str, Any]:
    precision = correct / predicted if predicted else 0.0
    recall = found / gold if gold else 0.0
    f2 = 5 * precision * recall / (4 * precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f2": round(f2, 4)}


Detector = Callable[[str, Iterable[str]], list[Finding]]


def as_evaluated(findings: Iterable[Finding], dataset: Dataset) -> tuple[list[Finding], int]:
    """Product findings under the dataset's type names (:data:`PRODUCT_TO_EVAL`); on a typed dataset, those
    of types it does not annotate are left out.

    Returns:
        ``(scorable findings, number left out)``.
    """
    kept: list[Finding] = []
    left_out = 0
    for f in findings:
        entity = PRODUCT_TO_EVAL.get(f.entity_type, f.entity_type)
        if dataset.typed and entity not in dataset.entities:
            left_out += 1
            continue
        kept.append(replace(f, entity_type=entity))
    return kept, left_out


def evaluate(
    dataset: Dataset, detectors: dict[str, Detector], progress: Callable[[str, int, int], None] | None = None
) -> dict[str, Any]:
    """Run each detector over every sample and score it; returns ``{detector name: scores}`` plus metadata.

    A detector gets ``(text, dataset entity types)`` and returns findings already under the dataset's names
    (see :func:`as_evaluated`).
    """
    result: dict[str, Any] = {
        "dataset": dataset.name,
        "samples": len(dataset.samples),
        "matching": "span overlap" + (", same type" if dataset.typed else ", any type"),
        "skipped_gold_types": dataset.skipped_types,
    }
    for name, detect in detectors.items():
        predictions = []
        for number, sample in enumerate(dataset.samples, start=1):
            predictions.append(detect(sample.text, dataset.entities))
            if progress is not None and (number % 100 == 0 or number == len(dataset.samples)):
                progress(name, number, len(dataset.samples))
        result[name] = score(dataset.samples, predictions, dataset.typed)
    return result


def evaluate_product_and_presidio(
    dataset: Dataset,
    deidentifier: Deidentifier,
    domains: DomainRegistry,
    domain: str | None,
    spacy_model: str,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Score this product's detection (``domain``'s policy, or the routing policy when None) and vanilla Presidio
    on the same spaCy model (:func:`privacy.build_vanilla_analyzer`) over ``dataset``.

    Returns:
        :func:`evaluate`'s result with the systems ``product`` and ``baseline``, plus ``product_policy`` (the
        domain, or ``union``) and ``product_unscored_findings`` (product findings of types the data does not
        annotate, left out of the scores).

    Raises:
        AssistantError: Unknown domain.
        PrivacyError: The spaCy model is not installed.
    """
    policy, keep_terms = domains.message_policy(domain)
    vanilla = build_vanilla_analyzer(spacy_model)
    left_out = [0]

    def product(text: str, entities: object) -> list[Finding]:
        found, dropped = as_evaluated(deidentifier.find_for(text, policy, "prompt", keep_terms), dataset)
        left_out[0] += dropped
        return found

    result = evaluate(
        dataset,
        {"product": product, "baseline": lambda text, entities: find_vanilla(vanilla, text, entities)},
        progress=progress,
    )
    result["product_policy"] = domain or "union"
    result["product_unscored_findings"] = left_out[0]
    return result
