"""What a customer message signals besides its question: its intent and its risk, and what the turn must do
about a risk that escalates (the domain's ``escalation:`` block: a prompt addendum and a notice for the user).

Both detectors read the de-identified message only. A domain without an intent model or risk rules gets
``None`` for that signal, so adding the signals to a domain is data (``intent:``, ``risk:``, ``escalation:``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domains import DomainConfig
from pipelines.services import Services
from pipelines.skills.triage.intent import UNKNOWN, IntentPrediction
from pipelines.skills.triage.risk import RiskAssessment

__all__ = ["MessageSignals", "detect_signals", "escalation_notice", "signals_line"]


@dataclass(frozen=True)
class MessageSignals:
    """A message's intent and risk, and the escalation they call for.

    Attributes:
        intent: The intent (None when the domain has no intent model).
        risk: The risk assessment (None when the domain has no risk rules).
        notice: Text shown to the user before the answer when the risk escalates ("" otherwise).
        prompt_addendum: Instructions added to the system prompt when the risk escalates ("" otherwise).
    """

    intent: IntentPrediction | None = None
    risk: RiskAssessment | None = None
    notice: str = ""
    prompt_addendum: str = ""

    @property
    def escalate(self) -> bool:
        """Whether the risk calls for a human now."""
        return bool(self.risk is not None and self.risk.escalate)

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


def escalation_notice(config: DomainConfig, risk: RiskAssessment) -> str:
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


def detect_signals(services: Services, domain: str, text: str) -> MessageSignals:
    """Intent and risk of a de-identified message in ``domain``.

    Args:
        services: Shared services (the domain's intent model and risk detector).
        domain: The domain the message was routed to.
        text: The de-identified message.

    Raises:
        AssistantError: Unknown domain; IntentError when the configured intent model cannot be loaded.
    """
    config = services.domain(domain)
    classifier = services.intent_classifier(domain)
    intent = classifier.predict([text])[0] if classifier is not None else None
    detector = services.risk_detector(domain)
    risk = None
    if detector is not None:
        label = intent.intent if intent is not None and intent.intent != UNKNOWN else None
        risk = detector.assess(text, label)
    notice = escalation_notice(config, risk) if risk is not None else ""
    addendum = config.escalation.prompt if notice and config.escalation is not None else ""
    return MessageSignals(intent, risk, notice, addendum)


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
