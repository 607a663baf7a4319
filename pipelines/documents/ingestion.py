"""The ingestion flow: validate → load → de-identify (domain document policy) → report → hold or index
(chunk → embed → upsert).

All-or-nothing per document: every step up to the embeddings runs before anything is written, and the
store write rolls back on failure. A document already present (same sha256) is skipped.

Update: a document stored under the same (de-identified) file name as an older version in the same domain
replaces it. The new chunks are written first; only then is every chunk of each older version deleted
(:meth:`ingest.VectorStore.delete_document`). A failed write leaves the older version intact; a failed delete
is an error, and ingesting the same file again finishes it (a re-ingest also removes older versions stored
under its name). The report lists what was replaced (``status`` ``updated``).

Each document gets a report (:class:`privacy.DocumentReport`: findings per entity type and per recognizer, and
a risk score; counts only). An indexed document's report is stored in its chunk metadata (written with the
chunks, in the same all-or-nothing write). With ``ingest.hold_risk_threshold`` set, a document whose risk is
above it is not indexed but held for review (:class:`ingest.ReviewQueue`, ``<data_dir>/review``): its
de-identified text and report in one atomically written file. :class:`pipelines.documents.review.Review` indexes
it or deletes it. The raw text is never written anywhere.

A document is shared (``owner`` None: a domain's knowledge base, what admins manage) or private to the user
who uploaded it (``owner`` = the user name; retrieved, listed and deleted only for them: :mod:`ingest.store`).
A private document's id is not its file's sha256 but :func:`document_id` of the owner and that sha256, so
everything keyed by the id (chunk ids, the ``pending`` record of an all-or-nothing write, the review queue, the
medical records) is separate per owner: the same file kept privately by two users, or also shared, is separate
documents. Duplicates and updates are therefore found within the uploader's own scope only (shared among
shared, a user's private documents among theirs): an upload never learns whether another user holds the same
file, and never replaces or merges with a document of another scope.

A domain's skills take part through its indexing hooks (:mod:`pipelines.documents.hooks`): terms they keep from
de-identification, and what they store beside an indexed document (the medical records of the DP statistics)
and remove with it; a held document reaches them only when it is released.

Every ingested document is counted (:mod:`pipelines.core.metrics`: documents by domain and status, chunks
indexed by domain).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domains import sample_corpus_files
from ingest import (
    Chunk,
    Embedder,
    HeldDocument,
    IngestError,
    LoadedDocument,
    ReviewStorage,
    Section,
    VectorStore,
    load_bytes,
    load_document,
    owner_metadata,
    split_document,
)
from pipelines.core import metrics
from pipelines.core.deidentification import DomainDeidentifier
from pipelines.core.domains import DomainRegistry
from pipelines.core.logs import LogSafe, logger
from pipelines.core.settings import IngestSettings
from pipelines.documents.catalog import remove_document
from pipelines.documents.hooks import IndexingHook
from privacy import ANY_PLACEHOLDER, DocumentReport, Finding, build_report

__all__ = [
    "HooksFor",
    "IngestReport",
    "Ingestion",
    "ProgressFn",
    "ReplacedVersion",
    "document_id",
    "document_title",
]

#: ``progress(stage, fraction)`` with stage in load|deidentify|chunk|embed|store and fraction in 0..1.
ProgressFn = Callable[[str, float], None]


@dataclass(frozen=True)
class ReplacedVersion:
    """An older version of a document that an update removed.

    Attributes:
        sha256: The older version's sha256 (hex).
        chunks_removed: Its chunks deleted from the store.
    """

    sha256: str
    chunks_removed: int


@dataclass
class IngestReport:
    """What ingesting one document did.

    Attributes:
        name: File name (de-identified).
        domain: Target domain.
        sha256: Document id (hex): the file's sha256 for a shared document, :func:`document_id` for a private
            one.
        kind: Detected kind.
        chunks: Chunks the document yields.
        chunks_added: Chunks newly written (0 for a re-ingest or a held document).
        duplicate: The document was already in the collection, or already held for review.
        redactions: Findings removed, per entity type (the same as ``report["entities"]``).
        seconds: Wall time, seconds.
        held: The document is held for review instead of indexed.
        report: The document's :class:`privacy.DocumentReport` as a dict (``entities``, ``recognizers``,
            ``characters``, ``risk``, ``findings``); for a duplicate, the stored one.
        hold_threshold: The ``ingest.hold_risk_threshold`` in force (None = off).
        replaced: Older versions stored under the same file name that this ingest removed (an update).
        owner: The user the document is private to; ``""`` = shared.
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
    held: bool = False
    report: dict[str, Any] = field(default_factory=dict)
    hold_threshold: float | None = None
    replaced: list[ReplacedVersion] = field(default_factory=list)
    owner: str = ""

    @property
    def visibility(self) -> str:
        """``shared`` or ``private``."""
        return "private" if self.owner else "shared"

    @property
    def status(self) -> str:
        """``held`` (held for review, now or before), ``updated`` (older versions under the same name were
        replaced), ``duplicate`` (already indexed) or ``indexed``."""
        if self.held:
            return "held"
        if self.replaced:
            return "updated"
        return "duplicate" if self.duplicate else "indexed"

    @property
    def stale_chunks_removed(self) -> int:
        """Chunks of the replaced older versions deleted, in total."""
        return sum(version.chunks_removed for version in self.replaced)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (the fields plus ``status`` and ``visibility``)."""
        return {**asdict(self), "status": self.status, "visibility": self.visibility}


#: The indexing hooks of a domain (:mod:`pipelines.documents.hooks`), given by the composition root.
HooksFor = Callable[[str], Sequence[IndexingHook]]


def _noop(stage: str, fraction: float) -> None:
    return None


@dataclass(frozen=True)
class _Prepared:
    """A document loaded, de-identified and chunked, not yet held or indexed (``document.sha256``: its id).
    ``raw`` is set only on a duplicate marked in the background (no chunks): the loaded document, prepared again
    in the main thread if the duplicate is gone by its turn."""

    document: LoadedDocument
    safe: LoadedDocument
    report: DocumentReport
    chunks: list[Chunk]
    started: float
    raw: LoadedDocument | None = None


class Ingestion:
    """Ingests documents into the domains' collections (see the module docstring). Thread-safe as its
    components are; one instance per data dir (the composition root builds it)."""

    def __init__(
        self,
        domains: DomainRegistry,
        deidentification: DomainDeidentifier,
        store: VectorStore,
        embedder: Callable[[], Embedder],
        review_queue: ReviewStorage,
        hooks: HooksFor,
        settings: IngestSettings,
        samples_dir: Path,
    ) -> None:
        """Args:
        domains: The domains (chunking settings, policies, sample corpora).
        deidentification: Applies each domain's ``index`` policy.
        store: The vector store and BM25 index the chunks go to.
        embedder: Returns the embedder of the chunks (called when the first chunks are embedded, so that
            listing, rejecting or a failed load never loads the model).
        review_queue: Where a document over the risk threshold is held (``<data_dir>/review``).
        hooks: The indexing hooks of a domain.
        settings: Size limits and the hold threshold.
        samples_dir: Where the sample corpora's markers and lock live (``<data_dir>/samples``).
        """
        self.domains = domains
        self.deidentification = deidentification
        self.store = store
        self.embedder = embedder
        self.review_queue = review_queue
        self.hooks = hooks
        self.settings = settings
        self.samples_dir = samples_dir

    def ingest_path(
        self,
        domain: str,
        path: Path,
        progress: ProgressFn | None = None,
        review: bool = True,
        follow_symlinks: bool = False,
        owner: str | None = None,
    ) -> IngestReport:
        """Ingest the file at ``path`` into ``domain``.

        Args:
            domain: Target domain.
            path: The file.
            progress: Called with ``(stage, fraction)``.
            review: Apply ``ingest.hold_risk_threshold`` (False for the shipped sample corpora).
            follow_symlinks: Ingest what a symbolic link points to (refused by default).
            owner: The user the document is private to; None or ``""`` = shared (see the module docstring).

        Returns:
            What happened; ``held`` is True when the document went to the review queue instead of the index.

        Raises:
            IngestError: The file cannot be read (message names the file and reason); nothing is indexed or
                held.
            AssistantError: Unknown domain.
        """
        limits = self.settings
        document = load_document(
            path,
            max_bytes=int(limits.max_file_mb * 2**20),
            max_chars=limits.max_chars,
            follow_symlinks=follow_symlinks,
        )
        return _counted(self._ingest_loaded(domain, document, progress or _noop, review, owner or ""))

    def ingest_many(
        self,
        domain: str,
        paths: Sequence[Path],
        progress: Callable[[Path], ProgressFn] | None = None,
        review: bool = True,
        follow_symlinks: bool = False,
        owner: str | None = None,
    ) -> Iterator[tuple[Path, IngestReport | Exception]]:
        """Ingest several files into ``domain`` in order, yielding ``(path, report)`` as each one finishes, or
        ``(path, the exception)`` for a file that was rejected (the others go on; see :meth:`ingest_path`).

        While one file is embedded and stored, the next one is loaded, de-identified and chunked in a
        background thread. De-identification is Python (it holds the GIL); the embedding model (ONNX Runtime
        or torch) and Chroma's writes run mostly outside it, so on a multi-core machine the two overlap
        (``benchmarks/pipeline_vs_langchain.py``). The result is the same as calling :meth:`ingest_path` per
        file: a file identical to one written meanwhile is found a duplicate before anything is written.

        Args:
            domain: Target domain.
            paths: The files, ingested in this order.
            progress: ``progress(path)`` gives a file's ``(stage, fraction)`` callback. The first file reports
                every stage as it runs; a file prepared in the background reports its load, de-identification
                and chunking as done when its embedding starts.
            review: Apply ``ingest.hold_risk_threshold``.
            follow_symlinks: Ingest what a symbolic link points to (refused by default).
            owner: The user the documents are private to; None or ``""`` = shared.

        Raises:
            AssistantError: Unknown domain (before any file is read).
        """
        self.domains.domain(domain)
        owner = owner or ""
        limits = self.settings
        callbacks = progress or (lambda path: _noop)

        def prepare(path: Path, report: ProgressFn, background: bool) -> _Prepared | IngestReport:
            document = load_document(
                path,
                max_bytes=int(limits.max_file_mb * 2**20),
                max_chars=limits.max_chars,
                follow_symlinks=follow_symlinks,
            )
            return self._prepare(domain, document, report, owner, background)

        def settled(future: Future[_Prepared | IngestReport]) -> _Prepared | IngestReport | Exception:
            try:
                return future.result()
            except Exception as exc:  # the file's own failure, reported in its turn
                return exc

        # the pool is not waited for when the caller stops early (Ctrl-C, break): the next file's preparation
        # writes nothing, so it is simply dropped
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare")
        try:
            upcoming: Future[_Prepared | IngestReport] | None = None
            for number, path in enumerate(paths):
                report = callbacks(path)
                if upcoming is None:  # the first file: prepared here, with its progress
                    try:
                        prepared: _Prepared | IngestReport | Exception = prepare(path, report, False)
                    except Exception as exc:
                        prepared = exc
                else:
                    prepared = settled(upcoming)
                    if not isinstance(prepared, Exception):
                        for stage in ("load", "deidentify", "chunk"):
                            report(stage, 1.0)
                upcoming = (
                    pool.submit(prepare, paths[number + 1], _noop, True) if number + 1 < len(paths) else None
                )
                if isinstance(prepared, Exception):
                    yield path, prepared
                    continue
                if isinstance(prepared, IngestReport):
                    yield path, _counted(prepared)
                    continue
                try:
                    done = self._finish(domain, prepared, report, review, owner, recheck=number > 0)
                except Exception as exc:
                    yield path, exc
                    continue
                yield path, _counted(done)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def ingest_bytes(
        self,
        domain: str,
        name: str,
        data: bytes,
        progress: ProgressFn | None = None,
        review: bool = True,
        owner: str | None = None,
    ) -> IngestReport:
        """Ingest an uploaded file given as ``name`` + ``data``; see :meth:`ingest_path`."""
        limits = self.settings
        document = load_bytes(
            name, data, max_bytes=int(limits.max_file_mb * 2**20), max_chars=limits.max_chars
        )
        return _counted(self._ingest_loaded(domain, document, progress or _noop, review, owner or ""))

    def _ingest_loaded(
        self, domain: str, document: LoadedDocument, progress: ProgressFn, review: bool, owner: str
    ) -> IngestReport:
        prepared = self._prepare(domain, document, progress, owner)
        if isinstance(prepared, IngestReport):
            return prepared
        return self._finish(domain, prepared, progress, review, owner, recheck=False)

    def _prepare(
        self,
        domain: str,
        document: LoadedDocument,
        progress: ProgressFn,
        owner: str,
        background: bool = False,
    ) -> _Prepared | IngestReport:
        """Load-side work of a document: its id, the duplicate check (a report when it is one), de-identification
        and chunking. ``background`` (ingest_many's next file): a duplicate is only marked (a :class:`_Prepared`
        without chunks), for the main thread to report and act on in its turn; nothing is written here."""
        started = time.perf_counter()
        config = self.domains.domain(domain)
        loaded, document = document, replace(document, sha256=document_id(document.sha256, owner))
        progress("load", 1.0)
        previous = self._previous(domain, document.sha256)
        if previous is not None:
            if background:
                return _Prepared(document, document, DocumentReport(), [], started, raw=loaded)
            return self._duplicate(domain, document, previous, started, owner)
        safe, report = self.deidentify_document(domain, document, progress)
        chunks = split_document(
            safe, list(safe.sections), config.chunking.chunk_size, config.chunking.chunk_overlap
        )
        if not chunks:
            raise IngestError(f"{document.name}: no text left to index after de-identification")
        for hook in self.hooks(domain):
            hook.prepare(domain, safe)
        progress("chunk", 1.0)
        return _Prepared(document, safe, report, chunks, started)

    def _duplicate(
        self,
        domain: str,
        document: LoadedDocument,
        previous: tuple[bool, dict[str, Any], str],
        started: float,
        owner: str,
    ) -> IngestReport:
        """The report of a document already indexed or held (same id); an older version under the same name is
        still replaced."""
        held, stored, stored_name = previous
        threshold = self.settings.hold_risk_threshold
        logger.info("ingest skip duplicate domain=%s sha256=%s held=%s", domain, document.sha256[:12], held)
        name = self._safe_name(domain, document.name)[0]
        replaced = (
            [] if held or name != stored_name else self.replace_older(domain, name, document.sha256, owner)
        )
        return IngestReport(
            name,
            domain,
            document.sha256,
            document.kind,
            chunks=0,
            chunks_added=0,
            duplicate=True,
            redactions=dict(stored.get("entities", {})),
            seconds=time.perf_counter() - started,
            held=held,
            report=stored,
            hold_threshold=threshold,
            replaced=replaced,
            owner=owner,
        )

    def _finish(
        self, domain: str, prepared: _Prepared, progress: ProgressFn, review: bool, owner: str, recheck: bool
    ) -> IngestReport:
        """Store-side work of a prepared document: hold it for review or index it. ``recheck``: look for a
        duplicate again (the document was prepared beside another file's write, which may have been the same
        document)."""
        document, safe, report, chunks, started = (
            prepared.document,
            prepared.safe,
            prepared.report,
            prepared.chunks,
            prepared.started,
        )
        if recheck and (previous := self._previous(domain, document.sha256)) is not None:
            return self._duplicate(domain, document, previous, started, owner)
        if prepared.raw is not None:  # marked a duplicate in the background, gone since: prepared here
            again = self._prepare(domain, prepared.raw, progress, owner)
            if isinstance(again, IngestReport):
                return again
            document, safe, report, chunks = again.document, again.safe, again.report, again.chunks
        threshold = self.settings.hold_risk_threshold
        safe_name, redacted = safe.name, list(safe.sections)
        if review and threshold is not None and report.risk > threshold:
            held_at = datetime.now(UTC).isoformat(timespec="seconds")
            self.review_queue.hold(
                HeldDocument(
                    safe_name,
                    domain,
                    document.sha256,
                    document.kind,
                    document.language,
                    tuple(redacted),
                    report.to_dict(),
                    held_at,
                    owner,
                )
            )
            progress("store", 1.0)
            seconds = time.perf_counter() - started
            logger.info(
                "ingest held domain=%s sha256=%s kind=%s risk=%.2f threshold=%.2f redactions=%s seconds=%.2f",
                domain,
                document.sha256[:12],
                document.kind,
                report.risk,
                threshold,
                json.dumps(report.entities),
                seconds,
            )
            return IngestReport(
                safe_name,
                domain,
                document.sha256,
                document.kind,
                len(chunks),
                0,
                False,
                dict(report.entities),
                seconds,
                held=True,
                report=report.to_dict(),
                hold_threshold=threshold,
                owner=owner,
            )
        return self.index(domain, safe, chunks, report, progress, started, owner)

    def _safe_name(self, domain: str, name: str) -> tuple[str, list[Finding]]:
        """The de-identified file name and its findings: names carry personal data too ("Jane Doe statement
        4539….pdf") and are de-identified like text; the extension is kept."""
        redaction = self.deidentification.redact_file_name(name, domain)
        return redaction.text, list(redaction.findings)

    def deidentify_document(
        self, domain: str, document: LoadedDocument, progress: ProgressFn | None = None
    ) -> tuple[LoadedDocument, DocumentReport]:
        """De-identify a loaded document (file name and every section) for ``domain``'s index sink and report it.

        The domain's indexing hooks may keep terms from de-identification (a medical domain keeps the drug names
        a public lexicon lists: :class:`pipelines.skills.medical.records_hook.MedicalRecordsHook`).

        Args:
            domain: The domain whose policy applies.
            document: The raw loaded document.
            progress: Called with ``("deidentify", fraction)`` after each section.

        Returns:
            ``(the de-identified document, its report)``: same sha256, kind and locations; the report counts the
            findings of the name and the text against the text's length (:func:`privacy.build_report`).

        Raises:
            AssistantError: Unknown domain.
        """
        self.domains.domain(domain)
        hooks = self.hooks(domain)
        safe_name, findings = self._safe_name(domain, document.name)
        redacted: list[Section] = []
        for number, section in enumerate(document.sections, start=1):
            keep = [term for hook in hooks for term in hook.keep_terms(section.text)]
            result = self.deidentification.redact(section.text, domain, keep)
            findings.extend(result.findings)
            redacted.append(Section(result.text, section.location))
            if progress is not None:
                progress("deidentify", number / len(document.sections))
        safe = LoadedDocument(
            safe_name, document.sha256, document.kind, document.language, tuple(redacted), document.size_bytes
        )
        return safe, build_report(findings, document.char_count)

    def _previous(self, domain: str, sha256: str) -> tuple[bool, dict[str, Any], str] | None:
        """``(held, report, stored name)`` of a document already indexed or held, else None."""
        indexed = self.store.list_documents(domain, sha256)
        if indexed:
            return False, indexed[0].report, indexed[0].name
        held = self.review_queue.get(domain, sha256)
        return (True, held.report, held.name) if held is not None else None

    def replace_older(
        self, domain: str, name: str, sha256: str, owner: str | None = None
    ) -> list[ReplacedVersion]:
        """Delete every document of ``owner`` (None or ``""``: the shared ones) stored under ``name`` in
        ``domain`` except the one with ``sha256``; nothing when the de-identified name contains a placeholder
        (two different files may share it). Documents of another owner are never touched.

        Raises:
            StoreError: A delete failed (the versions not yet deleted stay; a re-ingest finishes the job).
        """
        if ANY_PLACEHOLDER.search(name):
            # "Jane Doe.pdf" and "John Roe.pdf" are both stored as "<PERSON>.pdf": the name no longer tells
            # versions from different documents, so nothing is replaced (delete an old version explicitly)
            logger.info(
                "ingest kept older versions domain=%s sha256=%s: name has a placeholder",
                LogSafe(domain),
                LogSafe(sha256[:12]),
            )
            return []
        replaced = []
        for older in self.store.list_documents(domain, name=name, visible_to=owner or ""):
            if older.sha256 != sha256 and older.owner == (owner or ""):
                removed = remove_document(self.store, self.hooks(domain), domain, older.sha256)
                replaced.append(ReplacedVersion(older.sha256, removed))
                logger.info(
                    "ingest replaced domain=%s sha256=%s by=%s chunks_removed=%d",
                    domain,
                    older.sha256[:12],
                    sha256[:12],
                    removed,
                )
        return replaced

    def index(
        self,
        domain: str,
        document: LoadedDocument,
        chunks: list[Chunk],
        report: DocumentReport,
        progress: ProgressFn | None = None,
        started: float | None = None,
        owner: str | None = None,
    ) -> IngestReport:
        """Embed and store the chunks of an already de-identified ``document``, its report and ``owner`` (None or
        ``""``: shared) in every chunk; the domain's hooks see it first and are undone when the write fails;
        older versions of the same owner under its name are replaced after the write. ``document.sha256`` is
        the document's id (:func:`document_id` for a private one).

        Raises:
            StoreError: The write failed (nothing of the document stays) or a replaced version's delete did.
        """
        progress = progress or _noop
        started = time.perf_counter() if started is None else started
        embeddings = self.embedder().embed(
            [c.text for c in chunks], lambda done, total: progress("embed", done / total)
        )
        ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
        report_json = json.dumps(report.to_dict(), sort_keys=True)
        metadatas: list[dict[str, str | int | float | bool]] = [
            {
                "source": document.name,
                "location": chunk.location,
                "chunk_index": chunk.index,
                "document_sha256": document.sha256,
                "title": document_title(document),
                "kind": document.kind,
                "domain": domain,
                "ingested_at": ingested_at,
                "redactions": json.dumps(report.entities, sort_keys=True),
                "risk": report.risk,
                "report": report_json,
                **owner_metadata(owner),
                **(
                    {"symbol": chunk.symbol, "start_line": chunk.start_line, "end_line": chunk.end_line}
                    if document.kind == "code"
                    else {}
                ),
            }
            for chunk in chunks
        ]
        hooks = self.hooks(domain)
        for hook in hooks:
            hook.on_indexed(domain, document)
        try:
            added = self.store.add_chunks(
                domain, chunks, embeddings, metadatas, lambda done, total: progress("store", done / total)
            )
        except Exception:
            for hook in hooks:
                hook.on_removed(domain, document.sha256)
            raise
        replaced = self.replace_older(domain, document.name, document.sha256, owner)
        progress("store", 1.0)
        seconds = time.perf_counter() - started
        logger.info(
            "ingest domain=%s sha256=%s kind=%s chunks=%d added=%d risk=%.2f redactions=%s seconds=%.2f "
            "visibility=%s",
            LogSafe(domain),
            LogSafe(document.sha256[:12]),
            LogSafe(document.kind),
            len(chunks),
            added,
            report.risk,
            LogSafe(json.dumps(report.entities)),  # entity type names and counts
            seconds,
            LogSafe("private" if owner else "shared"),
        )
        return IngestReport(
            document.name,
            domain,
            document.sha256,
            document.kind,
            len(chunks),
            added,
            False,
            dict(report.entities),
            seconds,
            report=report.to_dict(),
            hold_threshold=self.settings.hold_risk_threshold,
            replaced=replaced,
            owner=owner or "",
        )

    def samples_pending(self, domains: Iterable[str] | None = None) -> list[str]:
        """The domains (of ``domains``, default all) whose shipped sample corpus has not been indexed yet."""
        return [name for name in domains or self.domains if not self._sample_marker(name).exists()]

    def _sample_marker(self, domain: str) -> Path:
        return self.samples_dir / f"{domain}.indexed"

    def index_sample_corpora(
        self, domains: Iterable[str] | None = None, progress: ProgressFn | None = None
    ) -> list[IngestReport]:
        """Index each domain's shipped sample corpus once per data dir (whatever else the domain holds).

        A marker file per domain (``<samples_dir>/<domain>.indexed``) records that it is done, so a corpus a
        user deleted is not put back; an exclusive file lock lets one process index while the others wait and
        then find the work done (four first questions at once index the samples once, not four times). Files
        already indexed are skipped as duplicates.

        Args:
            domains: Domains to consider (default: all).
            progress: Called as ``progress("<domain>: <file>", fraction_of_all_files)``.

        Returns:
            Reports of the documents ingested now (never held: the shipped corpora are reviewed content).

        Raises:
            IngestError: A sample file failed (its domain stays pending and is tried again next time).
        """
        import fcntl

        wanted = list(domains or self.domains)
        if not self.samples_pending(wanted):
            return []
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        with (self.samples_dir / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            pending = self.samples_pending(wanted)  # another process may have done it meanwhile
            todo = [
                (name, path) for name in pending for path in sample_corpus_files(self.domains.domain(name))
            ]
            reports = []
            for number, (name, path) in enumerate(todo, start=1):
                if progress is not None:
                    progress(f"{name}: {path.name}", (number - 1) / len(todo))
                report = self.ingest_path(name, path, review=False)
                if not report.duplicate:
                    reports.append(report)
                if number == len(todo) or todo[number][0] != name:  # the domain's last file
                    self._sample_marker(name).write_text("indexed\n", encoding="utf-8")
            for name in pending:  # a domain without sample files is done too
                self._sample_marker(name).touch()
        if progress is not None and todo:
            progress("done", 1.0)
        return reports


def document_id(sha256: str, owner: str | None) -> str:
    """The id a document is stored under: the file's ``sha256`` for a shared document (``owner`` None or
    ``""``), else the sha256 of a private-document label, the owner and the file's sha256 (64 hex digits, like
    any id): separate per owner, and telling nothing about other users' documents.

    Example: ``document_id(s, None) == s``; ``document_id(s, "alice") != document_id(s, "bob")``.
    """
    if not owner:
        return sha256
    return hashlib.sha256(f"private-document\x00{owner}\x00{sha256}".encode()).hexdigest()


def document_title(document: LoadedDocument) -> str:
    """A short title for a (de-identified) document, stored with each chunk and put before the chunk in the BM25
    index (:func:`ingest.store.lexical_text`): the first non-empty line of the text when it is at most 120
    characters (a heading; ``#`` marks dropped), else, and always for source code, the file name without its
    extension, separators as spaces."""
    stem = re.sub(r"[_\-.]+", " ", document.name.rsplit(".", 1)[0]).strip()
    if document.kind == "code":
        return stem
    for line in document.sections[0].text.splitlines() if document.sections else []:
        first = line.strip().lstrip("#").strip()
        if first:
            return first if len(first) <= 120 else stem
    return stem


def _counted(report: IngestReport) -> IngestReport:
    """``report``, counted in ``assistant_documents_ingested_total`` (by domain and status) and, when indexed,
    ``assistant_chunks_ingested_total``."""
    indexed = report.status in ("indexed", "updated")
    metrics.observe_ingestion(report.domain, report.status, report.chunks if indexed else 0)
    return report
