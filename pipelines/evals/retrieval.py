"""Retrieval evaluation on BEIR-layout data: BM25 alone, dense alone and the product's hybrid, in one run.

Data (Thakur et al., BEIR, NeurIPS 2021 Datasets and Benchmarks): a folder with ``corpus.jsonl`` (or
``corpus.jsonl.gz``; lines ``{"_id", "title", "text"}``), ``queries.jsonl`` (``{"_id", "text"}``) and
``qrels/test.tsv`` (``query-id<TAB>corpus-id<TAB>score`` with a header line). Only queries with a positive
judgement are evaluated.

Method: each corpus document (title, a blank line, text) is split with the product's chunker and the chunk
settings of the chosen domain, embedded with the product's embedder and written to a product store (Chroma +
the BM25 index, whose entries carry the document title as the product's do) cached under ``<data_dir>/eval/retrieval/<dataset>-<fingerprint>``; the same store then
answers every query with :func:`pipelines.chat.retrieval.hybrid_search` in three modes (``bm25``, ``dense``,
``hybrid``) and the domain's retrieval constants. Chunk rankings become document rankings by each document's
best chunk (first occurrence; "MaxP", Dai & Callan, SIGIR 2019). The benchmark corpora are public research
text and are indexed without de-identification (the measure is retrieval, not privacy).

Metrics (as trec_eval / pytrec_eval, which BEIR uses): nDCG@10 with linear gains ``rel / log2(rank + 1)``
(Järvelin & Kekäläinen 2002), recall@100 (judged-relevant documents found in the top 100 / all relevant) and
MRR@10 (1 / rank of the first relevant document in the top 10, else 0), each averaged over queries.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domains import DomainConfig
from ingest import Chunk, Embedder, LoadedDocument, Section, VectorStore, split_document
from pipelines.chat.retrieval import hybrid_search
from pipelines.core.errors import AssistantError

__all__ = [
    "MODES",
    "BeirDataset",
    "document_batches",
    "evaluate_retrieval",
    "load_beir",
    "mrr_at_k",
    "ndcg_at_k",
    "recall_at_k",
]

#: The systems compared, in print order.
MODES = ("bm25", "dense", "hybrid")
_EVAL_DOMAIN = "eval"
#: Chunks each retriever returns per query before chunks become documents (enough for 100 documents).
_DEPTH_CHUNKS = 300


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR dataset: corpus ``{doc_id: (title, text)}``, queries ``{query_id: text}`` (judged ones only) and
    qrels ``{query_id: {doc_id: relevance}}`` (relevance > 0)."""

    name: str
    corpus: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    fingerprint: str


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise AssistantError(f"{path}: line {number} is not JSON: {exc}") from exc
                if not isinstance(row, dict) or "_id" not in row:
                    raise AssistantError(f"{path}: line {number} is not a JSON object with an _id")
                yield row


