"""Indexed documents: listing them, finding one by file name or sha256 prefix, and deleting it with an
erasure receipt.

A document's chunks (vectors, texts and metadata: its report, name and ingest time) live together in the
domain's collection and are removed together by :meth:`ingest.VectorStore.delete_document`; whatever the
domain's skills stored beside it goes with them (:meth:`pipelines.documents.hooks.IndexingHook.on_removed`).

Listing, finding and deleting take ``visible_to``: None for every document (single-user mode, the command line,
an admin's delete), a user name for the shared documents and that user's private ones. Another user's private
document is answered like one that does not exist ("no document ..."), so its existence does not leak.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from ingest import DocumentInfo, VectorStore
from pipelines.core.domains import DomainRegistry
from pipelines.core.errors import DocumentError
from pipelines.core.logs import logger
from pipelines.documents.hooks import IndexingHook

__all__ = ["MIN_SHA256_PREFIX", "Catalog", "DocumentReceipt", "remove_document"]

#: Fewest hex digits of a sha256 accepted as a document id (the length git shows; shorter prefixes could read
#: as file names). A prefix shared by several documents is reported as ambiguous, never guessed.
MIN_SHA256_PREFIX = 8
_HEX = re.compile(rf"[0-9a-f]{{{MIN_SHA256_PREFIX},64}}")


@dataclass(frozen=True)
class DocumentReceipt:
    """What :func:`delete_document` removed.

    Attributes:
        name: The document's (de-identified) file name.
        sha256: Its sha256 (hex).
        domain: The domain whose collection held it.
        chunks: Chunks removed (each with its vector, text and metadata).
        deleted_at: When, ISO 8601 UTC (seconds).
        owner: The user the document was private to; ``""`` = shared.
    """

    name: str
    sha256: str
    domain: str
    chunks: int
    deleted_at: str
    owner: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The receipt as a JSON-ready dict (the ``documents --delete --json`` object)."""
        return asdict(self)

    def summary(self) -> str:
        """One line for people, e.g. ``deleted fees.md (sha256 1a2b…) from finance at 2026-…: 3 chunks``."""
        chunks = f"{self.chunks} chunk" + ("" if self.chunks == 1 else "s")
        return (
            f"deleted {self.name} (sha256 {self.sha256[:12]}) from {self.domain} at {self.deleted_at}: "
            f"{chunks} with their vectors and metadata"
        )


def remove_document(store: VectorStore, hooks: Sequence[IndexingHook], domain: str, sha256: str) -> int:
    """Delete document ``sha256`` of ``domain``: its chunks, vectors and metadata, then what the domain's hooks
    stored beside it.

    Returns:
        The number of chunks deleted.

    Raises:
        StoreError: The store failed; the chunks not yet deleted stay, and deleting again finishes.
    """
    removed = store.delete_document(domain, sha256)
    for hook in hooks:
        hook.on_removed(domain, sha256)
    return removed


class Catalog:
    """The indexed documents of every domain (one instance per data dir)."""

    def __init__(
        self,
        store: VectorStore,
        domains: DomainRegistry,
        hooks: Callable[[str], Sequence[IndexingHook]],
    ) -> None:
        """Args:
        store: The vector store holding the documents' chunks.
        domains: The domains (to check a name).
        hooks: The indexing hooks of a domain.
        """
        self.store = store
        self.domains = domains
        self.hooks = hooks

    def documents(self, domain: str, visible_to: str | None = None) -> list[DocumentInfo]:
        """The documents indexed in ``domain`` that ``visible_to`` may see (None: all), as the store lists them
        (each with its ``owner`` and ``visibility``).

        Raises:
            AssistantError: Unknown domain.
        """
        self.domains.domain(domain)
        return self.store.list_documents(domain, visible_to=visible_to)

    def find(self, domain: str, name_or_sha256: str, visible_to: str | None = None) -> DocumentInfo:
        """The indexed document of ``domain`` named ``name_or_sha256``, among those ``visible_to`` may see.

        Args:
            domain: The domain.
            name_or_sha256: A file name exactly as listed (de-identified), or a sha256 prefix of at least
                :data:`MIN_SHA256_PREFIX` hex digits.
            visible_to: The requesting user (shared documents and their own private ones); None: every document.

        Returns:
            The document.

        Raises:
            AssistantError: Unknown domain.
            DocumentError: Nothing matches, or several documents do (the message lists them by sha256 prefix).
        """
        self.domains.domain(domain)
        wanted = name_or_sha256.strip()
        if not wanted:
            raise DocumentError("give a document's file name or a sha256 prefix of at least 8 hex digits")
        prefix = wanted.lower() if _HEX.fullmatch(wanted.lower()) else None
        matches = [
            info
            for info in self.store.list_documents(domain, visible_to=visible_to)
            if info.name == wanted or (prefix is not None and info.sha256.startswith(prefix))
        ]
        if not matches:
            hint = "" if prefix else f" (a sha256 prefix needs at least {MIN_SHA256_PREFIX} hex digits)"
            raise DocumentError(f"no document {wanted!r} is indexed in {domain!r}{hint}")
        if len(matches) > 1:
            listed = ", ".join(f"{info.name} {info.sha256[:12]}" for info in matches)
            raise DocumentError(
                f"{wanted!r} matches {len(matches)} documents in {domain!r} ({listed}); give a longer sha256 "
                "prefix"
            )
        return matches[0]

    def delete(self, domain: str, name_or_sha256: str, visible_to: str | None = None) -> DocumentReceipt:
        """Delete an indexed document: all its chunks with their vectors and metadata, and what the domain's
        skills stored beside it.

        Args:
            domain: The domain.
            name_or_sha256: A file name exactly as listed, or a sha256 prefix (>= 8 hex digits).
            visible_to: The requesting user: only a shared document or one of theirs is found (whether they may
                delete a shared one is the caller's rule); None: any document.

        Returns:
            The erasure receipt.

        Raises:
            AssistantError: Unknown domain.
            DocumentError: Nothing or several documents match; nothing is deleted.
            StoreError: The store failed; the chunks not yet deleted stay, and deleting again finishes.
        """
        return self._remove(domain, self.find(domain, name_or_sha256, visible_to))

    def erase_owner(self, owner: str) -> list[DocumentReceipt]:
        """Delete every private document of ``owner`` in every domain (erasing a user), each with a receipt.

        Raises:
            DocumentError: ``owner`` is empty (that would name the shared documents).
            StoreError: The store failed; deleting again finishes.
        """
        if not owner:
            raise DocumentError("name the user whose private documents to erase")
        return [
            self._remove(domain, info)
            for domain in self.domains
            for info in self.store.list_documents(domain, visible_to=owner)
            if info.owner == owner
        ]

    def _remove(self, domain: str, info: DocumentInfo) -> DocumentReceipt:
        removed = remove_document(self.store, self.hooks(domain), domain, info.sha256)
        receipt = DocumentReceipt(
            name=info.name,
            sha256=info.sha256,
            domain=domain,
            chunks=removed,
            deleted_at=datetime.now(UTC).isoformat(timespec="seconds"),
            owner=info.owner,
        )
        logger.info(
            "document deleted domain=%s sha256=%s chunks=%d visibility=%s",
            domain,
            info.sha256[:12],
            removed,
            info.visibility,
        )
        return receipt
