"""What a customer message signals besides its question: its intent and its risk, and what the turn must do
about a risk that escalates (the domain's ``escalation:`` block: a prompt addendum and a notice for the user).

The signals come from *message analyzers*, the skills a domain turns on in its ``domain.yaml`` (an intent model
with ``intent:``, risk rules with ``risk:``; :mod:`pipelines.skills.triage`). The composition root builds each
domain's analyzers in order; :func:`detect_signals` runs them on the de-identified message, each seeing what
the earlier ones found (the risk rules read the intent). A domain without analyzers gets empty signals, so
adding the signals to a domain is data, and this package never imports a skill.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from domains import DomainConfig
from pipelines.llm.turn import Stopwatch

__all__ = [
    "UNKNOWN_INTENT",
    "IntentSignal",
    "MessageAnalyzer",
    "MessageSignals",
    "RiskSignal",
    "detect_signals",
    "escalation_notice",
    "signals_line",
]

#: The intent of a message whose top label is below the model's confidence threshold.
UNKNOWN_INTENT = "unknown"


class IntentSignal(Protocol):
    """A message's intent as an analyzer reports it (e.g. :class:`pipelines.skills.triage.intent.IntentPrediction`)."""

    @property
    def intent(self) -> str:
        """The label, or :data:`UNKNOWN_INTENT` below the confidence threshold."""

    @property
    def confidence(self) -> float:
        """Probability of the top label, 0..1."""

    @property
    def label(self) -> str:
        """The top label (also when ``intent`` is unknown)."""

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form for the analyzer's own output."""


class RiskSignal(Protocol):
    """A message's risk as an analyzer reports it (e.g. :class:`pipelines.skills.triage.risk.RiskAssessment`)."""

    @property
    def categories(self) -> list[str]:
        """Matched risk categories, in the rules file's order; empty for a benign message."""

    @property
    def severity(self) -> str:
        """``none`` | ``low`` | ``medium`` | ``high``."""

    @property
    def escalate(self) -> bool:
        """Whether a human should take over."""

    def to_json_dict(self) -> dict[str, Any]:
        """``{categories, evidence, severity, escalate}``."""


@dataclass(frozen=True)
class MessageSignals:
    """A message's intent and risk, and the escalation they call for.

    Attributes:
        intent: The intent (None when the domain has no intent model).
        risk: The risk assessment (None when the domain has no risk rules).
        notice: Text shown to the user before the answer when the risk escalates ("" otherwise).
        prompt_addendum: Instructions added to the system prompt when the risk escalates ("" otherwise).
    """

    intent: IntentSignal | None = None
    risk: RiskSignal | None = None
    notice: str = ""
    prompt_addendum: str = ""

    @property
    def escalate(self) -> bool:
        """Whether the risk calls for a human now."""
        return bool(self.risk is not None and self.risk.escalate)

    @property
    def known_intent(self) -> str | None:
        """The intent label, or None when there is none or it is unknown."""
        if self.intent is None or self.intent.intent == UNKNOWN_INTENT:
            return None
        return self.intent.intent

    def to_json_dict(self) -> dict[str, Any]:
        """``{intent: {intent, confidence, label} | None, risk: {...} | None, escalation: notice | None}``."""
        intent = None
        if self.intent is not None:
            intent = {
                "intent": self.intent.intent,
                "confidence": round(self.intent.confidence, 4),
                "label": self.intent.label,
            }
        return {
            "intent": intent,
            "risk": None if self.risk is None else self.risk.to_json_dict(),
            "escalation": self.notice or None,
        }


class MessageAnalyzer(Protocol):
    """A skill that reads a de-identified message and adds what it finds to the message's signals."""

    #: The step name in a turn's timings (``intent``, ``risk``).
    name: str

    def analyze(self, text: str, signals: MessageSignals) -> MessageSignals:
        """Return ``signals`` with this analyzer's finding added (``text`` is de-identified; earlier analyzers'
        findings are in ``signals``)."""


def escalation_notice(config: DomainConfig, risk: RiskSignal) -> str:
    """The notice for an escalating ``risk``: the first ``escalation.notices`` entry (in file order, so the file
    sets the priority) whose category was found, else ``escalation.notice``; "" when the risk does not
    escalate or the domain has no ``escalation:`` block."""
    escalation = config.escalation
    if escalation is None or not risk.escalate:
        return ""
    for category, notice in escalation.notices.items():
        if category in risk.categories:
            return notice
    return escalation.notice


def detect_signals(
    config: DomainConfig,
    analyzers: Sequence[MessageAnalyzer],
    text: str,
    watch: Stopwatch | None = None,
) -> MessageSignals:
    """Intent and risk of a de-identified message in the domain ``config``, and its escalation.

    Args:
        config: The domain the message was routed to (its ``escalation:`` block).
        analyzers: The domain's analyzers, in order (see the module docstring).
        text: The de-identified message.
        watch: Times each analyzer as a step named after it (None: not timed).

    Raises:
        AssistantError: An analyzer's model cannot be loaded (e.g. IntentError).
    """
    signals = MessageSignals()
    for analyzer in analyzers:
        if watch is None:
            signals = analyzer.analyze(text, signals)
        else:
            with watch.step(analyzer.name):
                signals = analyzer.analyze(text, signals)
    notice = escalation_notice(config, signals.risk) if signals.risk is not None else ""
    addendum = config.escalation.prompt if notice and config.escalation is not None else ""
    return replace(signals, notice=notice, prompt_addendum=addendum)


def signals_line(signals: MessageSignals | dict[str, Any] | None) -> str:
    """One line for a status caption: ``intent lost_or_stolen_card 0.93 · risk fraud (high) · escalate``;
    "" when there is nothing to show. Accepts the stored dict form (:meth:`MessageSignals.to_json_dict`)."""
    if signals is None:
        return ""
    data = signals.to_json_dict() if isinstance(signals, MessageSignals) else signals
    parts = []
    intent = data.get("intent")
    if intent:
        parts.append(f"intent {intent['intent']} {intent['confidence']:.2f}")
    risk = data.get("risk")
    if risk:
        if risk["categories"]:
            parts.append(f"risk {', '.join(risk['categories'])} ({risk['severity']})")
            if risk["escalate"]:
                parts.append("escalate")
        else:
            parts.append("no risk")
    return " · ".join(parts)
