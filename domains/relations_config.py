"""The validated shape of a domain's relation rules file (``relations: relations.yaml`` in ``domain.yaml``).

Rules are data: per relation type the entity labels of its head and tail, whether each argument must (or must
not) be a symptom, and Hearst-style lexico-syntactic patterns over tokens, e.g. ``{tail} ... treated with
{head}`` or ``{head} - induced {tail}``; a symptom lexicon; negation and hypothetical cues; distance limits;
and the labelled test set scored by ``assistant eval relations``. The matcher lives in
``pipelines.skills.medical.relations``; this module only validates.

Pattern syntax (tokens separated by spaces):

- ``{head}`` / ``{tail}``: the two arguments, each exactly once;
- ``...``: a gap of 0 to ``max_gap`` tokens;
- ``a|b|c``: one token out of alternatives (lower case);
- any other token: matched case-insensitively against one token of the sentence (``-induced`` is written
  ``- induced``: the tokenizer splits punctuation off words).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["EntityLabel", "RelationCues", "RelationTypeConfig", "RelationsConfig"]

EntityLabel = Literal["CHEMICAL", "DISEASE"]

_ID = r"^[a-z][a-z0-9_]{0,31}$"
_SLOT = re.compile(r"\{(head|tail)\}")


def _check_pattern(pattern: str) -> str:
    """Validate one pattern (see the module docstring); return it unchanged."""
    tokens = pattern.split()
    if tokens.count("{head}") != 1 or tokens.count("{tail}") != 1:
        raise ValueError(
            f"pattern {pattern!r} needs {{head}} and {{tail}} exactly once each, as separate tokens"
        )
    for token in tokens:
        if token in ("{head}", "{tail}", "..."):
            continue
        if _SLOT.search(token) or "{" in token or "}" in token:
            raise ValueError(f"pattern {pattern!r}: slot inside token {token!r}")
        if any(not alt for alt in token.split("|")):
            raise ValueError(f"pattern {pattern!r}: empty alternative in {token!r}")
    if tokens[0] == "..." or tokens[-1] == "...":
        raise ValueError(f"pattern {pattern!r} must not start or end with a gap '...'")
    return pattern


class RelationTypeConfig(BaseModel):
    """One relation type.

    Attributes:
        description: What the relation means (the labelling guide has the full rules).
        head: Entity label of the head (the agent: the drug, or the symptom).
        tail: Entity label of the tail.
        head_symptom: True = the head must be a symptom (see :attr:`RelationsConfig.symptoms`), False = must not
            be one, None = either.
        tail_symptom: The same for the tail.
        patterns: Token patterns; a pair is related when one matches the sentence with the pair in its slots.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    head: EntityLabel
    tail: EntityLabel
    head_symptom: bool | None = None
    tail_symptom: bool | None = None
    patterns: tuple[str, ...] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _patterns_valid(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            _check_pattern(pattern)
        return patterns


class RelationCues(BaseModel):
    """Cues that drop a pair: NegEx-style negation (Chapman et al., J Biomed Inform 2001) and hypotheticals.

    Attributes:
        negation: Negators ("no", "not", "without", "denies", "ruled out", "rather than"); a pair is dropped when
            one lies between its two mentions, or among the ``window`` tokens before the first mention.
        hypothetical: Cues of conditional or questioned statements ("if", "whether", "would"), looked for the same
            way; a sentence ending in "?" is always hypothetical.
        post_negation: NegEx post-negation triggers ("ruled out", "excluded", "unlikely") that drop a pair when
            they follow its second mention within ``window`` tokens ("Warfarin-induced bleeding was ruled out").
        window: Tokens before the first mention (and after the second, for ``post_negation``) that are looked at.
        scope_end: Tokens that end a cue's scope when they lie between the cue and the pair (NegEx termination
            terms: "but", ";", ...).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    negation: tuple[str, ...] = ()
    hypothetical: tuple[str, ...] = ()
    post_negation: tuple[str, ...] = ()
    window: int = Field(default=5, ge=0, le=30)
    scope_end: tuple[str, ...] = ()

    @field_validator("negation", "hypothetical", "post_negation", "scope_end")
    @classmethod
    def _not_blank(cls, cues: tuple[str, ...]) -> tuple[str, ...]:
        for cue in cues:
            if not cue.strip():
                raise ValueError(f"blank cue {cue!r}")
        return cues


class RelationsConfig(BaseModel):
    """A domain's relation rules (``domains/<name>/relations.yaml``).

    Attributes:
        relations: Relation type id -> its rules; the first type (in file order) whose pattern matches a pair
            wins.
        symptoms: Symptom and sign terms (lower case); a DISEASE mention is a symptom when its lower-cased text
            equals one or ends with one as whole words ("chest pain" ends with "pain").
        coordination: Tokens that join mentions of one label into a list ("fever, cough and rash"); a pattern
            that relates one member relates every member.
        coordination_slack: Most other tokens allowed between two listed mentions besides coordination tokens
            ("fever and productive cough": 1).
        clause_breaks: Tokens a ``...`` gap never crosses (";": "given for pneumonia; fever resolved").
        max_tokens: Most tokens between the two mentions of a pair.
        max_gap: Most tokens a ``...`` in a pattern spans.
        cues: Negation and hypothetical cues.
        test_set: The labelled sentences of ``assistant eval relations`` (JSON lines), relative to the domain
            folder; None = none shipped.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    relations: dict[str, RelationTypeConfig] = Field(min_length=1)
    symptoms: tuple[str, ...] = ()
    coordination: tuple[str, ...] = (",", "and", "or")
    coordination_slack: int = Field(default=2, ge=0, le=10)
    clause_breaks: tuple[str, ...] = (";",)
    max_tokens: int = Field(default=20, ge=1, le=200)
    max_gap: int = Field(default=4, ge=0, le=50)
    cues: RelationCues = Field(default_factory=RelationCues)
    test_set: Path | None = None

    @field_validator("symptoms")
    @classmethod
    def _symptoms_lower(cls, symptoms: tuple[str, ...]) -> tuple[str, ...]:
        for term in symptoms:
            if not term.strip() or term != term.lower():
                raise ValueError(f"symptom term {term!r} must be non-blank and lower case")
        return symptoms

    @model_validator(mode="after")
    def _ids_and_symptom_flags(self) -> RelationsConfig:
        for name, relation in self.relations.items():
            if not re.match(_ID, name):
                raise ValueError(f"relations: relation id {name!r} must match {_ID}")
            for side in ("head", "tail"):
                if getattr(relation, f"{side}_symptom") is not None and getattr(relation, side) != "DISEASE":
                    raise ValueError(
                        f"relations.{name}.{side}_symptom: only a DISEASE {side} can be a symptom"
                    )
                if getattr(relation, f"{side}_symptom") and not self.symptoms:
                    raise ValueError(f"relations.{name}.{side}_symptom needs a symptoms lexicon")
        return self
