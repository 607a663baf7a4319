"""Citations in an answer: parse ``[n]`` markers, map them to the cited chunk, check each cited sentence.

Parsing: a citation is a bracket group of passage numbers, ``[1]``, ``[1][2]``, ``[1, 2]``, ``[1; 2]`` or a
range ``[1-3]``; a bracket right after a letter, digit or ``)`` is an index (``items[1]``), not a citation,
and text in backticks is skipped. The answer is split into sentences at ``.``, ``!``, ``?`` or a newline
followed by whitespace; markers that open a sentence (``… 1 pm. [1] Next``) belong to the sentence before.
Each (sentence, number) pair is one :class:`Citation`; a number that is not among the passages the model
saw is **invalid** (``valid=False``, never supported).

Support check (after generation, on the de-identified answer): a cheap lexical test, content-word recall
with a number rule, which needs no model call:

- ``score`` = the fraction of the sentence's distinct content words found in the passage. Words are
  lower-cased letter runs minus spaCy's English stop words, reduced to their Snowball (Porter 2) stem
  (PyStemmer); Chinese, Japanese and Korean characters count one by one; citation markers and placeholders
  such as ``<PERSON_1>`` are left out.
- every number in the sentence (``13``, ``2.75%``, ``1,500``) must appear in the passage; a missing number
  makes the citation unsupported whatever the score (a wrong amount is the costliest error here).
- supported iff no number is missing and ``score >= SUPPORT_THRESHOLD`` (0.5).

The threshold comes from a measurement on 32 hand-labelled sentence–passage pairs drawn from the shipped
corpora (``tests/pipelines/chat/citation_pairs.json``; ``benchmarks/citation_support.py``, results in
``benchmarks/results/citation_support.md``): this rule classifies 0.875 of them right, the same at every
threshold from 0.45 to 0.6 (supported sentences score 0.6-1.0 unless paraphrased with other words,
unsupported ones 0-0.43 unless they reuse the passage's words); 0.5 sits mid-plateau. Recall alone (no
number rule) gets 0.78; cosine similarity of all-MiniLM-L6-v2 embeddings of sentence and passage (the
alternative considered) gets 0.72 at its best threshold (0.81 with the number rule), because a fluent
sentence on the same topic with a wrong fact still scores high. The four misses are the limits: a negation
("can be disputed" against "cannot be disputed") passes, and a paraphrase in other words ("largest digit of
the foot" for "big toe") fails. So "unsupported" means "check this", not "false", and "supported" means the
passage contains the sentence's words and numbers, not that it entails it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

from privacy import ANY_PLACEHOLDER

__all__ = [
    "SUPPORT_THRESHOLD",
    "CitedSource",
    "Citation",
    "CitationMark",
    "check_citations",
    "citation_sentences",
    "parse_citations",
    "source_records",
    "support",
]

#: Minimum content-word recall for a cited sentence to count as supported (see the module docstring).
SUPPORT_THRESHOLD = 0.5

_GROUP = re.compile(r"(?<![\w)\]])((?:\[\s*\d+(?:\s*(?:[,;]|[-\u2013])\s*\d+)*\s*\])+)")
_NUMBERS_IN_GROUP = re.compile(r"(\d+)\s*[-\u2013]\s*(\d+)|(\d+)")
_CODE_SPAN = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+|\n+")
_LEADING_GROUP = re.compile(r"\s*((?:\[\s*\d+(?:\s*(?:[,;]|[-\u2013])\s*\d+)*\s*\])+)[.!?]?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_MAX_RANGE = 20  # a "range" longer than this ([1-2024]) is a year span or an error, not passages


class CitedSource(Protocol):
    """What a citation maps to: a numbered passage the model saw (``pipelines.chat.pipeline.Source`` fits)."""

    @property
    def number(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def chunk_id(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class CitationMark:
    """One cited number in one sentence of an answer.

    Attributes:
        number: The passage number as written (``[3]`` → 3).
        sentence: The sentence the marker belongs to, markers included, stripped.
        start: Character offset of the marker's bracket group in the answer.
    """

    number: int
    sentence: str
    start: int


@dataclass(frozen=True)
class Citation:
    """A checked citation (one per cited number per sentence).

    Attributes:
        number: Passage number cited.
        valid: Whether that number is one of the passages the model saw.
        chunk_id: Id of the cited chunk ("" when invalid).
        source: File name of the cited chunk ("" when invalid).
        location: Page/section/rows/lines of the chunk in its file ("" when invalid).
        sentence: The citing sentence from the de-identified answer (placeholders, never raw values).
        supported: Whether the passage supports the sentence by the check in the module docstring.
        score: Content-word recall of the sentence in the passage, 0..1 (0.0 when invalid).
        reason: Why, in words ("14 of 16 content words in the passage", "number 6 not in the passage", …).
        shown: ``sentence`` made ready for display (the user's values restored); "" until set. Never persisted
            or put in ``--json``.
    """

    number: int
    valid: bool
    chunk_id: str
    source: str
    location: str
    sentence: str
    supported: bool
    score: float
    reason: str
    shown: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """The ``ask --json`` shape (de-identified; ``shown`` is left out)."""
        return {
            "number": self.number,
            "valid": self.valid,
            "chunk_id": self.chunk_id,
            "source": self.source,
            "location": self.location,
            "sentence": self.sentence,
            "supported": self.supported,
            "score": round(self.score, 4),
            "reason": self.reason,
        }


def parse_citations(answer: str) -> list[CitationMark]:
    """Return the citation markers of ``answer`` in order, each with its sentence.

    Args:
        answer: Answer text (de-identified or restored; parsing does not depend on the values).

    Returns:
        One :class:`CitationMark` per cited number per marker group, in text order; a number repeated in
        one sentence is kept once. Ranges expand (``[2-4]`` → 2, 3, 4) when at most 20 long.
    """
    masked = _CODE_SPAN.sub(lambda m: " " * len(m.group()), answer)
    spans = _sentence_spans(masked)
    marks: list[CitationMark] = []
    seen: set[tuple[int, int]] = set()
    for match in _GROUP.finditer(masked):
        index = next(i for i, (lo, hi) in enumerate(spans) if lo <= match.start() < hi)
        sentence = answer[spans[index][0] : spans[index][1]].strip()
        for number in _numbers(match.group(1)):
            if (index, number) not in seen:
                seen.add((index, number))
                marks.append(CitationMark(number, sentence, match.start()))
    return marks


def citation_sentences(answer: str) -> dict[int, list[str]]:
    """Return, per cited number, the sentences of ``answer`` citing it, in order (for display).

    Run on the restored answer, it gives the display form of the de-identified sentences that
    :func:`check_citations` checked, in the same order (re-identification only swaps placeholders).
    """
    sentences: dict[int, list[str]] = {}
    for mark in parse_citations(answer):
        sentences.setdefault(mark.number, []).append(mark.sentence)
    return sentences


def _numbers(group: str) -> list[int]:
    numbers: list[int] = []
    for low, high, single in _NUMBERS_IN_GROUP.findall(group):
        if single:
            numbers.append(int(single))
        elif 0 <= int(high) - int(low) < _MAX_RANGE:
            numbers.extend(range(int(low), int(high) + 1))
        else:
            numbers.extend([int(low), int(high)])
    return numbers


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence; a sentence that opens with markers gives them to the one before."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        lead = _LEADING_GROUP.match(text, lo, hi)
        if merged and lead is not None:
            merged[-1] = (merged[-1][0], lead.end())
            lo = lead.end()
        if lo < hi or not merged:
            merged.append((lo, hi))
    return [(lo, max(hi, lo + 1)) for lo, hi in merged]


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _clean(text: str) -> str:
    text = _CODE_SPAN.sub(lambda m: m.group().strip("`"), text)
    return ANY_PLACEHOLDER.sub(" ", _GROUP.sub(" ", text)).casefold()


def _content_words(text: str) -> set[str]:
    cleaned = _clean(text)
    stop = _stop_words()
    words = [w for w in _WORD.findall(cleaned) if not _CJK.search(w) and w not in stop and len(w) > 1]
    stems = set(_stemmer().stemWords(words))
    return stems | set(_CJK.findall(cleaned))


def _number_tokens(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(_clean(text))}


def support(sentence: str, passage: str) -> tuple[bool, float, str]:
    """Check whether ``passage`` supports ``sentence`` (the rule and threshold are in the module docstring).

    Args:
        sentence: The citing sentence (its citation markers are ignored).
        passage: The cited passage text.

    Returns:
        ``(supported, score, reason)``: score is the content-word recall in 0..1 (1.0 when the sentence has
        no content word to check); reason says which rule decided.
    """
    words = _content_words(sentence)
    found = words & _content_words(passage)
    score = len(found) / len(words) if words else 1.0
    missing = sorted(_number_tokens(sentence) - _number_tokens(passage), key=lambda n: (len(n), n))
    if missing:
        label = "number" if len(missing) == 1 else "numbers"
        return False, score, f"{label} {', '.join(missing)} not in the passage"
    if not words:
        return True, score, "no content words to check"
    verdict = "" if score >= SUPPORT_THRESHOLD else f", below {SUPPORT_THRESHOLD}"
    return (
        score >= SUPPORT_THRESHOLD,
        score,
        f"{len(found)} of {len(words)} content words in the passage{verdict}",
    )


def check_citations(
    answer: str,
    sources: Sequence[CitedSource],
    display: Callable[[str], str] | None = None,
) -> list[Citation]:
    """Parse the citations of the final ``answer``, map each to its passage and check its support.

    Args:
        answer: The final, de-identified answer (``ChatResult.answer_redacted``).
        sources: The numbered passages the model saw (``ChatResult.sources``).
        display: Turns a de-identified sentence into its display form (restores the user's values); sets
            :attr:`Citation.shown`. None leaves ``shown`` equal to ``sentence``.

    Returns:
        One :class:`Citation` per cited number per sentence, in answer order; invalid numbers included.
    """
    by_number = {s.number: s for s in sources}
    citations: list[Citation] = []
    for mark in parse_citations(answer):
        cited = by_number.get(mark.number)
        if cited is None:
            known = ", ".join(str(n) for n in sorted(by_number)) or "none"
            citation = Citation(
                mark.number,
                False,
                "",
                "",
                "",
                mark.sentence,
                False,
                0.0,
                f"no passage [{mark.number}] (passages: {known})",
            )
        else:
            supported, score, reason = support(mark.sentence, cited.text)
            citation = Citation(
                mark.number,
                True,
                cited.chunk_id,
                cited.source,
                cited.location,
                mark.sentence,
                supported,
                score,
                reason,
            )
        citations.append(replace(citation, shown=display(mark.sentence) if display else mark.sentence))
    return citations


def source_records(sources: Sequence[Any], citations: Sequence[Citation]) -> list[dict[str, Any]]:
    """The sources of a turn as stored in memory: each source's fields, its passage text included, plus its
    citations.

    The passage text is the chunk as the index holds it and as the model and the user saw it: de-identified
    when the document was ingested (the domain's ``index`` operators, usually ``<TYPE>``), so storing it keeps
    no personal value; a reopened conversation shows its answers' passages from it.

    Args:
        sources: ``pipelines.chat.pipeline.Source`` objects (dataclasses).
        citations: The turn's checked citations.

    Returns:
        One dict per source (``number``, ``source``, ``chunk_id``, ``score``, ``location``, ``text``, ``symbol``,
        ``start_line``, ``end_line``) with ``citations``: ``[{sentence, supported, score, reason}]`` for the
        valid citations of that number (de-identified sentences, as in the stored answer). A turn stored before
        passages were kept has no ``text``.
    """
    from dataclasses import asdict

    records = []
    for source in sources:
        record = dict(asdict(source))
        record["citations"] = [
            {"sentence": c.sentence, "supported": c.supported, "score": round(c.score, 4), "reason": c.reason}
            for c in citations
            if c.valid and c.number == source.number
        ]
        records.append(record)
    return records