def load_beir(path: Path, split: str = "test", limit: int | None = None) -> BeirDataset:
    """Read a BEIR-layout folder.

    Args:
        path: The folder.
        split: Which ``qrels/<split>.tsv`` to use.
        limit: Only the first N judged queries (in qrels order); None = all.

    Returns:
        The dataset; ``fingerprint`` is a sha256 prefix of the corpus file (names the index cache).

    Raises:
        AssistantError: A file is missing or malformed, or no query has a judgement.
    """
    if not path.is_dir():
        raise AssistantError(
            f"{path}: not a folder (expected corpus.jsonl, queries.jsonl, qrels/{split}.tsv)"
        )
    corpus_file = next((path / n for n in ("corpus.jsonl", "corpus.jsonl.gz") if (path / n).is_file()), None)
    qrels_file = path / "qrels" / f"{split}.tsv"
    for needed in (corpus_file, path / "queries.jsonl", qrels_file):
        if needed is None or not needed.is_file():
            raise AssistantError(f"{path}: missing {needed or 'corpus.jsonl'}")
    assert corpus_file is not None
    corpus = {}
    for row in _lines(corpus_file):
        corpus[str(row["_id"])] = (str(row.get("title") or ""), str(row.get("text") or ""))
    qrels: dict[str, dict[str, int]] = {}
    with qrels_file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").split("\t")
            if number == 1 and not re.fullmatch(r"-?\d+(?:\.\d*)?", parts[-1].strip()):
                continue  # header
            if len(parts) < 3:
                raise AssistantError(f"{qrels_file}: line {number} has fewer than 3 tab-separated fields")
            try:
                grade = float(parts[2])
            except ValueError:
                raise AssistantError(
                    f"{qrels_file}: line {number}: score {parts[2]!r} is not a number"
                ) from None
            if grade > 0:
                qrels.setdefault(parts[0], {})[parts[1]] = int(round(grade))
    texts = {str(row["_id"]): str(row.get("text") or "") for row in _lines(path / "queries.jsonl")}
    judged = [q for q in qrels if q in texts]
    if limit is not None:
        if limit < 1:
            raise AssistantError(f"--limit must be at least 1, not {limit}")
        judged = judged[:limit]
    if not judged:
        raise AssistantError(
            f"{path}: no query in queries.jsonl has a positive judgement in {qrels_file.name}"
        )
    digest = hashlib.sha256(corpus_file.read_bytes()).hexdigest()[:12]
    return BeirDataset(
        path.name, corpus, {q: texts[q] for q in judged}, {q: qrels[q] for q in judged}, digest
    )


