"""Query understanding: a follow-up question becomes a standalone retrieval query.

Methods (setting ``retrieval.rewrite``):

- ``llm``: the chat model rewrites the last question from the conversation (:func:`build_rewrite_messages`
  for chat models such as Ollama's; a few-shot completion prompt, :func:`render_rewrite_completion`, for the
  embedded base model). Its output is sanitised (``<think>`` blocks, quotes, "Query:"-style prefixes and
  extra lines removed) and rejected, falling back to ``concat``, when it is empty, longer than
  ``rewrite_max_chars``, drops a placeholder of the question or contains a placeholder the conversation
  does not (see :func:`sanitize_rewrite`).
- ``concat``: :func:`standalone_query` (prefix the previous question when the message looks
  like a follow-up; no model call).
- ``off``: the message as it is.
- ``auto``: ``llm`` with Ollama, ``concat`` with the embedded llama.cpp model (Gemma 3 270M base is not a
  reliable rewriter; ``benchmarks/results/followup_rewrite.md`` has the measurement).

Only de-identified text is rewritten: the question and history are the placeholder versions, and the model's
output is scrubbed (the caller's ``scrub``) before it is checked, so a value the model writes out becomes a
placeholder and is then rejected as invented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from pipelines.core.logs import logger
from pipelines.llm.backends import Backend
from pipelines.llm.prompts import HistoryTurn, build_rewrite_messages, render_rewrite_completion
from privacy import ANY_PLACEHOLDER

__all__ = [
    "REWRITE_METHODS",
    "Rewrite",
    "choose_method",
    "rewrite_query",
    "sanitize_rewrite",
    "standalone_query",
]

#: The values of ``Rewrite.method``: none (first turn, nothing to resolve), off, concat, llm, and
#: llm-fallback (the model's rewrite was rejected or failed; the concat query was used).
REWRITE_METHODS = ("none", "off", "concat", "llm", "llm-fallback")

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_PREFIX = re.compile(
    r"^\s*(?:\*\*)?(?:standalone\s+(?:search\s+)?(?:query|question)|rewritten\s+(?:query|question)|"
    r"search\s+query|query|question|answer)\s*(?:\*\*)?\s*[:\-–]\s*(?:\*\*)?\s*",
    re.IGNORECASE,
)
_QUOTES = "\"'`“”‘’«»"
#: Tokens the base model may write after its one-line answer.
_COMPLETION_STOP = ["\n", "Previous question:", "Follow-up:"]


@dataclass(frozen=True)
class Rewrite:
    """The retrieval query of a turn: ``query`` (de-identified), ``method`` (one of :data:`REWRITE_METHODS`)
    and, for ``llm-fallback``, ``reason`` (why the model's rewrite was not used; no text of it)."""

    query: str
    method: str
    reason: str = ""


def choose_method(setting: str, backend_name: str) -> str:
    """Resolve the ``retrieval.rewrite`` setting for a backend.

    Args:
        setting: auto|llm|concat|off.
        backend_name: ollama|openai|llamacpp.

    Returns:
        ``llm``, ``concat`` or ``off`` (auto: llm for a model server, ollama or openai; concat for the embedded llama.cpp).

    Raises:
        ValueError: Unknown setting.
    """
    if setting == "auto":
        return "llm" if backend_name in ("ollama", "openai") else "concat"
    if setting in ("llm", "concat", "off"):
        return setting
    raise ValueError(f"unknown rewrite method {setting!r}; use auto, llm, concat or off")


def sanitize_rewrite(
    output: str, question: str, history: Sequence[HistoryTurn], max_chars: int
) -> tuple[str | None, str]:
    """Clean a model's rewrite and check it.

    Cleaning: ``<think>…</think>`` blocks removed (an unclosed ``<think>`` rejects), the first non-empty
    line kept, prefixes such as "Standalone query:" and surrounding quotes or backticks stripped.

    Args:
        output: The model's raw output.
        question: The de-identified follow-up.
        history: The de-identified turns the model saw.
        max_chars: Longest accepted query, characters.

    Returns:
        ``(query, "")`` when accepted, else ``(None, reason)`` with a reason naming the check that failed
        (placeholder names are included; they are not personal data).
    """
    text = _THINK_BLOCK.sub(" ", output)
    if "<think>" in text.lower():
        return None, "unfinished <think> block"
    text = text.replace("</think>", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None, "empty output"
    query = lines[0]
    for _ in range(2):
        query = _PREFIX.sub("", query).strip().strip(_QUOTES).strip()
    query = " ".join(query.split())
    if not query:
        return None, "empty output"
    if len(query) > max_chars:
        return None, f"longer than {max_chars} characters"
    wanted = set(ANY_PLACEHOLDER.findall(question))
    known = wanted | {p for t in history for p in ANY_PLACEHOLDER.findall(f"{t.question} {t.answer}")}
    found = set(ANY_PLACEHOLDER.findall(query))
    if lost := sorted(wanted - found):
        return None, f"placeholder lost: {', '.join(lost)}"
    if invented := sorted(found - known):
        return None, f"placeholder invented: {', '.join(invented)}"
    return query, ""


def rewrite_query(
    question: str,
    history: Sequence[HistoryTurn],
    backend: Backend | None,
    setting: str = "auto",
    max_chars: int = 300,
    history_turns: int = 3,
    scrub: Callable[[str], str] | None = None,
) -> Rewrite:
    """Return the standalone retrieval query for ``question``.

    Args:
        question: The de-identified message.
        history: Earlier turns, oldest first (de-identified).
        backend: The turn's chat backend (needed for ``llm``; None = no model: ``llm`` falls back).
        setting: auto|llm|concat|off (``retrieval.rewrite``).
        max_chars: ``retrieval.rewrite_max_chars``.
        history_turns: Recent turns the model sees.
        scrub: De-identifies the model's output before it is checked (the session's
            :meth:`pipelines.core.deidentification.DomainDeidentifier.scrub`); None = no scrubbing.

    Returns:
        The :class:`Rewrite`; a failing model call never raises, it falls back to ``concat``.

    Raises:
        ValueError: Unknown ``setting``.
    """
    text = question.strip()
    method = choose_method(setting, backend.name if backend is not None else "")
    if method == "off":
        return Rewrite(text, "off")
    if not history:
        return Rewrite(text, "none")
    concat = standalone_query(text, history)
    if method == "concat":
        return Rewrite(concat, "concat")
    if backend is None:
        return Rewrite(concat, "llm-fallback", "no chat model")
    recent = list(history)[-history_turns:]
    try:
        output = _ask_model(backend.chat_model, recent, text)
    except Exception as exc:  # a rewrite is an optimisation: the turn goes on with the fallback
        logger.warning("rewrite failed backend=%s error=%s", backend.name, type(exc).__name__)
        return Rewrite(concat, "llm-fallback", f"model call failed: {type(exc).__name__}")
    if scrub is not None and output.strip():
        output = scrub(output)
    query, reason = sanitize_rewrite(output, text, recent, max_chars)
    if query is None:
        return Rewrite(concat, "llm-fallback", reason)
    return Rewrite(query, "llm")


def _ask_model(model: BaseChatModel, history: Sequence[HistoryTurn], question: str) -> str:
    """One short, non-streamed call: a completion prompt for a base model that offers ``complete``
    (:class:`pipelines.llm.llamacpp.LlamaCppCompletionChat`), else chat messages with reasoning off and a token cap
    where the model has those fields (``ChatOllama``: ``reasoning``, ``num_predict``)."""
    complete = getattr(model, "complete", None)
    if callable(complete):
        return str(complete(render_rewrite_completion(history, question), 48, _COMPLETION_STOP))
    fields: dict[str, Any] = getattr(type(model), "model_fields", {})
    updates = {k: v for k, v in {"reasoning": False, "num_predict": 96}.items() if k in fields}
    short = model.model_copy(update=updates) if updates else model
    return str(short.invoke(build_rewrite_messages(history, question)).content)


_FOLLOW_UP_START = re.compile(
    r"^(and|but|so|also|what about|how about|then|ok|okay|why|how long|how much|is it|does it|can i|what if)\b",
    re.IGNORECASE,
)
_ANAPHORA = re.compile(
    r"\b(it|that|this|those|these|they|them|its|there|he|she|his|her|the same)\b", re.IGNORECASE
)


def standalone_query(question: str, history: Sequence[HistoryTurn]) -> str:
    """Return a self-contained retrieval query for ``question`` given the earlier turns.

    Method (no LLM, works with the tiny embedded model): a question that looks like a follow-up — it starts
    with a connective ("and how long…"), refers back with a pronoun ("does that…"), or has five words or
    fewer — is prefixed with the previous user question; otherwise it is returned unchanged.
    """
    text = question.strip()
    if not history:
        return text
    words = re.findall(r"\w+", text)
    follow_up = bool(_FOLLOW_UP_START.search(text) or _ANAPHORA.search(text) or len(words) <= 5)
    if not follow_up:
        return text
    return f"{history[-1].question.strip()} {text}"
