"""Agent assist: help a customer-service agent answer one customer message.

Flow (every step on de-identified text; the model, the store and logs never see raw PII):

    message ──► de-identify (the conversation's vault, the domain's policy) ──► the domain's message
            analyzers (:func:`pipelines.chat.signals.detect_signals`): intent + confidence, then risk flags
            with evidence (with the intent) ──► escalation advice (``agent_assist.yaml``)
            ──► hybrid retrieval of policy passages (numbered, cited by file and location)
            ──► reply draft from the LLM backend (streamed a line at a time through
                :class:`~pipelines.skills.agent_assist.tone.DraftComposer`): the required wording for the
                intent and the flagged risk categories first, then the model's lines without the sentences
                that match the domain's forbidden phrasings (``forbidden_phrasings.yaml``: each dropped
                sentence is reported to the agent with its reason) ──► placeholders restored for the agent's
                display only (the domain's ``display`` operators)

The agent's feedback on the draft (accepted, edited, rejected) is stored de-identified by
:meth:`AgentAssist.record_feedback`: an edited reply is de-identified with the same vault first.

The domain is ``settings.agent_assist.domain`` (default finance); its folder's ``agent_assist.yaml``
(:class:`domains.AgentAssistConfig`) holds the tone, the required wording and the escalation advice; its
optional ``forbidden_phrasings.yaml`` (:class:`domains.tone_config.ForbiddenPhrasings`) the phrasings a draft
must not contain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from domains import AgentAssistConfig, load_agent_assist
from domains.tone_config import ForbiddenPhrasings, load_forbidden_phrasings
from pipelines.chat.retrieval import Retriever
from pipelines.chat.signals import IntentSignal, MessageAnalyzer, RiskSignal, detect_signals
from pipelines.chat.sources import Source, number_passages
from pipelines.conversation.memory import new_session_id
from pipelines.conversation.sessions import Conversations
from pipelines.core import metrics
from pipelines.core.deidentification import DomainDeidentifier
from pipelines.core.domains import DomainRegistry
from pipelines.core.errors import AssistantError
from pipelines.core.limits import MAX_MESSAGE_CHARS, checked_text
from pipelines.core.logs import logger
from pipelines.core.settings import Settings
from pipelines.llm.backends import BackendResolver, answered_by
from pipelines.llm.generation import Generation, chat_parts, sent_prompt, stream_generation
from pipelines.llm.prompts import build_messages
from pipelines.llm.turn import Stopwatch, TurnEvent, completing
from pipelines.skills.agent_assist.feedback import FeedbackError, FeedbackRecord, FeedbackStore, check_status
from pipelines.skills.agent_assist.tone import DraftComposer, DroppedSentence, dropped_rules
from privacy import PiiPolicy, Vault, reidentify

__all__ = ["AgentAssist", "AssistEvent", "AssistResult"]


@dataclass
class AssistResult:
    """What the agent-assist view shows for one customer message.

    Every text field is de-identified except ``message_display`` and ``draft`` (the conversation's values
    restored with the domain's ``display`` operators, for the agent's screen only).

    Attributes:
        session_id: The conversation whose vault holds the message's values.
        domain: The domain whose policy, collection and agent-assist config applied.
        message: The de-identified message (what intent, risk, retrieval and the model saw).
        message_display: The message with the values restored for display.
        message_stored: The message de-identified with the domain's ``memory`` operators (what feedback stores).
        masked: What was de-identified, per entity type (counts only).
        intent: The intent prediction on ``message`` (None: the domain has no intent model).
        risk: The risk assessment of ``message`` (None: the domain has no risk detector).
        escalation_advice: What the agent should do, for the flagged categories (``agent_assist.yaml``).
        sources: The numbered policy passages the draft was written from (file, location, text).
        required_wording: Sentences the draft must contain for the intent and the flagged risk categories;
            they open the draft (after a bare salutation at most).
        wording_added: Those of ``required_wording`` the model left out (added by the pipeline).
        dropped: Sentences of the model's draft dropped because they match a forbidden phrasing (text
            de-identified, the phrasing's name and reason), in draft order.
        draft: The suggested reply for display (values restored).
        draft_redacted: The suggested reply, de-identified (what is stored).
        backend: The LLM backend that drafted it (ollama|llamacpp); ``model`` its model.
        backend_note: Why that backend (e.g. Ollama unavailable).
        prompt: The exact prompt text the model received (not stored).
        timings_ms: Milliseconds per step: deidentify, one per message analyzer (intent, risk), retrieve,
            generate, total.
    """

    session_id: str
    domain: str
    message: str
    message_display: str
    message_stored: str
    masked: dict[str, int]
    intent: IntentSignal | None
    risk: RiskSignal | None
    escalation_advice: list[str]
    sources: list[Source]
    required_wording: list[str]
    backend: str
    model: str
    backend_note: str = ""
    wording_added: list[str] = field(default_factory=list)
    dropped: list[DroppedSentence] = field(default_factory=list)
    draft: str = ""
    draft_redacted: str = ""
    prompt: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def escalate(self) -> bool:
        """Whether the risk assessment advises escalating (False without a risk detector)."""
        return bool(self.risk is not None and self.risk.escalate)

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the de-identified fields (``message_display`` and ``draft`` left out)."""
        return {
            "session_id": self.session_id,
            "domain": self.domain,
            "message": self.message,
            "masked": self.masked,
            "intent": None if self.intent is None else self.intent.to_json_dict(),
            "risk": None if self.risk is None else self.risk.to_json_dict(),
            "escalation_advice": self.escalation_advice,
            "sources": [
                {
                    key: s.to_json_dict()[key]
                    for key in ("number", "source", "location", "chunk_id", "score", "text")
                }
                for s in self.sources
            ],
            "required_wording": self.required_wording,
            "wording_added": self.wording_added,
            "dropped": [d.to_json_dict() for d in self.dropped],
            "draft": self.draft_redacted,
            "backend": self.backend,
            "model": self.model,
            "timings_ms": self.timings_ms,
        }


