"""Risk detection in customer messages: fraud, scams, account takeover, complaints, legal threats, vulnerable
customers, self-harm and money laundering, from a domain's rules as data (``domains/<name>/risk.yaml``).

How a message is assessed (:meth:`RiskDetector.assess`):

1. The text is normalised per character (NFKC, case-folded, curly apostrophes straightened, runs of white
   space collapsed), keeping a map from every normalised character back to its original offset.
2. All lexicon phrases and cancel cues are found in one pass of an Aho-Corasick automaton (pyahocorasick).
   A phrase whose first or last character is a Latin letter or digit must sit on a word boundary there
   ("scam" is not found in "scampi"); Han phrases are plain substrings. Then the few regular expressions run.
3. A match of a negatable category is dropped when a negation cue precedes it in its clause ("my card was
   not stolen"; English: within a few words unless a scope-ending word such as "someone" comes first, after
   NegEx, Chapman et al. 2001; Chinese: within a few characters, "没有被盗刷").
4. A match is dropped when a cancel cue targeting its category or rule lies within the cue's window ("I found
   my card, false alarm").
5. An intent label (BANKING77) mapped in the rules adds evidence with an empty span, unless a cancel cue of
   its category was found.

Severity is the highest of the evidence's; escalation per category flag or the ``escalate_at`` threshold.
The detector is immutable after construction and safe to share between threads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from domains.risk_config import SEVERITIES, RiskConfig

__all__ = ["RiskAssessment", "RiskDetector", "RiskEvidence", "build_risk_detector"]

_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})
_CLAUSE_END = re.compile(r"[.,;:!?\n。，；：！？、]|\bbut\b|\bhowever\b|但是|但|可是|不过")
_WORD = re.compile(r"[\w']+")
_LOOKBACK = 80  # characters of text examined for a negation cue before a match


def _is_han(char: str) -> bool:
    return (
        "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0002ffff"
    )


def _is_word(char: str) -> bool:
    """A Latin-script word character (letter, digit, underscore), not Han: where word boundaries matter."""
    return (char.isalnum() or char == "_") and not _is_han(char)


def _has_han(text: str) -> bool:
    return any(_is_han(c) for c in text)


@dataclass(frozen=True)
class RiskEvidence:
    """One piece of evidence.

    Attributes:
        category: Risk category id (``fraud``, ``scam``, ...).
        start: Start character offset into the text given to :meth:`RiskDetector.assess`.
        end: End offset (exclusive); ``start == end == 0`` for evidence from the intent label.
        text: ``text[start:end]`` of the given text.
        rule: Which rule: ``category/rule`` for a phrase, ``category/rule/pattern`` for a regular expression,
            ``intent/<label>`` for the intent map, ``model/<category>`` for the learned layer.
    """

    category: str
    start: int
    end: int
    text: str
    rule: str


@dataclass(frozen=True)
class RiskAssessment:
    """The risk of one message.

    Attributes:
        categories: Matched category ids, in the order of the rules file; empty for a benign message.
        evidence: Evidence, sorted by start offset.
        severity: ``none`` | ``low`` | ``medium`` | ``high``: the highest of the evidence's.
        escalate: Whether a human should take over, per the rules file's flags and threshold.
    """

    categories: list[str]
    evidence: list[RiskEvidence]
    severity: str
    escalate: bool

    def to_json_dict(self) -> dict[str, Any]:
        """``{categories, evidence: [{category, start, end, text, rule}], severity, escalate}``."""
        return {
            "categories": list(self.categories),
            "evidence": [
                {"category": e.category, "start": e.start, "end": e.end, "text": e.text, "rule": e.rule}
                for e in self.evidence
            ],
            "severity": self.severity,
            "escalate": self.escalate,
        }


@dataclass(frozen=True)
class _Entry:
    """What an automaton key stands for: a phrase of a rule (kind "phrase") or a cancel cue (kind "cancel",
    with the index of its cancel rule)."""

    kind: str
    category: str
    rule: str  # "category/rule"; empty for cues
    severity: str
    cancel_index: int = -1


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    category: str
    rule: str
    severity: str


@dataclass(frozen=True)
class _Match:
    category: str
    rule: str
    severity: str
    start: int  # normalised offsets
    end: int
    cue_start: int


def normalise(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` for matching and map each normalised character back to its original offset.

    Each character is NFKC-normalised and case-folded on its own (so offsets stay exact), curly apostrophes
    become ``'`` and runs of white space one space.

    Args:
        text: The message.

    Returns:
        ``(normalised, offsets)`` with ``len(offsets) == len(normalised) + 1``: ``offsets[i]`` is the original
        offset of normalised character ``i``; the last entry is ``len(text)``.
    """
    if text.isascii() and "  " not in text and "\t" not in text and "\n" not in text and "\r" not in text:
        return text.lower(), [*range(len(text) + 1)]
    out: list[str] = []
    offsets: list[int] = []
    previous_space = False
    for i, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            previous_space = True
            out.append(" ")
            offsets.append(i)
            continue
        previous_space = False
        folded = (
            unicodedata.normalize("NFKC", char).casefold().translate(_QUOTES)
            if not char.isascii()
            else char.lower()
        )
        for piece in folded:
            out.append(piece)
            offsets.append(i)
    offsets.append(len(text))
    return "".join(out), offsets


