"""BM25 alone on SciFact (BEIR test) with the per-machine FTS5 index and with the shared SQL index, in one run:
nDCG@10 / recall@100 / MRR@10, index build time, query latency p50/p95 per engine. Writes
results/lexical_engines.{json,md}.

Engines: ``fts5`` (:class:`ingest.lexical.LexicalIndex`, a SQLite FTS5 file), ``postgresql``
(:class:`pipelines.documents.lexical_sql.SqlLexicalIndex` on a real throwaway PostgreSQL cluster started here
with ``tests/fixtures/servers.py``, over TCP on 127.0.0.1, engine from ``pipelines.core.sql.database_engine``) and ``sqlite-sql`` (the same class on a SQLite file).

Method (that of ``assistant eval retrieval``, ``pipelines/evals/retrieval.py``, whose functions are reused): the
corpus is chunked with the domain's chunk settings (``_chunks``: title, blank line, text; the product's
character-based splitter, no embedder needed), each chunk is indexed by ``ingest.store.lexical_text`` (title
header) in batches of 512 chunks, with the documents' sha256 and shared owner; each judged query asks for the 300
best chunks (``_DEPTH_CHUNKS``), duplicates by text are dropped as the product does
(``pipelines.chat.retrieval._distinct``), chunks become documents by each document's best chunk, and
``ndcg_at_k`` / ``recall_at_k`` / ``mrr_at_k`` score the ranking. Without Chroma (no embeddings are needed for
BM25 alone) the chunk texts and metadata come from the chunking itself, as the store would return them.

Latency: wall time of each ``search(domain, query, 300)`` call after 5 warm-up queries (the tokenisation of the
query included), on the 2 shared cores of this machine; "owners" is the same with ``owners=["", "someone"]`` (a
signed-in user's search: shared chunks and the user's own). Build: wall time of all ``upsert`` calls (tokenisation
included).

Run: ``.venv/bin/python benchmarks/lexical_engines.py [--dataset DIR] [--domain medical]`` (a few minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from domains import load_domains
from ingest.lexical import LexicalBackend, LexicalIndex
from ingest.store import RetrievedChunk, lexical_text
from pipelines.chat.retrieval import _distinct
from pipelines.core.sql import database_engine, sqlite_engine
from pipelines.documents.lexical_sql import SqlLexicalIndex, _postings
from pipelines.evals.retrieval import (
    _DEPTH_CHUNKS,
    _EVAL_DOMAIN,
    _chunks,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)

ROOT = Path(__file__).resolve().parent.parent
BATCH = 512
WARMUP = 5


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_engine(
    name: str, index: LexicalBackend, data: Any, chunks: list[Any], metas: list[dict[str, Any]]
) -> dict[str, Any]:
    """Build ``index`` from ``chunks`` and answer every judged query; returns metrics, timings and the hits."""
    started = time.perf_counter()
    for start in range(0, len(chunks), BATCH):
        part, part_meta = chunks[start : start + BATCH], metas[start : start + BATCH]
        index.upsert(
            _EVAL_DOMAIN,
            [c.id for c in part],
            [lexical_text(c.text, m) for c, m in zip(part, part_meta, strict=True)],
            [str(m["document_sha256"]) for m in part_meta],
            owners=[""] * len(part),
        )
    build = time.perf_counter() - started
    texts = {c.id: c.text for c in chunks}
    by_id = {c.id: m for c, m in zip(chunks, metas, strict=True)}
    queries = list(data.queries.items())
    for _, text in queries[:WARMUP]:
        index.search(_EVAL_DOMAIN, text, _DEPTH_CHUNKS)
    totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    latencies: list[float] = []
    hits_by_query: dict[str, list[tuple[str, float]]] = {}
    for query_id, text in queries:
        began = time.perf_counter()
        hits = index.search(_EVAL_DOMAIN, text, _DEPTH_CHUNKS)
        latencies.append(1000 * (time.perf_counter() - began))
        hits_by_query[query_id] = [(h.chunk_id, h.score) for h in hits]
        retrieved = _distinct(
            [RetrievedChunk(h.chunk_id, texts[h.chunk_id], h.score, by_id[h.chunk_id]) for h in hits]
        )
        ranking = list(dict.fromkeys(hit.source for hit in retrieved))
        relevant = data.qrels[query_id]
        totals["ndcg@10"] += ndcg_at_k(ranking, relevant, 10)
        totals["recall@100"] += recall_at_k(ranking, relevant, 100)
        totals["mrr@10"] += mrr_at_k(ranking, relevant, 10)
    filtered: list[float] = []  # as a signed-in user searches: shared chunks and the user's own
    for _, text in queries:
        began = time.perf_counter()
        index.search(_EVAL_DOMAIN, text, _DEPTH_CHUNKS, owners=["", "someone"])
        filtered.append(1000 * (time.perf_counter() - began))
    result: dict[str, Any] = {name_: round(value / len(queries), 4) for name_, value in totals.items()}
    result |= {
        "index_build_seconds": round(build, 1),
        "chunks": index.count(_EVAL_DOMAIN),
        "posting_rows": _posting_rows(index),
        "ms_p50": round(_percentile(latencies, 0.50), 1),
        "ms_p95": round(_percentile(latencies, 0.95), 1),
        "ms_mean": round(statistics.fmean(latencies), 1),
        "owners_ms_p50": round(_percentile(filtered, 0.50), 1),
        "owners_ms_p95": round(_percentile(filtered, 0.95), 1),
    }
    print(name, json.dumps(result), flush=True)
    return {"metrics": result, "hits": hits_by_query}


def _posting_rows(index: LexicalBackend) -> int | None:
    """Rows of the SQL index's postings table (None for FTS5, whose index is its own structure)."""
    if not isinstance(index, SqlLexicalIndex):
        return None
    with index.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(_postings)).scalar_one())


