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
from ingest import Embedder, RetrievedChunk, StaleIndexError, VectorStore
from pipelines.core.domains import DomainRegistry
from pipelines.core.logs import logger

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

    The rankings are ids and scores; only the chunks kept are read from the store, best first, a few at a time
    (:meth:`ingest.VectorStore.read_chunks`, which also drops what ``visible_to`` may not see). For a user, the
    dense ranking is searched without the visibility filter, which slows Chroma's search by an order of
    magnitude, and every chunk it ranked is read; when one of them is another user's, it is searched again
    with the filter, so the fused ranking, and every score shown, is the one of the visible chunks alone
    (another user's chunk must not even move a rank: the shown scores would tell that it exists).

    Returns:
        Up to ``k`` chunks, best first. ``score`` is the cosine similarity (dense), the BM25 score (bm25) or, in
        hybrid mode, the fused RRF score as a fraction of the best possible one (1.0 = ranked first by both).
    """
    depth = max(config.candidates, k)
    pinned = list(dict.fromkeys(documents or ()))
    dense: list[RetrievedChunk] | None = None
    lexical: list[RetrievedChunk] | None = None
    query_vector: list[float] | None = None
    where: dict[str, Any] | None = None
    if pinned:
        where = {"document_sha256": pinned[0]} if len(pinned) == 1 else {"document_sha256": {"$in": pinned}}
    if config.mode in ("hybrid", "dense"):
        query_vector = embedder.embed_query(query)
        dense = _unread(store.nearest(domain, query_vector, depth, where))
    if config.mode in ("hybrid", "bm25"):
        ranking = store.lexical_ranking(domain, query, depth, pinned, visible_to)
        lexical = _unread([(hit.chunk_id, hit.score) for hit in ranking])
    wanted = k if config.mmr_lambda is None else depth * 2  # MMR chooses among every distinct candidate
    read: dict[str, RetrievedChunk | None] = {}  # None: gone, being written, or another user's
    if visible_to is not None and dense is not None and query_vector is not None:
        # Every ranked chunk is checked, not only those kept: another user's chunk anywhere in the ranking
        # would shift the ranks (and the shown scores) of the user's own, which would tell that it exists.
        shown = store.read_chunks(domain, [hit.chunk_id for hit in dense], visible_to)
        read.update({hit.chunk_id: shown.get(hit.chunk_id) for hit in dense})
        if len(shown) < len(dense):  # rank the visible ones exactly, with the filter
            try:
                dense = _unread(store.nearest(domain, query_vector, depth, where, visible_to))
            except StaleIndexError as exc:  # BM25 alone rather than no answer, or a ranking that leaks
                logger.warning("retrieval uses BM25 alone: %s", exc)
                dense = None
    kept = _read_best(store, domain, _fused(dense, lexical, config), wanted, visible_to, read)
    if config.mmr_lambda is not None and len(kept) > 1:
        vectors = store.embeddings(domain, [hit.chunk_id for hit in kept])
        query_vector = query_vector if query_vector is not None else embedder.embed_query(query)
        order = maximal_marginal_relevance(
            query_vector, [vectors[hit.chunk_id] for hit in kept], k, config.mmr_lambda
        )
        return [kept[i] for i in order]
    return kept[:k]


def _unread(ranking: Sequence[tuple[str, float]]) -> list[RetrievedChunk]:
    """A ranking of ``(id, score)`` pairs as hits whose text and metadata are not read yet."""
    return [RetrievedChunk(chunk_id, "", score, {}) for chunk_id, score in ranking]


def _fused(
    dense: list[RetrievedChunk] | None, lexical: list[RetrievedChunk] | None, config: RetrievalConfig
) -> list[RetrievedChunk]:
    """The one ranking, or both fused by :func:`reciprocal_rank_fusion` with scores as a fraction of the best
    possible fused score."""
    pairs = [
        (r, w) for r, w in ((dense, config.dense_weight), (lexical, config.bm25_weight)) if r is not None
    ]
    if len(pairs) == 1:
        return pairs[0][0]
    best = sum(weight for _, weight in pairs) / (config.rrf_k + 1) or 1.0
    fused = reciprocal_rank_fusion([r for r, _ in pairs], [w for _, w in pairs], config.rrf_k)
    return [replace(hit, score=hit.score / best) for hit in fused]


def _read_best(
    store: VectorStore,
    domain: str,
    ranking: Sequence[RetrievedChunk],
    wanted: int,
    visible_to: str | None,
    read: dict[str, RetrievedChunk | None],
) -> list[RetrievedChunk]:
    """The first ``wanted`` hits of ``ranking`` that may be shown, with distinct texts (corpora repeat
    passages; duplicates waste the context), read from the store a few at a time, best first, with their
    ranking scores. ``read`` caches what was read (None: not shown) across calls."""
    kept: list[RetrievedChunk] = []
    seen: set[str] = set()
    position = 0
    while len(kept) < wanted and position < len(ranking):
        batch = ranking[position : position + 2 * (wanted - len(kept))]
        unread = [hit.chunk_id for hit in batch if hit.chunk_id not in read]
        if unread:
            shown = store.read_chunks(domain, unread, visible_to)
            read.update({chunk_id: shown.get(chunk_id) for chunk_id in unread})
        for hit in batch:
            chunk = read[hit.chunk_id]
            key = None if chunk is None else _text_key(chunk.text)
            if chunk is None or key in seen or len(kept) == wanted:
                continue
            seen.add(key or "")
            kept.append(replace(chunk, score=hit.score))
        position += len(batch)
    return kept


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


def _text_key(text: str) -> str:
    """What makes two chunk texts the same passage: the words, case-folded."""
    return " ".join(text.split()).casefold()


def _distinct(hits: list[RetrievedChunk]) -> list[RetrievedChunk]:
    """The hits with distinct text (:func:`_text_key`), in order."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        key = _text_key(hit.text)
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept
