"""The chat pipeline: de-identify → route → standalone query → retrieve → prompt → stream → re-identify → persist.

Privacy invariant: the model, the vector store queries, memory and logs see only de-identified text; the
user's own values are restored (from the session vault) only in the answer shown to the user. Reasoning
(``<think>``) is split out, kept de-identified, never stored and never sent back to the model.

Reasoning is scanned line by line as it streams, before it is shown, returned or logged
(:meth:`pipelines.core.deidentification.DomainDeidentifier.scrub`): a value of the user's that the model writes out becomes its session placeholder,
and anything else the detector finds (values the model invents or recalls) becomes ``<TYPE>``. Reasoning is
shown de-identified: the user's own values are not restored in it (only ``answer`` carries them), so one
text serves the screen, ``--json`` and any log alike.

Figures are checked in every sentence of the answer, cited or not (:mod:`pipelines.chat.claims`): a number,
amount, date, time, phone-like string, card number, e-mail address or named fee found in no passage the model saw,
nor in the question (nor an earlier question or its passages, nor the system prompt), is an unsupported claim
(``ChatResult.unsupported``, ``--json`` ``unsupported``, stored with the turn's signals). A phone number, card
number or e-mail address the model invented is replaced as the answer streams (``[unverified phone number]``), so it
is never shown, stored or returned as if real.

A finished turn is counted (:func:`pipelines.core.metrics.observe_generation`: times by backend and host, answer
characters, values masked by entity type, escalations by risk category; never the session or any text).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipelines.chat.citations import Citation, check_citations, source_records
from pipelines.chat.claims import Claim, ClaimSupport, MaskedParts, check_claims, with_shown
from pipelines.chat.retrieval import Retriever
from pipelines.chat.rewrite import rewrite_query
from pipelines.chat.routing import RouteDecision, Router, UnsureRouteError
from pipelines.chat.signals import MessageAnalyzer, MessageSignals, detect_signals
from pipelines.chat.sources import Source, number_passages
from pipelines.conversation.memory import new_session_id
from pipelines.conversation.sessions import Conversations
from pipelines.core import metrics
from pipelines.core.deidentification import DomainDeidentifier, scratch_vault
from pipelines.core.domains import DomainRegistry
from pipelines.core.limits import checked_text
from pipelines.core.logs import logger
from pipelines.core.settings import Settings
from pipelines.llm.backends import BackendResolver, answered_by
from pipelines.llm.generation import Generation, chat_parts, sent_prompt, stream_generation
from pipelines.llm.prompts import HistoryTurn, build_messages
from pipelines.llm.turn import Stopwatch, TurnEvent, completing
from privacy import display_text, reidentify

#: Longest question accepted, characters (a model's context holds about 8,000 tokens; a long text belongs in a
#: document).
MAX_QUESTION_CHARS = 20_000
#: Shown and stored when the model returns nothing (tiny base models sometimes stop at once).
NO_ANSWER = (
    "(The model returned no answer. Try rephrasing the question, or use a larger model through Ollama.)"
)

__all__ = ["MAX_QUESTION_CHARS", "NO_ANSWER", "ChatEvent", "ChatPipeline", "ChatResult", "Source"]


@dataclass(frozen=True)
class RoutedDecision:
    """The domain a turn is answered in: the router's (or the pinned) choice, or, when the router was unsure
    on a follow-up, the session's last domain (``followed``)."""

    domain: str
    confidence: float
    scores: dict[str, float]
    pinned: bool = False
    followed: bool = False


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
    host: str = ""  # the model server that answered (its base URL without credentials); "" = in process
    output_tokens: int | None = (
        None  # tokens generated (reasoning included) as the backend reported; None = unknown
    )
    timings_ms: dict[str, float] = field(default_factory=dict)
    prompt: str = ""
    masked: dict[str, int] = field(default_factory=dict)
    vault_expired: bool = False  # the session's earlier values expired: their placeholders stay as they are
    rewrite: str = ""  # how retrieval_query was made: pipelines.chat.rewrite.REWRITE_METHODS
    citations: list[Citation] = field(default_factory=list)  # checked [n] markers of the final answer
    # intent and risk of the de-identified question, and the escalation notice shown before the answer
    signals: MessageSignals = field(default_factory=MessageSignals)
    # figures of the final answer (any sentence, cited or not) found in no passage the model saw nor in the
    # question (pipelines.chat.claims); an invented phone, card or e-mail is a marker in the answer
    unsupported: list[Claim] = field(default_factory=list)
    # the router was unsure and the turn continued the session's last domain
    route_followed: bool = False

    def to_json_dict(self) -> dict[str, Any]:
        """The ``ask --json`` object (README, "Command line")."""
        return {
            "answer": self.answer,
            "reasoning": self.reasoning,
            "domain": self.domain,
            "route_confidence": self.route_confidence,
            "route_followed": self.route_followed,
            "sources": [s.to_json_dict() for s in self.sources],
            "redacted_question": self.redacted_question,
            "session_id": self.session_id,
            "backend": self.backend,
            "host": self.host,
            "model": self.model,
            "output_tokens": self.output_tokens,
            "timings_ms": self.timings_ms,
            "disclaimer": self.disclaimer,
            "masked": self.masked,
            "retrieval_query": self.retrieval_query,
            "rewrite": self.rewrite,
            "citations": [c.to_json_dict() for c in self.citations],
            "unsupported": [c.to_json_dict() for c in self.unsupported],
            **self.signals.to_json_dict(),
        }


