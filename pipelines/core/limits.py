"""How long a standalone message may be, and the check that refuses an empty or over-long one (``assistant
intent|risk``, ``POST /api/intent|risk``, agent assist): a light module, so the command line can refuse bad input
before it loads any model."""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.core.errors import AssistantError

__all__ = ["MAX_MESSAGE_CHARS", "check_messages", "checked_text"]

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


def checked_text(text: str, what: str, limit: int = MAX_MESSAGE_CHARS, hint: str = "") -> str:
    """``text`` without surrounding white space, refused when that is empty or longer than ``limit`` characters
    (a chat question, an agent-assist customer message).

    Args:
        text: The text as given.
        what: How the error names it ("the question").
        limit: Most characters accepted, after stripping.
        hint: Appended to the too-long error (" (ingest a long text as a document instead)").

    Raises:
        AssistantError: ``"{what} is empty"``, or ``"{what} has N characters; at most LIMIT are accepted{hint}"``.
    """
    stripped = text.strip()
    if not stripped:
        raise AssistantError(f"{what} is empty")
    if len(stripped) > limit:
        raise AssistantError(f"{what} has {len(stripped):,} characters; at most {limit:,} are accepted{hint}")
    return stripped
