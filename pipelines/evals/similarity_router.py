"""The router before issue 24, kept as the baseline of ``assistant eval routing``: embedding similarity to
each domain's routing examples (all-MiniLM-L6-v2, English only, never unsure).

Score of a domain = mean cosine similarity of the question to its ``top_n`` most similar routing examples
(a k-nearest-neighbour vote that tolerates a few off-topic examples). Confidence = softmax of the scores with
a temperature (default 0.05, chosen so a 0.1 similarity margin gives ~0.88 confidence between two domains).
No LLM call is made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from domains import DomainConfig
from ingest import Embedder

__all__ = ["SimilarityDecision", "SimilarityRouter"]


@dataclass(frozen=True)
class SimilarityDecision:
    """The routed domain, its confidence (0..1) and every domain's raw score (mean top-n cosine)."""

    domain: str
    confidence: float
    scores: dict[str, float]
    pinned: bool = False


class SimilarityRouter:
    """Embedding-similarity router over the loaded domains."""

    def __init__(
        self,
        embedder: Embedder,
        domains: Mapping[str, DomainConfig],
        top_n: int = 3,
        temperature: float = 0.05,
    ) -> None:
        """Embed every routing example once (shape per domain: examples x 384)."""
        self.top_n = top_n
        self.temperature = temperature
        self._examples = {
            name: np.asarray(embedder.embed(list(config.routing_examples)), dtype=np.float32)
            for name, config in domains.items()
        }
        self._embedder = embedder

    @property
    def domains(self) -> list[str]:
        """Names of the routable domains."""
        return list(self._examples)

    def route(self, question: str, pinned: str | None = None) -> SimilarityDecision:
        """Route ``question``; when ``pinned`` names a domain it wins with confidence 1.0 (scores still given).

        Raises:
            KeyError: ``pinned`` is not a known domain.
        """
        query = np.asarray(self._embedder.embed_query(question), dtype=np.float32)
        scores = {}
        for name, matrix in self._examples.items():
            similarities = np.sort(matrix @ query)[::-1][: self.top_n]
            scores[name] = float(similarities.mean())
        if pinned is not None:
            if pinned not in scores:
                raise KeyError(pinned)
            return SimilarityDecision(pinned, 1.0, scores, pinned=True)
        best = max(scores, key=lambda name: scores[name])
        exps = {name: math.exp((score - scores[best]) / self.temperature) for name, score in scores.items()}
        confidence = exps[best] / sum(exps.values())
        return SimilarityDecision(best, round(confidence, 4), {k: round(v, 4) for k, v in scores.items()})
