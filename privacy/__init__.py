"""Privacy: Presidio-based de-identification, PII policies and the per-session vault.

The names that need Presidio and spaCy (the analyzer, the de-identifier, the recognizers, document reports) are
imported on first use (PEP 562 ``__getattr__``), so that importing a light part of the package (the vault, the
policies, the errors) does not load them: ``assistant --help`` and ``assistant sessions list`` no longer wait for
Presidio's import of spaCy, transformers and torch (``benchmarks/results/startup.md``).
"""

from typing import TYPE_CHECKING, Any

from privacy.errors import PrivacyError, VaultError
from privacy.glossary import OPERATOR_MEANINGS, SINK_MEANINGS, entity_label, summarize_counts
from privacy.lexicon import given_names, surnames
from privacy.operators import load_or_create_secret, mask_last4, salted_hash, session_date_offset, shift_date
from privacy.placeholders import ANY_PLACEHOLDER, PLACEHOLDER_PATTERN, placeholder_spans, without_placeholders
from privacy.policies import SINKS, PiiPolicy, Sink
from privacy.vault import Vault, VaultStore

if TYPE_CHECKING:
    from privacy.analyzer import Analyzer, build_analyzer, build_vanilla_analyzer
    from privacy.deidentify import (
        Deidentifier,
        Finding,
        Redaction,
        StreamingReidentifier,
        display_text,
        find_vanilla,
        reidentify,
        typed_spellings,
    )
    from privacy.recognizers import CapitalisedNameRecognizer, IntroducedNameRecognizer
    from privacy.report import DocumentReport, build_report, risk_score

#: The names loaded on first use, by the module that defines them (each of these modules imports Presidio).
_LAZY = {
    "analyzer": ("Analyzer", "build_analyzer", "build_vanilla_analyzer"),
    "deidentify": (
        "Deidentifier",
        "Finding",
        "Redaction",
        "StreamingReidentifier",
        "display_text",
        "find_vanilla",
        "reidentify",
        "typed_spellings",
    ),
    "recognizers": ("CapitalisedNameRecognizer", "IntroducedNameRecognizer"),
    "report": ("DocumentReport", "build_report", "risk_score"),
}


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` (one of :data:`_LAZY`'s) and cache the name in the package.

    Raises:
        AttributeError: ``name`` is not a name of this package.
    """
    if name in _LAZY["analyzer"]:
        from privacy import analyzer

        value = getattr(analyzer, name)
    elif name in _LAZY["deidentify"]:
        from privacy import deidentify

        value = getattr(deidentify, name)
    elif name in _LAZY["recognizers"]:
        from privacy import recognizers

        value = getattr(recognizers, name)
    elif name in _LAZY["report"]:
        from privacy import report

        value = getattr(report, name)
    else:
        raise AttributeError(f"module 'privacy' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "Analyzer",
    "OPERATOR_MEANINGS",
    "SINK_MEANINGS",
    "DocumentReport",
    "build_report",
    "entity_label",
    "risk_score",
    "summarize_counts",
    "ANY_PLACEHOLDER",
    "PLACEHOLDER_PATTERN",
    "placeholder_spans",
    "without_placeholders",
    "SINKS",
    "CapitalisedNameRecognizer",
    "Deidentifier",
    "Finding",
    "IntroducedNameRecognizer",
    "PiiPolicy",
    "PrivacyError",
    "Redaction",
    "Sink",
    "StreamingReidentifier",
    "Vault",
    "VaultError",
    "VaultStore",
    "build_analyzer",
    "build_vanilla_analyzer",
    "find_vanilla",
    "given_names",
    "surnames",
    "load_or_create_secret",
    "mask_last4",
    "reidentify",
    "display_text",
    "typed_spellings",
    "salted_hash",
    "session_date_offset",
    "shift_date",
]
