"""The chat pipeline: de-identify → route → standalone query → retrieve → prompt → stream → re-identify → persist.

Privacy invariant: the model, the vector store queries, memory and logs see only de-identified text; the
user's own values are restored (from the session vault) only in the answer shown to the user. Reasoning
(``<think>``) is split out, kept de-identified, never stored and never sent back to the model.

Reasoning is scanned line by line as it streams, before it is shown, returned or logged
(:meth:`Services.scrub`): a value of the user's that the model writes out becomes its session placeholder,
and anything else the detector finds (values the model invents or recalls) becomes ``<TYPE>``. Reasoning is
shown de-identified: the user's own values are not restored in it (only ``answer`` carries them), so one
text serves the screen, ``--json`` and any log alike.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ingest import RetrievedChunk
from pipelines.chat.citations import Citation, check_citations, source_records
from pipelines.chat.retrieval import retrieve
from pipelines.chat.rewrite import rewrite_query
from pipelines.chat.routing import RouteDecision
from pipelines.chat.signals import MessageSignals, detect_signals
from pipelines.conversation.memory import StoredTurn, new_session_id
from pipelines.conversation.sessions import open_session_vault
from pipelines.core.errors import AssistantError
from pipelines.core.logs import logger
from pipelines.llm.backends import Backend
from pipelines.llm.generation import Generation, chat_parts, stream_generation
from pipelines.llm.prompts import Passage, build_messages, fit_passages
from pipelines.services import Services
from privacy import Vault, reidentify

#: Shown and stored when the model returns nothing (tiny base models sometimes stop at once).
NO_ANSWER = (
    "(The model returned no answer. Try rephrasing the question, or use a larger model through Ollama.)"
)

__all__ = [
    "NO_ANSWER",
    "ChatEvent",
    "ChatPipeline",
    "ChatResult",
    "Source",
    "load_transcript",
    "route_question",
    "session_titles",
]


@dataclass(frozen=True)
class Source:
    """A retrieved passage as cited: number in the prompt, file name, chunk id, cosine score, location, text;
    for code also the enclosing symbol and the 1-based line range (None for other documents)."""

    number: int
    source: str
    chunk_id: str
    score: float
    location: str
    text: str
    symbol: str = ""
    start_line: int | None = None
    end_line: int | None = None


@dataclass
class ChatResult:
    """The outcome of one turn (the ``ask --json`` object is :meth:`to_json_dict`).

    ``answer`` is for display (the user's values restored); every other text field is de-identified.
    ``prompt`` is the exact prompt text sent to the model (a rendered completion prompt for llama.cpp, the
    JSON list of chat messages for Ollama); it is not persisted. ``masked`` counts, per entity type, what was
    de-identified in the question before the model saw it (counts only; not persisted).
    """

    answer: str
    answer_redacted: str
    reasoning: str
    domain: str
    route_confidence: float
    route_scores: dict[str, float]
    sources: list[Source]
    redacted_question: str
    retrieval_query: str
    session_id: str
    backend: str
    model: str
    backend_note: str
    disclaimer: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    prompt: str = ""
    masked: dict[str, int] = field(default_factory=dict)
    vault_expired: bool = False  # the session's earlier values expired: their placeholders stay as they are
    rewrite: str = ""  # how retrieval_query was made: pipelines.chat.rewrite.REWRITE_METHODS
    citations: list[Citation] = field(default_factory=list)  # checked [n] markers of the final answer
    # intent and risk of the de-identified question, and the escalation notice shown before the answer
    signals: MessageSignals = field(default_factory=MessageSignals)

    def to_json_dict(self) -> dict[str, Any]:
        """The DESIGN.md ``ask --json`` shape (plus a few extra keys)."""
        return {
            "answer": self.answer,
            "reasoning": self.reasoning,
            "domain": self.domain,
            "route_confidence": self.route_confidence,
            "sources": [
                {
                    "source": s.source,
                    "chunk_id": s.chunk_id,
                    "score": round(s.score, 4),
                    "text": s.text,
                    "location": s.location,
                    "number": s.number,
                    "symbol": s.symbol,
                    "start_line": s.start_line,
                    "end_line": s.end_line,
                }
                for s in self.sources
            ],
            "redacted_question": self.redacted_question,
            "session_id": self.session_id,
            "backend": self.backend,
            "model": self.model,
            "timings_ms": self.timings_ms,
            "disclaimer": self.disclaimer,
            "masked": self.masked,
            "retrieval_query": self.retrieval_query,
            "rewrite": self.rewrite,
            "citations": [c.to_json_dict() for c in self.citations],
            **self.signals.to_json_dict(),
        }


@dataclass(frozen=True)
class ChatEvent:
    """A streamed event: ``kind`` is "meta" (data: ChatResult so far), "answer"/"reasoning" (text, for
    display) or "done" (data: the final ChatResult)."""

    kind: str
    text: str = ""
    data: ChatResult | None = None


class ChatPipeline:
    """Runs chat turns over shared :class:`Services`."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def ask(
        self,
        question: str,
        session_id: str | None = None,
        domain: str = "auto",
        backend: str | None = None,
        documents: Sequence[str] | None = None,
    ) -> ChatResult:
        """Run one turn to completion; see :meth:`stream`."""
        result = None
        for event in self.stream(question, session_id, domain, backend, documents):
            if event.kind == "done":
                result = event.data
        assert result is not None
        return result

    def stream(
        self,
        question: str,
        session_id: str | None = None,
        domain: str = "auto",
        backend: str | None = None,
        documents: Sequence[str] | None = None,
    ) -> Iterator[ChatEvent]:
        """Run one turn, yielding a "meta" event, then "answer"/"reasoning" text, then "done".

        Args:
            question: The user's raw message.
            session_id: Existing or new session id (None = a new session).
            domain: ``auto`` to route, or a domain name to pin.
            backend: auto|ollama|llamacpp (None = settings).
            documents: sha256 values of pinned documents: retrieval uses only their chunks (None = all).

        Raises:
            AssistantError: Empty question, unknown domain, or a backend failure (BackendError) with a message
                saying what to do. Nothing is persisted for a failed turn.
        """
        services = self.services
        started = time.perf_counter()
        timings: dict[str, float] = {}
        text = question.strip()
        if not text:
            raise AssistantError("the question is empty")
        session_id = services.memory.check_id(session_id or new_session_id())
        pinned = None if domain in ("", "auto") else services.domain(domain).name

        mark = time.perf_counter()
        vault, vault_expired = open_session_vault(services, session_id)
        redaction, memory_redaction = services.deidentify_message(text, vault, pinned)
        services.vaults.save(vault)
        redacted_question = redaction.text
        timings["deidentify"] = _ms(mark)

        mark = time.perf_counter()
        decision = services.router.route(redacted_question, pinned=pinned)
        config = services.domain(decision.domain)
        timings["route"] = _ms(mark)
        if pinned is None:
            # routed on the union of every domain's policy; the prompt and memory follow the chosen domain's
            mark = time.perf_counter()
            redaction, memory_redaction = services.deidentify_message(text, vault, decision.domain)
            services.vaults.save(vault)
            redacted_question = redaction.text
            timings["deidentify"] += _ms(mark)

        mark = time.perf_counter()
        signals = detect_signals(services, decision.domain, redacted_question)
        timings["signals"] = _ms(mark)

        chosen: Backend = services.backend(backend)
        mark = time.perf_counter()
        history = services.memory.history(session_id, services.settings.memory.history_turns)
        wanted = services.settings.retrieval
        rewrite = rewrite_query(
            redacted_question,
            history,
            chosen,
            wanted.rewrite,
            wanted.rewrite_max_chars,
            wanted.rewrite_history_turns,
            scrub=lambda output: services.scrub(output, vault, decision.domain).text,
        )
        retrieval_query = rewrite.query
        timings["rewrite"] = _ms(mark)

        mark = time.perf_counter()
        hits = retrieve(services, decision.domain, retrieval_query, config.retrieval.top_k, documents)
        timings["retrieve"] = _ms(mark)

        passages, sources = number_passages(services, chosen, hits)
        system_prompt = config.system_prompt
        if signals.prompt_addendum:
            system_prompt = f"{system_prompt}\n\n{signals.prompt_addendum}"
        messages = build_messages(system_prompt, passages, history, redacted_question)
        result = ChatResult(
            answer="",
            answer_redacted="",
            reasoning="",
            domain=decision.domain,
            route_confidence=decision.confidence,
            route_scores=decision.scores,
            sources=sources,
            redacted_question=redacted_question,
            retrieval_query=retrieval_query,
            rewrite=rewrite.method,
            session_id=session_id,
            backend=chosen.name,
            model=chosen.model_name,
            backend_note=chosen.note,
            disclaimer=config.disclaimer,
            masked=dict(sorted(redaction.counts().items())),
            vault_expired=vault_expired,
            signals=signals,
        )
        yield ChatEvent("meta", data=result)

        mark = time.perf_counter()
        display_policy = services.policy(decision.domain)
        generation = Generation()
        parts = chat_parts(chosen, messages)
        for kind, shown in stream_generation(
            services, chosen, parts, vault, decision.domain, generation, started
        ):
            yield ChatEvent(kind, shown)
        timings["generate"] = _ms(mark)
        timings["first_token"] = (
            generation.first_token_ms if generation.first_token_ms is not None else _ms(started)
        )

        answer_redacted = generation.answer_redacted or NO_ANSWER
        if not generation.answer_redacted:
            yield ChatEvent("answer", NO_ANSWER)
        # memory, --json and the transcript get the answer scanned like reasoning: values the model writes out
        # that are not the user's become <TYPE> (the user's own become their placeholders, restored on display)
        answer_redacted = services.scrub(answer_redacted, vault, decision.domain).text
        result.answer_redacted = answer_redacted
        result.answer = reidentify(answer_redacted, vault, display_policy)
        result.reasoning = generation.reasoning
        result.citations = check_citations(
            answer_redacted, sources, lambda s: reidentify(s, vault, display_policy)
        )
        result.prompt = getattr(chosen.chat_model, "last_prompt", "") or json.dumps(
            [{"role": m.type, "content": str(m.content)} for m in messages]
        )
        services.memory.add_turn(
            session_id,
            memory_redaction.text,
            answer_redacted,
            decision.domain,
            decision.confidence,
            source_records(sources, result.citations),
            chosen.name,
            chosen.model_name,
            signals.to_json_dict() if signals.intent or signals.risk else None,
        )
        timings["total"] = _ms(started)
        result.timings_ms = timings
        logger.info(
            "turn session=%s domain=%s confidence=%.3f pinned=%s rewrite=%s documents=%d sources=%d backend=%s "
            "model=%s entities=%s intent=%s risk=%s escalate=%s timings_ms=%s",
            session_id,
            decision.domain,
            decision.confidence,
            decision.pinned,
            rewrite.method + (f" ({rewrite.reason})" if rewrite.reason else ""),
            len(documents or ()),
            len(sources),
            chosen.name,
            chosen.model_name,
            json.dumps(redaction.counts()),
            signals.intent.intent if signals.intent else "-",
            ",".join(signals.risk.categories) if signals.risk and signals.risk.categories else "-",
            signals.escalate,
            json.dumps(timings),
        )
        yield ChatEvent("done", data=result)