def _phrase_key(phrase: str) -> str:
    return normalise(phrase.strip())[0]


class RiskDetector:
    """Finds risk evidence in a message with one domain's rules (build with :func:`build_risk_detector`).

    Args:
        config: The validated rules (``domains.RiskConfig``).
    """

    def __init__(self, config: RiskConfig) -> None:
        self._config = config
        self._order = {name: i for i, name in enumerate(config.categories)}
        self._gated = {name: category.model_gated for name, category in config.categories.items()}
        automaton = ahocorasick.Automaton()
        keys: dict[str, list[_Entry]] = {}

        def add(phrase: str, entry: _Entry) -> None:
            key = _phrase_key(phrase)
            variants = {key, key.replace("'", "")} if "'" in key else {key}
            for variant in variants:
                keys.setdefault(variant, []).append(entry)

        patterns: list[_Pattern] = []
        for category, cat in config.categories.items():
            for name, rule in cat.rules.items():
                entry = _Entry("phrase", category, f"{category}/{name}", rule.severity or cat.severity)
                for phrase in (*rule.en, *rule.zh):
                    add(phrase, entry)
                patterns.extend(
                    _Pattern(re.compile(p.regex), category, f"{category}/{name}/{p.name}", entry.severity)
                    for p in rule.patterns
                )
        for index, cancel in enumerate(config.cancel):
            for phrase in (*cancel.en, *cancel.zh):
                add(phrase, _Entry("cancel", "", "", "none", index))
        for key, entries in keys.items():
            automaton.add_word(key, (len(key), tuple(entries)))
        automaton.make_automaton()
        self._automaton = automaton
        self._patterns = tuple(patterns)
        negation = config.negation
        self._neg_words = frozenset(c for c in negation.en if not c.startswith("-"))
        self._neg_suffixes = tuple(c[1:] for c in negation.en if c.startswith("-"))
        self._neg_zh = tuple(negation.zh)
        self._scope_end = frozenset(negation.en_scope_end)
        self._pseudo = tuple(_phrase_key(p) for p in negation.pseudo)
        self._escalate_at = _RANK[config.escalate_at]

    def assess(
        self,
        text: str,
        intent: str | None = None,
        learned: Sequence[tuple[str, float]] = (),
        weak_rules: bool = True,
    ) -> RiskAssessment:
        """Assess one message.

        Args:
            text: The message (in the product, the de-identified one: rules work on placeholders such as
                ``<URL_1>``).
            intent: The message's intent label (BANKING77), or None.
            learned: Categories the learned layer found (:meth:`pipelines.skills.triage.risk_model.RiskModel.detect`),
                each with its probability: evidence ``model/<category>`` without a span, at the category's
                severity, unless a cancel cue of the message targets the category (as for the intent map).
            weak_rules: False drops phrase and pattern matches below ``high`` severity of the ``model_gated``
                categories (a complaint, a lawyer, a question about scams, a lost card):
                :class:`pipelines.skills.triage.analyzers.RiskAnalyzer` passes False when the learned layer is
                confident the message is benign.

        Returns:
            Categories, evidence with offsets into ``text``, severity and the escalation decision.
        """
        norm, offsets = normalise(text)
        matches: list[_Match] = []
        cues: list[tuple[int, int, int]] = []  # (start, end, cancel index)
        if self._automaton.kind != ahocorasick.EMPTY:
            for last, (length, entries) in self._automaton.iter(norm):
                start, end = last - length + 1, last + 1
                if not self._on_boundaries(norm, start, end):
                    continue
                for entry in entries:
                    if entry.kind == "cancel":
                        cues.append((start, end, entry.cancel_index))
                    else:
                        matches.append(_Match(entry.category, entry.rule, entry.severity, start, end, start))
        for pattern in self._patterns:
            for found in pattern.regex.finditer(norm):
                cue_start = found.start("cue") if "cue" in pattern.regex.groupindex else found.start()
                matches.append(
                    _Match(
                        pattern.category,
                        pattern.rule,
                        pattern.severity,
                        found.start(),
                        found.end(),
                        cue_start,
                    )
                )
        kept = [
            m
            for m in matches
            if (weak_rules or _RANK[m.severity] >= _RANK["high"] or not self._gated[m.category])
            and not self._negated(norm, m)
            and not self._cancelled(m, cues)
        ]
        evidence = [self._evidence(text, offsets, m) for m in _longest(kept)]
        best: dict[str, int] = {}
        for m in kept:
            best[m.category] = max(best.get(m.category, 0), _RANK[m.severity])
        if intent is not None and (mapped := self._config.intents.get(intent)) is not None:
            category = mapped.category
            if not any(self._cue_targets(index, category, None) for _, _, index in cues):
                severity = mapped.severity or self._config.categories[category].severity
                best[category] = max(best.get(category, 0), _RANK[severity])
                evidence.append(RiskEvidence(category, 0, 0, "", f"intent/{intent}"))
        for category, _probability in learned:
            if category not in self._order:
                continue  # a category these rules do not have: the loader refuses such a model
            if not any(self._cue_targets(index, category, None) for _, _, index in cues):
                severity = self._config.categories[category].severity
                best[category] = max(best.get(category, 0), _RANK[severity])
                evidence.append(RiskEvidence(category, 0, 0, "", f"model/{category}"))
        categories = sorted(best, key=self._order.__getitem__)
        evidence.sort(key=lambda e: (e.start, e.end, self._order[e.category], e.rule))
        top = max(best.values(), default=0)
        escalate = any(self._escalates(category, rank) for category, rank in best.items())
        return RiskAssessment(categories, evidence, SEVERITIES[top], escalate)

    def intent_category(self, intent: str) -> str | None:
        """The category the rules' ``intents:`` map gives ``intent`` (a BANKING77 label), or None."""
        mapped = self._config.intents.get(intent)
        return None if mapped is None else mapped.category

    def _escalates(self, category: str, rank: int) -> bool:
        flag = self._config.categories[category].escalate
        return flag if flag is not None else rank >= self._escalate_at

    @staticmethod
    def _on_boundaries(norm: str, start: int, end: int) -> bool:
        if _is_word(norm[start]) and start > 0 and _is_word(norm[start - 1]):
            return False
        return not (_is_word(norm[end - 1]) and end < len(norm) and _is_word(norm[end]))

    def _negated(self, norm: str, match: _Match) -> bool:
        if not self._config.categories[match.category].negatable:
            return False
        before = norm[max(0, match.cue_start - _LOOKBACK) : match.cue_start]
        clause_ends = list(_CLAUSE_END.finditer(before))
        if clause_ends:
            before = before[clause_ends[-1].end() :]
        for pseudo in self._pseudo:
            before = before.replace(pseudo, " " * len(pseudo))
        if _has_han(norm[match.cue_start : match.end]) or (before and _is_han(before[-1])):
            window = before[-self._config.negation.zh_chars :]
            return any(cue in window for cue in self._neg_zh)
        for word in reversed(_WORD.findall(before)[-self._config.negation.en_words :]):
            if word in self._neg_words or word.endswith(self._neg_suffixes):
                return True
            if word in self._scope_end:
                return False
        return False

    def _cancelled(self, match: _Match, cues: list[tuple[int, int, int]]) -> bool:
        for start, end, index in cues:
            if not self._cue_targets(index, match.category, "/".join(match.rule.split("/")[:2])):
                continue
            window = self._config.cancel[index].window
            if window is None or (start - window <= match.end and match.start <= end + window):
                return True
        return False

    def _cue_targets(self, index: int, category: str, rule: str | None) -> bool:
        """Whether cancel rule ``index`` targets ``category`` (any rule of it when ``rule`` is None) or
        ``rule`` (``category/name``)."""
        return any(
            target in (category, rule) or (rule is None and target.startswith(category + "/"))
            for target in self._config.cancel[index].targets
        )

    @staticmethod
    def _evidence(text: str, offsets: list[int], match: _Match) -> RiskEvidence:
        start = offsets[match.start]
        end = offsets[match.end - 1] + 1
        return RiskEvidence(match.category, start, end, text[start:end], match.rule)


def _longest(matches: list[_Match]) -> list[_Match]:
    """Drop a match lying inside a longer one of the same category (one piece of evidence per span)."""
    ordered = sorted(matches, key=lambda m: (m.category, m.start, -(m.end - m.start)))
    kept: list[_Match] = []
    for m in ordered:
        if any(k.category == m.category and k.start <= m.start and m.end <= k.end for k in kept):
            continue
        kept.append(m)
    return kept


def build_risk_detector(config: RiskConfig) -> RiskDetector:
    """Build the detector of a domain's validated risk rules (``DomainConfig.risk``).

    Args:
        config: The rules.

    Returns:
        A thread-safe :class:`RiskDetector`.
    """
    return RiskDetector(config)
