"""``assistant eval ner``: entity-level precision, recall and F1 of the medical recognizer beside a dictionary.

Scoring is seqeval's default (conlleval-compatible) entity-level exact match (Nakayama 2018,
https://github.com/chakki-works/seqeval): an entity counts as found only when its type and both token
boundaries equal a gold entity's; the overall figures are micro-averaged over entities. The test files are
already tokenized, so both systems tag the gold tokens and no alignment is involved.

Systems, on the same sentences in one run:

- ``product``: the shipped CRF model (:class:`pipelines.skills.medical.entities.MedicalEntityRecognizer`) with its
  text-level consistency pass (:mod:`pipelines.skills.medical.context`). The product gives that pass the whole text; the
  IOB files have no document boundaries, so here each sentence's context is the :data:`CONTEXT_WINDOW`
  sentences before and after it (BC5CDR abstracts have about 10 sentences). ``product_sentence`` is the same
  model on each sentence alone (the usual sentence-level protocol), reported beside it;
- ``baseline``: dictionary only — longest match of the shipped training-mention lexicon (every BC5CDR
  train+devel mention annotated in at least half of its occurrences), nothing learned.

A corpus annotated for fewer types than the model emits (NCBI-disease: diseases only) is scored on its own
types: the other predictions are dropped before scoring (cross-corpus test; its guidelines differ from BC5CDR's).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.skills.medical.context import tag_with_context
from pipelines.skills.medical.entities import MedicalEntityRecognizer, NerError
from pipelines.training.ner_corpus import Sentence, read_iob

__all__ = [
    "CONTEXT_WINDOW",
    "NerScores",
    "NerEvaluation",
    "evaluate_ner",
    "find_test_files",
    "score_entities",
]

#: Sentences before and after a test sentence given to the consistency pass as its text.
CONTEXT_WINDOW = 10


@dataclass(frozen=True)
class NerScores:
    """Entity-level scores of one system.

    Attributes:
        precision: Correct entities / predicted entities, 0-1.
        recall: Correct entities / gold entities, 0-1.
        f1: Harmonic mean of precision and recall, 0-1.
        per_type: ``{type: {"precision", "recall", "f1", "support"}}`` (support = gold entities).
        ms_per_sentence: Mean tagging time per sentence, milliseconds.
    """

    precision: float
    recall: float
    f1: float
    per_type: dict[str, dict[str, float]]
    ms_per_sentence: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """``{"precision", "recall", "f1", "per_type", "ms_per_sentence"}``."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "per_type": self.per_type,
            "ms_per_sentence": self.ms_per_sentence,
        }


