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
    "COMPLETION_EXAMPLE",
    "COMPLETION_STOP",
    "HistoryTurn",
    "Passage",
    "REWRITE_COMPLETION_EXAMPLES",
    "REWRITE_INSTRUCTION",
    "build_messages",
    "build_rewrite_messages",
    "fit_passages",
    "render_completion_prompt",
    "render_rewrite_completion",
]

#: Stop sequences for completion-style generation: the model must not write the next turn itself.
COMPLETION_STOP: tuple[str, ...] = ("\nQuestion:", "\nPassage", "\nUser:", "<end_of_turn>")


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

    The passages are also attached to the system message as ``additional_kwargs["passages"]`` (a list of
    ``{number, text}``) so a completion-style renderer can lay them out for a base model.

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
    attached = [{"number": p.number, "text": p.text} for p in passages]
    messages: list[BaseMessage] = [SystemMessage(content=system, additional_kwargs={"passages": attached})]
    for turn in history:
        messages.append(HumanMessage(content=turn.question))
        messages.append(AIMessage(content=turn.answer))
    messages.append(HumanMessage(content=question))
    return messages


#: One worked example put before the real task: base models copy the shape of what they have just read, so
#: a short extractive answer with a citation is what they continue with (one-shot prompting, Brown et al.
#: 2020, "Language Models are Few-Shot Learners"). Measured here on 5 sample questions: without it the 270M
#: model continued the "[n] (file, section)" context layout instead of answering.
COMPLETION_EXAMPLE = (
    "Passage [1]: The library opens at 9 am and closes at 6 pm on weekdays. On Saturdays it closes at 1 pm.\n"
    "Question: When does the library close on Saturday?\n"
    "Answer: On Saturdays the library closes at 1 pm [1]."
)


def render_completion_prompt(messages: Sequence[BaseMessage]) -> str:
    """Render chat messages as one completion prompt for a base model (no chat template).

    Layout: a one-shot example (:data:`COMPLETION_EXAMPLE`), earlier turns as ``Question:``/``Answer:`` pairs,
    the passages as ``Passage [n]: text`` lines, then ``Question: <q>`` and an open ``Answer:``. The system
    instructions are left out: a base model does not follow instructions, it continues text. Messages without
    attached passages (not built by :func:`build_messages`) keep their system text as a leading paragraph.
    """
    blocks: list[str] = [COMPLETION_EXAMPLE]
    passages: list[dict[str, object]] = []
    turns = list(messages)
    question = str(turns.pop().content).strip() if turns and isinstance(turns[-1], HumanMessage) else ""
    for message in turns:
        content = str(message.content).strip()
        if isinstance(message, SystemMessage):
            attached = message.additional_kwargs.get("passages")
            if attached is None:
                blocks.insert(0, content)
            else:
                passages = list(attached)
        elif isinstance(message, HumanMessage):
            blocks.append(f"Question: {content}")
        elif isinstance(message, AIMessage):
            blocks[-1] += f"\nAnswer: {content}"
    context = "\n".join(f"Passage [{p['number']}]: {' '.join(str(p['text']).split())}" for p in passages)
    final = f"{context}\nQuestion: {question}\nAnswer:" if context else f"Question: {question}\nAnswer:"
    return "\n\n".join([*blocks, final])


#: Instruction of the follow-up rewrite for chat models (Ollama): short and strict, since the output is used
#: verbatim as a search query (sanitised and checked by :mod:`pipelines.chat.rewrite`).
REWRITE_INSTRUCTION = (
    "Rewrite the user's last question as a standalone search query, using the conversation only to resolve "
    "what it refers to. Keep placeholders such as <PERSON_1> exactly as written. Output only the query: one "
    "line, no quotes, no explanation."
)

#: Few-shot examples for a base model, which continues text instead of following instructions (Brown et al.
#: 2020). Domain-independent on purpose: the examples must not leak any domain's vocabulary into its queries.
REWRITE_COMPLETION_EXAMPLES = (
    "Previous question: When does the city library open on weekdays?\n"
    "Follow-up: And on Sundays?\n"
    "Standalone query: When does the city library open on Sundays?\n\n"
    "Previous question: How do I renew my passport?\n"
    "Follow-up: How much does it cost?\n"
    "Standalone query: How much does it cost to renew a passport?\n\n"
    "Previous question: What is a heat pump?\n"
    "Follow-up: Is it noisy at night?\n"
    "Standalone query: Is a heat pump noisy at night?"
)

#: Characters of each earlier answer shown to the rewrite (the referent is usually near the start).
_REWRITE_ANSWER_CHARS = 300


def build_rewrite_messages(history: Sequence[HistoryTurn], question: str) -> list[BaseMessage]:
    """Chat messages asking a chat model to rewrite ``question`` as a standalone search query.

    Args:
        history: Recent turns, oldest first (de-identified); answers are cut to 300 characters.
        question: The de-identified follow-up.

    Returns:
        ``[SystemMessage(REWRITE_INSTRUCTION), HumanMessage(conversation + last question)]``.
    """
    lines = []
    for turn in history:
        lines.append(f"User: {' '.join(turn.question.split())}")
        answer = " ".join(turn.answer.split())[:_REWRITE_ANSWER_CHARS]
        if answer:
            lines.append(f"Assistant: {answer}")
    conversation = "\n".join(lines) or "(none)"
    body = (
        f"Conversation:\n{conversation}\n\nLast question: {' '.join(question.split())}\n\nStandalone query:"
    )
    return [SystemMessage(content=REWRITE_INSTRUCTION), HumanMessage(content=body)]


def render_rewrite_completion(history: Sequence[HistoryTurn], question: str) -> str:
    """Completion prompt for a base model: :data:`REWRITE_COMPLETION_EXAMPLES`, then the previous question
    and the follow-up, ending in an open ``Standalone query:`` (generation should stop at the newline).

    Only the previous *question* is shown: a 270M base model copies long context rather than using it.
    """
    previous = " ".join(history[-1].question.split()) if history else ""
    return (
        f"{REWRITE_COMPLETION_EXAMPLES}\n\nPrevious question: {previous}\n"
        f"Follow-up: {' '.join(question.split())}\nStandalone query:"
    )
