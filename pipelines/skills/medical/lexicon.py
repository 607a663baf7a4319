"""Medical term lexicons: tokenization, longest-match lookup, and the dictionary-only entity baseline.

Text is split into the tokens of the BC5CDR / NCBI-disease IOB files (Crichton et al. 2017): runs of letters and
digits, and every other non-space character alone (``5-HT`` -> ``5``, ``-``, ``HT``). A lexicon maps lower-cased
token tuples to an entity type and is matched greedily, longest first, left to right (the classic gazetteer
rule). The dictionary baseline of ``assistant eval ner`` is exactly this matcher over the training mentions.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ENTITY_TYPES",
    "MedicalEntity",
    "TermLexicon",
    "Token",
    "build_training_lexicon",
    "entities_from_tags",
    "tag_spans",
    "tokenize",
]

#: The entity types the medical recognizer emits.
ENTITY_TYPES = ("CHEMICAL", "DISEASE")

_TOKEN = re.compile(r"[^\W_]+|\S")


@dataclass(frozen=True)
class Token:
    """One token of a text: its string and character offsets ``[start, end)``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class MedicalEntity:
    """A disease or chemical/drug mention.

    Attributes:
        label: ``DISEASE`` or ``CHEMICAL`` (drugs are chemicals, as in BC5CDR).
        start: Character offset of the first character in the analysed text.
        end: Character offset one past the last character.
        text: The mention as it appears in the text.
    """

    label: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, object]:
        """``{"type", "start", "end", "text"}`` (the JSON shape of ``assistant medical entities``)."""
        return {"type": self.label, "start": self.start, "end": self.end, "text": self.text}


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into BC5CDR-style tokens (letter/digit runs; any other non-space character alone)."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def entities_from_tags(text: str, tokens: Sequence[Token], tags: Sequence[str]) -> list[MedicalEntity]:
    """Entities from per-token IOB2 tags (``B-DISEASE``, ``I-DISEASE``, ``O``).

    An ``I-`` tag that does not continue an entity of its type starts one (the conlleval / seqeval rule).

    Raises:
        ValueError: ``tokens`` and ``tags`` differ in length.
    """
    if len(tokens) != len(tags):
        raise ValueError(f"{len(tokens)} tokens but {len(tags)} tags")
    entities: list[MedicalEntity] = []
    start = end = -1
    label = ""
    for token, tag in zip(tokens, tags, strict=True):
        prefix, _, kind = tag.partition("-")
        if label and prefix == "I" and kind == label:
            end = token.end
            continue
        if label:
            entities.append(MedicalEntity(label, start, end, text[start:end]))
            label = ""
        if prefix in ("B", "I") and kind:
            label, start, end = kind, token.start, token.end
    if label:
        entities.append(MedicalEntity(label, start, end, text[start:end]))
    return entities


class TermLexicon:
    """Lower-cased multi-token terms with a type, matched longest-first (a gazetteer).

    Args:
        terms: ``{term tokens (lower-cased): type}``.
    """

    def __init__(self, terms: dict[tuple[str, ...], str]) -> None:
        self.terms = {key: value for key, value in terms.items() if key}
        self.max_len = max((len(key) for key in self.terms), default=0)

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def from_phrases(cls, phrases: Iterable[tuple[str, str]]) -> TermLexicon:
        """A lexicon from ``(phrase, type)`` pairs; the phrase is tokenized and lower-cased (first type wins)."""
        terms: dict[tuple[str, ...], str] = {}
        for phrase, label in phrases:
            key = tuple(token.text.lower() for token in tokenize(phrase))
            terms.setdefault(key, label)
        return cls(terms)

    def match(self, words: Sequence[str], tags: Sequence[str] | None = None, lower: bool = True) -> list[str]:
        """IOB2 tags of the longest matches over ``words`` (tokens as strings), e.g. ``["B-DISEASE", "O"]``.

        Args:
            words: The tokens.
            tags: Existing tags to fill in: only runs of ``O`` are matched, the rest is kept (None = all ``O``).
            lower: Match lower-cased words (the keys are lower case); False = case-sensitive keys.
        """
        keys = [word.lower() for word in words] if lower else list(words)
        out = list(tags) if tags is not None else ["O"] * len(words)
        i = 0
        while i < len(words):
            if out[i] != "O":
                i += 1
                continue
            for length in range(min(self.max_len, len(words) - i), 0, -1):
                label = self.terms.get(tuple(keys[i : i + length]))
                if label is not None and all(tag == "O" for tag in out[i : i + length]):
                    out[i] = f"B-{label}"
                    for j in range(i + 1, i + length):
                        out[j] = f"I-{label}"
                    i += length
                    break
            else:
                i += 1
        return out

    def recognize(self, text: str) -> list[MedicalEntity]:
        """Entities of ``text`` by longest match alone (the dictionary baseline)."""
        tokens = tokenize(text)
        return entities_from_tags(text, tokens, self.match([t.text for t in tokens]))


def tag_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(first token, last token + 1, type)`` of every IOB2 entity in ``tags``."""
    spans: list[tuple[int, int, str]] = []
    start, label = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, kind = tag.partition("-")
        if label and not (prefix == "I" and kind == label):
            spans.append((start, i, label))
            label = ""
        if not label and prefix in ("B", "I"):
            start, label = i, kind
    return spans


def build_training_lexicon(
    sentences: Sequence[tuple[Sequence[str], Sequence[str]]], min_precision: float = 0.5
) -> TermLexicon:
    """The gazetteer of a labelled corpus: every annotated mention, with its most frequent type, kept when it
    is annotated in at least ``min_precision`` of the places its token sequence occurs in the corpus (so
    that a word such as "control", once annotated, does not fire everywhere).

    Args:
        sentences: ``(tokens, IOB2 tags)`` pairs.
        min_precision: Share of occurrences that must be annotated, 0-1.
    """
    labels: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for words, tags in sentences:
        lowered = [w.lower() for w in words]
        for start, end, label in tag_spans(tags):
            labels[tuple(lowered[start:end])][label] += 1
    max_len = max((len(key) for key in labels), default=0)
    occurrences: Counter[tuple[str, ...]] = Counter()
    for words, _tags in sentences:
        lowered = [w.lower() for w in words]
        for i in range(len(lowered)):
            for length in range(1, min(max_len, len(lowered) - i) + 1):
                key = tuple(lowered[i : i + length])
                if key in labels:
                    occurrences[key] += 1
    terms = {
        key: counts.most_common(1)[0][0]
        for key, counts in labels.items()
        if sum(counts.values()) >= min_precision * max(occurrences[key], 1)
    }
    return TermLexicon(terms)
