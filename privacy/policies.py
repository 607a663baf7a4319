"""PII policies: which entity types are found, at which score, and what happens to them in each sink.

A policy is data: each domain's ``domain.yaml`` carries one under ``privacy:`` and :meth:`PiiPolicy.from_mapping`
validates it. Shape::

    score_threshold: 0.4            # default minimum recognizer score (0..1)
    operators:                      # default operator per sink, for every entity listed below
      prompt: pseudonymize          # the text the model receives (user messages)
      memory: pseudonymize          # stored conversation turns
      index: redact                 # ingested documents (chunks, embeddings, metadata)
      logs: hash                    # anything written to the log file
      display: restore              # the user's own values, shown back to the user
    entities:                       # entity type -> overrides (all optional)
      PERSON: {}
      CREDIT_CARD: {display: mask_last4}
      DATE_TIME: {score_threshold: 0.6, prompt: date_shift, memory: date_shift, index: keep}

Operators (which sinks accept them):

- ``keep`` (prompt, memory, index): the value passes unchanged: the entity is not looked for in that sink;
- ``pseudonymize`` (prompt, memory): a session placeholder ``<TYPE_n>`` from the vault, restorable for display;
- ``redact`` (prompt, memory, index, display): ``<TYPE>``, irreversible (on display: the placeholder stays);
- ``hash`` (prompt, memory, index, logs): ``<TYPE#1a2b3c4d>``, HMAC-SHA256 of the value with a secret salt,
  so equal values hash equally across records and sessions without being readable;
- ``drop`` (logs): ``<TYPE>`` in log records;
- ``date_shift`` (prompt, memory; dates only): the date moved by the session's fixed random offset of days
  (consistent within a session, so intervals between dates survive), written as ISO ``YYYY-MM-DD``;
- ``restore`` (display): the user's own value;
- ``mask_last4`` (display): ``•••• 1234``, the last four characters of the value (card and account numbers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from privacy.errors import PrivacyError

__all__ = ["OPERATORS_BY_SINK", "SINKS", "EntityRule", "Operator", "PiiPolicy", "Sink", "SinkOperators"]

Sink = Literal["prompt", "memory", "index", "logs", "display"]
Operator = Literal["keep", "pseudonymize", "redact", "hash", "drop", "date_shift", "restore", "mask_last4"]
SINKS: tuple[Sink, ...] = ("prompt", "memory", "index", "logs", "display")
#: Which operators make sense in which sink (validated when a policy is loaded).
OPERATORS_BY_SINK: dict[str, frozenset[str]] = {
    "prompt": frozenset({"keep", "pseudonymize", "redact", "hash", "date_shift"}),
    "memory": frozenset({"keep", "pseudonymize", "redact", "hash", "date_shift"}),
    "index": frozenset({"keep", "redact", "hash"}),
    "logs": frozenset({"hash", "drop"}),
    "display": frozenset({"restore", "mask_last4", "redact"}),
}
#: Stricter first: the union policy (before a domain is known) takes the strictest operator of any domain.
_STRICTNESS = ("drop", "redact", "hash", "pseudonymize", "date_shift", "mask_last4", "restore", "keep")


class SinkOperators(BaseModel):
    """The default operator of each sink."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: Operator = "pseudonymize"
    memory: Operator = "pseudonymize"
    index: Operator = "redact"
    logs: Operator = "hash"
    display: Operator = "restore"


