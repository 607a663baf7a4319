"""Salted hashes of PII for logs: the same value gives the same token in every record, and nothing reversible.

A value becomes ``<TYPE#1a2b3c4d>``: the first 8 hex characters of HMAC-SHA256 (RFC 2104, Python's ``hmac``)
keyed with a secret salt over the entity type and the value's normalised form (:func:`~privacy.vault.normalise_value`:
"Jane  Doe" = "jane doe"; "4539 1488…" = "4539-1488…"). With the salt kept secret, short values (phone numbers,
card numbers) cannot be recovered by hashing every candidate. 8 hex characters = 32 bits: enough to tell the
values of one log apart, not meant as a unique id. The other operator, ``drop``, leaves only ``<TYPE>``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from privacy.deidentify import Finding
from privacy.errors import PrivacyError
from privacy.vault import load_or_create_secret, normalise_value

__all__ = [
    "LOG_OPERATORS",
    "check_log_operators",
    "hash_findings",
    "load_or_create_salt",
    "salted_hash",
]

#: What a log sink may do with a finding: replace it with its salted hash, or with its type only.
LOG_OPERATORS = frozenset({"hash", "drop"})


def salted_hash(entity_type: str, value: str, salt: bytes) -> str:
    """Return ``<ENTITY_TYPE#xxxxxxxx>`` for ``value``: HMAC-SHA256(salt, type + normalised value), 8 hex chars.

    Args:
        entity_type: Presidio entity type, e.g. ``"PERSON"``.
        value: The raw value.
        salt: The secret key (at least 16 bytes).

    Raises:
        PrivacyError: The salt is shorter than 16 bytes.
    """
    if len(salt) < 16:
        raise PrivacyError(f"log salt must be at least 16 bytes, got {len(salt)}")
    message = f"{entity_type}\x1f{normalise_value(entity_type, value)}".encode()
    return f"<{entity_type}#{hmac.new(salt, message, hashlib.sha256).hexdigest()[:8]}>"


def hash_findings(
    text: str,
    findings: Iterable[Finding],
    salt: bytes,
    operators: Mapping[str, str],
    default: str = "hash",
) -> str:
    """Replace each finding in ``text`` by its salted hash or by ``<TYPE>``, per entity type.

    Args:
        text: The text the findings' offsets refer to.
        findings: Non-overlapping findings (as :meth:`~privacy.deidentify.Deidentifier.find` returns them).
        salt: Secret key of :func:`salted_hash`.
        operators: Entity type -> ``"hash"`` or ``"drop"``.
        default: Operator for types not in ``operators``.

    Returns:
        The text with every finding replaced.

    Raises:
        PrivacyError: An operator other than "hash" or "drop".
    """
    check_log_operators(operators, default)
    parts: list[str] = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < cursor:
            continue
        value = text[finding.start : finding.end]
        parts.append(text[cursor : finding.start])
        if operators.get(finding.entity_type, default) == "hash":
            parts.append(salted_hash(finding.entity_type, value, salt))
        else:
            parts.append(f"<{finding.entity_type}>")
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts)


def check_log_operators(operators: Mapping[str, str], default: str = "hash") -> None:
    """Check that every operator (and the default) is "hash" or "drop".

    Raises:
        PrivacyError: Naming the entity type and the bad operator.
    """
    for entity, operator in [*operators.items(), ("(default)", default)]:
        if operator not in LOG_OPERATORS:
            raise PrivacyError(f"unknown log operator {operator!r} for {entity}; use 'hash' or 'drop'")


def load_or_create_salt(path: Path) -> bytes:
    """Read the log salt from ``path``, or generate one (32 random bytes as 64 hex characters, mode 0600).

    Args:
        path: The salt file; its folder is created if missing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return load_or_create_secret(path, lambda: secrets.token_hex(32).encode())
