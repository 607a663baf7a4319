"""The medical skill's indexing hook (:class:`pipelines.documents.hooks.IndexingHook`), plugged into a domain
with an entity model (``ner:`` in its ``domain.yaml``) by the composition root:

- while a document is de-identified, the drug names a public lexicon lists are kept
  (:meth:`pipelines.skills.medical.entities.MedicalEntityRecognizer.known_chemicals`);
- when it is indexed, its distinct disease and drug terms, found in its *de-identified* text, become one record
  of :class:`pipelines.skills.medical.records.RecordStore` (counted by :mod:`pipelines.skills.medical.dp_stats`);
  the terms are found when the document is prepared (in ``ingest_many``'s background thread, while the previous
  file is embedded: 0.45 of 3.7 s of the ingesting thread on 23 SciFact abstracts) and kept for the last few
  documents until it is indexed;
- when it is deleted or replaced, that record is deleted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from ingest import LoadedDocument
from pipelines.skills.medical.entities import MedicalEntityRecognizer
from pipelines.skills.medical.records import RecordStore, record_terms

__all__ = ["MedicalRecordsHook"]


class MedicalRecordsHook:
    """Keeps drug names and stores each indexed document's medical terms (see the module docstring)."""

    #: Prepared documents whose terms are kept until they are indexed (the oldest are dropped).
    KEPT = 8

    def __init__(self, recognizer: MedicalEntityRecognizer, records: RecordStore) -> None:
        self.recognizer = recognizer
        self.records = records
        self._prepared: OrderedDict[tuple[str, str], set[tuple[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def keep_terms(self, text: str) -> Sequence[str]:
        """The lexicon-listed drug names in ``text``, as written."""
        return self.recognizer.known_chemicals(text)

    def _terms(self, document: LoadedDocument) -> set[tuple[str, str]]:
        return record_terms(
            entity for section in document.sections for entity in self.recognizer.recognize(section.text)
        )

    def prepare(self, domain: str, document: LoadedDocument) -> None:
        """Find the document's terms now and keep them for :meth:`on_indexed` (its sha256 names its content)."""
        terms = self._terms(document)
        with self._lock:
            self._prepared[(domain, document.sha256)] = terms
            while len(self._prepared) > self.KEPT:
                self._prepared.popitem(last=False)

    def on_indexed(self, domain: str, document: LoadedDocument) -> None:
        """Store the document's distinct ``(type, normalized term)`` pairs as its record (found by
        :meth:`prepare`, or now)."""
        with self._lock:
            terms = self._prepared.pop((domain, document.sha256), None)
        if terms is None:
            terms = self._terms(document)
        self.records.replace_terms(domain, document.sha256, terms)

    def on_removed(self, domain: str, sha256: str) -> None:
        """Delete the document's record (if any)."""
        self.records.forget(domain, sha256)
