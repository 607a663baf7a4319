"""Privacy: Presidio-based de-identification, PII policies and the per-session vault."""

from privacy.analyzer import build_analyzer, build_vanilla_analyzer
from privacy.deidentify import (
    Deidentifier,
    Finding,
    Redaction,
    StreamingReidentifier,
    find_vanilla,
    reidentify,
)
from privacy.errors import PrivacyError, VaultError
from privacy.operators import load_or_create_secret, mask_last4, salted_hash, session_date_offset, shift_date
from privacy.policies import SINKS, PiiPolicy, Sink
from privacy.recognizers import CapitalisedNameRecognizer, IntroducedNameRecognizer
from privacy.vault import PLACEHOLDER_PATTERN, Vault, VaultStore

__all__ = [
    "PLACEHOLDER_PATTERN",
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
    "load_or_create_secret",
    "mask_last4",
    "reidentify",
    "salted_hash",
    "session_date_offset",
    "shift_date",
]
