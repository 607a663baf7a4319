"""The validated shape of a domain folder's optional ``forbidden_phrasings.yaml``: phrasings a suggested reply to
a customer must never contain, because they contradict the domain's tone rules (``agent_assist.yaml``
``instructions``: no blame, no refund promises, never ask for a PIN) or its escalation (``domain.yaml``
``escalation:``: never move money to a "safe account", call the bank now).

Each phrasing is data: a name, the reason shown to the agent when a sentence of the draft is dropped, regular
expressions searched in the *normalised* sentence (:func:`normalize_phrase`: case-folded, curly quotes made
straight, contractions expanded, punctuation turned into single spaces), optional ``unless`` expressions that
cancel a match in the same sentence ("Northwind Bank will **never** ask for your PIN"), optional ``when`` keys
(intent labels or risk categories: the phrasing applies only to such a case), and examples that must match and
allowed sentences that must not: they are checked when the file is loaded, so a pattern that stops doing its job
is a configuration error, not a silent gap. The matcher is :meth:`ForbiddenPhrasings.violation`; dropping and
reporting lines is the agent-assist skill's (``pipelines/skills/agent_assist/tone.py``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domains.config import DomainConfig
from domains.loading import load_yaml_model

__all__ = [
    "FORBIDDEN_PHRASINGS_FILE",
    "ForbiddenPhrasing",
    "ForbiddenPhrasings",
    "load_forbidden_phrasings",
    "normalize_phrase",
]

#: File name of the forbidden phrasings inside a domain folder.
FORBIDDEN_PHRASINGS_FILE = "forbidden_phrasings.yaml"

_ID = r"^[a-z][a-z0-9_]{0,47}$"
_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"'})
#: Contractions expanded before matching (in this order), so a pattern is written once: "we are not" also
#: matches "we're not", "we aren't" and "We’re NOT".
_CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bcan't\b", "cannot"),
        (r"\bcan not\b", "cannot"),
        (r"\bwon't\b", "will not"),
        (r"\bshan't\b", "shall not"),
        (r"\bain't\b", "is not"),
        (r"n't\b", " not"),
        (r"'re\b", " are"),
        (r"'ll\b", " will"),
        (r"'ve\b", " have"),
        (r"'m\b", " am"),
        (r"'d\b", " would"),
        (r"\b(it|that|there|this|here|what|who|he|she)'s\b", r"\1 is"),
    )
)
_NOT_WORD = re.compile(r"[^\w<>]+")


def normalize_phrase(text: str) -> str:
    """The form forbidden-phrasing patterns are matched against.

    NFKC, case-folded, curly quotes and apostrophes made straight, English contractions expanded ("we're" ->
    "we are", "don't" -> "do not", "can't"/"can not" -> "cannot", "it's" -> "it is"), then every run of
    characters other than letters, digits, ``_``, ``<`` and ``>`` (placeholders such as ``<PERSON_1>`` stay
    whole) becomes one space. E.g. ``"We’re NOT responsible, for…"`` -> ``"we are not responsible for"``.
    """
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    for pattern, replacement in _CONTRACTIONS:
        folded = pattern.sub(replacement, folded)
    return _NOT_WORD.sub(" ", folded.replace("'", "")).strip()


def _compile(expressions: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(expression) for expression in expressions)


class ForbiddenPhrasing(BaseModel):
    """One kind of sentence a suggested reply must not contain.

    Attributes:
        name: Identifier, reported with a dropped sentence (``rule``).
        reason: Why it is forbidden, shown to the agent ("blames the customer; the bank's tone rules say no
            blame").
        patterns: Python ``re`` expressions searched in the normalised sentence (:func:`normalize_phrase`, so
            written in lower case with single spaces and no punctuation); any match is a violation.
        unless: Expressions that cancel a match when found anywhere in the same normalised sentence (e.g.
            ``\\bnever\\b``: "we will never ask for your PIN" is what the bank must say, not a request).
        when: Intent labels or risk categories; the phrasing applies only when the case has one of them
            (empty: always).
        examples: Sentences that must be violations (checked on load).
        allowed: Sentences that must not be (checked on load): the required wording it must leave alone.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_ID, description="Identifier reported with a dropped sentence.")
    reason: str = Field(min_length=1, description="Why the phrasing is forbidden, shown to the agent.")
    patterns: tuple[str, ...] = Field(min_length=1, description="Regexes over the normalised sentence.")
    unless: tuple[str, ...] = Field(
        default=(), description="Regexes that cancel a match in the same sentence."
    )
    when: tuple[str, ...] = Field(default=(), description="Intent labels or risk categories (empty: always).")
    examples: tuple[str, ...] = Field(
        min_length=1, description="Sentences that must match (checked on load)."
    )
    allowed: tuple[str, ...] = Field(
        default=(), description="Sentences that must not match (checked on load)."
    )

    @field_validator("patterns", "unless")
    @classmethod
    def _valid_regexes(cls, expressions: tuple[str, ...]) -> tuple[str, ...]:
        for expression in expressions:
            try:
                re.compile(expression)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {expression!r}: {exc}") from exc
        return expressions

    @cached_property
    def compiled(self) -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
        """``(patterns, unless)`` compiled once."""
        return _compile(self.patterns), _compile(self.unless)

    def applies(self, keys: set[str]) -> bool:
        """Whether the phrasing applies to a case with intent labels / risk categories ``keys``."""
        return not self.when or bool(keys.intersection(self.when))

    def matches(self, sentence: str) -> bool:
        """Whether ``sentence`` (raw text; normalised here) is this phrasing and no ``unless`` cancels it."""
        normal = normalize_phrase(sentence)
        patterns, unless = self.compiled
        return any(p.search(normal) for p in patterns) and not any(u.search(normal) for u in unless)

    @model_validator(mode="after")
    def _examples_behave(self) -> ForbiddenPhrasing:
        for example in self.examples:
            if not self.matches(example):
                raise ValueError(f"phrasing {self.name!r}: example {example!r} does not match its patterns")
        for sentence in self.allowed:
            if self.matches(sentence):
                raise ValueError(
                    f"phrasing {self.name!r}: allowed sentence {sentence!r} matches its patterns"
                )
        return self


