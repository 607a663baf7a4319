"""Routing a question to a domain, or saying that it belongs to none of them.

Method: multinomial logistic regression (scikit-learn, L2, ``C`` = ``regularization``) over two sentence
vectors side by side, the multilingual one (:class:`ingest.multilingual.MultilingualEncoder`, Google
USE-multilingual v3, 512 dims) and the retrieval embedder's English one (all-MiniLM-L6-v2, 384 dims, which knows
more English medical and programming words; its query vector is cached for retrieval), of every domain's
labelled questions (:func:`domains.routing_questions`: ``routing_examples`` plus the domain's
``routing.jsonl``, English and Chinese) and of questions that belong to no domain
(:func:`domains.out_of_domain_questions`), one class each. It is fitted when the router is built (about 5 s
for ~1,500 questions on one core) and is a pure function of that data, so a new domain is a folder of data.
The defaults (``C`` 3, floor 0.4) were chosen on ``benchmarks/data/dev/routing_dev.jsonl`` (English public
questions, Chinese written ones; never on the held-out set): both encoders together scored 0.98 (English) /
0.99 (Chinese) there against 0.97 / 0.98 for the multilingual one alone.

The class probabilities are the confidence (a calibrated score, unlike the similarity softmax it replaced:
``assistant eval routing`` measures the calibration error). The router is **unsure** (``domain`` None) when
"none of them" is the likeliest class or the likeliest domain's probability is below ``floor``; it then still
names its best guess (``best``) and every probability, so the caller can ask the user to choose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from pipelines.core.errors import AssistantError
from pipelines.core.linear import class_rows, softmax
from privacy import without_placeholders

__all__ = [
    "OUT_OF_DOMAIN",
    "QueryEmbedder",
    "RouteDecision",
    "Router",
    "SentenceEncoder",
    "UnsureRouteError",
]

#: The class label of questions that belong to no domain (domain names never contain parentheses).
OUT_OF_DOMAIN = "(none)"


class SentenceEncoder(Protocol):
    """Unit-length sentence vectors, shape ``(len(texts), dims)`` (e.g. :class:`ingest.MultilingualEncoder`)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class QueryEmbedder(Protocol):
    """The retrieval embedder as the router uses it (:class:`ingest.Embedder`)."""

    def embed(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


@dataclass(frozen=True)
class RouteDecision:
    """What the router decided for one question.

    Attributes:
        domain: The routed domain; None when the router is unsure (see the module docstring).
        confidence: The probability of ``domain`` (of ``best`` when unsure), 0..1; 1.0 when pinned.
        scores: Every domain's probability, 0..1 (with ``out_of_domain`` they sum to 1).
        pinned: The caller chose the domain.
        best: The likeliest domain, also when unsure.
        out_of_domain: The probability that the question belongs to none of the domains, 0..1.
    """

    domain: str | None
    confidence: float
    scores: dict[str, float]
    pinned: bool = False
    best: str = ""
    out_of_domain: float = 0.0

    @property
    def unsure(self) -> bool:
        """True when no domain was chosen."""
        return self.domain is None


class UnsureRouteError(AssistantError):
    """The router could not tell which domain an unpinned first question is about: choose one and ask again.

    Attributes:
        decision: The unsure decision (every domain's probability, the best guess, "none of them").
    """

    def __init__(self, decision: RouteDecision) -> None:
        self.decision = decision
        ranked = sorted(decision.scores.items(), key=lambda item: -item[1])
        listed = ", ".join(f"{name} {score:.2f}" for name, score in ranked)
        super().__init__(
            f"not sure which domain this question is about ({listed}; none of them {decision.out_of_domain:.2f}): "
            f"choose a domain ({', '.join(sorted(decision.scores))}) and ask again"
        )


class Router:
    """A learned router over the loaded domains (see the module docstring)."""

    def __init__(
        self,
        encoder: SentenceEncoder,
        questions: Mapping[str, Sequence[str]],
        out_of_domain: Sequence[str] = (),
        floor: float = 0.4,
        regularization: float = 3.0,
        english: QueryEmbedder | None = None,
    ) -> None:
        """Encode every labelled question once and fit the classifier.

        Args:
            encoder: The multilingual sentence encoder (also used for each routed question).
            english: The retrieval embedder, whose vectors join the multilingual ones (None = only those).
            questions: Per domain name, its labelled questions (at least one domain, each with questions).
            out_of_domain: Questions that belong to no domain (empty = no such class).
            floor: The least probability a domain needs to be chosen, 0..1.
            regularization: The inverse L2 strength ``C`` of the logistic regression.

        Raises:
            ValueError: No domain, a domain without questions, or ``floor`` outside 0..1.
        """
        from sklearn.linear_model import LogisticRegression

        if not questions or any(not texts for texts in questions.values()):
            raise ValueError("the router needs at least one domain, each with labelled questions")
        if not 0.0 <= floor <= 1.0:
            raise ValueError(f"routing floor {floor} is outside 0..1")
        self.floor = floor
        self._encoder = encoder
        self._english = english
        self._domains = list(questions)
        texts = [text for name in self._domains for text in questions[name]] + list(out_of_domain)
        labels = [name for name in self._domains for _ in questions[name]] + [OUT_OF_DOMAIN] * len(
            out_of_domain
        )
        vectors = encoder.encode(texts)
        if english is not None:
            vectors = np.hstack([vectors, np.asarray(english.embed(texts), dtype=np.float32)])
        if len(self._domains) + bool(out_of_domain) == 1:  # one class: nothing to learn
            self._classes = np.asarray(labels[:1])
            self._weights = np.zeros((1, vectors.shape[1]), dtype=np.float32)
            self._bias = np.zeros(1, dtype=np.float32)
            return
        model = LogisticRegression(C=regularization, max_iter=3000).fit(vectors, labels)
        self._classes = model.classes_
        self._weights, self._bias = class_rows(model)

    @property
    def domains(self) -> list[str]:
        """Names of the routable domains."""
        return list(self._domains)

    def probabilities(self, question: str) -> dict[str, float]:
        """Every class's probability for ``question``: each domain's and :data:`OUT_OF_DOMAIN`'s (if learned).

        De-identification placeholders are removed first (:func:`privacy.without_placeholders`): the training questions
        have none, and "<PERSON_1>" alone looked like code to the encoders. A question with no word left
        belongs to no domain (probability 1 for :data:`OUT_OF_DOMAIN`, or uniform without that class)."""
        question = without_placeholders(question)
        if not re.search(r"\w", question):  # no word left (placeholders, punctuation, emoji only)
            if OUT_OF_DOMAIN in self._classes:
                return {name: float(name == OUT_OF_DOMAIN) for name in self._classes.tolist()}
            return {name: 1.0 / len(self._classes) for name in self._classes.tolist()}
        vector = self._encoder.encode([question])[0]
        if self._english is not None:
            vector = np.concatenate(
                [vector, np.asarray(self._english.embed_query(question), dtype=np.float32)]
            )
        probabilities = softmax(self._weights @ vector + self._bias)
        return dict(zip(self._classes.tolist(), probabilities.tolist(), strict=True))

    def route(self, question: str, pinned: str | None = None) -> RouteDecision:
        """Route ``question``; when ``pinned`` names a domain it wins with confidence 1.0 (probabilities still
        given).

        Raises:
            KeyError: ``pinned`` is not a known domain.
        """
        probabilities = self.probabilities(question)
        scores = {name: round(probabilities.get(name, 0.0), 4) for name in self._domains}
        none = round(probabilities.get(OUT_OF_DOMAIN, 0.0), 4)
        best = max(scores, key=lambda name: scores[name])
        if pinned is not None:
            if pinned not in scores:
                raise KeyError(pinned)
            return RouteDecision(pinned, 1.0, scores, pinned=True, best=best, out_of_domain=none)
        unsure = scores[best] < self.floor or none > scores[best]
        return RouteDecision(None if unsure else best, scores[best], scores, best=best, out_of_domain=none)