#: An event of a chat turn (:class:`pipelines.llm.turn.TurnEvent`): meta, answer, reasoning, done.
ChatEvent = TurnEvent[ChatResult]


class ChatPipeline:
    """Runs chat turns (one instance per data dir; the composition root builds it)."""

    def __init__(
        self,
        domains: DomainRegistry,
        deidentification: DomainDeidentifier,
        conversations: Conversations,
        router: Router,
        retriever: Retriever,
        backends: BackendResolver,
        analyzers: Callable[[str], Sequence[MessageAnalyzer]],
        settings: Settings,
    ) -> None:
        """Args:
        domains: The domains (prompts, disclaimers, retrieval depth, policies).
        deidentification: Applies the policies to the question and the model's output.
        conversations: Sessions: history, vaults, persisted turns.
        router: Chooses the domain of an unpinned question.
        retriever: Searches the chosen domain's collection.
        backends: Resolves the chat backend of a turn.
        analyzers: The message analyzers of a domain (intent, risk).
        settings: History length, rewrite settings, the llama.cpp context budget.
        """
        self.domains = domains
        self.deidentification = deidentification
        self.conversations = conversations
        self.router = router
        self.retriever = retriever
        self.backends = backends
        self.analyzers = analyzers
        self.settings = settings

    def route(self, question: str) -> tuple[str, RouteDecision]:
        """De-identify ``question`` with the routing policy and a throwaway vault (nothing stored) and route it.

        Returns:
            ``(de-identified question, route decision)``.

        Raises:
            AssistantError: The question is empty or longer than :data:`MAX_QUESTION_CHARS`.
        """
        _checked_question(question)
        redacted = self.deidentification.pseudonymize(question, scratch_vault("route")).text
        return redacted, self.router.route(redacted)

    def _settle(self, decision: RouteDecision, session_id: str) -> RoutedDecision:
        """``decision`` with a domain: an unsure one continues the session's last turn's domain (a follow-up
        such as "and for children?" says little on its own).

        Raises:
            UnsureRouteError: Unsure on the session's first question (nothing is stored).
        """
        if decision.domain is not None:
            return RoutedDecision(decision.domain, decision.confidence, decision.scores, decision.pinned)
        earlier = self.conversations.memory.turns(session_id, 1)
        if not earlier:
            raise UnsureRouteError(decision)
        return RoutedDecision(earlier[-1].domain, decision.confidence, decision.scores, followed=True)

    def stream(
        self,
        question: str,
        session_id: str | None = None,
        domain: str = "auto",
        backend: str | None = None,
        documents: Sequence[str] | None = None,
        owner: str | None = None,
    ) -> Iterator[ChatEvent]:
        """Run one turn, yielding a "meta" event, then "answer"/"reasoning" text, then "done".

        Args:
            question: The user's raw message.
            session_id: Existing or new session id (None = a new session).
            domain: ``auto`` to route, or a domain name to pin.
            backend: auto|ollama|openai|llamacpp (None = settings).
            documents: sha256 values of pinned documents: retrieval uses only their chunks (None = all).
            owner: The signed-in user asking: retrieval sees the shared documents and this user's private ones,
                also among the pinned ones (None = every document: single-user mode).

        Raises:
            AssistantError: Empty question, unknown domain, or a backend failure (BackendError) with a message
                saying what to do. Nothing is persisted for a failed turn.
        """
        conversations, deid = self.conversations, self.deidentification
        watch = Stopwatch()
        text = _checked_question(question)
        session_id = conversations.memory.check_id(session_id or new_session_id())
        pinned = None if domain in ("", "auto") else self.domains.domain(domain).name

        with deid.reusing_analysis():  # the second pass reuses the first one's spaCy analysis
            with watch.step("deidentify"):
                vault, vault_expired = conversations.open_vault(session_id)
                redaction, memory_redaction = deid.deidentify_message(text, vault, pinned)

            with watch.step("route"):
                decision = self._settle(self.router.route(redaction.text, pinned=pinned), session_id)
                # (an unsure first question raises before anything is stored: the caller asks for a domain)
                config = self.domains.domain(decision.domain)
            if pinned is None:
                # routed on the union of every domain's policy; the prompt and memory follow the chosen domain's
                with watch.step("deidentify"):
                    redaction, memory_redaction = deid.deidentify_message(text, vault, decision.domain)
        redacted_question = redaction.text

        with watch.step("signals"):
            signals = detect_signals(config, self.analyzers(decision.domain), redacted_question)

        chosen = self.backends(backend).for_domain(config.generation)
        with watch.step("rewrite"):
            earlier = (  # a new session (no turns counted when its vault opened) has no history to read
                conversations.memory.turns(session_id, self.settings.memory.history_turns)
                if vault.next_turn != 0
                else []
            )
            history = [HistoryTurn(t.question, t.answer) for t in earlier]
            wanted = self.settings.retrieval
            rewrite = rewrite_query(
                redacted_question,
                history,
                chosen,
                wanted.rewrite,
                wanted.rewrite_max_chars,
                wanted.rewrite_history_turns,
                scrub=lambda output: deid.scrub(output, vault, decision.domain).text,
            )
        retrieval_query = rewrite.query

        with watch.step("retrieve"):
            hits = self.retriever.retrieve(
                decision.domain, retrieval_query, config.retrieval.top_k, documents, owner
            )

        passages, sources = number_passages(chosen, hits, self.settings.llamacpp.context_chars)
        system_prompt = config.system_prompt
        if signals.prompt_addendum:
            system_prompt = f"{system_prompt}\n\n{signals.prompt_addendum}"
        messages = build_messages(system_prompt, passages, history, redacted_question)
        # what the model sees, for the figure check: passages, question, earlier questions, system prompt, and
        # the passages of the earlier turns it sees (their answers' figures came from there)
        support = ClaimSupport.from_texts(
            [
                *(s.text for s in sources),
                redacted_question,
                *(h.question for h in history),
                system_prompt,
                *(str(record.get("text") or "") for turn in earlier for record in turn.sources),
            ]
        )
        result = ChatResult(
            answer="",
            answer_redacted="",
            reasoning="",
            domain=decision.domain,
            route_confidence=decision.confidence,
            route_scores=decision.scores,
            route_followed=decision.followed,
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

        display_policy = self.domains.policy(decision.domain)
        generation = Generation()
        with watch.step("generate"):
            for kind, shown in stream_generation(
                chosen,
                MaskedParts(chat_parts(chosen, messages), support),  # invented identifiers never shown
                vault,
                display_policy,
                lambda line: deid.scrub(line, vault, decision.domain).text,
                generation,
                watch.started,
            ):
                yield ChatEvent(kind, shown)
        watch.timings["first_token"] = (
            generation.first_token_ms if generation.first_token_ms is not None else watch.since_start()
        )

        result.host, result.model = answered_by(chosen)
        answer_redacted = generation.answer_redacted or NO_ANSWER
        if not generation.answer_redacted:
            yield ChatEvent("answer", NO_ANSWER)
        # memory, --json and the transcript get the answer scanned like reasoning: values the model writes out
        # that are not the user's become <TYPE> (the user's own become their placeholders, restored on display)
        answer_redacted = deid.scrub(answer_redacted, vault, decision.domain).text
        result.answer_redacted = answer_redacted
        # shown as the transcript shows it: the user's values restored, placeholders nobody handed out labelled
        result.answer = display_text(answer_redacted, vault, display_policy)
        result.reasoning = generation.reasoning
        result.output_tokens = generation.output_tokens
        result.citations = check_citations(
            answer_redacted, sources, lambda s: reidentify(s, vault, display_policy)
        )
        result.unsupported = with_shown(
            check_claims(answer_redacted, support), lambda s: reidentify(s, vault, display_policy)
        )
        result.prompt = sent_prompt(chosen, messages)
        # the vault is written with the turn: a turn that fails keeps none of the user's values
        conversations.vaults.save(vault)
        conversations.memory.add_turn(
            session_id,
            memory_redaction.text,
            answer_redacted,
            decision.domain,
            decision.confidence,
            source_records(sources, result.citations),
            chosen.name,
            result.model,
            _stored_signals(signals, result.unsupported, result.masked),
        )
        result.timings_ms = watch.total()
        logger.info(
            "turn session=%s domain=%s confidence=%.3f pinned=%s rewrite=%s documents=%d sources=%d backend=%s "
            "host=%s model=%s entities=%s intent=%s risk=%s escalate=%s unsupported=%s timings_ms=%s",
            session_id,
            decision.domain,
            decision.confidence,
            decision.pinned,
            rewrite.method + (f" ({rewrite.reason})" if rewrite.reason else ""),
            len(documents or ()),
            len(sources),
            chosen.name,
            result.host or "-",
            result.model,
            json.dumps(redaction.counts()),
            signals.intent.intent if signals.intent else "-",
            ",".join(signals.risk.categories) if signals.risk and signals.risk.categories else "-",
            signals.escalate,
            json.dumps(dict(Counter(c.kind for c in result.unsupported))),
            json.dumps(result.timings_ms),
        )
        metrics.observe_generation(
            chosen.name,
            result.host,
            result.timings_ms.get("first_token", 0.0) / 1000.0,
            result.timings_ms.get("generate", 0.0) / 1000.0,
            len(answer_redacted),
            result.masked,
            list(signals.risk.categories if signals.risk else []) if signals.escalate else None,
            generation.output_tokens,
        )
        yield ChatEvent("done", data=result)

    ask = completing(stream)


def _stored_signals(
    signals: MessageSignals, unsupported: Sequence[Claim], masked: dict[str, int] | None = None
) -> dict[str, Any] | None:
    """What is stored with a turn as its signals: intent, risk and escalation, the unsupported figures
    (``unsupported``: :meth:`pipelines.chat.claims.Claim.to_json_dict`, de-identified; read back with
    :func:`pipelines.chat.claims.stored_claims`) and what was masked in the question (``masked``: entity type ->
    count, no values; a reopened conversation shows the same caption); None when there is none of these."""
    stored = signals.to_json_dict() if signals.intent or signals.risk or unsupported or masked else None
    if stored is not None and unsupported:
        stored["unsupported"] = [c.to_json_dict() for c in unsupported]
    if stored is not None and masked:
        stored["masked"] = dict(masked)
    return stored


def _checked_question(question: str) -> str:
    """``question`` without surrounding white space, refused when empty or longer than :data:`MAX_QUESTION_CHARS`.

    Raises:
        AssistantError: The question is empty or too long.
    """
    return checked_text(
        question, "the question", MAX_QUESTION_CHARS, " (ingest a long text as a document instead)"
    )
