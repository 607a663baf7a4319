"""The ingestion flow: validate → load → de-identify (domain document policy) → chunk → embed → upsert.

All-or-nothing per document: every step up to the embeddings runs before anything is written, and the
store write rolls back on failure. A document already present (same sha256) is skipped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from domains import sample_corpus_files
from ingest import IngestError, LoadedDocument, Section, load_bytes, load_document, split_document
from pipelines.logs import logger
from pipelines.services import Services

__all__ = ["IngestReport", "ProgressFn", "index_sample_corpora", "ingest_bytes", "ingest_path"]

#: ``progress(stage, fraction)`` with stage in load|deidentify|chunk|embed|store and fraction in 0..1.
ProgressFn = Callable[[str, float], None]


@dataclass
class IngestReport:
    """What ingesting one document did.

    Attributes:
        name: File name.
        domain: Target domain.
        sha256: Document sha256 (hex).
        kind: Detected kind.
        chunks: Chunks the document yields.
        chunks_added: Chunks newly written (0 for a re-ingest).
        duplicate: The document was already in the collection.
        redactions: Findings removed, per entity type.
        seconds: Wall time, seconds.
    """

    name: str
    domain: str
    sha256: str
    kind: str
    chunks: int
    chunks_added: int
    duplicate: bool
    redactions: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return asdict(self)


def _noop(stage: str, fraction: float) -> None:
    return None


def ingest_path(
    services: Services, domain: str, path: Path, progress: ProgressFn | None = None
) -> IngestReport:
    """Ingest the file at ``path`` into ``domain``.

    Raises:
        IngestError: The file cannot be read (message names the file and reason); nothing is indexed.
        AssistantError: Unknown domain.
    """
    limits = services.settings.ingest
    document = load_document(path, max_bytes=int(limits.max_file_mb * 2**20), max_chars=limits.max_chars)
    return _ingest_loaded(services, domain, document, progress or _noop)


def ingest_bytes(
    services: Services, domain: str, name: str, data: bytes, progress: ProgressFn | None = None
) -> IngestReport:
    """Ingest an uploaded file given as ``name`` + ``data``; see :func:`ingest_path`."""
    limits = services.settings.ingest
    document = load_bytes(name, data, max_bytes=int(limits.max_file_mb * 2**20), max_chars=limits.max_chars)
    return _ingest_loaded(services, domain, document, progress or _noop)


def _ingest_loaded(
    services: Services, domain: str, document: LoadedDocument, progress: ProgressFn
) -> IngestReport:
    started = time.perf_counter()
    config = services.domain(domain)
    progress("load", 1.0)
    policy = services.policy(domain)
    # file names carry personal data too ("Jane Doe statement 4539….pdf"): they are de-identified like text
    stem, dot, suffix = document.name.rpartition(".")
    safe_name = services.deidentifier.redact(stem or suffix, policy, config.keep_terms).text + (
        dot + suffix if stem else ""
    )
    if services.store.has_document(domain, document.sha256):
        logger.info("ingest skip duplicate domain=%s sha256=%s", domain, document.sha256[:12])
        return IngestReport(
            safe_name,
            domain,
            document.sha256,
            document.kind,
            chunks=0,
            chunks_added=0,
            duplicate=True,
            seconds=time.perf_counter() - started,
        )
    redacted: list[Section] = []
    counts: dict[str, int] = {}
    for number, section in enumerate(document.sections, start=1):
        result = services.deidentifier.redact(section.text, policy, config.keep_terms)
        for entity, count in result.counts().items():
            counts[entity] = counts.get(entity, 0) + count
        redacted.append(Section(result.text, section.location))
        progress("deidentify", number / len(document.sections))
    chunks = split_document(document, redacted, config.chunking.chunk_size, config.chunking.chunk_overlap)
    if not chunks:
        raise IngestError(f"{document.name}: no text left to index after de-identification")
    progress("chunk", 1.0)
    embeddings = services.embedder.embed(
        [c.text for c in chunks], lambda done, total: progress("embed", done / total)
    )
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
    metadatas: list[dict[str, str | int | float | bool]] = [
        {
            "source": safe_name,
            "location": chunk.location,
            "chunk_index": chunk.index,
            "document_sha256": document.sha256,
            "kind": document.kind,
            "domain": domain,
            "ingested_at": ingested_at,
            "redactions": json.dumps(counts, sort_keys=True),
        }
        for chunk in chunks
    ]
    added = services.store.add_chunks(domain, chunks, embeddings, metadatas)
    progress("store", 1.0)
    seconds = time.perf_counter() - started
    logger.info(
        "ingest domain=%s sha256=%s kind=%s chunks=%d added=%d redactions=%s seconds=%.2f",
        domain,
        document.sha256[:12],
        document.kind,
        len(chunks),
        added,
        json.dumps(counts),
        seconds,
    )
    return IngestReport(
        safe_name, domain, document.sha256, document.kind, len(chunks), added, False, counts, seconds
    )


def index_sample_corpora(
    services: Services, domains: Iterable[str] | None = None, progress: ProgressFn | None = None
) -> list[IngestReport]:
    """Index each domain's shipped sample corpus into an *empty* collection (no-op once indexed).

    Args:
        services: Shared services.
        domains: Domains to consider (default: all).
        progress: Called as ``progress("<domain>: <file>", fraction_of_all_files)``.

    Returns:
        Reports of the documents ingested now.
    """
    todo: list[tuple[str, Path]] = []
    for name in domains or services.domains:
        if services.store.count(name) == 0:
            todo.extend((name, path) for path in sample_corpus_files(services.domain(name)))
    reports = []
    for number, (name, path) in enumerate(todo, start=1):
        if progress is not None:
            progress(f"{name}: {path.name}", (number - 1) / len(todo))
        reports.append(ingest_path(services, name, path))
    if progress is not None and todo:
        progress("done", 1.0)
    return reports
