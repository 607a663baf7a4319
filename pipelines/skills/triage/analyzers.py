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
    learned layer's categories when the domain has a model.

    With a model, the intent map (``intents:`` of the risk rules) needs the model's agreement: an intent counts
    only when the message's risk score is at least ``intent_floor``. An intent names a topic, not a risk ("how
    do I set up the app on my new phone" is ``lost_or_stolen_phone`` to the intent model). Out of fold on the
    2,519 training messages (2026-12-07), a floor of 0.5 took the benign flag rate of rules + intents + model
    from 0.142 to 0.104 for 0.003 of recall; on the development sets ``benchmarks/data/risk_messages*.jsonl``
    recall stayed 1.0 and the English flag rate fell from 0.057 to 0.

    And the model must give the intent's category a probability of at least ``intent_agreement``: a Chinese
    debt or safe-account message was also ``fraud`` through ``cash_withdrawal_not_recognised`` in a new-user
    trial. On the third round (as below), 0.2 raised precision from 0.707 to 0.747 for 0.002 of recall; on the
    development sets above the flag rate fell from 0.059 to 0.039, recall 1.0.

    Likewise a rule below high severity of a ``model_gated`` category (a complaint, a solicitor, a question
    about scams, a lost card) counts only when the score is at least ``rule_floor``: on the third round of
    training messages, used first as a development set (each half scored by a model trained on the other), a
    floor of 0.2 took the benign flag rate from 0.315 to 0.223 for 0.003 of recall, and on the development sets
    above it lost nothing once disclosures (``vulnerable_customer``) were exempt.
    """

    name = "risk"

    def __init__(
        self,
        detector: RiskDetector,
        model: RiskModel | None = None,
        intent_floor: float = 0.0,
        rule_floor: float = 0.0,
        intent_agreement: float = 0.0,
    ) -> None:
        self.detector = detector
        self.model = model
        self.intent_floor = intent_floor
        self.rule_floor = rule_floor
        self.intent_agreement = intent_agreement

    def analyze(self, text: str, signals: MessageSignals) -> MessageSignals:
        """``signals`` with the risk assessment of ``text`` (the known intent feeds the rules)."""
        intent = signals.known_intent
        learned: list[tuple[str, float]] = []
        weak_rules = True
        if self.model is not None and text.strip():
            score, learned, probabilities = self.model.judgement(text)
            mapped = self.detector.intent_category(intent) if intent is not None else None
            if score < self.intent_floor or (
                mapped is not None and probabilities.get(mapped, 0.0) < self.intent_agreement
            ):
                intent = None
            weak_rules = score >= self.rule_floor
        return replace(signals, risk=self.detector.assess(text, intent, learned, weak_rules))
