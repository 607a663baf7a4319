"""Prompt building: domain system prompt + numbered context passages + recent history + the question.

Two renderings of the same content:
- chat messages (``SystemMessage``/``HumanMessage``/``AIMessage``) for chat models such as Ollama's;
- a completion-style text (:func:`render_completion_prompt`) for base models without a chat template
  (Gemma 3 270M base), ending in ``Answer:`` so the model continues with the answer.
Only de-identified text ever enters a prompt; the session vault never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

__all__ = [
    "COMPLETION_STOP",
    "HistoryTurn",
    "Passage",
    "build_messages",
    "fit_passages",
    "render_completion_prompt",
]

#: Stop sequences for completion-style generation: the model must not write the next turn itself.
COMPLETION_STOP: tuple[str, ...] = ("\nQuestion:", "\nUser:", "\nContext:", "<end_of_turn>", "\n\n")


@dataclass(frozen=True)
class Passage:
    """A numbered context passage: its number in the prompt, source file, location and text."""

    number: int
    source: str
    location: str
    text: str


@dataclass(frozen=True)
class HistoryTurn:
    """One earlier exchange (de-identified): the user's question and the assistant's answer."""

    question: str
    answer: str


def fit_passages(passages: Sequence[Passage], max_chars: int | None) -> list[Passage]:
    """Return the passages that fit in ``max_chars`` characters of context, the last one cut to fit.

    A passage is only included when at least 80 characters of it fit. ``None`` keeps everything. Sources shown
    to the user must be exactly the passages the model saw, so callers cite what this returns.
    """
    if max_chars is None:
        return list(passages)
    kept: list[Passage] = []
    used = 0
    for passage in passages:
        room = max_chars - used
        if room < 80:
            break
        text = passage.text[:room]
        kept.append(Passage(passage.number, passage.source, passage.location, text))
        used += len(text)
    return kept


def _context_block(passages: Sequence[Passage]) -> str:
    lines = [f"[{p.number}] ({p.source}, {p.location}) {p.text}" for p in passages]
    return "\n\n".join(lines) if lines else "(no passages found)"


def build_messages(
    system_prompt: str,
    passages: Sequence[Passage],
    history: Sequence[HistoryTurn],
    question: str,
) -> list[BaseMessage]:
    """Return chat messages: system (instructions + context), the history turns, then the question.

    Args:
        system_prompt: The domain's system prompt.
        passages: Numbered retrieved passages (de-identified).
        history: Recent turns, oldest first (de-identified, without reasoning).
        question: The de-identified question.
    """
    system = (
        f"{system_prompt.strip()}\n\nContext passages (cite them by number, e.g. [1]):\n"
        f"{_context_block(passages)}"
    )
    messages: list[BaseMessage] = [SystemMessage(content=system)]
    for turn in history:
        messages.append(HumanMessage(content=turn.question))
        messages.append(AIMessage(content=turn.answer))
    messages.append(HumanMessage(content=question))
    return messages


def render_completion_prompt(messages: Sequence[BaseMessage]) -> str:
    """Render chat messages as one completion prompt for a base model.

    Layout: the system text (instructions and "Context:" passages), earlier turns as ``Question:``/``Answer:``
    pairs, then ``Question: <q>`` and an open ``Answer:``.
    """
    parts: list[str] = []
    for message in messages:
        content = str(message.content).strip()
        if isinstance(message, SystemMessage):
            parts.append(content.replace("Context passages (cite them by number, e.g. [1]):", "Context:"))
        elif isinstance(message, HumanMessage):
            parts.append(f"Question: {content}")
        elif isinstance(message, AIMessage):
            parts.append(f"Answer: {content}")
    parts.append("Answer:")
    return "\n\n".join(parts)
