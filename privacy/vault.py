"""The per-session vault: placeholder <-> original value, encrypted at rest.

A vault maps each distinct (entity type, value) seen in one session to a placeholder such as ``<PERSON_1>``;
the same value gets the same placeholder for the whole session, and sessions never share a vault. Vaults are
stored one file per session, encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``), with a
key from settings or generated once into ``<vault_dir>/vault.key`` with mode 0600. The mapping never goes into
a prompt: only :func:`privacy.deidentify.reidentify` reads it, for what the user sees.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from privacy.errors import VaultError

__all__ = ["IDENTIFIER_TYPES", "PLACEHOLDER_PATTERN", "Vault", "VaultStore", "normalise_value"]

PLACEHOLDER_PATTERN = re.compile(r"<([A-Z][A-Z_]*?)_(\d+)>")
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Vault:
    """Placeholders of one session. Not thread-safe; one per session.

    Attributes:
        session_id: The session this vault belongs to.
        values: placeholder -> original value.
    """

    session_id: str
    values: dict[str, str] = field(default_factory=dict)
    _index: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for placeholder, value in self.values.items():
            match = PLACEHOLDER_PATTERN.fullmatch(placeholder)
            if match is None:
                raise VaultError(f"malformed placeholder in vault of session {self.session_id!r}")
            entity, number = match.group(1), int(match.group(2))
            self._index[(entity, normalise_value(entity, value))] = placeholder
            self._counters[entity] = max(self._counters.get(entity, 0), number)

    def placeholder_for(self, entity_type: str, value: str) -> str:
        """Return the placeholder of ``value`` as ``entity_type``, creating ``<TYPE_n>`` on first sight.

        Values are compared by :func:`normalise_value` ("Jane  Doe" = "jane doe"; "5555 5555 5555 4444" =
        "5555-5555-5555-4444").
        """
        key = (entity_type, normalise_value(entity_type, value))
        existing = self._index.get(key)
        if existing is not None:
            return existing
        number = self._counters.get(entity_type, 0) + 1
        self._counters[entity_type] = number
        placeholder = f"<{entity_type}_{number}>"
        self._index[key] = placeholder
        self.values[placeholder] = value
        return placeholder


#: Entity types whose values are identifiers: separators (spaces, dashes, dots, brackets) do not matter.
IDENTIFIER_TYPES = frozenset(
    {
        "CREDIT_CARD",
        "IBAN_CODE",
        "PHONE_NUMBER",
        "US_SSN",
        "US_BANK_NUMBER",
        "US_PASSPORT",
        "US_ITIN",
        "US_DRIVER_LICENSE",
        "UK_NHS",
        "MEDICAL_LICENSE",
        "CRYPTO",
        "UK_NINO",
        "UK_PASSPORT",
        "UK_SORT_CODE",
        "UK_ACCOUNT_NUMBER",
        "SWIFT_CODE",
        "ABA_ROUTING_NUMBER",
    }
)


def normalise_value(entity_type: str, value: str) -> str:
    """The form under which a value is the same value: case-folded; identifiers without separators."""
    if entity_type in IDENTIFIER_TYPES:
        return re.sub(r"[\W_]", "", value).casefold()
    return " ".join(value.split()).casefold()


class VaultStore:
    """Encrypted vault files under one directory (``<data_dir>/vault``)."""

    def __init__(self, directory: Path, key: str | None = None) -> None:
        """Open (and create) the vault directory.

        Args:
            directory: Where ``<session_id>.vault`` files and a generated key live.
            key: Fernet key (urlsafe base64 of 32 bytes); None = read or generate ``vault.key`` (mode 0600).

        Raises:
            VaultError: The key is malformed.
        """
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        try:
            self._fernet = Fernet(key.encode() if key else self._load_or_create_key())
        except (ValueError, TypeError) as exc:
            raise VaultError("vault key is not a valid Fernet key (urlsafe base64 of 32 bytes)") from exc

    def _load_or_create_key(self) -> bytes:
        path = self.directory / "vault.key"
        if path.exists():
            return path.read_bytes().strip()
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key

    def _path(self, session_id: str) -> Path:
        if not _SESSION_ID.match(session_id):
            raise VaultError(f"invalid session id {session_id!r}: use 1-64 letters, digits, '-' or '_'")
        return self.directory / f"{session_id}.vault"

    def open(self, session_id: str) -> Vault:
        """Load the vault of ``session_id`` (an empty one if the session is new).

        Raises:
            VaultError: The file cannot be decrypted with this key, or the id is invalid.
        """
        path = self._path(session_id)
        if not path.exists():
            return Vault(session_id=session_id)
        try:
            payload = json.loads(self._fernet.decrypt(path.read_bytes()))
        except InvalidToken as exc:
            raise VaultError(f"vault of session {session_id!r} cannot be decrypted with this key") from exc
        return Vault(session_id=session_id, values=dict(payload["values"]))

    def save(self, vault: Vault) -> None:
        """Encrypt and write ``vault`` atomically (temp file + rename, mode 0600)."""
        path = self._path(vault.session_id)
        token = self._fernet.encrypt(json.dumps({"values": vault.values}).encode("utf-8"))
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(token)
        tmp.replace(path)

    def erase(self, session_id: str) -> None:
        """Delete the vault of ``session_id`` (no error if there is none)."""
        self._path(session_id).unlink(missing_ok=True)
