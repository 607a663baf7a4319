"""The learned risk layer beside the rules: risk categories by meaning, in English and Chinese.

Rules (:mod:`pipelines.skills.triage.risk`) catch the wording they were written for; customers describe scams
in endless ways. This model reads the message's multilingual sentence vector
(:class:`ingest.multilingual.MultilingualEncoder`, USE-multilingual v3) with two heads trained by
:mod:`pipelines.training.risk_model` on the domain's labelled messages: a risky-or-benign support-vector machine
with a Gaussian kernel (class-balanced; :class:`pipelines.core.kernel.RbfHead`) whose Platt-scaled decision value
is the risk score, and one such machine per category, that category against the other risky messages
(:class:`pipelines.core.kernel.RbfOneVsRest`; a message may belong to several), each Platt-scaled; their
probabilities, divided by their sum, are the category probabilities given that the message is risky. A message
is risky when its score exceeds the stored ``threshold``, which the trainer sets from out-of-fold scores so
that a target share of the *training* benign messages (hard look-alikes such as "I found my card, false
alarm") would be flagged; its category is the likeliest one, and the second likeliest too when its probability
is at least ``second_category`` times the first's (scams and fraud often come together).

The rules stay the evidence with offsets; a category the model adds is evidence ``model/<category>`` (no
span), with the category's own severity and escalation flag (:meth:`RiskDetector.assess`).

Stored in a folder: ``risk_model.json`` (``format`` 3, ``categories``, ``threshold``, ``gamma``,
``category_gamma``, ``second_category`` (optional: absent = one category), training facts) and
``head.safetensors`` (``support``: n x 512 support vectors, ``dual``: n, ``risky_bias``: 1, ``platt``: 2 (slope
and offset); ``category_support``: m x 512, the union of the category machines' support vectors,
``category_dual``: m x categories, ``category_bias``: categories, ``category_platt``: categories x 2). Older
formats (1: a logistic risky head, before 2026-12-07; 2: a logistic-regression softmax over the categories,
until 2026-12-07) are refused with a request to retrain.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipelines.core.errors import AssistantError
from pipelines.core.kernel import RbfHead, RbfOneVsRest, platt_probability

__all__ = ["BENIGN", "FORMAT", "MODEL_FILE", "RiskModel", "RiskModelError"]

#: The label of messages with no risk.
BENIGN = "benign"
#: The description file of a model folder.
MODEL_FILE = "risk_model.json"
#: The model folder format this code reads and the trainer writes.
FORMAT = 3


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
        risky: RbfHead,
        calibration: tuple[float, float],
        category_head: RbfOneVsRest,
        threshold: float,
        second_category: float | None = None,
    ) -> None:
        """Args:
            encoder: The multilingual encoder.
            categories: The risk categories, in the category heads' order.
            risky: The risky-or-benign head (its decision value).
            calibration: Platt slope and offset: ``sigmoid(slope * decision + offset)`` is the risk score.
            category_head: One Platt-scaled RBF SVM per category, that category against the other risky messages.
            threshold: The risk score above which a message is risky, 0..1.
            second_category: A risky message also gets its second likeliest category when that category's
                probability is at least this share of the first's, 0..1 (None: only the likeliest).

        Raises:
            RiskModelError: Shapes that do not fit, or a threshold or second-category share outside 0..1.
        """
        if category_head.intercept.shape != (len(categories),):
            raise RiskModelError(
                f"{category_head.intercept.shape[0]} category heads do not fit {len(categories)} categories"
            )
        if risky.dims != category_head.support.shape[1]:
            raise RiskModelError(
                f"the risky head's {risky.dims} dims do not fit the category heads' {category_head.support.shape[1]}"
            )
        if not 0.0 <= threshold <= 1.0:
            raise RiskModelError(f"threshold {threshold} outside 0..1")
        if second_category is not None and not 0.0 < second_category <= 1.0:
            raise RiskModelError(f"second_category {second_category} outside 0..1")
        self.encoder = encoder
        self.categories = list(categories)
        self.risky = risky
        self.calibration = (float(calibration[0]), float(calibration[1]))
        self.category_head = category_head
        self.threshold = threshold
        self.second_category = second_category

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
            if description.get("format") != FORMAT:
                raise RiskModelError(
                    f"{folder}: risk model format {description.get('format')!r} is not {FORMAT}: retrain it "
                    "(assistant train risk --domain NAME)"
                )
            categories = [str(label) for label in description["categories"]]
            threshold = float(description["threshold"])
            second = description.get("second_category")
            second_category = None if second is None else float(second)
            tensors = load_file(str(folder / "head.safetensors"))
            risky = RbfHead(
                tensors["support"],
                tensors["dual"],
                float(tensors["risky_bias"][0]),
                float(description["gamma"]),
            )
            calibration = (float(tensors["platt"][0]), float(tensors["platt"][1]))
            head = RbfOneVsRest(
                tensors["category_support"],
                tensors["category_dual"],
                tensors["category_bias"],
                float(description["category_gamma"]),
                tensors["category_platt"],
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise RiskModelError(f"{folder}: cannot read the risk model ({exc})") from exc
        unknown = sorted(set(categories) - set(known)) if known is not None else []
        if unknown:
            raise RiskModelError(
                f"{folder}: categories {', '.join(unknown)} are not in the domain's risk rules"
            )
        return cls(encoder, categories, risky, calibration, head, threshold, second_category)

    def risk_scores(self, texts: Sequence[str]) -> np.ndarray:
        """The probability that each text is risky, shape (len(texts),)."""
        return self._scores(self.encoder.encode(texts))[0]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Category probabilities given that a text is risky, shape (len(texts), categories); rows sum to 1."""
        return self._scores(self.encoder.encode(texts))[1]

    def _scores(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        risky = platt_probability(self.risky.decision(vectors), *self.calibration)
        each = self.category_head.probabilities(vectors)  # one-vs-rest: rows need not sum to 1
        return risky, each / np.maximum(each.sum(axis=1, keepdims=True), 1e-12)

    def detect(self, text: str) -> list[tuple[str, float]]:
        """``[(category, risk score)]`` for a risky ``text`` (its likeliest category, and the second likeliest
        when it is close: ``second_category``); empty when benign."""
        return self.judge(text)[1]

    def judge(self, text: str) -> tuple[float, list[tuple[str, float]]]:
        """``(risk score, detect(text))`` from one encoding of ``text``: the score (0..1) also when benign."""
        score, found, _ = self.judgement(text)
        return score, found

    def judgement(self, text: str) -> tuple[float, list[tuple[str, float]], dict[str, float]]:
        """``(risk score, detect(text), category probabilities)`` from one encoding of ``text``; the
        probabilities (given that the text is risky, summing to 1) also when it is benign."""
        risky, categories = self._scores(self.encoder.encode([text]))
        score = round(float(risky[0]), 4)
        probabilities = categories[0]
        by_category = {c: float(p) for c, p in zip(self.categories, probabilities, strict=True)}
        if risky[0] <= self.threshold:
            return score, [], by_category
        order = [int(i) for i in np.argsort(-probabilities)]
        found = [(self.categories[order[0]], score)]
        share = self.second_category
        if (
            share is not None
            and len(order) > 1
            and probabilities[order[1]] >= share * probabilities[order[0]]
        ):
            found.append((self.categories[order[1]], score))
        return score, found, by_category
