"""The validated shape of a domain's risk rules file (``risk: risk.yaml`` in ``domain.yaml``).

Rules are data: per category a severity, an escalation flag and named rules, each with English and Chinese
lexicon phrases (matched by ``pipelines.skills.triage.risk`` with an Aho-Corasick automaton) and, where phrases are not
enough, a few regular expressions; cancel cues ("found my card", "false alarm", "找到了") that drop nearby
matches; negation cues ("not", "没有") that drop a match they directly precede; and an ``intents`` map from
intent labels (BANKING77) to categories. The matcher lives in ``pipelines``; this module only validates.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "SEVERITIES",
    "CancelRule",
    "IntentRisk",
    "NegationConfig",
    "RiskCategoryConfig",
    "RiskConfig",
    "RiskPattern",
    "RiskRule",
    "Severity",
]

Severity = Literal["none", "low", "medium", "high"]
#: Severities in rising order; a message's severity is the highest of its evidence.
SEVERITIES: tuple[Severity, ...] = ("none", "low", "medium", "high")

_ID = r"^[a-z][a-z0-9_]{0,47}$"


class _Phrases(BaseModel):
    """Lexicon phrases per language (matched case-folded and NFKC-normalised)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: tuple[str, ...] = Field(default=(), description="English phrases, matched on word boundaries.")
    zh: tuple[str, ...] = Field(default=(), description="Chinese phrases, matched as plain substrings.")

    @field_validator("en", "zh")
    @classmethod
    def _not_blank(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        for phrase in phrases:
            if not phrase.strip():
                raise ValueError(f"blank phrase {phrase!r}")
        return phrases


class RiskPattern(BaseModel):
    """A regular expression, searched case-insensitively in the normalised text.

    Attributes:
        name: Identifier, reported in the evidence's ``rule`` as ``category/rule/name``.
        regex: Python ``re`` syntax; the whole match is the evidence span.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_ID)
    regex: str = Field(min_length=1)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str) -> str:
        try:
            compiled = re.compile(regex)
        except re.error as exc:
            raise ValueError(f"regex {regex!r} does not compile: {exc}") from exc
        if compiled.match(""):
            raise ValueError(f"regex {regex!r} matches the empty string")
        return regex


class RiskRule(_Phrases):
    """One named group of phrases and patterns of a category.

    Attributes:
        severity: Overrides the category's severity for evidence of this rule (None = the category's).
        patterns: Regular expressions for what phrases cannot list (amounts, links next to cues).
    """

    severity: Severity | None = None
    patterns: tuple[RiskPattern, ...] = ()

    @model_validator(mode="after")
    def _has_something(self) -> RiskRule:
        if not (self.en or self.zh or self.patterns):
            raise ValueError("a rule needs at least one phrase (en, zh) or pattern")
        return self


class RiskCategoryConfig(BaseModel):
    """One risk category.

    Attributes:
        severity: Severity of its evidence.
        escalate: True = always escalate when matched, False = never, None = when the message's severity
            reaches :attr:`RiskConfig.escalate_at`.
        negatable: Whether a negation cue right before a match drops it (off for self-harm: err on the side
            of a human looking).
        model_gated: Whether its rules below ``high`` severity need the learned layer's agreement
            (:attr:`RiskConfig.rule_floor`); off for disclosures such as a bereavement or arrears, which name
            the customer's situation rather than a topic.
        description: What the category covers.
        rules: Named rules (phrases and patterns).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity
    escalate: bool | None = None
    negatable: bool = True
    model_gated: bool = True
    description: str = ""
    rules: dict[str, RiskRule] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _rule_ids(cls, rules: dict[str, RiskRule]) -> dict[str, RiskRule]:
        for name in rules:
            if not re.match(_ID, name):
                raise ValueError(f"rule name {name!r} must match {_ID}")
        return rules


