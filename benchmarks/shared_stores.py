"""Embedded stores against shared stores (issue 20), on the same corpus in one run: ingestion throughput, retrieval
latency per question and SciFact nDCG@10 of (a) embedded Chroma + the FTS5 BM25 file (``store.mode embedded``, the
default) and (b) a Chroma server (``chroma run``) + :class:`pipelines.documents.lexical_sql.SqlLexicalIndex` on
PostgreSQL (``store.mode http``). Writes ``results/shared_stores.{json,md}``.

Engines: a throwaway PostgreSQL cluster and a ``chroma run`` process started here with ``tests/fixtures/servers.py``
(127.0.0.1, TCP; the cluster runs with fsync off), the SQL engine from ``pipelines.core.sql.database_engine``, the
store built as ``Services.store`` builds it (``VectorStore(folder, server=ChromaServer(...), lexical=...)``).

Corpus: SciFact (BEIR test, ``../shared/datasets/scifact_beir``) chunked as ``assistant eval retrieval`` chunks it
(``pipelines.evals.retrieval._chunks``: title, blank line, text; the domain's chunk settings; metadata with the
title the BM25 rows carry). The embedding of the first ``--estimate`` chunks is timed first; if the full corpus
would take longer than ``--budget-minutes`` to embed, the run uses a subset: every document judged relevant for a
test query, then the other documents in corpus order until ``--chunks`` chunks. All 300 test queries are then
answerable inside the subset, but it has far fewer distractors than the 5,183-document corpus: its nDCG is not
comparable to the published full-corpus figures (README: hybrid 0.721), only between the two modes.

Embeddings (``ingest.Embedder``, all-MiniLM-L6-v2) are computed once, before anything is written, and the same
vectors go into both modes; the query vectors are computed once too and served by a cached embedder, so every
timing below is of the stores, not of the model (the embedding times are reported on their own).

1. **Ingestion**: ``VectorStore.add_chunks`` as the product calls it, two ways, each into its own domain:
   ``batch`` (up to 512 chunks per call, whole documents: the eval's ``build_index`` cuts 512-chunk batches
   across documents, and ``add_chunks`` now deletes a document's chunks that are not in the call as a killed
   write's leftovers, so that way loses the chunks before each cut) and ``per document`` (one call per document, as
   ``DocumentIngestion`` does for an upload; its older-version lookup is not included). The two modes alternate
   call by call (same corpus, same load on the machine at the same time); chunks/s = chunks / summed call seconds.
2. **Latency per question**: ``pipelines.chat.retrieval.hybrid_search`` (the function the product's ``Retriever``
   calls) in modes ``dense`` (one Chroma query), ``bm25`` (the BM25 search, then one Chroma read of the hits'
   texts and metadata) and ``hybrid`` (both, fused by RRF), with the domain's retrieval settings (``top_k``,
   ``candidates``), query vector precomputed. The two modes alternate question by question (which goes first
   alternates too), after 5 warm-up questions; p50/p95 by nearest rank.
3. **nDCG@10**: the same calls at the eval's depth (300 chunks per retriever and per answer, ``_DEPTH_CHUNKS``),
   chunks to documents by best chunk (MaxP), scored with ``pipelines.evals.retrieval.ndcg_at_k`` (recall@100 and
   MRR@10 too), and the two modes' top-10 chunk ids compared per question. These calls are timed as well
   (``depth 300`` latencies).

Run: ``.venv/bin/python benchmarks/shared_stores.py [--chunks 3000] [--budget-minutes 20] [--vector-cache FILE]``
(about 15 minutes on 2 shared cores for 3,000 chunks, most of it the embedding; ``--vector-cache`` keeps the
vectors and their timings for a rerun of the store measurements).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(
    0, str(ROOT)
)  # the test fixtures start the throwaway PostgreSQL cluster and the Chroma server

from tqdm import tqdm  # noqa: E402

from domains import load_domains  # noqa: E402
from ingest import Embedder, VectorStore  # noqa: E402
from ingest.store import ChromaServer  # noqa: E402
from pipelines.chat.retrieval import hybrid_search  # noqa: E402
from pipelines.core.sql import database_engine  # noqa: E402
from pipelines.documents.lexical_sql import SqlLexicalIndex  # noqa: E402
from pipelines.evals.retrieval import (  # noqa: E402
    _DEPTH_CHUNKS,
    _chunks,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)
from tests.fixtures.servers import start_chroma, start_postgres  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
MODES = ("embedded", "server")
METHODS = ("dense", "bm25", "hybrid")
BATCH = 512
WARMUP = 5
DOMAIN_BATCH = "bench_batch"  # written up to 512 chunks (whole documents) per call; every query runs here
DOMAIN_DOCS = "bench_docs"  # written one document per call


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean of ``values`` (ms), rounded."""
    return {
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "mean": round(sum(values) / len(values), 2),
    }