def _agreement(
    a: dict[str, list[tuple[str, float]]], b: dict[str, list[tuple[str, float]]]
) -> dict[str, Any]:
    """How often two engines return the same top-10 chunk ids (in order), and the largest relative score gap."""
    same = sum(1 for q in a if [c for c, _ in a[q][:10]] == [c for c, _ in b[q][:10]])
    gap = 0.0
    for q in a:
        theirs = dict(b[q])
        for chunk_id, score in a[q]:
            if chunk_id in theirs and score:
                gap = max(gap, abs(theirs[chunk_id] - score) / abs(score))
    return {"same_top10_queries": same, "queries": len(a), "max_relative_score_difference": gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "scifact_beir")
    parser.add_argument("--domain", default="medical")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # the test fixtures start the throwaway PostgreSQL cluster
    from tests.fixtures.servers import start_postgres

    config = load_domains()[args.domain]
    data = load_beir(args.dataset)
    chunks, metas = _chunks(data, config)
    print(
        f"{data.name}: {len(data.queries)} queries, {len(data.corpus)} documents, {len(chunks)} chunks",
        flush=True,
    )
    runs: dict[str, dict[str, Any]] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="lexical-engines-") as folder:
        fts = LexicalIndex(Path(folder) / "bm25.sqlite3")
        runs["fts5"] = run_engine("fts5", fts, data, chunks, metas)
        fts.close()
        cluster = start_postgres()
        try:
            engine = database_engine(cluster.new_database())
            runs["postgresql"] = run_engine("postgresql", SqlLexicalIndex(engine), data, chunks, metas)
            engine.dispose()
            postgres_version = _server_version(cluster)
        finally:
            cluster.stop()
        local = sqlite_engine(Path(folder) / "shared.sqlite3")
        runs["sqlite-sql"] = run_engine("sqlite-sql", SqlLexicalIndex(local), data, chunks, metas)
        local.dispose()
    fts5 = runs["fts5"]["metrics"]
    result: dict[str, Any] = {
        "dataset": data.name,
        "queries": len(data.queries),
        "documents": len(data.corpus),
        "chunks": len(chunks),
        "domain": args.domain,
        "chunking": config.chunking.model_dump(),
        "depth_chunks": _DEPTH_CHUNKS,
        "postgresql": postgres_version,
        "python": platform.python_version(),
        "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "engines": {name: run["metrics"] for name, run in runs.items()},
        "ratio_to_fts5": {
            name: {
                "ndcg@10": round(run["metrics"]["ndcg@10"] / fts5["ndcg@10"], 4),
                "index_build_seconds": round(
                    run["metrics"]["index_build_seconds"] / fts5["index_build_seconds"], 2
                ),
                "ms_p50": round(run["metrics"]["ms_p50"] / fts5["ms_p50"], 2),
                "ms_p95": round(run["metrics"]["ms_p95"] / fts5["ms_p95"], 2),
            }
            for name, run in runs.items()
            if name != "fts5"
        },
        "agreement_with_fts5": {
            name: _agreement(runs["fts5"]["hits"], run["hits"])
            for name, run in runs.items()
            if name != "fts5"
        },
    }
    out = ROOT / "benchmarks" / "results"
    (out / "lexical_engines.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "lexical_engines.md").write_text(_markdown(result))
    print(json.dumps(result, indent=2))


def _server_version(cluster: Any) -> str:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=assistant dbname=postgres") as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# BM25 engines: FTS5 file vs the shared SQL index (benchmarks/lexical_engines.py)",
        "",
        f"{result['dataset']} (BEIR test): {result['queries']} queries, {result['documents']} documents, "
        f"{result['chunks']} chunks ({result['domain']} chunking {json.dumps(result['chunking'])}); BM25 alone, "
        f"{result['depth_chunks']} chunks per query, MaxP documents. PostgreSQL {result['postgresql']} (throwaway "
        "cluster, 127.0.0.1, fsync off), Python sqlite3 for FTS5 and sqlite-sql; 2 cores shared with other work "
        f"(1-minute load average {result['load_average_1min'][0]} at the start, {result['load_average_1min'][1]} at "
        "the end: timings are noisy, compare engines within one run).",
        "",
        "| engine | nDCG@10 | recall@100 | MRR@10 | build s | query p50 ms | query p95 ms | mean ms "
        "| owners p50 ms | owners p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in result["engines"].items():
        lines.append(
            f"| {name} | {row['ndcg@10']:.4f} | {row['recall@100']:.4f} | {row['mrr@10']:.4f} "
            f"| {row['index_build_seconds']:.1f} | {row['ms_p50']:.1f} | {row['ms_p95']:.1f} | {row['ms_mean']:.1f} "
            f"| {row['owners_ms_p50']:.1f} | {row['owners_ms_p95']:.1f} |"
        )
    lines += [
        "",
        "| engine / fts5 | nDCG@10 | build | p50 | p95 | same top 10 as FTS5 | max relative score gap |",
    ]
    lines += ["|---|---|---|---|---|---|---|"]
    for name, ratio in result["ratio_to_fts5"].items():
        agree = result["agreement_with_fts5"][name]
        lines.append(
            f"| {name} | {ratio['ndcg@10']:.4f} | {ratio['index_build_seconds']:.2f} | {ratio['ms_p50']:.2f} "
            f"| {ratio['ms_p95']:.2f} | {agree['same_top10_queries']}/{agree['queries']} "
            f"| {agree['max_relative_score_difference']:.1e} |"
        )
    lines += [
        "",
        "Same tokens (`ingest.lexical.lexical_tokens`) and the same Okapi BM25 as FTS5's `bm25()` (k1 = 1.2, "
        "b = 0.75, IDF floor 1e-6), so the rankings agree up to floating-point summation order (ties). The build "
        "time includes tokenising every chunk; the SQL index writes one posting row per distinct term of a chunk "
        f"({result['engines']['postgresql']['posting_rows']:,} rows here) in the chunks' transaction. For scale: "
        "the product's full SciFact index build (embeddings + Chroma + BM25, benchmarks/results/retrieval.md) took "
        "3800 s.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
