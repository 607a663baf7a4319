"""How long a standalone message may be, and the check that refuses an empty or over-long one (``assistant
intent|risk``, ``POST /api/intent|risk``, agent assist): a light module, so the command line can refuse bad input
before it loads any model."""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.core.errors import AssistantError

__all__ = ["MAX_MESSAGE_CHARS", "check_messages"]

#: Longest message accepted, characters (a customer message, not a document: ingest long text instead).
MAX_MESSAGE_CHARS = 20_000


def check_messages(messages: Sequence[str]) -> None:
    """Refuse empty or over-long messages before any is processed (nothing half-done).

    Raises:
        AssistantError: No messages, or one that is blank or longer than :data:`MAX_MESSAGE_CHARS`, named by its
            position (1-based).
    """
    if not messages:
        raise AssistantError("no message given")
    for number, message in enumerate(messages, start=1):
        where = "the message" if len(messages) == 1 else f"message {number}"
        if not message.strip():
            raise AssistantError(f"{where} is empty")
        if len(message) > MAX_MESSAGE_CHARS:
            raise AssistantError(
                f"{where} has {len(message):,} characters; at most {MAX_MESSAGE_CHARS:,} are accepted"
            )
