"""Indexing hooks: how a skill takes part in a domain's document lifecycle without this package knowing it.

A domain's hooks are built by the composition root from its ``domain.yaml`` blocks (the medical ``ner:`` block
adds :class:`pipelines.skills.medical.records_hook.MedicalRecordsHook`, which keeps drug names from de-identification and
stores each document's diagnosis and drug terms for the DP statistics). The flows call them at four points:

1. :meth:`IndexingHook.keep_terms` while a section is de-identified (terms that are not personal data);
2. :meth:`IndexingHook.prepare` with the de-identified document, on the thread that prepared it (in
   ``Ingestion.ingest_many`` a background thread, while the previous file is embedded): work that needs only
   the text, so that the next call is quick; nothing may be written here;
3. :meth:`IndexingHook.on_indexed` with the de-identified document, just before its chunks are written (if
   the write fails, :meth:`IndexingHook.on_removed` undoes it, so a document is never half-indexed);
4. :meth:`IndexingHook.on_removed` when the document is deleted or replaced by a newer version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ingest import LoadedDocument

__all__ = ["IndexingHook"]


class IndexingHook(Protocol):
    """A skill's part in indexing a domain's documents (see the module docstring)."""

    def keep_terms(self, text: str) -> Sequence[str]:
        """Terms in a raw section ``text`` that de-identification must leave alone (e.g. known drug names)."""

    def prepare(self, domain: str, document: LoadedDocument) -> None:
        """The de-identified ``document`` may be indexed in ``domain`` next (or may not be: it can still be held
        for review or fail); compute, never write."""

    def on_indexed(self, domain: str, document: LoadedDocument) -> None:
        """The de-identified ``document`` (its sha256 identifies it) is about to be indexed in ``domain``."""

    def on_removed(self, domain: str, sha256: str) -> None:
        """The document ``sha256`` left ``domain`` (deleted, replaced, or its indexing failed)."""
