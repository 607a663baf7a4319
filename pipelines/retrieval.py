"""Retrieval for a chat turn: the domain's retriever over its collection, optionally limited to chosen documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest import RetrievedChunk
from pipelines.services import Services

__all__ = ["retrieve"]


def retrieve(
    services: Services,
    domain: str,
    query: str,
    k: int,
    documents: Sequence[str] | None = None,
) -> list[RetrievedChunk]:
    """Return up to ``k`` chunks of ``domain`` for ``query``, best first, with distinct texts.

    Args:
        services: Shared services (store, embedder, domain configs).
        domain: Domain whose collection is searched.
        query: The de-identified, standalone retrieval query.
        k: Number of chunks wanted.
        documents: sha256 values of the documents the user pinned; ``None`` or empty = the whole collection.

    Returns:
        At most ``k`` hits; fewer when the collection (or the pinned documents) hold fewer.
    """
    where: dict[str, Any] | None = None
    if documents:
        shas = list(dict.fromkeys(documents))
        where = {"document_sha256": shas[0]} if len(shas) == 1 else {"document_sha256": {"$in": shas}}
    hits = services.store.search(domain, services.embedder.embed_query(query), k * 2, where=where)
    return _distinct(hits, k)


def _distinct(hits: list[RetrievedChunk], k: int) -> list[RetrievedChunk]:
    """The best ``k`` hits with distinct text (corpora repeat passages; duplicates waste the context)."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        key = " ".join(hit.text.split()).casefold()
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept[:k]
