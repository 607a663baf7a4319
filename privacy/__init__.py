"""Privacy: Presidio-based de-identification, PII policies and the per-session vault."""

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
from privacy.errors import PrivacyError, VaultError
from privacy.glossary import OPERATOR_MEANINGS, SINK_MEANINGS, entity_label, summarize_counts
from privacy.lexicon import given_names, surnames
from privacy.operators import load_or_create_secret, mask_last4, salted_hash, session_date_offset, shift_date
from privacy.placeholders import ANY_PLACEHOLDER, PLACEHOLDER_PATTERN, placeholder_spans
from privacy.policies import SINKS, PiiPolicy, Sink
from privacy.recognizers import CapitalisedNameRecognizer, IntroducedNameRecognizer
from privacy.report import DocumentReport, build_report, risk_score
from privacy.vault import Vault, VaultStore

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
