"""``assistant eval relations``: precision, recall and F1 of the relation rules beside a co-occurrence baseline.

The data is the domain's hand-labelled test set (``test_set`` in ``relations.yaml``; format and labelling rules
in its ``GUIDE.md``). A predicted relation is correct when its type, its head span and its tail span (character
offsets) all equal a gold relation's; figures are micro-averaged over relations (overall) and per type.

Entities, in one of two settings:

- ``gold``: both systems get the labelled mentions, so only relation decisions are scored;
- ``predicted``: both get the product's recogniser output (``MedicalEntityRecognizer``); a relation counts only
  when both mentions' spans match the gold mentions exactly, so recogniser errors count against the relations.

Systems, on the same sentences in one run:

- ``product``: :func:`pipelines.skills.medical.relations.extract_relations` with the domain's rules;
- ``baseline``: :func:`pipelines.skills.medical.relations.cooccurrence_relations` (every drug-disease pair in a sentence
  ``treats``, every symptom-disease pair ``symptom_of``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from domains import RelationsConfig
from pipelines.skills.medical.lexicon import MedicalEntity
from pipelines.skills.medical.relations import (
    Relation,
    RelationError,
    cooccurrence_relations,
    extract_relations,
)

__all__ = ["LabelledSentence", "evaluate_relations", "load_relation_set", "score_relations"]

Key = tuple[str, int, int, int, int]
Extractor = Callable[[str, Sequence[MedicalEntity], RelationsConfig], list[Relation]]


@dataclass(frozen=True)
class LabelledSentence:
    """One labelled sentence.

    Attributes:
        id: Its id in the file.
        text: The sentence.
        entities: Gold mentions.
        relations: Gold relations as ``(type, head start, head end, tail start, tail end)``.
    """

    id: str
    text: str
    entities: tuple[MedicalEntity, ...]
    relations: frozenset[Key]


def load_relation_set(path: Path, types: Sequence[str] | None = None) -> list[LabelledSentence]:
    """Read a labelled relation file (JSON lines; see ``domains/medical/relations_test/GUIDE.md``).

    Args:
        path: The file.
        types: Known relation types; a relation of another type is an error (None = any).

    Raises:
        RelationError: The file cannot be read, a line is not valid JSON, an offset does not match the text,
            a relation index is out of range, or a type is unknown (the message names the line).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text: {exc}"
        raise RelationError(f"cannot read the relation test set {path} ({reason})") from exc
    sentences: list[LabelledSentence] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
            text = row["text"]
            entities = tuple(
                MedicalEntity(e["type"], int(e["start"]), int(e["end"]), e["text"]) for e in row["entities"]
            )
            pairs = [(r["type"], int(r["head"]), int(r["tail"])) for r in row["relations"]]
            sentence_id = str(row.get("id", number))
        except (ValueError, KeyError, TypeError) as exc:
            raise RelationError(f"{where}: not a labelled sentence ({exc!r})") from exc
        for entity in entities:
            if text[entity.start : entity.end] != entity.text:
                raise RelationError(
                    f"{where}: entity {entity.text!r} does not match text[{entity.start}:{entity.end}]"
                )
        keys: set[Key] = set()
        for kind, head, tail in pairs:
            if not (0 <= head < len(entities) and 0 <= tail < len(entities)):
                raise RelationError(f"{where}: relation index out of range ({head}, {tail})")
            if types is not None and kind not in types:
                raise RelationError(f"{where}: unknown relation type {kind!r}")
            h, t = entities[head], entities[tail]
            keys.add((kind, h.start, h.end, t.start, t.end))
        sentences.append(LabelledSentence(sentence_id, text, entities, frozenset(keys)))
    if not sentences:
        raise RelationError(f"{path}: no labelled sentences")
    return sentences


def _prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def score_relations(
    gold: Sequence[set[Key] | frozenset[Key]], predicted: Sequence[set[Key]]
) -> dict[str, Any]:
    """Micro precision, recall and F1 of ``predicted`` against ``gold``, overall and per relation type.

    Args:
        gold: Per sentence, the gold relation keys ``(type, head start, head end, tail start, tail end)``.
        predicted: Per sentence, the predicted keys (same length as ``gold``).

    Returns:
        ``{"precision", "recall", "f1", "tp", "predicted", "gold", "per_type": {type: {"precision", "recall",
        "f1", "support", "predicted"}}}``; per_type covers every type in gold or predictions.

    Raises:
        ValueError: The two sequences differ in length.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    counts: dict[str, list[int]] = {}
    for gold_keys, predicted_keys in zip(gold, predicted, strict=True):
        for key in gold_keys | predicted_keys:
            row = counts.setdefault(key[0], [0, 0, 0])  # tp, predicted, gold
            row[0] += key in gold_keys and key in predicted_keys
            row[1] += key in predicted_keys
            row[2] += key in gold_keys
    tp, n_pred, n_gold = (sum(row[i] for row in counts.values()) for i in range(3))
    per_type = {
        kind: {**_prf(*row), "support": row[2], "predicted": row[1]} for kind, row in sorted(counts.items())
    }
    return {**_prf(tp, n_pred, n_gold), "tp": tp, "predicted": n_pred, "gold": n_gold, "per_type": per_type}


def evaluate_relations(
    sentences: Sequence[LabelledSentence],
    config: RelationsConfig,
    entities: Literal["gold", "predicted"] = "gold",
    recognize: Callable[[str], list[MedicalEntity]] | None = None,
) -> dict[str, Any]:
    """Both systems on ``sentences``.

    Args:
        sentences: The labelled set.
        config: The domain's relation rules.
        entities: ``gold`` = the labelled mentions; ``predicted`` = ``recognize(text)``.
        recognize: The entity recogniser (required for ``predicted``).

    Returns:
        ``{"product": scores, "baseline": scores, "entities", "sentences", "entity_match"}`` where scores are
        :func:`score_relations` results; ``entity_match`` (predicted only) = ``{"precision", "recall", "f1"}``
        of the recogniser's mentions (exact span and type) on the same sentences.

    Raises:
        RelationError: ``predicted`` without a recogniser.
    """
    if entities == "predicted" and recognize is None:
        raise RelationError("entities 'predicted' needs the domain's entity recogniser")
    systems: dict[str, Extractor] = {"product": extract_relations, "baseline": cooccurrence_relations}
    gold = [s.relations for s in sentences]
    predicted: dict[str, list[set[Key]]] = {name: [] for name in systems}
    entity_counts = [0, 0, 0]
    for sentence in sentences:
        if recognize is not None and entities == "predicted":
            found = recognize(sentence.text)
            gold_spans = {(e.label, e.start, e.end) for e in sentence.entities}
            found_spans = {(e.label, e.start, e.end) for e in found}
            entity_counts[0] += len(gold_spans & found_spans)
            entity_counts[1] += len(found_spans)
            entity_counts[2] += len(gold_spans)
        else:
            found = list(sentence.entities)
        for name, extract in systems.items():
            predicted[name].append({r.key() for r in extract(sentence.text, found, config)})
    result: dict[str, Any] = {name: score_relations(gold, predicted[name]) for name in systems}
    result["entities"] = entities
    result["sentences"] = len(sentences)
    if entities == "predicted":
        result["entity_match"] = _prf(*entity_counts)
    return result
