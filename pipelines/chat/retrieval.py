"""Hybrid retrieval: BM25 and dense rankings of a domain's chunks, fused by weighted reciprocal rank fusion,
optionally diversified by maximal marginal relevance, optionally limited to the documents the user pinned, always limited to the documents the requesting user may see
(shared ones and their own private ones: ``visible_to``; :mod:`ingest.store`).

Why reciprocal rank fusion (RRF): BM25 scores are unbounded and cosine similarities are not, so a weighted sum
needs per-query score normalisation; RRF uses ranks only (Cormack, Clarke & Buettcher, "Reciprocal Rank Fusion
outperforms Condorcet and individual Rank Learning Methods", SIGIR 2009; k = 60 is their constant). The
constants the domains use, and what each retriever scores alone, are measured by ``assistant eval retrieval``
(README, "Retrieval").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from domains import RetrievalConfig
from ingest import Embedder, RetrievedChunk, VectorStore
from pipelines.core.domains import DomainRegistry

__all__ = ["Retriever", "hybrid_search", "maximal_marginal_relevance", "reciprocal_rank_fusion"]


class Retriever:
    """Searches a domain's collection with the domain's retrieval settings (one instance per data dir)."""

    def __init__(self, store: VectorStore, embedder: Embedder, domains: DomainRegistry) -> None:
        """Args:
        store: The vector store and BM25 index.
        embedder: Embeds the queries (the model the chunks were embedded with).
        domains: The domains (each one's ``retrieval:`` settings).
        """
        self.store = store
        self.embedder = embedder
        self.domains = domains

    def retrieve(
        self,
        domain: str,
        query: str,
        k: int,
        documents: Sequence[str] | None = None,
        visible_to: str | None = None,
    ) -> list[RetrievedChunk]:
        """Return up to ``k`` chunks of ``domain`` for ``query``, best first, with distinct texts, using the
        domain's retrieval settings (``retrieval:`` in its ``domain.yaml``; :func:`hybrid_search`).

        Args:
            domain: Domain whose collection is searched.
            query: The de-identified, standalone retrieval query.
            k: Number of chunks wanted.
            documents: sha256 values of the documents the user pinned; ``None`` or empty = the whole collection.
            visible_to: The requesting user: chunks of shared documents and of their own private ones; None =
                every chunk (single-user mode).

        Returns:
            At most ``k`` hits; fewer when the collection (or the pinned documents) hold fewer.

        Raises:
            AssistantError: Unknown domain.
            StoreError: The collection or the BM25 index cannot be read.
        """
        config = self.domains.domain(domain).retrieval
        return hybrid_search(self.store, self.embedder, domain, query, k, config, documents, visible_to)


def hybrid_search(
    store: VectorStore,
    embedder: Embedder,
    domain: str,
    query: str,
    k: int,
    config: RetrievalConfig,
    documents: Sequence[str] | None = None,
    visible_to: str | None = None,
) -> list[RetrievedChunk]:
    """Rank the chunks of ``domain`` for ``query`` with the retrievers ``config.mode`` names and fuse them.

    Both retrievers see only the chunks of ``documents`` (when given) that ``visible_to`` may see (None: all;
    a user name: shared chunks and that user's private ones).

    Each retriever contributes its ``max(config.candidates, k)`` best chunks; in ``hybrid`` mode the two
    rankings are fused with :func:`reciprocal_rank_fusion` (weights ``config.dense_weight`` and
    ``config.bm25_weight``, constant ``config.rrf_k``); with ``config.mmr_lambda`` set the fused candidates are
    re-ordered by :func:`maximal_marginal_relevance`. Chunks with the same text (after whitespace and case
    folding) are kept once.

    Returns:
        Up to ``k`` chunks, best first. ``score`` is the cosine similarity (dense), the BM25 score (bm25) or, in
        hybrid mode, the fused RRF score as a fraction of the best possible one (1.0 = ranked first by both).
    """
    depth = max(config.candidates, k)
    pinned = list(dict.fromkeys(documents or ()))
    rankings: list[list[RetrievedChunk]] = []
    weights: list[float] = []
    query_vector: list[float] | None = None
    if config.mode in ("hybrid", "dense"):
        where: dict[str, Any] | None = None
        if pinned:
            where = (
                {"document_sha256": pinned[0]} if len(pinned) == 1 else {"document_sha256": {"$in": pinned}}
            )
        query_vector = embedder.embed_query(query)
        rankings.append(store.search(domain, query_vector, depth, where=where, visible_to=visible_to))
        weights.append(config.dense_weight)
    if config.mode in ("hybrid", "bm25"):
        known = {hit.chunk_id: hit for ranking in rankings for hit in ranking}  # read already: not again
        rankings.append(store.search_lexical(domain, query, depth, pinned, visible_to, known=known))
        weights.append(config.bm25_weight)
    if len(rankings) == 1:
        fused = rankings[0]
    else:
        best = sum(weight / (config.rrf_k + 1) for weight in weights) or 1.0
        fused = [
            replace(hit, score=hit.score / best)
            for hit in reciprocal_rank_fusion(rankings, weights, config.rrf_k)
        ]
    fused = _distinct(fused)
    if config.mmr_lambda is not None and len(fused) > 1:
        vectors = store.embeddings(domain, [hit.chunk_id for hit in fused])
        query_vector = query_vector if query_vector is not None else embedder.embed_query(query)
        order = maximal_marginal_relevance(
            query_vector, [vectors[hit.chunk_id] for hit in fused], k, config.mmr_lambda
        )
        return [fused[i] for i in order]
    return fused[:k]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[RetrievedChunk]], weights: Sequence[float], k: float = 60.0
) -> list[RetrievedChunk]:
    """Fuse rankings by weighted reciprocal rank: ``score(d) = sum_i w_i / (k + rank_i(d))``, ranks from 1.

    Source: Cormack, Clarke & Buettcher, SIGIR 2009 (unweighted, k = 60); the weights are ours, per domain.

    Args:
        rankings: Ranked hit lists, best first (one per retriever).
        weights: One non-negative weight per ranking.
        k: The RRF constant (> 0): larger flattens the head of each ranking.

    Returns:
        Every chunk that appears in any ranking, once, by fused score (best first; ties keep first-seen order),
        with ``score`` set to its fused score.

    Raises:
        ValueError: ``rankings`` and ``weights`` differ in length.
    """
    if len(rankings) != len(weights):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    scores: dict[str, float] = {}
    first: dict[str, RetrievedChunk] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (k + rank)
            first.setdefault(hit.chunk_id, hit)
    order = sorted(first, key=lambda chunk: -scores[chunk])
    return [replace(first[chunk], score=scores[chunk]) for chunk in order]


def maximal_marginal_relevance(
    query: Sequence[float], candidates: Sequence[Sequence[float]], k: int, lambda_: float
) -> list[int]:
    """Pick ``k`` candidates greedily by ``lambda * sim(q, d) - (1 - lambda) * max_{s in picked} sim(d, s)``.

    Source: Carbonell & Goldstein, "The use of MMR, diversity-based reranking", SIGIR 1998. Similarities are
    dot products of the unit-length embeddings (cosine).

    Args:
        query: Query embedding (unit length).
        candidates: Candidate embeddings (unit length), in the fused order.
        k: How many to pick.
        lambda_: 1 = relevance only, 0 = novelty only.

    Returns:
        Indices into ``candidates`` in pick order (``min(k, len(candidates))`` of them).
    """
    import numpy as np

    if not candidates or k <= 0:
        return []
    matrix = np.asarray(candidates, dtype=np.float32)
    relevance = matrix @ np.asarray(query, dtype=np.float32)
    picked: list[int] = []
    redundancy = np.full(len(candidates), -np.inf, dtype=np.float32)
    available = np.ones(len(candidates), dtype=bool)
    while len(picked) < min(k, len(candidates)):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        value = lambda_ * relevance - (1.0 - lambda_) * penalty
        value[~available] = -np.inf
        best = int(np.argmax(value))
        picked.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, matrix @ matrix[best])
    return picked


def _distinct(hits: list[RetrievedChunk]) -> list[RetrievedChunk]:
    """The hits with distinct text, in order (corpora repeat passages; duplicates waste the context)."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        key = " ".join(hit.text.split()).casefold()
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept
