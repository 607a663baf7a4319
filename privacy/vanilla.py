"""Vanilla Presidio de-identification: the baseline a user gets from Presidio's documented defaults.

``AnalyzerEngine`` with its predefined recognizers (:func:`privacy.analyzer.build_vanilla_analyzer`), asked for
every entity it supports at its default threshold, then ``AnonymizerEngine`` with its default operator
(``replace``: each finding becomes ``<ENTITY_TYPE>``). None of this product's recognizers, filters, keep terms
or span fixes. Used by the evaluations only.
"""

from __future__ import annotations

from presidio_analyzer import AnalyzerEngine
from presidio_anonymizer import AnonymizerEngine

__all__ = ["anonymize_vanilla"]

_ANONYMIZER: AnonymizerEngine | None = None


def anonymize_vanilla(analyzer: AnalyzerEngine, text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """De-identify ``text`` as vanilla Presidio does (English, all supported entities, ``<TYPE>`` replacement).

    Returns:
        ``(anonymized text, (start, end) of each replacement in it)``, character offsets, end exclusive.
    """
    global _ANONYMIZER
    if _ANONYMIZER is None:
        _ANONYMIZER = AnonymizerEngine()
    results = analyzer.analyze(text=text, language="en")
    anonymized = _ANONYMIZER.anonymize(text=text, analyzer_results=results)  # type: ignore[arg-type]
    return anonymized.text, tuple(sorted((item.start, item.end) for item in anonymized.items))
