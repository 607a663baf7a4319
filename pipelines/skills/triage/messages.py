"""Intent and risk of standalone messages (``assistant intent|risk`` and ``POST /api/intent|risk``): each message
is de-identified with the domain's policy first, and only the de-identified text is classified or returned."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.chat.signals import MessageAnalyzer, detect_signals
from pipelines.core.deidentification import DomainDeidentifier, scratch_vault
from pipelines.core.domains import DomainRegistry
from pipelines.core.errors import AssistantError
from pipelines.core.limits import check_messages
from pipelines.skills.triage.intent import IntentClassifier
from pipelines.skills.triage.risk import RiskDetector

__all__ = ["MessageTriage"]


@dataclass(frozen=True)
class MessageTriage:
    """A domain's intent model and risk rules on messages that belong to no conversation.

    Attributes:
        domains: The domain registry.
        deidentification: De-identification under each domain's policy.
        intent_classifier: The domain's intent model, or None (``Services.intent_classifier``).
        risk_detector: The domain's risk rules, or None (``Services.risk_detector``).
        analyzers: The domain's message analyzers in order (``Services.analyzers``).
    """

    domains: DomainRegistry
    deidentification: DomainDeidentifier
    intent_classifier: Callable[[str], IntentClassifier | None]
    risk_detector: Callable[[str], RiskDetector | None]
    analyzers: Callable[[str], list[MessageAnalyzer]]

    def intents(self, domain: str, messages: Sequence[str]) -> list[dict[str, Any]]:
        """``{text, intent, confidence}`` per message, ``text`` de-identified (one scratch vault for the batch, so
        a value repeated across messages gets one placeholder).

        Raises:
            AssistantError: Unknown domain, the domain has no intent model, or a message is empty or too long
                (:func:`check_messages`).
        """
        check_messages(messages)
        classifier = self.intent_classifier(domain)
        if classifier is None:
            raise AssistantError(
                f"domain {domain!r} has no intent model (no intent: block in its domain.yaml)"
            )
        vault = scratch_vault("triage")
        redacted = [self.deidentification.pseudonymize(m, vault, domain).text for m in messages]
        return [prediction.to_json_dict() for prediction in classifier.predict(redacted)]

    def risks(self, domain: str, messages: Sequence[str]) -> list[dict[str, Any]]:
        """``{text, categories, evidence, severity, escalate}`` per message: ``text`` de-identified, evidence
        offsets into it; with an intent model the message's intent feeds the rules' ``intents:`` map.

        Raises:
            AssistantError: Unknown domain, the domain has no risk rules, or a message is empty or too long
                (:func:`check_messages`).
        """
        check_messages(messages)
        if self.risk_detector(domain) is None:
            raise AssistantError(f"domain {domain!r} has no risk rules (no risk: file in its domain.yaml)")
        config, analyzers = self.domains.domain(domain), self.analyzers(domain)
        vault = scratch_vault("triage")
        results = []
        for message in messages:
            redacted = self.deidentification.pseudonymize(message, vault, domain).text
            assessment = detect_signals(config, analyzers, redacted).risk
            if assessment is None:  # the domain has risk rules: the risk analyzer always answers
                raise AssistantError(f"domain {domain!r} has no risk rules")
            results.append({"text": redacted, **assessment.to_json_dict()})
        return results