@dataclass
class CachedEmbedder:
    """Answers ``embed_query`` from vectors computed beforehand (what ``hybrid_search`` asks of an embedder)."""

    vectors: dict[str, list[float]]

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]


def choose_corpus(
    data: Any, chunks: list[Any], metas: list[dict[str, Any]], target: int
) -> tuple[list[int], int]:
    """Indices of the subset's chunks (corpus order) and its document count: every document relevant to a test
    query, then the other documents in corpus order until ``target`` chunks."""
    by_doc: dict[str, list[int]] = {}
    for i, meta in enumerate(metas):
        by_doc.setdefault(str(meta["source"]), []).append(i)
    keep = {doc for relevant in data.qrels.values() for doc in relevant if doc in by_doc}
    total = sum(len(by_doc[doc]) for doc in keep)
    for doc in by_doc:
        if total >= target:
            break
        if doc not in keep:
            keep.add(doc)
            total += len(by_doc[doc])
    indices = [i for doc, idx in by_doc.items() if doc in keep for i in idx]
    return indices, len(keep)


def ingest(
    stores: dict[str, VectorStore],
    chunks: list[Any],
    metas: list[dict[str, Any]],
    vectors: list[list[float]],
) -> dict[str, dict[str, Any]]:
    """Write the corpus into both stores, batch-wise and per document, the modes alternating call by call."""
    groups: dict[str, list[int]] = {}
    for i, meta in enumerate(metas):
        groups.setdefault(str(meta["document_sha256"]), []).append(i)
    batches: list[list[int]] = [[]]
    for group in groups.values():  # whole documents per call: add_chunks treats a document's chunks that are
        if (
            batches[-1] and len(batches[-1]) + len(group) > BATCH
        ):  # not in the call as a killed write's leftovers
            batches.append([])
        batches[-1].extend(group)
    plans = {"batch": (DOMAIN_BATCH, batches), "per_document": (DOMAIN_DOCS, list(groups.values()))}
    result: dict[str, dict[str, Any]] = {mode: {} for mode in stores}
    for way, (domain, calls) in plans.items():
        seconds = dict.fromkeys(stores, 0.0)
        call_ms: dict[str, list[float]] = {mode: [] for mode in stores}
        for number, call in enumerate(tqdm(calls, desc=f"ingest {way}", unit="call", file=sys.stderr)):
            order = list(stores) if number % 2 == 0 else list(reversed(stores))
            for mode in order:
                began = time.perf_counter()
                stores[mode].add_chunks(
                    domain, [chunks[i] for i in call], [vectors[i] for i in call], [metas[i] for i in call]
                )
                took = time.perf_counter() - began
                seconds[mode] += took
                call_ms[mode].append(1000 * took)
        for mode, store in stores.items():
            stored = store.count(domain)
            if stored != len(chunks) or store.lexical.count(domain) != len(chunks):
                raise SystemExit(f"{mode} {way}: {stored} chunks stored, {len(chunks)} written")
            result[mode][way] = {
                "calls": len(calls),
                "seconds": round(seconds[mode], 2),
                "chunks_per_s": round(len(chunks) / seconds[mode], 1),
                "call_ms": summary(call_ms[mode]),
            }
    return result