class EntityRule(BaseModel):
    """Overrides for one entity type: its own score threshold and per-sink operators (None = the default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    score_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    prompt: Operator | None = None
    memory: Operator | None = None
    index: Operator | None = None
    logs: Operator | None = None
    display: Operator | None = None


class PiiPolicy(BaseModel):
    """One domain's PII policy (see the module docstring for the YAML shape and the operators).

    Attributes:
        name: The domain (or ``union``) the policy belongs to.
        score_threshold: Default minimum recognizer score, 0..1.
        operators: Default operator per sink.
        entities: Entity type (Presidio's names plus this product's) -> overrides.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    score_threshold: float = Field(default=0.4, ge=0.0, le=1.0)
    operators: SinkOperators = Field(default_factory=SinkOperators)
    entities: dict[str, EntityRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _operators_fit_their_sinks(self) -> PiiPolicy:
        for entity in self.entities:
            for sink in SINKS:
                operator = self.operator(entity, sink)
                if operator not in OPERATORS_BY_SINK[sink]:
                    raise ValueError(
                        f"{entity}: operator {operator!r} is not allowed in sink {sink!r} "
                        f"(allowed: {', '.join(sorted(OPERATORS_BY_SINK[sink]))})"
                    )
                if operator == "date_shift" and entity != "DATE_TIME":
                    raise ValueError(f"{entity}: date_shift applies to DATE_TIME only")
        return self

    @classmethod
    def from_mapping(cls, name: str, raw: Mapping[str, Any]) -> PiiPolicy:
        """Validate a policy mapping (a domain's ``privacy:`` block).

        Raises:
            PrivacyError: The mapping is not a valid policy (the message names the field and the value).
        """
        try:
            return cls(name=name, **dict(raw))
        except (ValidationError, TypeError) as exc:
            raise PrivacyError(f"invalid PII policy for {name!r}: {exc}") from exc

    def operator(self, entity: str, sink: Sink | str) -> str:
        """The operator applied to ``entity`` in ``sink`` (``keep`` for an entity the policy does not list)."""
        rule = self.entities.get(entity)
        if rule is None:
            return "keep" if sink != "display" else "restore"
        return getattr(rule, sink) or getattr(self.operators, sink)

    def threshold(self, entity: str) -> float:
        """The minimum recognizer score for ``entity``."""
        rule = self.entities.get(entity)
        return (
            rule.score_threshold
            if rule is not None and rule.score_threshold is not None
            else self.score_threshold
        )

    def entities_for(self, sink: Sink | str) -> tuple[str, ...]:
        """Entity types de-identified in ``sink`` (operator other than ``keep``), sorted."""
        return tuple(sorted(e for e in self.entities if self.operator(e, sink) != "keep"))

    @property
    def message_entities(self) -> tuple[str, ...]:
        """Entity types de-identified in user messages (the prompt or the memory sink)."""
        return tuple(sorted(set(self.entities_for("prompt")) | set(self.entities_for("memory"))))

    @property
    def document_entities(self) -> tuple[str, ...]:
        """Entity types de-identified in ingested documents (the index sink)."""
        return self.entities_for("index")

    @property
    def min_threshold(self) -> float:
        """The lowest threshold of any entity: what to ask the analyzer for before per-entity filtering."""
        return min([self.score_threshold] + [self.threshold(e) for e in self.entities])

    def describe(self) -> list[dict[str, Any]]:
        """One row per entity type: ``{entity, score_threshold, prompt, memory, index, logs, display}`` (for
        the UI's privacy panel and ``assistant policy``)."""
        return [
            {"entity": e, "score_threshold": self.threshold(e), **{s: self.operator(e, s) for s in SINKS}}
            for e in sorted(self.entities)
        ]

    @classmethod
    def union(cls, policies: Iterable[PiiPolicy]) -> PiiPolicy:
        """The policy applied before a domain is known: every entity of any policy, its lowest threshold and,
        per sink, the strictest operator any policy gives it (``drop`` > ``redact`` > ``hash`` >
        ``pseudonymize`` > ``date_shift`` > ``mask_last4`` > ``restore`` > ``keep``)."""
        policies = list(policies)
        entities: dict[str, EntityRule] = {}
        for entity in sorted({e for p in policies for e in p.entities}):
            listed = [p for p in policies if entity in p.entities]
            ops = {
                sink: min((p.operator(entity, sink) for p in listed), key=_STRICTNESS.index) for sink in SINKS
            }
            entities[entity] = EntityRule.model_validate(
                {"score_threshold": min(p.threshold(entity) for p in listed), **ops}
            )
        return cls(
            name="union",
            score_threshold=min(p.score_threshold for p in policies),
            entities=entities,
        )
