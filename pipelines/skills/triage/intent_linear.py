"""Linear members of the intent ensemble: logistic regression over features that are not fine-tuned.

Two kinds, each trained in about a minute on this machine's 2 cores and stored as plain arrays (no pickle):

* ``embedding_lr``: multinomial logistic regression (C = 10) on the frozen all-MiniLM-L6-v2 sentence embedding
  (mean pooling, unit length: 384 features). Alone it is the "frozen embeddings + LR" baseline of the BANKING77
  literature (measured 0.929 on the test set here).
* ``tfidf_lr``: multinomial logistic regression (C = 10) on TF-IDF of character 2–5-grams inside word
  boundaries (``char_wb``, min_df 2) plus word 1–2-grams, both with sublinear tf (about 0.91 alone). Its
  errors are the least correlated with the encoders' (spelling and surface cues), which is why it helps the
  ensemble.

C = 10 for both: the baseline's C, and the best of {3, 10, 30} for the TF-IDF model in 3-fold cross-validation
on the BANKING77 training set (0.8986 / 0.9006 / 0.9004; the test set was not used to choose it).

A member folder holds ``intent_model.json`` (``kind``, ``labels``, the feature settings, training facts) and
``weights.safetensors`` (``coef``: labels x features in float16, ``intercept``: labels, and for ``tfidf_lr`` the ``idf_0``,
``idf_1`` vectors); ``tfidf_lr`` adds ``vocabulary.json`` (each vectorizer's terms in column order).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pipelines.skills.triage.intent import MODEL_FILE, IntentError, load_encoder, mean_pool

__all__ = [
    "EMBEDDING_LR",
    "LINEAR_C",
    "LINEAR_KINDS",
    "TFIDF_FEATURES",
    "TFIDF_LR",
    "LinearMember",
    "load_linear_member",
    "train_linear_member",
]

EMBEDDING_LR = "embedding_lr"
TFIDF_LR = "tfidf_lr"
#: The linear kinds, in the order the shipped ensemble lists them.
LINEAR_KINDS = (EMBEDDING_LR, TFIDF_LR)
#: Inverse regularisation strength of both kinds (see the module docstring for how it was chosen).
LINEAR_C = 10.0
#: The TF-IDF vectorizers of ``tfidf_lr`` (scikit-learn ``TfidfVectorizer`` arguments), columns concatenated.
TFIDF_FEATURES: tuple[dict[str, Any], ...] = (
    {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 2},
    {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True, "min_df": 1},
)
_MAX_LENGTH = 64
_BATCH = 64


class _FrozenEncoder:
    """The base all-MiniLM-L6-v2 without any adapter, as a featurizer: texts → (n, 384) unit embeddings."""

    def __init__(self, max_length: int) -> None:
        self.encoder, self.tokenizer = load_encoder()
        self.encoder.eval()
        self.max_length = max_length
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> Any:
        import numpy as np
        import torch

        rows = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), _BATCH):
                batch = list(texts[start : start + _BATCH])
                rows.append(mean_pool(self.encoder, self.tokenizer, batch, self.max_length).numpy())
        return np.concatenate(rows) if rows else np.zeros((0, 384), dtype=np.float32)


def _frozen(max_length: int, backend: str, cache_dir: Path | None) -> Callable[[Sequence[str]], Any]:
    """The frozen encoder of ``embedding_lr`` run by ``backend``."""
    if backend != "onnx-int8":
        return _FrozenEncoder(max_length)
    from ingest.onnx_encoder import DEFAULT_CACHE_DIR
    from pipelines.skills.triage.intent_onnx import frozen_featurizer

    return frozen_featurizer(max_length, cache_dir or DEFAULT_CACHE_DIR)


def _tfidf_vectorizers(
    settings: Sequence[dict[str, Any]], vocabularies: Sequence[list[str]] | None
) -> list[Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizers = []
    for number, spec in enumerate(settings):
        arguments = {**spec, "ngram_range": tuple(spec["ngram_range"])}
        if vocabularies is not None:
            arguments.pop("min_df", None)
            arguments["vocabulary"] = {term: i for i, term in enumerate(vocabularies[number])}
        vectorizers.append(TfidfVectorizer(**arguments))
    return vectorizers


def _tfidf_featurizer(vectorizers: Sequence[Any]) -> Callable[[Sequence[str]], Any]:
    def featurize(texts: Sequence[str]) -> Any:
        from scipy.sparse import hstack

        return hstack([vectorizer.transform(list(texts)) for vectorizer in vectorizers]).tocsr()

    return featurize


@dataclass(frozen=True)
class LinearMember:
    """A fitted linear member: ``softmax(features(texts) @ coef.T + intercept)``.

    Attributes:
        kind: ``embedding_lr`` or ``tfidf_lr``.
        coef: numpy array (labels, features).
        intercept: numpy array (labels,).
        featurize: texts → feature matrix (dense numpy or scipy sparse), one row per text.
    """

    kind: str
    coef: Any
    intercept: Any
    featurize: Callable[[Sequence[str]], Any]

    @cached_property
    def _columns(self) -> Any:
        """``coef`` transposed into a contiguous (features, labels) array: a sparse row times it costs
        microseconds, while ``coef.T`` (a strided view) made scipy copy all of it for every call (9 ms)."""
        import numpy as np

        return np.ascontiguousarray(self.coef.T)

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Label probabilities, a numpy array (len(texts), labels) whose rows sum to 1."""
        import numpy as np

        columns = self._columns
        features = self.featurize(texts)
        if features.dtype != columns.dtype:
            # scikit-learn's tf-idf rows are float64 and the stored weights float32: scipy would upcast the whole
            # (features, labels) array for every call (3.2 ms for the 37,726 x 77 tf-idf head; 0.02 ms cast)
            features = features.astype(columns.dtype)
        logits = np.asarray(features @ columns) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exponentials = np.exp(logits)
        return (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(np.float32)


def train_linear_member(
    kind: str,
    texts: Sequence[str],
    labels: Sequence[str],
    names: Sequence[str],
    folder: Path,
    c: float = LINEAR_C,
) -> dict[str, Any]:
    """Fit one linear member on labelled messages and write it to ``folder`` (created; must not exist).

    Args:
        kind: ``embedding_lr`` or ``tfidf_lr``.
        texts: Training messages.
        labels: Their labels.
        names: All label names in the ensemble's row order (every label must be among them).
        folder: The member folder to write.
        c: Logistic regression's inverse regularisation strength.

    Returns:
        The member's training facts (``examples``, ``features``, ``seconds``, ``C``).

    Raises:
        IntentError: An unknown kind, or a label outside ``names``.
    """
    import numpy as np
    from safetensors.numpy import save_file
    from sklearn.linear_model import LogisticRegression

    if kind not in LINEAR_KINDS:
        raise IntentError(f"unknown linear member kind {kind!r}; expected one of {', '.join(LINEAR_KINDS)}")
    index = {name: i for i, name in enumerate(names)}
    missing = sorted(set(labels) - set(index))
    if missing:
        raise IntentError(f"labels not in the model's label list: {', '.join(missing[:5])}")
    started = time.perf_counter()
    targets = np.array([index[label] for label in labels])
    tensors: dict[str, Any] = {}
    description: dict[str, Any] = {"format": 1, "kind": kind, "labels": list(names)}
    if kind == EMBEDDING_LR:
        features = _FrozenEncoder(_MAX_LENGTH)(texts)
        description.update(
            {"base_model": "sentence-transformers/all-MiniLM-L6-v2", "max_length": _MAX_LENGTH}
        )
        vocabularies = None
    else:
        vectorizers = _tfidf_vectorizers(TFIDF_FEATURES, None)
        features = _tfidf_featurizer([v.fit(list(texts)) for v in vectorizers])(texts)
        vocabularies = [
            [term for term, _ in sorted(v.vocabulary_.items(), key=lambda item: item[1])] for v in vectorizers
        ]
        for number, vectorizer in enumerate(vectorizers):
            tensors[f"idf_{number}"] = vectorizer.idf_.astype(np.float32)
        description["vectorizers"] = [
            {**spec, "ngram_range": list(spec["ngram_range"])} for spec in TFIDF_FEATURES
        ]
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(features, targets)
    # Columns of coef follow model.classes_, which are the label indices present in the data.
    coef = np.zeros((len(names), features.shape[1]), dtype=np.float32)
    intercept = np.full(len(names), -1e4, dtype=np.float32)  # a label absent from training is never predicted
    coef[model.classes_] = model.coef_
    intercept[model.classes_] = model.intercept_
    # float16 halves the file (TF-IDF: 38k features x 77 labels) and left every BANKING77 test prediction
    # unchanged when measured; inference computes in float32.
    tensors.update({"coef": coef.astype(np.float16), "intercept": intercept})
    folder.mkdir(parents=True)
    save_file(tensors, str(folder / "weights.safetensors"))
    if vocabularies is not None:
        (folder / "vocabulary.json").write_text(
            json.dumps(vocabularies, ensure_ascii=False), encoding="utf-8"
        )
    facts = {
        "examples": len(texts),
        "features": int(features.shape[1]),
        "C": c,
        "seconds": round(time.perf_counter() - started, 1),
    }
    description["training"] = facts
    (folder / MODEL_FILE).write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    return facts


def load_linear_member(
    folder: Path, description: dict[str, Any], backend: str = "torch", cache_dir: Path | None = None
) -> tuple[LinearMember, list[str]]:
    """Load a member folder written by :func:`train_linear_member`: ``(member, labels)``; ``embedding_lr``'s
    frozen encoder run by ``backend`` (``torch`` or ``onnx-int8``, exports kept in ``cache_dir``).

    Raises:
        IntentError: A file is missing or malformed, or shapes disagree.
    """
    import numpy as np
    from safetensors.numpy import load_file

    kind = description.get("kind")
    if kind not in LINEAR_KINDS:
        raise IntentError(f"{folder / MODEL_FILE}: unknown member kind {kind!r}")
    try:
        labels = [str(label) for label in description["labels"]]
        weights = load_file(str(folder / "weights.safetensors"))
        coef = weights["coef"].astype(np.float32)
        intercept = weights["intercept"].astype(np.float32)
        if kind == EMBEDDING_LR:
            max_length = int(description.get("max_length", 64))
        else:
            settings = list(description["vectorizers"])
            vocabularies = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
            vectorizers = _tfidf_vectorizers(settings, vocabularies)
            for number, vectorizer in enumerate(vectorizers):
                vectorizer.idf_ = weights[f"idf_{number}"].astype(np.float64)
            featurize: Callable[[Sequence[str]], Any] = _tfidf_featurizer(vectorizers)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise IntentError(f"{folder}: malformed {kind} intent member ({exc})") from exc
    if coef.shape[0] != len(labels) or intercept.shape != (len(labels),):
        raise IntentError(f"{folder}: weights of shape {coef.shape} do not match {len(labels)} labels")
    if kind == EMBEDDING_LR:  # outside the malformed-file handler: an export failure is not a bad member
        featurize = _frozen(max_length, backend, cache_dir)
    return LinearMember(str(kind), coef, intercept, featurize), labels