def number_passages(
    services: Services, backend: Backend, hits: Sequence[RetrievedChunk]
) -> tuple[list[Passage], list[Source]]:
    """Number retrieved chunks ``[1]..[n]`` as prompt passages and as the sources they are cited by, keeping
    as many as fit the llama.cpp context budget (``llamacpp.context_chars``; no limit for other backends).

    Returns:
        ``(passages, sources)``, equally long, in retrieval order.
    """
    max_context = services.settings.llamacpp.context_chars if backend.name == "llamacpp" else None
    passages = fit_passages(
        [
            Passage(n, hit.source, str(hit.metadata.get("location", "")), hit.text)
            for n, hit in enumerate(hits, start=1)
        ],
        max_context,
    )
    sources = [
        Source(
            p.number,
            p.source,
            hit.chunk_id,
            hit.score,
            p.location,
            hit.text,
            hit.symbol,
            *(hit.lines or (None, None)),
        )
        for p, hit in zip(passages, hits, strict=False)
    ]
    return passages, sources


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000.0, 1)


def load_transcript(services: Services, session_id: str) -> list[StoredTurn]:
    """Return a session's turns for display, re-identified with the session's own vault (oldest first)."""
    vault = services.vaults.open(services.memory.check_id(session_id))
    turns = []
    for turn in services.memory.turns(session_id):
        policy = services.policy(turn.domain) if turn.domain in services.domains else None
        turns.append(
            replace(
                turn,
                question=reidentify(turn.question, vault, policy),
                answer=reidentify(turn.answer, vault, policy),
            )
        )
    return turns


def route_question(services: Services, question: str) -> tuple[str, RouteDecision]:
    """De-identify ``question`` with a throwaway vault (nothing stored) and route it.

    Returns:
        ``(de-identified question, route decision)``.
    """
    redacted = services.pseudonymize(question, Vault(session_id="route")).text
    return redacted, services.router.route(redacted)


def session_titles(services: Services, limit: int = 50) -> list[tuple[str, str]]:
    """Return ``(session_id, display title)`` of recent sessions, newest first, titles re-identified."""
    items = []
    for info in services.memory.sessions()[:limit]:
        title = reidentify(info.title, services.vaults.open(info.id)) if info.title else "(empty)"
        items.append((info.id, f"{title[:60]} · {info.turns} turns"))
    return items
