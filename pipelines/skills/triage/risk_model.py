"""The learned risk layer beside the rules: risk categories by meaning, in English and Chinese.

Rules (:mod:`pipelines.skills.triage.risk`) catch the wording they were written for; customers describe scams
in endless ways. This model reads the message's multilingual sentence vector
(:class:`ingest.multilingual.MultilingualEncoder`, USE-multilingual v3) with two logistic regressions
(scikit-learn, L2) trained by :mod:`pipelines.training.risk_model` on the domain's labelled messages: a
risky-or-benign one (class-balanced) whose probability is the risk score, and a softmax over the rules'
categories trained on the risky messages (a message with two categories is one row per category). A message
is risky when its score exceeds the stored ``threshold``, which the trainer sets from out-of-fold scores so
that a target share of the *training* benign messages (hard look-alikes such as "I found my card, false
alarm") would be flagged; its category is the likeliest one.

The rules stay the evidence with offsets; a category the model adds is evidence ``model/<category>`` (no
span), with the category's own severity and escalation flag (:meth:`RiskDetector.assess`).

Stored in a folder: ``risk_model.json`` (``categories``, ``threshold``, training facts) and
``head.safetensors`` (``risky_weight``: 512, ``risky_bias``: 1, ``weight``: categories x 512, ``bias``:
categories).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipelines.core.errors import AssistantError
from pipelines.core.linear import softmax

__all__ = ["BENIGN", "MODEL_FILE", "RiskModel", "RiskModelError"]

#: The label of messages with no risk.
BENIGN = "benign"
#: The description file of a model folder.
MODEL_FILE = "risk_model.json"


class RiskModelError(AssistantError):
    """A risk model folder is missing, unreadable or does not fit the domain's risk categories."""


class _Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class RiskModel:
    """A loaded risk model (see the module docstring). Thread-safe: inference only."""

    def __init__(
        self,
        encoder: _Encoder,
        categories: Sequence[str],
        risky: tuple[np.ndarray, float],
        category_head: tuple[np.ndarray, np.ndarray],
        threshold: float,
    ) -> None:
        """Args:
            encoder: The multilingual encoder.
            categories: The risk categories, in the category head's row order.
            risky: The risky-or-benign head: weight (dims,) and bias; its sigmoid is the risk score.
            category_head: Weight (categories, dims) and bias (categories,) of the category softmax.
            threshold: The risk score above which a message is risky, 0..1.

        Raises:
            RiskModelError: Shapes that do not fit, or a threshold outside 0..1.
        """
        weight, bias = category_head
        if weight.shape[0] != len(categories) or bias.shape != (len(categories),):
            raise RiskModelError(f"weights of shape {weight.shape} do not fit {len(categories)} categories")
        if risky[0].shape != (weight.shape[1],):
            raise RiskModelError(
                f"the risky head's shape {risky[0].shape} does not fit {weight.shape[1]} dims"
            )
        if not 0.0 <= threshold <= 1.0:
            raise RiskModelError(f"threshold {threshold} outside 0..1")
        self.encoder = encoder
        self.categories = list(categories)
        self.risky_weight = np.asarray(risky[0], dtype=np.float32)
        self.risky_bias = float(risky[1])
        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.threshold = threshold

    @classmethod
    def load(cls, folder: Path, encoder: _Encoder, known: Sequence[str] | None = None) -> RiskModel:
        """Read a model folder written by :func:`pipelines.training.risk_model.train_risk_model`.

        Args:
            folder: The folder.
            encoder: The multilingual encoder.
            known: The domain's risk categories: every model category must be one of them (None: unchecked).

        Raises:
            RiskModelError: The folder or a file is missing or malformed, or a category is unknown.
        """
        from safetensors.numpy import load_file

        try:
            description: dict[str, Any] = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
            categories = [str(label) for label in description["categories"]]
            threshold = float(description["threshold"])
            tensors = load_file(str(folder / "head.safetensors"))
            risky = (tensors["risky_weight"], float(tensors["risky_bias"][0]))
            head = (tensors["weight"], tensors["bias"])
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise RiskModelError(f"{folder}: cannot read the risk model ({exc})") from exc
        unknown = sorted(set(categories) - set(known)) if known is not None else []
        if unknown:
            raise RiskModelError(
                f"{folder}: categories {', '.join(unknown)} are not in the domain's risk rules"
            )
        return cls(encoder, categories, risky, head, threshold)

    def risk_scores(self, texts: Sequence[str]) -> np.ndarray:
        """The probability that each text is risky, shape (len(texts),)."""
        return self._scores(self.encoder.encode(texts))[0]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Category probabilities given that a text is risky, shape (len(texts), categories); rows sum to 1."""
        return self._scores(self.encoder.encode(texts))[1]

    def _scores(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        risky = 1.0 / (1.0 + np.exp(-(vectors @ self.risky_weight + self.risky_bias)))
        return risky, softmax(vectors @ self.weight.T + self.bias)

    def detect(self, text: str) -> list[tuple[str, float]]:
        """``[(category, risk score)]`` for a risky ``text`` (its likeliest category); empty when benign."""
        risky, categories = self._scores(self.encoder.encode([text]))
        if risky[0] <= self.threshold:
            return []
        return [(self.categories[int(categories[0].argmax())], round(float(risky[0]), 4))]
