"""A session's personal data over time: opening its vault (after expiry too), and erasing the session.

A session's personal values live in its encrypted vault for ``privacy.vault_ttl_hours`` after its last turn
(see :class:`privacy.VaultStore`). Its de-identified turns stay in memory after that: their placeholders can
no longer be restored, and they are never handed out again in that session, so ``<PERSON_1>`` cannot come to
mean a new person. Erasing a session (:func:`erase_session`) removes the vault and the turns together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from pipelines.core.errors import SessionError
from pipelines.core.logs import logger
from pipelines.services import Services
from privacy import PLACEHOLDER_PATTERN, Vault, VaultError

__all__ = ["ErasureReceipt", "erase_session", "open_session_vault", "unrestorable_placeholders"]


@dataclass(frozen=True)
class ErasureReceipt:
    """What :func:`erase_session` removed.

    Attributes:
        session_id: The erased session.
        erased_at: When, ISO 8601 UTC (seconds).
        turns: Conversation turns deleted from memory.
        session_record: Whether a session record (title, timestamps) was deleted.
        vault_file: Whether an encrypted vault file was deleted.
        vault_values: Personal values that vault held (None: it could not be decrypted with this key).
    """

    session_id: str
    erased_at: str
    turns: int
    session_record: bool
    vault_file: bool
    vault_values: int | None

    def to_dict(self) -> dict[str, Any]:
        """The receipt as a JSON-ready dict (the ``sessions erase --json`` object)."""
        return asdict(self)

    def summary(self) -> str:
        """One line for people, e.g. ``erased session abc at 2026-…: 3 turns, vault with 2 values``."""
        turns = f"{self.turns} turn" + ("" if self.turns == 1 else "s")
        if not self.vault_file:
            vault = "no vault"
        elif self.vault_values is None:
            vault = "vault (not readable with this key)"
        else:
            vault = f"vault with {self.vault_values} personal value" + ("" if self.vault_values == 1 else "s")
        return f"erased session {self.session_id} at {self.erased_at}: {turns}, {vault}"


def erase_session(services: Services, session_id: str) -> ErasureReceipt:
    """Erase a session for good: its vault file first (the personal values), then its turns and record.

    Args:
        services: The shared services (vault store and memory).
        session_id: The session to erase.

    Returns:
        The receipt of what was removed.

    Raises:
        SessionError: The id is malformed, or nothing is stored under it.
    """
    services.memory.check_id(session_id)
    had_record = services.memory.exists(session_id)
    had_vault = services.vaults.exists(session_id)
    if not had_record and not had_vault:
        raise SessionError(f"no session {session_id!r}: nothing to erase")
    values: int | None = 0
    if had_vault:
        try:
            values = len(services.vaults.open(session_id).values)
        except VaultError:
            values = None
        services.vaults.erase(session_id)
    turns = services.memory.delete_session(session_id)
    receipt = ErasureReceipt(
        session_id=session_id,
        erased_at=datetime.now(UTC).isoformat(timespec="seconds"),
        turns=turns,
        session_record=had_record,
        vault_file=had_vault,
        vault_values=values,
    )
    logger.info(
        "session erased session=%s turns=%d vault_file=%s vault_values=%s",
        session_id,
        turns,
        had_vault,
        values,
    )
    return receipt


def open_session_vault(services: Services, session_id: str) -> tuple[Vault, bool]:
    """Open a session's vault for a new turn.

    When the session has turns but no vault any more (its values expired), the placeholders left in those
    turns are reserved in the new vault, so that they are never handed out again for new values.

    Returns:
        ``(vault, expired)``: ``expired`` is True when the earlier turns' values were erased.
    """
    vault = services.vaults.open(session_id)
    if services.vaults.exists(session_id):
        return vault, False
    turns = services.memory.turns(session_id)
    if not turns:
        return vault, False
    vault.reserve(
        m.group(0) for t in turns for m in PLACEHOLDER_PATTERN.finditer(f"{t.question}\n{t.answer}")
    )
    return vault, True


def unrestorable_placeholders(services: Services, session_id: str) -> list[str]:
    """Placeholders in the session's stored questions that its vault cannot restore (their values expired).

    Only questions are read: a placeholder in a question was put there by de-identification, while an answer
    may contain placeholder-like text the model made up.

    Returns:
        The distinct placeholders, in order of first appearance.
    """
    vault = services.vaults.open(services.memory.check_id(session_id))
    found: dict[str, None] = {}
    for turn in services.memory.turns(session_id):
        for match in PLACEHOLDER_PATTERN.finditer(turn.question):
            if match.group(0) not in vault.values:
                found.setdefault(match.group(0))
    return list(found)
