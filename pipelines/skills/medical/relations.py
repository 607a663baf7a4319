"""Drug-disease and symptom-disease relations in clinical text: ``treats``, ``causes``, ``symptom_of``.

Method (rule-based; nothing is learned): pattern-based relation extraction in the tradition of Hearst's
lexico-syntactic patterns (Hearst, COLING 1992) and of SemRep's indicator rules for TREATS / CAUSES /
MANIFESTATION_OF (Rindflesch & Fiszman, J Biomed Inform 2003), with NegEx-style negation (Chapman et al.,
J Biomed Inform 2001). The rules are data: ``relations.yaml`` in the domain folder (``domains.relations_config``
documents the pattern syntax). For each sentence of the text:

1. the entity mentions (``CHEMICAL`` / ``DISEASE``, from the recogniser or given) are grouped into lists when
   only coordination tokens (``,``, ``and``, ``or``; plus ``coordination_slack`` other words) separate mentions
   of one label — "fever, cough and rash" acts as one argument;
2. for every two groups at most ``max_tokens`` tokens apart, the sentence is rewritten as lower-cased tokens
   with the two groups as ``<head>`` / ``<tail>`` markers and every other mention as ``<chemical>`` /
   ``<disease>``, and each relation type's patterns (compiled to regular expressions over that token string)
   are tried in both directions, respecting the type's head and tail labels; a ``...`` gap may not cross a
   mention with the head's label (the nearer agent wins). Types are tried in file order; the first match
   relates every member pair of the two groups whose labels and symptom status fit the type (a DISEASE
   mention is a symptom when the symptom lexicon says so);
3. a pair is dropped when a negation cue ("not", "without", "ruled out", "rather than") lies between the two
   mentions or among the ``window`` tokens before the first (NegEx's scope, cut by ``scope_end`` tokens), when a
   post-negation cue ("was ruled out", "excluded", "unlikely") follows the second within ``window`` tokens
   (NegEx's post-negation triggers), when a hypothetical cue ("if", "whether") does, or when the sentence is a question.

Known limits: one sentence at a time (no coreference: "it was stopped"), no syntax (a pattern sees words, not
dependencies), negation of the outcome rather than the relation is over-applied ("not controlled with
lisinopril alone" loses a true ``treats``), and mediated relations are not chained. Measured on the labelled
test set by ``assistant eval relations`` (README, "Relations").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from domains import RelationsConfig
from pipelines.core.errors import AssistantError
from pipelines.skills.medical.lexicon import MedicalEntity, Token, tokenize

__all__ = [
    "Relation",
    "RelationError",
    "cooccurrence_relations",
    "extract_relations",
    "is_symptom",
    "split_sentences",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_HEAD, _TAIL = "<head>", "<tail>"


class RelationError(AssistantError):
    """Relation rules, a labelled relation file, or the entities given are invalid."""


@dataclass(frozen=True)
class Relation:
    """One relation found in a text.

    Attributes:
        type: Relation type id (``treats``, ``causes``, ``symptom_of``).
        head: The agent: the drug (treats, causes) or the symptom (symptom_of).
        tail: The disease (or symptom) treated, caused or manifested.
        trigger: The pattern that matched, e.g. ``{tail} ... treated|managed ... with|by ... {head}``
            (``co-occurrence`` for the baseline).
        sentence_start: Character offset of the sentence in the analysed text.
        sentence_end: Offset one past its end.
    """

    type: str
    head: MedicalEntity
    tail: MedicalEntity
    trigger: str
    sentence_start: int
    sentence_end: int

    def key(self) -> tuple[str, int, int, int, int]:
        """``(type, head start, head end, tail start, tail end)``: what scoring compares."""
        return (self.type, self.head.start, self.head.end, self.tail.start, self.tail.end)

    def to_dict(self) -> dict[str, object]:
        """``{"type", "head", "tail", "trigger", "sentence": [start, end]}`` (head/tail as entity dicts)."""
        return {
            "type": self.type,
            "head": self.head.to_dict(),
            "tail": self.tail.to_dict(),
            "trigger": self.trigger,
            "sentence": [self.sentence_start, self.sentence_end],
        }


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``[(start, end)]`` of ``text``: a break after ``.``, ``!`` or ``?`` and whitespace, or at
    a newline; empty spans are dropped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if text[start : match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def is_symptom(entity: MedicalEntity, symptoms: Sequence[str]) -> bool:
    """Whether a DISEASE mention is a symptom: its lower-cased words equal a lexicon term or end with one."""
    if entity.label != "DISEASE":
        return False
    words = [t.text.lower() for t in tokenize(entity.text)]
    for term in symptoms:
        term_words = [t.text.lower() for t in tokenize(term)]
        if term_words and words[-len(term_words) :] == term_words:
            return True
    return False


@lru_cache(maxsize=4096)
def _compile(
    pattern: str, head_label: str, tail_label: str, max_gap: int, breaks: tuple[str, ...]
) -> re.Pattern[str]:
    """The regex of one pattern over a space-joined token string (every token followed by one space).

    A gap may cross only mentions of the tail's label, and none when head and tail share a label (a mention the
    gap would skip could be the nearer argument), and no clause break. The gap right before a pattern's final
    argument crosses no mention at all: the mention nearest the trigger is its argument ("chest pain secondary
    to myocardial infarction, treated with aspirin" does not make aspirin the cause).
    """
    blocked = [
        f"<{label.lower()}>"
        for label in ("CHEMICAL", "DISEASE")
        if label != tail_label or label == head_label
    ]
    blocked += [" ".join(t.text for t in tokenize(b.lower())) for b in breaks]
    stop = "|".join(re.escape(b) + " " for b in blocked)
    gap = f"(?:(?!{stop})\\S+ ){{0,{max_gap}}}"
    strict_stop = "|".join(re.escape(b) + " " for b in ["<chemical>", "<disease>", *blocked])
    strict_gap = f"(?:(?!{strict_stop})\\S+ ){{0,{max_gap}}}"
    words = pattern.split()
    last_gap = (
        len(words) - 2 if len(words) >= 2 and words[-2] == "..." and words[-1] in ("{head}", "{tail}") else -1
    )
    parts: list[str] = ["(?:^|(?<= ))"]
    for index, word in enumerate(words):
        if word == "...":
            parts.append(strict_gap if index == last_gap else gap)
        elif word == "{head}":
            parts.append(re.escape(_HEAD) + " ")
        elif word == "{tail}":
            parts.append(re.escape(_TAIL) + " ")
        else:
            alternatives = []
            for alt in word.lower().split("|"):
                alternatives.append(" ".join(re.escape(t.text) for t in tokenize(alt)))
            parts.append("(?:" + "|".join(alternatives) + ") ")
    return re.compile("".join(parts))


def _token_span(tokens: Sequence[Token], entity: MedicalEntity) -> tuple[int, int]:
    """Indices ``[first, last + 1)`` of the tokens that overlap ``entity``; raises on no overlap."""
    inside = [i for i, t in enumerate(tokens) if t.start < entity.end and t.end > entity.start]
    if not inside:
        raise RelationError(
            f"entity {entity.text!r} at {entity.start}-{entity.end} covers no token of its sentence"
        )
    return inside[0], inside[-1] + 1


def _has_cue(words: Sequence[str], cues: Sequence[str]) -> bool:
    """Whether one of ``cues`` (tokenized, lower case) occurs as a token run in ``words``."""
    joined = " " + " ".join(words) + " "
    return any(f" {' '.join(t.text.lower() for t in tokenize(cue))} " in joined for cue in cues)


@dataclass
class _Group:
    """Coordinated mentions of one label and their token span in the sentence."""

    label: str
    members: list[tuple[MedicalEntity, int, int]]

    @property
    def first(self) -> int:
        return self.members[0][1]

    @property
    def last(self) -> int:
        return self.members[-1][2]


@lru_cache(maxsize=16)
def _pattern_words(patterns: tuple[str, ...]) -> frozenset[str]:
    """Every literal word of ``patterns`` (such a word between two mentions is not a modifier)."""
    words = {
        alt
        for pattern in patterns
        for word in pattern.split()
        if word not in ("...", "{head}", "{tail}")
        for alt in word.lower().split("|")
    }
    return frozenset(words)


def _groups(
    tokens: Sequence[Token], entities: Sequence[MedicalEntity], config: RelationsConfig
) -> list[_Group]:
    coordination = {c.lower() for c in config.coordination}
    triggers = _pattern_words(tuple(p for rule in config.relations.values() for p in rule.patterns))
    groups: list[_Group] = []
    for entity in sorted(entities, key=lambda e: (e.start, e.end)):
        first, last = _token_span(tokens, entity)
        if groups and groups[-1].label == entity.label and first >= groups[-1].last:
            between = [t.text.lower() for t in tokens[groups[-1].last : first]]
            joints = sum(1 for w in between if w in coordination)
            others = [w for w in between if w not in coordination]
            if joints and len(others) <= config.coordination_slack and not triggers.intersection(others):
                groups[-1].members.append((entity, first, last))
                continue
        groups.append(_Group(entity.label, [(entity, first, last)]))
    return groups


def _marked(words: Sequence[str], groups: Sequence[_Group], head: int, tail: int) -> str:
    """The sentence as ``"w1 w2 … "`` with group ``head``/``tail`` as markers and other mentions by label."""
    out: list[str] = []
    spans = sorted(
        (g.first, g.last, _HEAD if i == head else _TAIL if i == tail else f"<{g.label.lower()}>")
        for i, g in enumerate(groups)
    )
    position = 0
    for first, last, marker in spans:
        if first < position:  # overlapping mentions: keep the first
            continue
        out.extend(words[position:first])
        out.append(marker)
        position = last
    out.extend(words[position:])
    return "".join(f"{w} " for w in out)


def _dropped(
    words: Sequence[str],
    before: int,
    after_first: int,
    second: int,
    config: RelationsConfig,
    after_second: int | None = None,
) -> bool:
    """NegEx-style check: a cue between the two groups, or in the window before the first within its scope,
    or a post-negation cue ("was ruled out") in the window after the second, within its scope."""
    cues = (*config.cues.negation, *config.cues.hypothetical)
    if _has_cue(words[after_first:second], cues):
        return True
    scope_end = {c.lower() for c in config.cues.scope_end}
    if after_second is not None and config.cues.post_negation:
        following = list(words[after_second : after_second + config.cues.window])
        for i, word in enumerate(following):
            if word in scope_end:
                following = following[:i]
                break
        if _has_cue(following, config.cues.post_negation):
            return True
    window = list(words[max(0, before - config.cues.window) : before])
    for i in range(len(window) - 1, -1, -1):
        if window[i] in scope_end:
            window = window[i + 1 :]
            break
    return _has_cue(window, cues)


def extract_relations(
    text: str, entities: Sequence[MedicalEntity], config: RelationsConfig
) -> list[Relation]:
    """The relations among ``entities`` in ``text`` (method in the module docstring).

    Args:
        text: The analysed text (any length; split into sentences here).
        entities: Its mentions (offsets into ``text``), e.g. ``MedicalEntityRecognizer.recognize(text)``;
            mentions that cross a sentence boundary are ignored.
        config: The domain's relation rules.

    Returns:
        Relations in text order (by head, then tail); at most one type per (head, tail) pair.

    Raises:
        RelationError: A mention's offsets lie outside ``text`` or do not match its text.
    """
    for entity in entities:
        if (
            not (0 <= entity.start < entity.end <= len(text))
            or text[entity.start : entity.end] != entity.text
        ):
            raise RelationError(
                f"entity {entity.text!r} at {entity.start}-{entity.end} does not match the text there"
            )
    relations: list[Relation] = []
    for s_start, s_end in split_sentences(text):
        inside = [e for e in entities if e.start >= s_start and e.end <= s_end]
        if len(inside) < 2:
            continue
        sentence = text[s_start:s_end]
        if sentence.rstrip().endswith("?"):
            continue
        local = [MedicalEntity(e.label, e.start - s_start, e.end - s_start, e.text) for e in inside]
        original = {id(m): e for m, e in zip(local, inside, strict=True)}
        relations.extend(
            Relation(r.type, original[id(r.head)], original[id(r.tail)], r.trigger, s_start, s_end)
            for r in _sentence_relations(sentence, local, config)
        )
    return sorted(relations, key=lambda r: (r.head.start, r.tail.start))


def _sentence_relations(
    sentence: str, entities: Sequence[MedicalEntity], config: RelationsConfig
) -> list[Relation]:
    tokens = tokenize(sentence)
    words = [t.text.lower() for t in tokens]
    groups = _groups(tokens, entities, config)
    symptom = {id(e): is_symptom(e, config.symptoms) for e in entities}
    found: list[Relation] = []
    for a in range(len(groups)):
        for b in range(a + 1, len(groups)):
            first, second = groups[a], groups[b]
            if second.first - first.last > config.max_tokens:
                break
            if _dropped(words, first.first, first.last, second.first, config, second.last):
                continue
            done: set[tuple[int, int]] = set()
            for name, rule in config.relations.items():
                for h, t in ((a, b), (b, a)):
                    if (groups[h].label, groups[t].label) != (rule.head, rule.tail):
                        continue
                    pairs = [
                        (head, tail)
                        for head, _, _ in groups[h].members
                        for tail, _, _ in groups[t].members
                        if (id(head), id(tail)) not in done
                        and (rule.head_symptom is None or symptom[id(head)] == rule.head_symptom)
                        and (rule.tail_symptom is None or symptom[id(tail)] == rule.tail_symptom)
                    ]
                    if not pairs:
                        continue
                    marked = _marked(words, groups, h, t)
                    pattern = next(
                        (
                            p
                            for p in rule.patterns
                            if _compile(p, rule.head, rule.tail, config.max_gap, config.clause_breaks).search(
                                marked
                            )
                        ),
                        None,
                    )
                    if pattern is None:
                        continue
                    for head, tail in pairs:
                        done.add((id(head), id(tail)))
                        found.append(Relation(name, head, tail, pattern, 0, len(sentence)))
    return found


def cooccurrence_relations(
    text: str, entities: Sequence[MedicalEntity], config: RelationsConfig
) -> list[Relation]:
    """The co-occurrence baseline: in each sentence, every CHEMICAL-DISEASE pair is ``treats`` and every
    (symptom, non-symptom DISEASE) pair is ``symptom_of``; no ``causes``, no negation.

    Raises:
        RelationError: As :func:`extract_relations`.
    """
    for entity in entities:
        if text[entity.start : entity.end] != entity.text:
            raise RelationError(
                f"entity {entity.text!r} at {entity.start}-{entity.end} does not match the text"
            )
    relations: list[Relation] = []
    for s_start, s_end in split_sentences(text):
        inside = [e for e in entities if e.start >= s_start and e.end <= s_end]
        for head in inside:
            for tail in inside:
                if head.label == "CHEMICAL" and tail.label == "DISEASE":
                    relations.append(Relation("treats", head, tail, "co-occurrence", s_start, s_end))
                elif (
                    head.label == tail.label == "DISEASE"
                    and is_symptom(head, config.symptoms)
                    and not is_symptom(tail, config.symptoms)
                ):
                    relations.append(Relation("symptom_of", head, tail, "co-occurrence", s_start, s_end))
    return sorted(relations, key=lambda r: (r.head.start, r.tail.start))