def query(
    stores: dict[str, VectorStore],
    embedder: CachedEmbedder,
    queries: list[tuple[str, str]],
    config: Any,
    qrels: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """Latency at the product's settings and nDCG (with latency) at the eval's depth, modes alternating."""
    product = config.retrieval
    settings = {
        "product": {m: (product.model_copy(update={"mode": m}), product.top_k) for m in METHODS},
        "depth300": {
            m: (product.model_copy(update={"mode": m, "candidates": _DEPTH_CHUNKS}), _DEPTH_CHUNKS)
            for m in METHODS
        },
    }
    for _, text in queries[:WARMUP]:  # warm-up: connections, the first sync of the BM25 index, caches
        for store in stores.values():
            for method in METHODS:
                for setting in settings.values():
                    retrieval, k = setting[method]
                    hybrid_search(store, embedder, DOMAIN_BATCH, text, k, retrieval)  # type: ignore[arg-type]
    latency = {s: {mode: {m: [] for m in METHODS} for mode in stores} for s in settings}
    scores = {
        mode: {m: {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0} for m in METHODS} for mode in stores
    }
    top10: dict[str, dict[str, dict[str, list[str]]]] = {mode: {m: {} for m in METHODS} for mode in stores}
    hits_count = {mode: {m: 0 for m in METHODS} for mode in stores}
    for number, (query_id, text) in enumerate(tqdm(queries, desc="queries", unit="q", file=sys.stderr)):
        order = list(stores) if number % 2 == 0 else list(reversed(stores))
        for name, setting in settings.items():
            for method in METHODS:
                retrieval, k = setting[method]
                for mode in order:
                    began = time.perf_counter()
                    hits = hybrid_search(stores[mode], embedder, DOMAIN_BATCH, text, k, retrieval)  # type: ignore[arg-type]
                    latency[name][mode][method].append(1000 * (time.perf_counter() - began))
                    if name != "depth300":
                        continue
                    ranking = list(dict.fromkeys(hit.source for hit in hits))
                    relevant = qrels[query_id]
                    scores[mode][method]["ndcg@10"] += ndcg_at_k(ranking, relevant, 10)
                    scores[mode][method]["recall@100"] += recall_at_k(ranking, relevant, 100)
                    scores[mode][method]["mrr@10"] += mrr_at_k(ranking, relevant, 10)
                    top10[mode][method][query_id] = [hit.chunk_id for hit in hits[:10]]
                    hits_count[mode][method] += len(hits)
    count = len(queries)
    first, second = list(stores)
    return {
        "latency_ms": {
            name: {mode: {m: summary(latency[name][mode][m]) for m in METHODS} for mode in stores}
            for name in settings
        },
        "quality": {
            mode: {
                m: {metric: round(value / count, 4) for metric, value in scores[mode][m].items()}
                | {"mean_hits": round(hits_count[mode][m] / count, 1)}
                for m in METHODS
            }
            for mode in stores
        },
        "same_top10_queries": {
            m: sum(1 for q in top10[first][m] if top10[first][m][q] == top10[second][m].get(q))
            for m in METHODS
        },
    }


def embed_all(
    all_chunks: list[Any],
    subset: list[int],
    queries: list[tuple[str, str]],
    estimate: int,
    budget_minutes: float,
) -> dict[str, Any]:
    """Embed the first ``estimate`` subset chunks (timed: the full-corpus estimate), then the rest of the full
    corpus or of the subset, then the queries; returns the vectors, what was chosen and the timings."""
    embedder = Embedder()
    embedder.embed(["warm-up"])
    vectors: dict[int, list[float]] = {}

    def run(indices: list[int], desc: str) -> float:
        bar = tqdm(total=len(indices), desc=desc, unit="chunk", file=sys.stderr)
        began = time.perf_counter()
        for start in range(0, len(indices), 64):
            part = indices[start : start + 64]
            for i, vector in zip(part, embedder.embed([all_chunks[i].text for i in part]), strict=True):
                vectors[i] = vector
            bar.update(len(part))
        bar.close()
        return time.perf_counter() - began

    first = subset[:estimate]
    estimate_s = run(first, "embed (estimate)")
    rate = len(first) / estimate_s
    full_minutes = len(all_chunks) / rate / 60
    full = full_minutes <= budget_minutes
    chosen = list(range(len(all_chunks))) if full else subset
    print(
        f"embedding: {rate:.1f} chunks/s; the full corpus ({len(all_chunks)} chunks) would take {full_minutes:.1f} "
        f"min -> {'full corpus' if full else f'subset of {len(subset)} chunks'}",
        file=sys.stderr,
        flush=True,
    )
    embed_s = estimate_s + run([i for i in chosen if i not in vectors], "embed")
    began = time.perf_counter()
    query_vectors = {text: embedder.embed_query(text) for _, text in queries}
    return {
        "vectors": vectors,
        "chosen": chosen,
        "full": full,
        "estimate_count": len(first),
        "full_minutes": full_minutes,
        "embed_s": embed_s,
        "query_vectors": query_vectors,
        "query_embed_ms": 1000 * (time.perf_counter() - began) / len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "scifact_beir")
    parser.add_argument("--domain", default="medical")
    parser.add_argument(
        "--chunks", type=int, default=3000, help="subset size in chunks (when the full corpus is too big)"
    )
    parser.add_argument(
        "--estimate", type=int, default=1000, help="chunks embedded to estimate the full build"
    )
    parser.add_argument(
        "--budget-minutes", type=float, default=20.0, help="largest full-corpus embedding time"
    )
    parser.add_argument(
        "--queries", type=int, default=None, help="only the first N test queries (a smoke run)"
    )
    parser.add_argument(
        "--vector-cache",
        type=Path,
        default=None,
        help="a file to keep the embeddings in between runs (a rerun)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for shared_stores.{json,md}")
    args = parser.parse_args()
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()
    config = load_domains()[args.domain]
    data = load_beir(args.dataset, limit=args.queries)
    all_chunks, all_metas = _chunks(data, config)
    subset, subset_docs = choose_corpus(data, all_chunks, all_metas, args.chunks)

    queries = list(data.queries.items())
    key = {
        "chunks": [c.id for c in all_chunks],
        "subset": subset,
        "args": [args.estimate, args.budget_minutes],
    }
    cache = args.vector_cache
    if cache is not None and cache.is_file() and pickle.loads(cache.read_bytes())["key"] == key:
        emb = pickle.loads(cache.read_bytes())  # an earlier run's vectors and timings (same chunks)
        print(f"embeddings and their timings from {cache}", file=sys.stderr, flush=True)
    else:
        emb = embed_all(all_chunks, subset, queries, args.estimate, args.budget_minutes)
        if cache is not None:
            cache.write_bytes(pickle.dumps(emb | {"key": key}))
    chosen, full = emb["chosen"], emb["full"]
    estimate_count, full_minutes, embed_s = emb["estimate_count"], emb["full_minutes"], emb["embed_s"]
    query_vectors, query_embed_ms = emb["query_vectors"], emb["query_embed_ms"]
    chunks = [all_chunks[i] for i in chosen]
    metas = [all_metas[i] for i in chosen]
    vectors = [emb["vectors"][i] for i in chosen]
    cached = CachedEmbedder(query_vectors)

    with tempfile.TemporaryDirectory(prefix="shared-stores-") as folder:
        cluster = start_postgres()
        chroma = None
        engine = None
        try:
            chroma = start_chroma(Path(folder) / "chroma-server" / "data")
            engine = database_engine(cluster.new_database())
            stores = {
                "embedded": VectorStore(Path(folder) / "embedded"),
                "server": VectorStore(
                    Path(folder) / "server-local",
                    server=ChromaServer("127.0.0.1", chroma.port),
                    lexical=SqlLexicalIndex(engine),
                ),
            }
            ingestion = ingest(stores, chunks, metas, vectors)
            retrieval = query(stores, cached, queries, config, data.qrels)
            with engine.connect() as connection:
                postgres_version = str(connection.exec_driver_sql("SHOW server_version").scalar_one())
        finally:
            if engine is not None:
                engine.dispose()
            if chroma is not None:
                chroma.stop()
            cluster.stop()

    import chromadb

    result: dict[str, Any] = {
        "date": started_at,
        "machine": f"{os.cpu_count()} cores (shared with other work), {platform.machine()}, Linux",
        "load_average_1m": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "python": platform.python_version(),
        "chromadb": chromadb.__version__,
        "postgresql": postgres_version,
        "dataset": data.name,
        "corpus": "full" if full else "subset",
        "documents": len(data.corpus) if full else subset_docs,
        "chunks": len(chunks),
        "full_corpus_chunks": len(all_chunks),
        "queries": len(queries),
        "domain": args.domain,
        "chunking": config.chunking.model_dump(),
        "retrieval_settings": config.retrieval.model_dump(),
        "depth_chunks": _DEPTH_CHUNKS,
        "embedding": {
            "chunks_per_s": round(len(chunks) / embed_s, 1),
            "seconds": round(embed_s, 1),
            "estimate_chunks": estimate_count,
            "full_corpus_estimate_minutes": round(full_minutes, 1),
            "budget_minutes": args.budget_minutes,
            "query_ms": round(query_embed_ms, 1),
            "from_cache_of_an_earlier_run": cache is not None and "key" in emb,
        },
        "ingestion": ingestion,
        **retrieval,
    }
    result["ratio_server_to_embedded"] = ratios(result)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "shared_stores.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.results / "shared_stores.md").write_text(markdown(result))
    print(markdown(result))


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    """server / embedded for every throughput, latency and quality figure."""

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    ing = result["ingestion"]
    out: dict[str, Any] = {
        f"ingest_{way}_seconds": ratio(ing["server"][way]["seconds"], ing["embedded"][way]["seconds"])
        for way in ("batch", "per_document")
    }
    for name, table in result["latency_ms"].items():
        for m in METHODS:
            for stat in ("p50", "p95"):
                out[f"{name}_{m}_{stat}"] = ratio(table["server"][m][stat], table["embedded"][m][stat])
    for m in METHODS:
        out[f"ndcg@10_{m}"] = ratio(
            result["quality"]["server"][m]["ndcg@10"], result["quality"]["embedded"][m]["ndcg@10"]
        )
    return out


def markdown(result: dict[str, Any]) -> str:
    ing, lat, qual, rat = (
        result["ingestion"],
        result["latency_ms"],
        result["quality"],
        result["ratio_server_to_embedded"],
    )
    subset = result["corpus"] == "subset"
    names = {
        "embedded": "embedded (Chroma in process + FTS5 file)",
        "server": f"server (chroma run {result['chromadb']} + PostgreSQL {result['postgresql'].split()[0]})",
    }
    lines = [
        "# Shared stores: embedded against server mode (benchmarks/shared_stores.py)",
        "",
        f"`.venv/bin/python benchmarks/shared_stores.py` on {result['machine']} ({result['date']}; load average "
        f"{result['load_average_1m']['start']} at the start, {result['load_average_1m']['end']} at the end). Both modes "
        "open in one process, on the same chunks and the same precomputed vectors, alternating call by call; the "
        "servers are local (127.0.0.1, TCP), PostgreSQL a throwaway cluster with fsync off.",
        "",
        f"Corpus: {result['dataset']} "
        + (
            f"**subset**: {result['documents']} documents, {result['chunks']} chunks (of {result['full_corpus_chunks']}): "
            "every document judged relevant for a test query, then others in corpus order. The full corpus was not "
            f"built: the first {result['embedding']['estimate_chunks']} chunks embedded at "
            f"{round(result['full_corpus_chunks'] / (60 * result['embedding']['full_corpus_estimate_minutes']), 1)} "
            "chunks/s here, so its "
            f"{result['full_corpus_chunks']} chunks would take {result['embedding']['full_corpus_estimate_minutes']} min "
            f"(budget {result['embedding']['budget_minutes']:.0f} min). The nDCG below is of this subset (fewer "
            "distractors): not comparable to the full-corpus figures (hybrid 0.721, benchmarks/results/retrieval.md), "
            "only between the two modes."
            if subset
            else f"full corpus: {result['documents']} documents, {result['chunks']} chunks."
        )
        + f" {result['queries']} test queries; {result['domain']} chunking {json.dumps(result['chunking'])}.",
        "",
        f"Embedding (once, reused by both modes, not in any figure below): {result['chunks']} chunks in "
        f"{result['embedding']['seconds']} s ({result['embedding']['chunks_per_s']} chunks/s); a query "
        f"{result['embedding']['query_ms']} ms"
        + (
            " (vectors and timings from the `--vector-cache` of the run that computed them, same chunks)."
            if result["embedding"].get("from_cache_of_an_earlier_run")
            else "."
        ),
        "",
        "| mode | chunks/s batch | ingest s batch | chunks/s per doc | ingest s per doc | dense p50 / p95 ms "
        "| BM25 p50 / p95 ms | hybrid p50 / p95 ms | nDCG@10 dense | nDCG@10 BM25 | nDCG@10 hybrid |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    p = lat["product"]
    for mode in MODES:
        b, d = ing[mode]["batch"], ing[mode]["per_document"]
        lines.append(
            f"| {names[mode]} | {b['chunks_per_s']} | {b['seconds']} | {d['chunks_per_s']} | {d['seconds']} "
            + "".join(f"| {p[mode][m]['p50']} / {p[mode][m]['p95']} " for m in METHODS)
            + "".join(f"| {qual[mode][m]['ndcg@10']:.4f} " for m in METHODS)
            + "|"
        )
    lines.append(
        f"| **server / embedded** | {round(1 / rat['ingest_batch_seconds'], 3)} | {rat['ingest_batch_seconds']} "
        f"| {round(1 / rat['ingest_per_document_seconds'], 3)} | {rat['ingest_per_document_seconds']} "
        + "".join(f"| {rat[f'product_{m}_p50']} / {rat[f'product_{m}_p95']} " for m in METHODS)
        + "".join(f"| {rat[f'ndcg@10_{m}']} " for m in METHODS)
        + "|"
    )
    r = result["retrieval_settings"]
    lines += [
        "",
        f"Ingestion: `VectorStore.add_chunks`, batch = {ing['embedded']['batch']['calls']} calls of up to 512 chunks "
        f"(whole documents; the eval's batch size), per doc = {ing['embedded']['per_document']['calls']} calls, one per document "
        f"(as an upload is written; about {round(result['chunks'] / ing['embedded']['per_document']['calls'], 1)} chunks "
        "each). Per-call p50 ms, embedded / server: batch "
        f"{ing['embedded']['batch']['call_ms']['p50']} / {ing['server']['batch']['call_ms']['p50']}, per doc "
        f"{ing['embedded']['per_document']['call_ms']['p50']} / {ing['server']['per_document']['call_ms']['p50']}.",
        "",
        f"Latency: `hybrid_search` per question with the {result['domain']} domain's settings (top_k {r['top_k']}, "
        f"{r['candidates']} candidates per retriever, RRF k {r['rrf_k']:g}), query vector precomputed; "
        f"{result['queries']} questions after {WARMUP} warm-ups. At the eval's depth ({result['depth_chunks']} chunks "
        "per retriever and per answer, the calls that give the nDCG):",
        "",
        "| mode | dense p50 / p95 ms | BM25 p50 / p95 ms | hybrid p50 / p95 ms |",
        "|---|---|---|---|",
    ]
    deep = lat["depth300"]
    for mode in MODES:
        lines.append(
            f"| {mode} "
            + "".join(f"| {deep[mode][m]['p50']} / {deep[mode][m]['p95']} " for m in METHODS)
            + "|"
        )
    lines.append(
        "| server / embedded "
        + "".join(f"| {rat[f'depth300_{m}_p50']} / {rat[f'depth300_{m}_p95']} " for m in METHODS)
        + "|"
    )
    lines += [
        "",
        f"Quality ({'subset' if subset else 'full corpus'}, depth {result['depth_chunks']}, MaxP documents):",
        "",
        "| mode | method | nDCG@10 | recall@100 | MRR@10 |",
        "|---|---|---|---|---|",
    ]
    for mode in MODES:
        for m in METHODS:
            q = qual[mode][m]
            lines.append(f"| {mode} | {m} | {q['ndcg@10']:.4f} | {q['recall@100']:.4f} | {q['mrr@10']:.4f} |")
    same = result["same_top10_queries"]
    lines += [
        "",
        "Same top-10 chunk ids (in order) in both modes: "
        + ", ".join(f"{m} {same[m]}/{result['queries']}" for m in METHODS)
        + ". Where they differ: BM25 ties ordered differently by the two engines (the same scores up to "
        "floating-point summation order, benchmarks/results/lexical_engines.md), and dense hits deep in the list "
        "from two separately built HNSW graphs (approximate search: recall@100 can differ while the top 10 agree); "
        "both feed the hybrid fusion.",
        "",
        "Server overhead: every store call is an HTTP request to Chroma and a PostgreSQL round trip over TCP "
        "(JSON encoding of vectors and texts, one connection-pool checkout per call) instead of calls into this "
        "process and a local SQLite file; a BM25 search is one SQL statement plus one Chroma read of the hits, a "
        "dense search one Chroma query, hybrid both. The absolute costs grow with the size of the answer (the depth "
        "300 calls), the ratios shrink as the search itself dominates.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
