"""The medical skill's indexing hook (:class:`pipelines.documents.hooks.IndexingHook`), plugged into a domain
with an entity model (``ner:`` in its ``domain.yaml``) by the composition root:

- while a document is de-identified, the drug names a public lexicon lists are kept
  (:meth:`pipelines.skills.medical.entities.MedicalEntityRecognizer.known_chemicals`);
- when it is indexed, its distinct disease and drug terms, found in its *de-identified* text, become one record
  of :class:`pipelines.skills.medical.records.RecordStore` (counted by :mod:`pipelines.skills.medical.dp_stats`);
- when it is deleted or replaced, that record is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest import LoadedDocument
from pipelines.skills.medical.entities import MedicalEntityRecognizer
from pipelines.skills.medical.records import RecordStore, record_terms

__all__ = ["MedicalRecordsHook"]


class MedicalRecordsHook:
    """Keeps drug names and stores each indexed document's medical terms (see the module docstring)."""

    def __init__(self, recognizer: MedicalEntityRecognizer, records: RecordStore) -> None:
        self.recognizer = recognizer
        self.records = records

    def keep_terms(self, text: str) -> Sequence[str]:
        """The lexicon-listed drug names in ``text``, as written."""
        return self.recognizer.known_chemicals(text)

    def on_indexed(self, domain: str, document: LoadedDocument) -> None:
        """Store the document's distinct ``(type, normalized term)`` pairs as its record."""
        terms = record_terms(
            entity for section in document.sections for entity in self.recognizer.recognize(section.text)
        )
        self.records.replace_terms(domain, document.sha256, terms)

    def on_removed(self, domain: str, sha256: str) -> None:
        """Delete the document's record (if any)."""
        self.records.forget(domain, sha256)
