"""Erasing a user: their conversations (vaults and turns), their keys and their account, with a receipt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipelines.accounts.store import AccountStore
from pipelines.conversation.sessions import Conversations
from pipelines.core.errors import SessionError

__all__ = ["UserErasureReceipt", "erase_user"]


@dataclass(frozen=True)
class UserErasureReceipt:
    """What erasing a user removed: sessions (with turns and vault values), private documents, keys, the account."""

    user: str
    erased_at: str
    sessions: int
    turns: int
    vault_values: int
    keys: int
    documents: int = 0

    def to_dict(self) -> dict[str, Any]:
        """``{user, erased_at, sessions, turns, vault_values, keys, documents}``."""
        return dict(self.__dict__)

    def summary(self) -> str:
        """One line for the command line."""
        return (
            f"erased user {self.user} at {self.erased_at}: {_count(self.sessions, 'session')} "
            f"({_count(self.turns, 'turn')}, {_count(self.vault_values, 'personal value')}), "
            f"{_count(self.documents, 'private document')}, {_count(self.keys, 'key')}"
        )


def _count(n: int, noun: str) -> str:
    """``1 turn``, ``2 turns``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def erase_user(
    accounts: AccountStore,
    conversations: Conversations,
    name: str,
    erase_documents: Callable[[str], int] | None = None,
) -> UserErasureReceipt:
    """Erase every session ``name`` owns (vault first, then turns: :meth:`Conversations.erase`), their private
    documents, then their keys and account.

    Args:
        accounts: The account store.
        conversations: The sessions and vaults.
        name: The user.
        erase_documents: Deletes the user's private documents and returns how many
            (``lambda user: len(catalog.erase_owner(user))``; documents live in a layer above accounts).

    Raises:
        AccountError: No such user.
    """
    user = accounts.user(name)
    sessions = turns = values = 0
    for session_id in sorted(accounts.sessions_of(user.name)):
        try:
            receipt = conversations.erase(session_id)
        except SessionError:  # owned but never stored (a request that failed before its first turn)
            accounts.release_session(session_id)
            continue
        sessions += 1
        turns += receipt.turns
        values += receipt.vault_values or 0
        accounts.release_session(session_id)
    documents = erase_documents(user.name) if erase_documents is not None else 0
    keys = accounts.delete_user(user.name)
    return UserErasureReceipt(
        user.name, datetime.now(UTC).isoformat(timespec="seconds"), sessions, turns, values, keys, documents
    )
