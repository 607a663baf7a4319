"""A session's personal data over time: opening its vault (after expiry too), and erasing the session.

A session's personal values live in its encrypted vault for ``privacy.vault_ttl_hours`` after its last turn
(see :class:`privacy.VaultStore`). Its de-identified turns stay in memory after that: their placeholders can
no longer be restored, and they are never handed out again in that session, so ``<PERSON_1>`` cannot come to
mean a new person. Erasing a session (:meth:`Conversations.erase`) removes the vault and the turns together.

:class:`Conversations` is the one place that joins a session's turns (:class:`MemoryStore`) with its vault:
opening the vault for a new turn, showing a transcript or the session list with the user's values restored,
erasing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pipelines.conversation.memory import MemoryStore, SessionInfo, StoredTurn
from pipelines.conversation.vault_sql import VaultStorage
from pipelines.core.domains import DomainRegistry
from pipelines.core.errors import SessionError
from pipelines.core.logs import logger
from privacy import PLACEHOLDER_PATTERN, Vault, VaultError

__all__ = ["Conversations", "ErasureReceipt"]


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


class Conversations:
    """Sessions with their turns and their vaults (see the module docstring). Thread-safe as its stores are."""

    def __init__(self, memory: MemoryStore, vaults: VaultStorage) -> None:
        """Args:
        memory: The sessions' de-identified turns.
        vaults: The sessions' encrypted vaults of personal values.
        """
        self.memory = memory
        self.vaults = vaults

    def open_vault(self, session_id: str) -> tuple[Vault, bool]:
        """Open a session's vault for a new turn.

        When the session has turns but no vault any more (its values expired), the placeholders left in those
        turns are reserved in the new vault, so that they are never handed out again for new values. The vault's
        ``next_turn`` is the position the new turn will be stored at (the number of stored turns), where
        de-identifying the message keeps its spellings (:meth:`DomainDeidentifier.deidentify_message
        <pipelines.core.deidentification.DomainDeidentifier.deidentify_message>`).

        Returns:
            ``(vault, expired)``: ``expired`` is True when the earlier turns' values were erased.
        """
        vault = self.vaults.open(session_id)
        vault.next_turn = self.memory.count_turns(session_id)
        if vault.next_turn == 0 or self.vaults.exists(session_id):
            return vault, False  # (a session without turns has no placeholders to reserve)
        turns = self.memory.turns(session_id)
        if not turns:
            return vault, False
        vault.reserve(
            m.group(0) for t in turns for m in PLACEHOLDER_PATTERN.finditer(f"{t.question}\n{t.answer}")
        )
        return vault, True

    def erase(self, session_id: str) -> ErasureReceipt:
        """Erase a session for good: its vault file first (the personal values), then its turns and record.

        Returns:
            The receipt of what was removed.

        Raises:
            SessionError: The id is malformed, or nothing is stored under it.
        """
        self.memory.check_id(session_id)
        had_record = self.memory.exists(session_id)
        had_vault = self.vaults.exists(session_id)
        if not had_record and not had_vault:
            raise SessionError(f"no session {session_id!r}: nothing to erase")
        values: int | None = 0
        if had_vault:
            try:
                values = len(self.vaults.open(session_id).values)
            except VaultError:
                values = None
            self.vaults.erase(session_id)
        turns = self.memory.delete_session(session_id)
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

    def unrestorable_placeholders(self, session_id: str) -> list[str]:
        """Placeholders in the session's stored questions that its vault cannot restore (their values expired).

        Only questions are read: a placeholder in a question was put there by de-identification, while an
        answer may contain placeholder-like text the model made up.

        Returns:
            The distinct placeholders, in order of first appearance.
        """
        vault = self.vaults.open(self.memory.check_id(session_id))
        found: dict[str, None] = {}
        for turn in self.memory.turns(session_id):
            for match in PLACEHOLDER_PATTERN.finditer(turn.question):
                if match.group(0) not in vault.values:
                    found.setdefault(match.group(0))
        return list(found)

    def transcript(
        self, session_id: str, domains: DomainRegistry, last: int | None = None
    ) -> list[StoredTurn]:
        """A session's turns for display (oldest first; only the ``last`` n when given), exactly as the chat shows
        a turn when it is answered: each text through :func:`privacy.display_text` with the session's vault
        and the turn's domain's ``display`` operators (a turn of a domain no longer configured: restored), a
        question with the spellings the user typed (:meth:`privacy.Vault.spellings_of`), values the model made
        up as ``[phone number]``, placeholders whose values expired as they are.

        The stored turns are not changed: they stay de-identified.
        """
        from privacy import display_text  # here: privacy.deidentify imports Presidio

        vault = self._display_vault(session_id)
        turns = []
        for turn in self.memory.turns(session_id, last):
            policy = domains.policy(turn.domain) if turn.domain in domains else None
            typed = vault.spellings_of(turn.position, turn.question)
            turns.append(
                replace(
                    turn,
                    question=display_text(turn.question, vault, policy, typed),
                    answer=display_text(turn.answer, vault, policy),
                )
            )
        return turns

    def _display_vault(self, session_id: str) -> Vault:
        """The session's vault for display; when it expired, an empty one that knows the placeholders its
        questions held were the user's (so they are shown as they are, not as made up by the model)."""
        vault = self.vaults.open(self.memory.check_id(session_id))
        if not self.vaults.exists(session_id):
            vault.reserve(
                m.group(0)
                for t in self.memory.turns(session_id)
                for m in PLACEHOLDER_PATTERN.finditer(t.question)
            )
        return vault

    def sessions(self) -> list[SessionInfo]:
        """Every session that holds anything: those with turns, most recently updated first, then those with
        only a vault (an agent-assist analysis, or a turn that failed before it was stored), newest first, with
        no title and 0 turns, so that no stored personal value is out of sight."""
        listed = self.memory.sessions()
        known = {info.id for info in listed}
        vault_only = []
        for session_id in self.vaults.session_ids():
            saved = self.vaults.saved_at(session_id)
            if session_id in known or saved is None:
                continue
            stamp = datetime.fromtimestamp(saved, UTC).isoformat(timespec="seconds")
            vault_only.append(SessionInfo(session_id, "", stamp, stamp, 0))
        return listed + sorted(vault_only, key=lambda info: info.updated_at, reverse=True)

    def titles(
        self, limit: int = 50, only: Collection[str] | None = None, domains: DomainRegistry | None = None
    ) -> list[tuple[str, str]]:
        """``(session_id, display title)`` of the ``limit`` most recent sessions, newest first, titles
        re-identified, with the number of turns and the last change (UTC, to the minute) to tell equal titles apart;
        with ``only``, of those sessions alone (a signed-in user's own). With ``domains``, a title shows the
        user's values as the first turn's domain displays them (a finance card as ``•••• 6467``), as the
        transcript does; without, every value is restored (the owner's own terminal)."""
        from privacy import display_text, reidentify  # here: privacy.deidentify imports Presidio

        listed = self.sessions()
        if only is not None:
            listed = [info for info in listed if info.id in only]
        items = []
        for info in listed[:limit]:
            title = "(no messages: agent-assist values only)"
            if info.title:
                vault = self.vaults.open(info.id)
                typed = vault.spellings_of(0, info.title)  # a title cut at 120 characters has none
                domain = self.memory.first_domain(info.id) if domains is not None else None
                policy = (
                    domains.policy(domain)
                    if domains is not None and domain is not None and domain in domains
                    else None
                )
                title = (
                    display_text(info.title, vault, policy, typed)
                    if typed or policy is not None
                    else reidentify(info.title, vault)
                )
            turns = f"{info.turns} turn" + ("" if info.turns == 1 else "s")
            items.append((info.id, f"{title[:60]} · {turns} · {info.updated_at[:16].replace('T', ' ')}"))
        return items

    def last_message(self, session_id: str) -> str:
        """The last user message of a session, with the session's values restored.

        Raises:
            SessionError: Malformed id, or the session has no turns.
        """
        from privacy import display_text  # here: privacy.deidentify imports Presidio

        turns = self.memory.turns(self.memory.check_id(session_id), last=1)
        if not turns:
            raise SessionError(f"session {session_id!r} has no messages")
        vault = self.vaults.open(session_id)
        return display_text(
            turns[-1].question, vault, None, vault.spellings_of(turns[-1].position, turns[-1].question)
        )
