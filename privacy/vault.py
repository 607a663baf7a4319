"""The per-session vault: placeholder <-> original value, encrypted at rest.

A vault maps each distinct (entity type, value) seen in one session to a placeholder such as ``<PERSON_1>``;
the same value gets the same placeholder for the whole session, and sessions never share a vault. Vaults are
stored one file per session, encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``), with a
key from settings or generated once into ``<vault_dir>/vault.key`` with mode 0600. The mapping never goes into
a prompt: only :func:`privacy.deidentify.reidentify` reads it, for what the user sees.

Time to live: a vault not saved for ``ttl_hours`` is erased when it is next opened and by
:meth:`VaultStore.purge_expired`. The age is read from the Fernet token's own timestamp (the time of the last
save, covered by the token's HMAC, so it cannot be edited without the key).

:class:`VaultCipher` (a vault to a token and back, the token's age) and :func:`check_session_id` are what any
other store of vaults reuses (the shared-database one, ``pipelines/conversation/vault_sql.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from privacy.errors import VaultError
from privacy.placeholders import PLACEHOLDER_PATTERN

__all__ = [
    "IDENTIFIER_TYPES",
    "PLACEHOLDER_PATTERN",
    "Vault",
    "VaultCipher",
    "VaultStore",
    "check_session_id",
    "normalise_value",
]

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Vault:
    """Placeholders of one session. Not thread-safe; one per session.

    Attributes:
        session_id: The session this vault belongs to.
        values: placeholder -> original value.
        counters: entity type -> highest placeholder number handed out (or reserved) so far; numbers are never
            reused within a session.
        spellings: turn position (as a string) -> ``{"text": digest of the stored question, "at": {offset:
            spelling}}``: where the user typed a value otherwise than the vault holds it ("Anna" for the
            ``<PERSON_1>`` of "Anna Smith"), so that the turn is shown as typed (:meth:`keep_spellings`).
        next_turn: The position of the conversation turn this vault was opened for, or None (set by whoever opens
            it for a turn; not saved): where the spellings of the message de-identified now are kept.
    """

    session_id: str
    values: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    _index: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    spellings: dict[str, dict[str, object]] = field(default_factory=dict, repr=False)
    next_turn: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        self.counters = dict(self.counters)
        for placeholder, value in self.values.items():
            match = PLACEHOLDER_PATTERN.fullmatch(placeholder)
            if match is None:
                raise VaultError(f"malformed placeholder in vault of session {self.session_id!r}")
            entity, number = match.group(1), int(match.group(2))
            self._index[(entity, normalise_value(entity, value))] = placeholder
            self.counters[entity] = max(self.counters.get(entity, 0), number)

    def placeholder_for(self, entity_type: str, value: str) -> str:
        """Return the placeholder of ``value`` as ``entity_type``, creating ``<TYPE_n>`` on first sight.

        Values are compared by :func:`normalise_value` ("Jane  Doe" = "jane doe"; "5555 5555 5555 4444" =
        "5555-5555-5555-4444").
        """
        key = (entity_type, normalise_value(entity_type, value))
        existing = self._index.get(key)
        if existing is not None:
            return existing
        number = self.counters.get(entity_type, 0) + 1
        self.counters[entity_type] = number
        placeholder = f"<{entity_type}_{number}>"
        self._index[key] = placeholder
        self.values[placeholder] = value
        return placeholder

    def lookup(self, entity_type: str, value: str) -> str | None:
        """Return the placeholder ``value`` already has as ``entity_type`` (compared by
        :func:`normalise_value`), or None; never creates one."""
        return self._index.get((entity_type, normalise_value(entity_type, value)))

    def keep_spellings(self, position: int, stored: str, spellings: Sequence[tuple[int, str]]) -> None:
        """Keep how the user typed the values of turn ``position`` (replacing what was kept for it before).

        Args:
            position: The turn's position in the conversation (0 = the first).
            stored: The de-identified question as stored; only its SHA-256 digest is kept, so that spellings are
                never applied to another text (a turn that was not stored after all).
            spellings: ``(offset in stored, spelling)`` (:func:`privacy.deidentify.typed_spellings`); empty
                forgets the turn's.
        """
        if spellings:
            self.spellings[str(position)] = {
                "text": _digest(stored),
                "at": {str(offset): spelling for offset, spelling in spellings},
            }
        else:
            self.spellings.pop(str(position), None)

    def spellings_of(self, position: int, stored: str) -> dict[int, str]:
        """Offset -> spelling kept for turn ``position`` whose stored question is ``stored`` (``{}`` when none
        was kept, or it was kept for another text)."""
        entry = self.spellings.get(str(position))
        if not isinstance(entry, dict) or entry.get("text") != _digest(stored):
            return {}
        at = entry.get("at")
        return {int(offset): str(spelling) for offset, spelling in at.items()} if isinstance(at, dict) else {}

    def reserve(self, placeholders: Iterable[str]) -> None:
        """Never hand out these placeholders' numbers again (e.g. those left in stored turns after the vault
        that held their values expired, so that ``<PERSON_1>`` cannot come to mean someone else).

        Args:
            placeholders: Strings such as ``"<PERSON_3>"``; anything not shaped like a placeholder is ignored.
        """
        for placeholder in placeholders:
            match = PLACEHOLDER_PATTERN.fullmatch(placeholder)
            if match is not None:
                entity, number = match.group(1), int(match.group(2))
                self.counters[entity] = max(self.counters.get(entity, 0), number)


def _digest(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``text`` (UTF-8): tells stored texts apart, reveals none."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


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
        "CN_RESIDENT_ID",
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


def check_session_id(session_id: str) -> str:
    """Return ``session_id`` if it may name a vault.

    Raises:
        VaultError: It is not 1-64 letters, digits, '-' or '_'.
    """
    if not _SESSION_ID.match(session_id):
        raise VaultError(f"invalid session id {session_id!r}: use 1-64 letters, digits, '-' or '_'")
    return session_id


class VaultCipher:
    """A vault to a Fernet token and back, under one key: what every vault store writes and reads.

    A token is ``urlsafe-base64(version | timestamp | IV | AES-128-CBC(JSON {"values", "counters", "spellings"}) |
    HMAC)``
    (the Fernet spec), ASCII bytes; its timestamp is the time of the save, covered by the HMAC.
    """

    def __init__(self, key: str | bytes) -> None:
        """Args:
            key: Fernet key, urlsafe base64 of 32 bytes.

        Raises:
            VaultError: The key is malformed (the message never shows it).
        """
        try:
            self._fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError) as exc:
            raise VaultError("vault key is not a valid Fernet key (urlsafe base64 of 32 bytes)") from exc

    def encrypt(self, vault: Vault, at: float) -> bytes:
        """The token of ``vault`` (its values and counters; the session id is not inside), stamped ``at``
        (seconds since the epoch, truncated to whole seconds)."""
        payload = json.dumps(
            {"values": vault.values, "counters": vault.counters, "spellings": vault.spellings}
        ).encode("utf-8")
        return self._fernet.encrypt_at_time(payload, int(at))

    def decrypt(self, session_id: str, token: bytes) -> Vault:
        """The vault of ``session_id`` held in ``token`` (whatever its age).

        Raises:
            VaultError: The token is not one of this key (another key, altered or not a token).
        """
        try:
            payload = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise VaultError(f"vault of session {session_id!r} cannot be decrypted with this key") from exc
        return Vault(
            session_id=session_id,
            values=dict(payload["values"]),
            counters=dict(payload.get("counters", {})),
            spellings=dict(payload.get("spellings", {})),
        )

    def written_at(self, token: bytes) -> float:
        """When ``token`` was made (seconds since the epoch, whole seconds), read from its authenticated stamp.

        Raises:
            InvalidToken: The token is not one of this key.
        """
        return float(self._fernet.extract_timestamp(token))

    def expired(self, token: bytes, now: float, ttl_hours: float) -> bool:
        """Whether ``token`` was made more than ``ttl_hours`` before ``now`` (seconds); never when
        ``ttl_hours`` is 0.

        Raises:
            InvalidToken: The token is not one of this key (only checked when ``ttl_hours`` is not 0).
        """
        if not ttl_hours:
            return False
        return now - self.written_at(token) > ttl_hours * 3600.0


def _load_or_create_key(path: Path) -> bytes:
    """Read the Fernet key file, or generate it once with mode 0600 (owner read/write only).

    The new file is written under a temporary name and hard-linked into place, so a reader never sees it half
    written, and of two processes racing to create it both end up with the one that was linked first.
    """
    if path.exists():
        return path.read_bytes().strip()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes().strip()


class VaultStore:
    """Encrypted vault files under one directory (``<data_dir>/vault``), with an optional time to live."""

    def __init__(
        self,
        directory: Path,
        key: str | None = None,
        ttl_hours: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Open (and create) the vault directory.

        Args:
            directory: Where ``<session_id>.vault`` files and a generated key live.
            key: Fernet key (urlsafe base64 of 32 bytes); None = read or generate ``vault.key`` (mode 0600).
            ttl_hours: Hours after its last save at which a vault expires and is erased; 0 = never.
            clock: Current time, seconds since the Unix epoch (``time.time``; tests pass their own).

        Raises:
            VaultError: The key is malformed, or ``ttl_hours`` is negative.
        """
        if ttl_hours < 0:
            raise VaultError(f"vault time to live must be >= 0 hours, got {ttl_hours!r}")
        self.directory = directory
        self.ttl_hours = ttl_hours
        self._clock = clock
        directory.mkdir(parents=True, exist_ok=True)
        self._cipher = VaultCipher(key if key else _load_or_create_key(directory / "vault.key"))

    def _path(self, session_id: str) -> Path:
        return self.directory / f"{check_session_id(session_id)}.vault"

    def exists(self, session_id: str) -> bool:
        """Whether ``session_id`` has a vault file (expired or not).

        Raises:
            VaultError: The id is invalid.
        """
        return self._path(session_id).exists()

    def open(self, session_id: str) -> Vault:
        """Load the vault of ``session_id``: an empty one if the session is new, or if its vault expired (the
        expired file is erased first).

        Raises:
            VaultError: The file cannot be decrypted with this key, or the id is invalid.
        """
        path = self._path(session_id)
        if not path.exists():
            return Vault(session_id=session_id)
        token = path.read_bytes()
        try:
            if self._expired(token):
                self.erase(session_id)
                return Vault(session_id=session_id)
        except InvalidToken as exc:
            raise VaultError(f"vault of session {session_id!r} cannot be decrypted with this key") from exc
        return self._cipher.decrypt(session_id, token)

    def save(self, vault: Vault) -> None:
        """Encrypt and write ``vault`` atomically (temp file + rename, mode 0600); restarts its time to live."""
        path = self._path(vault.session_id)
        token = self._cipher.encrypt(vault, self._clock())
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(token)
        tmp.replace(path)

    def session_ids(self) -> list[str]:
        """The ids of every session with a vault file (expired or not), sorted."""
        return sorted(path.stem for path in self.directory.glob("*.vault") if _SESSION_ID.match(path.stem))

    def saved_at(self, session_id: str) -> float | None:
        """When the vault of ``session_id`` was last written (seconds since the epoch), or None without one.

        Raises:
            VaultError: The id is invalid.
        """
        try:
            return self._path(session_id).stat().st_mtime
        except FileNotFoundError:
            return None

    def erase(self, session_id: str) -> bool:
        """Delete the vault of ``session_id``.

        Returns:
            Whether a vault file was there to delete.

        Raises:
            VaultError: The id is invalid.
        """
        path = self._path(session_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def purge_expired(self) -> list[str]:
        """Erase every vault whose time to live has passed (nothing when ``ttl_hours`` is 0).

        Files this key cannot authenticate are left alone (they may belong to another key).

        Returns:
            The session ids whose vaults were erased, sorted.
        """
        if not self.ttl_hours:
            return []
        erased = []
        for path in sorted(self.directory.glob("*.vault")):
            try:
                expired = self._expired(path.read_bytes())
            except (InvalidToken, FileNotFoundError):
                continue
            if expired and _SESSION_ID.match(path.stem) and self.erase(path.stem):
                erased.append(path.stem)
        return erased

    def _expired(self, token: bytes) -> bool:
        """Whether ``token`` was written more than ``ttl_hours`` ago (raises InvalidToken for a foreign token)."""
        return self._cipher.expired(token, self._clock(), self.ttl_hours)