class ForbiddenPhrasings(BaseModel):
    """A domain's forbidden phrasings (``forbidden_phrasings.yaml``), checked in file order.

    Attributes:
        phrasings: The phrasings; names are unique.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    phrasings: tuple[ForbiddenPhrasing, ...] = Field(min_length=1, description="The forbidden phrasings.")

    @field_validator("phrasings")
    @classmethod
    def _unique_names(cls, phrasings: tuple[ForbiddenPhrasing, ...]) -> tuple[ForbiddenPhrasing, ...]:
        names = [p.name for p in phrasings]
        if duplicates := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"duplicate phrasing names: {', '.join(duplicates)}")
        return phrasings

    def violation(
        self, sentence: str, keys: set[str] | frozenset[str] = frozenset()
    ) -> ForbiddenPhrasing | None:
        """The first phrasing that applies to a case with ``keys`` and matches ``sentence``, or None.

        Args:
            sentence: One sentence of a draft, as written (normalised here).
            keys: The case's intent label and risk categories (for phrasings with ``when``).
        """
        wanted = set(keys)
        return next((p for p in self.phrasings if p.applies(wanted) and p.matches(sentence)), None)


def load_forbidden_phrasings(domain: DomainConfig) -> ForbiddenPhrasings | None:
    """Load ``<domain folder>/forbidden_phrasings.yaml``.

    Args:
        domain: A loaded domain (its ``folder`` is read).

    Returns:
        The validated phrasings, or None when the domain has no such file (drafts are then not checked).

    Raises:
        DomainError: The file is not a YAML mapping, does not validate, or an example does not behave (the
            message names the file, the phrasing and the sentence).
    """
    if domain.folder is None:
        return None
    path: Path = domain.folder / FORBIDDEN_PHRASINGS_FILE
    if not path.is_file():
        return None
    return load_yaml_model(path, ForbiddenPhrasings, "forbidden phrasings")