def ndcg_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains: ``sum rel_i / log2(i + 1)`` over the top k, divided by the ideal ordering's.

    Args:
        ranking: Document ids, best first.
        relevant: Judged relevance per document id (> 0 = relevant).
        k: Cut-off.

    Returns:
        0..1 (0 when nothing is relevant).
    """
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], start=1))
    ideal = sorted((r for r in relevant.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(rank + 1) for rank, r in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    """Relevant documents in the top ``k`` / all relevant documents (0 when nothing is relevant)."""
    wanted = {doc for doc, r in relevant.items() if r > 0}
    return len(wanted & set(ranking[:k])) / len(wanted) if wanted else 0.0


def mrr_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document within the top ``k``, else 0."""
    for rank, doc in enumerate(ranking[:k], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def _chunks(dataset: BeirDataset, config: DomainConfig) -> tuple[list[Chunk], list[dict[str, Any]]]:
    chunks: list[Chunk] = []
    metadatas: list[dict[str, Any]] = []
    for doc_id, (title, text) in dataset.corpus.items():
        body = f"{title}\n\n{text}".strip()
        if not body:
            continue
        sha = hashlib.sha256(f"{dataset.fingerprint}\x1f{doc_id}".encode()).hexdigest()
        document = LoadedDocument(doc_id, sha, "text", None, (Section(body, ""),), len(body.encode()))
        for chunk in split_document(
            document, list(document.sections), config.chunking.chunk_size, config.chunking.chunk_overlap
        ):
            chunks.append(chunk)
            metadatas.append(
                {
                    "source": doc_id,
                    "document_sha256": sha,
                    "chunk_index": chunk.index,
                    "title": title or doc_id,
                }
            )
    return chunks, metadatas


def document_batches(metadatas: Sequence[Mapping[str, Any]], size: int) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` slices of about ``size`` chunks that never cut a document (``document_sha256``)
    in two: :meth:`ingest.VectorStore.add_chunks` writes a document whole, and takes chunks of it written by an
    earlier call for the leftovers of a killed write (they would be deleted). A document longer than ``size``
    gets a batch of its own.

    Args:
        metadatas: One mapping per chunk, in order, the chunks of a document next to each other.
        size: The batch size wanted, chunks (>= 1).
    """
    batches: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(metadatas) + 1):
        boundary = index == len(metadatas) or (
            metadatas[index].get("document_sha256") != metadatas[index - 1].get("document_sha256")
        )
        if boundary and (index - start >= size or index == len(metadatas)):
            batches.append((start, index))
            start = index
    return batches


def build_index(
    dataset: BeirDataset,
    config: DomainConfig,
    embedder: Embedder,
    cache_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[VectorStore, float, bool]:
    """Open the cached index of ``dataset`` or build it.

    Returns:
        ``(store, build seconds, built now)``; the seconds are those of the build that made the cache (stored
        beside it), so a cached run still reports them.

    Raises:
        StoreError: Chroma or the BM25 index cannot be written.
    """
    chunking = f"{config.chunking.chunk_size}-{config.chunking.chunk_overlap}"
    backend = "" if embedder.backend == "torch" else f"-{embedder.backend}"  # vectors differ by backend
    folder = cache_dir / f"{dataset.name}-{dataset.fingerprint}-{chunking}{backend}"
    marker = folder / "built.json"
    store = VectorStore(folder)
    if marker.is_file():
        return store, float(json.loads(marker.read_text())["seconds"]), False
    started = time.perf_counter()
    chunks, metadatas = _chunks(dataset, config)
    for start, end in document_batches(metadatas, 512):
        part = chunks[start:end]
        done = store.existing_ids(_EVAL_DOMAIN, [c.id for c in part])  # an interrupted build resumes
        keep = [i for i, c in enumerate(part) if c.id not in done]
        if keep:
            vectors = embedder.embed([part[i].text for i in keep])
            store.add_chunks(
                _EVAL_DOMAIN, [part[i] for i in keep], vectors, [metadatas[start + i] for i in keep]
            )
        if progress is not None:
            progress("index", end, len(chunks))
    seconds = time.perf_counter() - started
    marker.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "chunks": len(chunks),
                "documents": len(dataset.corpus),
            }
        )
    )
    return store, seconds, True


def evaluate_retrieval(
    dataset: BeirDataset,
    config: DomainConfig,
    embedder: Embedder,
    cache_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Score BM25, dense and hybrid retrieval of the product on ``dataset`` (see the module docstring).

    Args:
        dataset: The loaded BEIR data.
        config: The domain whose chunking and retrieval constants are used.
        embedder: The product's embedder.
        cache_dir: Where built indexes are kept (``<data_dir>/eval/retrieval``).
        progress: Called as ``progress(stage, done, total)``.

    Returns:
        ``{"dataset", "queries", "documents", "chunks", "domain", "index_build_seconds", "index_cached",
        "settings", "bm25": {...}, "dense": {...}, "hybrid": {...}}``, each system
        ``{"ndcg@10", "recall@100", "mrr@10", "ms_per_query"}``.
    """
    store, build_seconds, built = build_index(dataset, config, embedder, cache_dir, progress)
    result: dict[str, Any] = {
        "dataset": dataset.name,
        "queries": len(dataset.queries),
        "documents": len(dataset.corpus),
        "chunks": store.count(_EVAL_DOMAIN),
        "domain": config.name,
        "index_build_seconds": round(build_seconds, 1),
        "index_cached": not built,
        "settings": config.retrieval.model_dump(),
    }
    store.sync_lexical(_EVAL_DOMAIN)
    for mode in MODES:
        settings = config.retrieval.model_copy(update={"mode": mode, "candidates": _DEPTH_CHUNKS})
        totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
        started = time.perf_counter()
        for number, (query_id, text) in enumerate(dataset.queries.items(), start=1):
            hits = hybrid_search(store, embedder, _EVAL_DOMAIN, text, _DEPTH_CHUNKS, settings)
            ranking = list(dict.fromkeys(hit.source for hit in hits))
            relevant = dataset.qrels[query_id]
            totals["ndcg@10"] += ndcg_at_k(ranking, relevant, 10)
            totals["recall@100"] += recall_at_k(ranking, relevant, 100)
            totals["mrr@10"] += mrr_at_k(ranking, relevant, 10)
            if progress is not None and (number % 50 == 0 or number == len(dataset.queries)):
                progress(mode, number, len(dataset.queries))
        elapsed = time.perf_counter() - started
        count = len(dataset.queries)
        result[mode] = {name: round(value / count, 4) for name, value in totals.items()}
        result[mode]["ms_per_query"] = round(1000 * elapsed / count, 1)
    return result
