"""The review queue's flow: documents held for review (their risk was over ``ingest.hold_risk_threshold``) are
listed, released into the index (their stored de-identified text, whatever its risk) or rejected (deleted
without being indexed). The queue itself is :class:`ingest.ReviewQueue` (``<data_dir>/review``) or, with
``database.url``, :class:`pipelines.documents.review_sql.SqlReviewQueue`."""

from __future__ import annotations

import time

from ingest import HeldDocument, ReviewStorage, split_document
from pipelines.core.logs import logger
from pipelines.documents.ingestion import Ingestion, IngestReport, ProgressFn
from privacy import DocumentReport

__all__ = ["Review"]


class Review:
    """Lists, releases and rejects held documents (one instance per data dir)."""

    def __init__(self, ingestion: Ingestion, queue: ReviewStorage) -> None:
        """Args:
        ingestion: Indexes a released document (with the domain's hooks).
        queue: The review queue the documents are held in.
        """
        self.ingestion = ingestion
        self.queue = queue

    def held(self, domain: str) -> list[HeldDocument]:
        """The documents of ``domain`` held for review, newest first.

        A held file whose document is already indexed (a release interrupted after indexing) is removed here.

        Raises:
            AssistantError: Unknown domain.
            ReviewError: An unreadable review record.
        """
        self.ingestion.domains.domain(domain)
        held = []
        for document in self.queue.held(domain):
            if self.ingestion.store.has_document(domain, document.sha256):
                self.queue.remove(domain, document.sha256)
            else:
                held.append(document)
        return held

    def release(self, domain: str, sha256_prefix: str, progress: ProgressFn | None = None) -> IngestReport:
        """Index a held document (its stored de-identified text, whatever its risk) and remove it from the queue.

        Args:
            domain: The document's domain.
            sha256_prefix: Its sha256 or a unique prefix of at least 4 hex digits.
            progress: Called with ``(stage, fraction)``.

        Returns:
            The report of the indexing (``held`` False); ``duplicate`` when it was already indexed.

        Raises:
            AssistantError: Unknown domain.
            ReviewError: No (or more than one) held document matches; nothing changes.
            IngestError: Indexing failed; the document stays held.
        """
        started = time.perf_counter()
        config = self.ingestion.domains.domain(domain)
        held = self.queue.find(domain, sha256_prefix)
        report = DocumentReport.from_dict(held.report)
        if self.ingestion.store.list_documents(domain, held.sha256):
            self.queue.remove(domain, held.sha256)
            return IngestReport(
                held.name,
                domain,
                held.sha256,
                held.kind,
                0,
                0,
                True,
                dict(report.entities),
                time.perf_counter() - started,
                report=held.report,
                owner=held.owner,
            )
        document = held.as_document()
        chunks = split_document(
            document, list(document.sections), config.chunking.chunk_size, config.chunking.chunk_overlap
        )
        result = self.ingestion.index(domain, document, chunks, report, progress, started, held.owner)
        self.queue.remove(domain, held.sha256)
        logger.info("ingest released domain=%s sha256=%s", domain, held.sha256[:12])
        return result

    def reject(self, domain: str, sha256_prefix: str) -> HeldDocument:
        """Delete a held document (its de-identified text and report) without indexing it.

        Args:
            domain: The document's domain.
            sha256_prefix: Its sha256 or a unique prefix of at least 4 hex digits.

        Returns:
            The document that was deleted.

        Raises:
            AssistantError: Unknown domain.
            ReviewError: No (or more than one) held document matches.
        """
        self.ingestion.domains.domain(domain)
        held = self.queue.find(domain, sha256_prefix)
        self.queue.remove(domain, held.sha256)
        logger.info("ingest rejected domain=%s sha256=%s", domain, held.sha256[:12])
        return held