@dataclass(frozen=True)
class NerEvaluation:
    """Both systems on one test file.

    Attributes:
        dataset: Name of the corpus (its folder name) and split, e.g. ``BC5CDR-IOB/test``.
        sentences: Sentences scored.
        types: Entity types scored.
        product: The shipped model's scores (with the text-level pass over a +-10 sentence context).
        baseline: The dictionary baseline's scores.
        product_sentence: The shipped model on each sentence alone.
        model: Facts of the shipped model (its ``ner_model.json``).
    """

    dataset: str
    sentences: int
    types: tuple[str, ...]
    product: NerScores
    baseline: NerScores
    product_sentence: NerScores
    model: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"dataset", "sentences", "types", "matching", "context", "product", "baseline", "product_sentence",
        "model"}``."""
        return {
            "dataset": self.dataset,
            "sentences": self.sentences,
            "types": list(self.types),
            "matching": "entity-level exact match (seqeval default, conlleval rules), micro-averaged",
            "context": f"product: each sentence with the {CONTEXT_WINDOW} sentences before and after it as its text",
            "product": self.product.to_dict(),
            "baseline": self.baseline.to_dict(),
            "product_sentence": self.product_sentence.to_dict(),
            "model": self.model,
        }


def score_entities(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> NerScores:
    """Entity-level exact-match scores of IOB2 tag sequences (seqeval default mode).

    Args:
        gold: Gold tags per sentence.
        predicted: Predicted tags per sentence (same shape).

    Raises:
        ValueError: The shapes differ.
    """
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    if len(gold) != len(predicted) or any(len(g) != len(p) for g, p in zip(gold, predicted, strict=True)):
        raise ValueError("gold and predicted tag sequences differ in shape")
    y_true = [list(s) for s in gold]
    y_pred = [list(s) for s in predicted]
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    per_type = {
        name: {
            "precision": round(float(row["precision"]), 4),
            "recall": round(float(row["recall"]), 4),
            "f1": round(float(row["f1-score"]), 4),
            "support": int(row["support"]),
        }
        for name, row in report.items()
        if not name.endswith(" avg")
    }
    return NerScores(
        precision=round(float(precision_score(y_true, y_pred, zero_division=0)), 4),
        recall=round(float(recall_score(y_true, y_pred, zero_division=0)), 4),
        f1=round(float(f1_score(y_true, y_pred, zero_division=0)), 4),
        per_type=per_type,
    )


def _keep_types(tags: Sequence[str], types: set[str]) -> list[str]:
    return [tag if tag == "O" or tag.partition("-")[2] in types else "O" for tag in tags]


def _timed(
    tagger: Callable[[list[str]], list[str]], sentences: Sequence[Sentence], types: set[str]
) -> tuple[list[list[str]], float]:
    started = time.perf_counter()
    tags = [_keep_types(tagger(words), types) for words, _ in sentences]
    seconds = time.perf_counter() - started
    return tags, round(1000 * seconds / max(len(sentences), 1), 3)


def find_test_files(path: Path, split: str = "test") -> list[Path]:
    """The IOB files ``path`` names: a file itself; a corpus folder's ``{split}.tsv``; or, for a folder of
    corpora (such as ``../shared/datasets/medical_ner``), every ``*/{split}.tsv`` in name order.

    Raises:
        NerError: Nothing to evaluate at ``path``.
    """
    if path.is_file():
        return [path]
    if (path / f"{split}.tsv").is_file():
        return [path / f"{split}.tsv"]
    found = sorted(path.glob(f"*/{split}.tsv")) if path.is_dir() else []
    if not found:
        raise NerError(f"no IOB file at {path} (expected a .tsv file, {split}.tsv, or */{split}.tsv)")
    return found


def evaluate_ner(recognizer: MedicalEntityRecognizer, path: Path, limit: int | None = None) -> NerEvaluation:
    """Score the product and the dictionary baseline on one IOB file.

    Args:
        recognizer: The shipped model.
        path: An IOB2 file (BC5CDR or NCBI-disease format).
        limit: Score only the first ``limit`` sentences.

    Raises:
        NerError: Unreadable or malformed file.
    """
    sentences = read_iob(path)[:limit] if limit else read_iob(path)
    types = {tag.partition("-")[2] for _, tags in sentences for tag in tags if tag != "O"}
    if not types:
        raise NerError(f"{path} has no annotated entities")
    gold = [tags for _, tags in sentences]
    started = time.perf_counter()
    sentence_tags = [recognizer.tag(words) for words, _ in sentences]
    words = [w for w, _ in sentences]
    context_tags = [_keep_types(t, types) for t in tag_with_context(words, sentence_tags, CONTEXT_WINDOW)]
    product_ms = round(1000 * (time.perf_counter() - started) / max(len(sentences), 1), 3)
    baseline_tags, baseline_ms = _timed(recognizer.lexicon.match, sentences, types)
    product = score_entities(gold, context_tags)
    alone = score_entities(gold, [_keep_types(t, types) for t in sentence_tags])
    baseline = score_entities(gold, baseline_tags)
    return NerEvaluation(
        dataset=f"{path.parent.name}/{path.stem}",
        sentences=len(sentences),
        types=tuple(sorted(types)),
        product=NerScores(**{**product.__dict__, "ms_per_sentence": product_ms}),
        baseline=NerScores(**{**baseline.__dict__, "ms_per_sentence": baseline_ms}),
        product_sentence=alone,
        model=recognizer.info,
    )