class CancelRule(_Phrases):
    """Cues that cancel matches of some categories or rules ("found my card", "false alarm").

    Attributes:
        targets: ``category`` or ``category/rule`` ids whose matches the cue drops.
        window: A match is dropped when it lies within this many characters of the cue (either side);
            None = anywhere in the message.
    """

    targets: tuple[str, ...] = Field(min_length=1)
    window: int | None = Field(default=None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _has_phrases(self) -> CancelRule:
        if not (self.en or self.zh):
            raise ValueError("a cancel rule needs at least one phrase (en, zh)")
        return self


class NegationConfig(BaseModel):
    """Negation cues that drop a match of a negatable category when they directly precede it.

    Attributes:
        en: English negators ("not", "never", "n't", ...), looked for among the ``en_words`` words before
            the match, within its clause.
        en_words: How many words before an English match are looked at.
        en_scope_end: Words that end a negation's scope when they lie between it and the match ("I can't
            believe someone stole my card": "someone" ends the scope of "can't"), after NegEx's termination
            terms (Chapman et al., J Biomed Inform 2001).
        zh: Chinese negators ("没有", "不", "未", ...), looked for in the ``zh_chars`` characters before a
            match, within its clause.
        zh_chars: How many characters before a Chinese match are looked at.
        pseudo: Phrases that contain a cue but do not negate (NegEx's pseudo-negations: "not only", the
            A-not-A questions "能不能", "是不是"); blanked out before cues are looked for.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: tuple[str, ...] = ()
    en_words: int = Field(default=3, ge=1, le=10)
    en_scope_end: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    zh_chars: int = Field(default=3, ge=1, le=10)
    pseudo: tuple[str, ...] = ()


class IntentRisk(BaseModel):
    """What an intent label contributes: a category, with an optional severity override."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(pattern=_ID)
    severity: Severity | None = None


class RiskConfig(BaseModel):
    """A domain's risk rules (``domains/<name>/risk.yaml``).

    Attributes:
        escalate_at: A message whose severity reaches this escalates (unless every matched category says
            ``escalate: false``); categories with ``escalate: true`` escalate at any severity.
        categories: Category id -> rules.
        cancel: Cancel cues.
        negation: Negation cues.
        intents: Intent label -> category (a string) or ``{category, severity}``.
        model: The learned risk layer's folder, relative to the domain folder (None = rules only).
        training_data: Its labelled messages (JSONL ``{text, categories[]}``), relative to the domain folder.
        intent_floor: With a model, an intent of the map counts only when the model's risk score of the message
            is at least this, 0..1 (0 = always).
        intent_agreement: With a model, an intent of the map counts only when the model's probability of the
            intent's category (given that the message is risky) is at least this, 0..1 (0 = always).
        rule_floor: With a model, phrases and patterns below ``high`` severity of the ``model_gated`` categories
            count only when the model's risk score of the message is at least this, 0..1 (0 = always);
            high-severity rules always count.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    escalate_at: Severity = "high"
    model: Path | None = None
    training_data: Path | None = None
    intent_floor: float = Field(0.0, ge=0.0, le=1.0)
    intent_agreement: float = Field(0.0, ge=0.0, le=1.0)
    rule_floor: float = Field(0.0, ge=0.0, le=1.0)
    categories: dict[str, RiskCategoryConfig] = Field(min_length=1)
    cancel: tuple[CancelRule, ...] = ()
    negation: NegationConfig = Field(default_factory=NegationConfig)
    intents: dict[str, IntentRisk] = Field(default_factory=dict)

    @field_validator("intents", mode="before")
    @classmethod
    def _intent_shorthand(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: {"category": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _references_exist(self) -> RiskConfig:
        for name in self.categories:
            if not re.match(_ID, name):
                raise ValueError(f"categories: category id {name!r} must match {_ID}")
        for label, target in self.intents.items():
            if target.category not in self.categories:
                raise ValueError(f"intents.{label}: unknown category {target.category!r}")
        for i, rule in enumerate(self.cancel):
            for target_id in rule.targets:
                category, _, rule_name = target_id.partition("/")
                known = self.categories.get(category)
                if known is None or (rule_name and rule_name not in known.rules):
                    raise ValueError(f"cancel.{i}.targets: unknown category or rule {target_id!r}")
        return self
