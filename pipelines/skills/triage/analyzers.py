"""The triage skill as message analyzers (:class:`pipelines.chat.signals.MessageAnalyzer`): what the composition
root plugs into a domain for its ``intent:`` block and its ``risk:`` rules, in that order, so that the risk
rules can read the intent (the ``intents:`` map of a risk file)."""

from __future__ import annotations

from dataclasses import replace

from pipelines.chat.signals import MessageSignals
from pipelines.skills.triage.intent import IntentClassifier
from pipelines.skills.triage.risk import RiskDetector
from pipelines.skills.triage.risk_model import RiskModel

__all__ = ["IntentAnalyzer", "RiskAnalyzer"]


class IntentAnalyzer:
    """Adds the message's intent (a BANKING77 label or ``unknown``) from a domain's intent model."""

    name = "intent"

    def __init__(self, classifier: IntentClassifier) -> None:
        self.classifier = classifier

    def analyze(self, text: str, signals: MessageSignals) -> MessageSignals:
        """``signals`` with the intent of ``text``; a blank text is not classified (signals unchanged)."""
        if not text.strip():
            return signals
        return replace(signals, intent=self.classifier.predict([text])[0])


class RiskAnalyzer:
    """Adds the message's risk from a domain's risk rules, with the intent found before it, if any, and the
    learned layer's categories when the domain has a model."""

    name = "risk"

    def __init__(self, detector: RiskDetector, model: RiskModel | None = None) -> None:
        self.detector = detector
        self.model = model

    def analyze(self, text: str, signals: MessageSignals) -> MessageSignals:
        """``signals`` with the risk assessment of ``text`` (the known intent feeds the rules)."""
        learned = self.model.detect(text) if self.model is not None and text.strip() else []
        return replace(signals, risk=self.detector.assess(text, signals.known_intent, learned))