#: An event of an assist turn (:class:`pipelines.llm.turn.TurnEvent`): "meta" (the analysis: the result without
#: its draft), "answer" (draft text for display), "done" (the final result).
AssistEvent = TurnEvent[AssistResult]


class AgentAssist:
    """Analyses customer messages and drafts replies for agents (one instance per data dir)."""

    def __init__(
        self,
        domains: DomainRegistry,
        deidentification: DomainDeidentifier,
        conversations: Conversations,
        retriever: Retriever,
        backends: BackendResolver,
        analyzers: Callable[[str], Sequence[MessageAnalyzer]],
        feedback: FeedbackStore,
        settings: Settings,
    ) -> None:
        """Args:
        domains: The domains (each one's ``agent_assist.yaml``, policy, collection).
        deidentification: Applies the domain's policy to the message, the draft and an agent's edit.
        conversations: The conversations whose vaults keep placeholders stable.
        retriever: Finds the policy passages.
        backends: Resolves the backend that drafts.
        analyzers: The message analyzers of a domain (intent, risk).
        feedback: Where the agents' verdicts are stored.
        settings: The default domain (``agent_assist.domain``) and the llama.cpp context budget.
        """
        self.domains = domains
        self.deidentification = deidentification
        self.conversations = conversations
        self.retriever = retriever
        self.backends = backends
        self.analyzers = analyzers
        self.feedback = feedback
        self.settings = settings

    def config(self, domain: str | None = None) -> AgentAssistConfig:
        """The agent-assist config of ``domain`` (default ``settings.agent_assist.domain``).

        Raises:
            AssistantError: Unknown domain, or the domain has no ``agent_assist.yaml``.
            DomainError: The file is invalid.
        """
        name = domain or self.settings.agent_assist.domain
        config = load_agent_assist(self.domains.domain(name))
        if config is None:
            raise AssistantError(f"domain {name!r} has no agent_assist.yaml; agent assist needs one")
        return config

    def forbidden_phrasings(self, domain: str | None = None) -> ForbiddenPhrasings | None:
        """The forbidden phrasings of ``domain`` (default ``settings.agent_assist.domain``); None = it has no
        ``forbidden_phrasings.yaml`` (its drafts are not checked).

        Raises:
            AssistantError: Unknown domain.
            DomainError: The file is invalid (or one of its examples does not behave).
        """
        return load_forbidden_phrasings(self.domains.domain(domain or self.settings.agent_assist.domain))

    def stream(
        self,
        message: str,
        session_id: str | None = None,
        backend: str | None = None,
        domain: str | None = None,
        owner: str | None = None,
    ) -> Iterator[AssistEvent]:
        """Analyse a customer message, then stream a suggested reply.

        Yields a "meta" event (de-identified message, intent, risk, advice, passages), then "answer" text (the
        draft for display a line at a time: the required wording first, then the model's lines without the
        sentences that match a forbidden phrasing), then "done" with the final result (``dropped`` says which
        sentences were dropped and why).

        Args:
            message: The customer's raw message.
            session_id: The conversation (its vault keeps placeholders stable); None = a new one.
            backend: auto|ollama|openai|llamacpp (None = settings).
            domain: The domain (None = ``settings.agent_assist.domain``).
            owner: The signed-in agent: the passages come from shared documents and the agent's private ones
                (None = every document: single-user mode).

        Raises:
            AssistantError: Empty message, malformed session id, unknown domain or no ``agent_assist.yaml``; a
                backend failure (BackendError) says what to do.
        """
        watch = Stopwatch()
        text = checked_text(message, "the customer message", MAX_MESSAGE_CHARS)
        name = domain or self.settings.agent_assist.domain
        config = self.config(name)
        phrasings = self.forbidden_phrasings(name)
        conversations, deid = self.conversations, self.deidentification
        session_id = conversations.memory.check_id(session_id or new_session_id())

        with watch.step("deidentify"):
            vault, _expired = conversations.open_vault(session_id)
            redaction, stored = deid.deidentify_message(text, vault, name)
            conversations.vaults.save(vault)
        redacted = redaction.text
        display_policy = self.domains.policy(name)

        signals = detect_signals(self.domains.domain(name), self.analyzers(name), redacted, watch)
        prediction, risk = signals.intent, signals.risk
        categories = list(risk.categories) if risk is not None else []
        advice = [config.escalation_advice[c] for c in categories if c in config.escalation_advice]
        if signals.escalate and not advice:
            advice = [config.default_escalation]
        intent = signals.known_intent
        keys = [*([intent] if intent else []), *categories]
        required = config.wording_for(keys)

        with watch.step("retrieve"):
            hits = self.retriever.retrieve(name, redacted, config.passages, visible_to=owner)

        chosen = self.backends(backend).for_domain(self.domains.domain(name).generation)
        passages, sources = number_passages(chosen, hits, self.settings.llamacpp.context_chars)
        system = _instructions(config, prediction, risk, required)
        messages = build_messages(system, passages, [], config.request.replace("{message}", redacted))
        result = AssistResult(
            session_id=session_id,
            domain=name,
            message=redacted,
            message_display=reidentify(redacted, vault, display_policy),
            message_stored=stored.text,
            masked=dict(sorted(redaction.counts().items())),
            intent=prediction,
            risk=risk,
            escalation_advice=advice,
            sources=sources,
            required_wording=required,
            backend=chosen.name,
            model=chosen.model_name,
            backend_note=chosen.note,
        )
        yield AssistEvent("meta", data=result)

        generation = Generation()
        shown_draft = DraftComposer(required, phrasings, frozenset(keys))  # what the agent sees as it streams
        with watch.step("generate"):
            for kind, shown in stream_generation(
                chosen,
                chat_parts(chosen, messages),
                vault,
                display_policy,
                lambda line: deid.scrub(line, vault, name).text,
                generation,
                watch.started,
            ):
                if kind == "answer" and (text := shown_draft.feed(shown)):  # reasoning is dropped
                    yield AssistEvent("answer", text)
        if rest := shown_draft.finish():
            yield AssistEvent("answer", rest)

        # values the model writes out that are not the customer's become <TYPE>; the customer's own become their
        # placeholders (restored on display); the draft is composed again from that de-identified text, so what
        # is stored and reported as dropped holds placeholders only
        written = generation.answer_redacted
        composer = DraftComposer(required, phrasings, frozenset(keys))
        draft = composer.compose(deid.scrub(written, vault, name).text if written else "")
        missing = composer.wording_missing
        result.draft_redacted = draft
        result.draft = reidentify(draft, vault, display_policy)
        result.wording_added = missing
        result.dropped = composer.dropped
        result.prompt = sent_prompt(chosen, messages)
        result.timings_ms = watch.total()
        logger.info(
            "assist session=%s domain=%s intent=%s risk=%s escalate=%s sources=%d wording_added=%d dropped=%s "
            "backend=%s model=%s entities=%s timings_ms=%s",
            session_id,
            name,
            prediction.intent if prediction is not None else "-",
            ",".join(categories) or "-",
            result.escalate,
            len(sources),
            len(missing),
            dropped_rules(composer.dropped),
            chosen.name,
            chosen.model_name,
            json.dumps(redaction.counts()),
            json.dumps(result.timings_ms),
        )
        metrics.observe_generation(
            chosen.name,
            answered_by(chosen)[0],
            generation.first_token_ms / 1000.0 if generation.first_token_ms is not None else None,
            result.timings_ms.get("generate", 0.0) / 1000.0,
            len(written),
            result.masked,
            list(categories) if result.escalate else None,
            generation.output_tokens,
        )
        yield AssistEvent("done", data=result)

    assist = completing(stream)

    def record_feedback(
        self, result: AssistResult, status: str, final_text: str | None = None
    ) -> FeedbackRecord:
        """Store the agent's verdict on a suggested reply, de-identified.

        The agent's text is de-identified with the conversation's vault before it is stored: the values shown
        on screen (restored or masked, e.g. ``•••• 6467``) go back to their placeholders, and anything new the
        agent typed (a card number, a name) is de-identified with the domain's ``memory`` operators.

        Args:
            result: The suggestion the feedback is about.
            status: accepted | edited | rejected.
            final_text: What the agent sends, as shown or edited on screen; None = the suggestion unchanged
                (accepted) or nothing (rejected).

        Returns:
            The stored record.

        Raises:
            FeedbackError: An unknown status, or "edited" without a text.
        """
        check_status(status)
        if final_text is None:
            if status == "edited":
                raise FeedbackError("feedback 'edited' needs the edited text")
            stored = result.draft_redacted if status == "accepted" else ""
        elif final_text.strip() == result.draft.strip():
            stored = result.draft_redacted
        else:
            stored = self._deidentify_reply(result, final_text)
        risk = result.risk
        record = self.feedback.add(
            session_id=result.session_id,
            domain=result.domain,
            status=status,
            message=result.message_stored,
            suggested=result.draft_redacted,
            final_text=stored,
            intent="" if result.intent is None else result.intent.intent,
            confidence=None if result.intent is None else float(result.intent.confidence),
            risk_categories=[] if risk is None else list(risk.categories),
            severity="" if risk is None else risk.severity,
            escalate=result.escalate,
            backend=result.backend,
            model=result.model,
        )
        logger.info("assist feedback id=%d session=%s status=%s", record.id, result.session_id, status)
        return record

    def _deidentify_reply(self, result: AssistResult, text: str) -> str:
        vault = self.conversations.vaults.open(result.session_id)
        text = _unmask(text, vault, self.domains.policy(result.domain))
        _prompt, memory = self.deidentification.deidentify_message(text, vault, result.domain)
        self.conversations.vaults.save(vault)
        return memory.text


def _unmask(text: str, vault: Vault, policy: PiiPolicy) -> str:
    """Put the placeholders back where the text shows a value as the display showed it (``•••• 6467``)."""
    shown = {placeholder: reidentify(placeholder, vault, policy) for placeholder in vault.values}
    for placeholder, value in sorted(shown.items(), key=lambda item: -len(item[1])):
        if value and value != placeholder:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", placeholder, text)
    return text


def _instructions(
    config: AgentAssistConfig,
    prediction: IntentSignal | None,
    risk: RiskSignal | None,
    required: list[str],
) -> str:
    """The draft's system prompt: the domain's instructions, the case (intent, risk) and the required wording."""
    lines = [config.instructions.strip(), ""]
    if prediction is not None:
        lines.append(f"Detected intent: {prediction.intent} (confidence {prediction.confidence:.2f}).")
    if risk is not None:
        flags = ", ".join(risk.categories) or "none"
        lines.append(f"Risk flags: {flags} (severity {risk.severity}).")
    if required:
        lines.append("Required wording (it opens the reply for you: do not repeat it, never contradict it):")
        lines.extend(f"- {sentence}" for sentence in required)
    return "\n".join(lines).strip()
