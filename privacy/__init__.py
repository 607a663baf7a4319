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
from privacy.errors import PrivacyError, UnknownPolicyError, VaultError
from privacy.hashing import check_log_operators, hash_findings, load_or_create_salt, salted_hash
from privacy.policies import PiiPolicy, load_policy, policy_names
from privacy.recognizers import CapitalisedNameRecognizer, IntroducedNameRecognizer
from privacy.vault import PLACEHOLDER_PATTERN, Vault, VaultStore

__all__ = [
    "PLACEHOLDER_PATTERN",
    "CapitalisedNameRecognizer",
    "Deidentifier",
    "Finding",
    "IntroducedNameRecognizer",
    "PiiPolicy",
    "PrivacyError",
    "Redaction",
    "StreamingReidentifier",
    "UnknownPolicyError",
    "Vault",
    "VaultError",
    "VaultStore",
    "build_analyzer",
    "build_vanilla_analyzer",
    "check_log_operators",
    "find_vanilla",
    "hash_findings",
    "load_or_create_salt",
    "load_policy",
    "policy_names",
    "reidentify",
    "salted_hash",
]
