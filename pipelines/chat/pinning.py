"""Pinned documents: the user's choice of documents a turn may answer from, by file name or sha256 prefix.

A pinned document belongs to one domain's collection, so pinning documents pins that domain: with a domain
given, names are looked up in it; with ``auto``, in every domain, and all of them must lie in the same one
(which then answers, without routing). The result feeds ``ChatPipeline.stream(..., documents=...)``. With
``visible_to`` only the documents that user may see are found (another user's private document is "unknown").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest import DocumentInfo, VectorStore
from pipelines.core.domains import DomainRegistry
from pipelines.core.errors import AssistantError

__all__ = ["MIN_SHA256_PREFIX", "PinnedDocuments", "resolve_documents"]

#: Shortest sha256 prefix accepted for a document (hex digits): 8 digits leave a 1 in 4 billion chance that
#: two given documents share it.
MIN_SHA256_PREFIX = 8
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True)
class PinnedDocuments:
    """Resolved pinned documents: their domain, full sha256 values and file names (same order)."""

    domain: str
    sha256: list[str]
    names: list[str]


def resolve_documents(
    store: VectorStore,
    domains: DomainRegistry,
    references: Sequence[str],
    domain: str = "auto",
    visible_to: str | None = None,
) -> PinnedDocuments:
    """Resolve file names or sha256 prefixes to indexed documents.

    Args:
        store: The vector store that lists each domain's documents.
        domains: The domains.
        references: File names as ``assistant documents`` lists them, or sha256 prefixes of at least
            :data:`MIN_SHA256_PREFIX` hex digits (a name is tried first).
        domain: The domain to look in, or ``auto`` for every domain.
        visible_to: The requesting user (shared documents and their own private ones); None: every document.

    Returns:
        The documents (duplicates removed) and their common domain.

    Raises:
        AssistantError: No reference given, an unknown domain, a reference matching no document, or several
            (the message names the reference and what to use instead), or documents in different domains.
    """
    if not references:
        raise AssistantError("no document given")
    names = list(domains) if domain in ("", "auto") else [domains.domain(domain).name]
    listing = {name: store.list_documents(name, visible_to=visible_to) for name in names}
    chosen: dict[str, tuple[str, DocumentInfo]] = {}
    for reference in references:
        matches = _matches(listing, reference.strip())
        where = f"domain {names[0]!r}" if len(names) == 1 else "any domain"
        if not matches:
            raise AssistantError(
                f"unknown document {reference!r} in {where}; use a file name as `assistant documents "
                f"--domain D` lists it, or a sha256 prefix of at least {MIN_SHA256_PREFIX} hex digits"
            )
        if len(matches) > 1:
            places = ", ".join(f"{d}:{info.sha256[:12]}" for d, info in matches)
            raise AssistantError(
                f"document {reference!r} matches {len(matches)} documents ({places}); give a longer sha256 "
                "prefix" + (" or --domain" if len(names) > 1 else "")
            )
        chosen.setdefault(matches[0][1].sha256, matches[0])
    found_in = sorted({d for d, _ in chosen.values()})
    if len(found_in) > 1:
        raise AssistantError(
            f"the pinned documents are in different domains ({', '.join(found_in)}); pin documents of one domain"
        )
    infos = [info for _, info in chosen.values()]
    return PinnedDocuments(found_in[0], [i.sha256 for i in infos], [i.name for i in infos])


def _matches(listing: dict[str, list[DocumentInfo]], reference: str) -> list[tuple[str, DocumentInfo]]:
    by_name = [(d, info) for d, infos in listing.items() for info in infos if info.name == reference]
    if by_name or len(reference) < MIN_SHA256_PREFIX or not _HEX.match(reference):
        return by_name
    prefix = reference.lower()
    return [(d, info) for d, infos in listing.items() for info in infos if info.sha256.startswith(prefix)]
