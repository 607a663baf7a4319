"""Custom Presidio recognizers of this product."""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from privacy.lexicon import is_name_word

__all__ = ["CapitalisedNameRecognizer", "IntroducedNameRecognizer"]


def _person(start: int, end: int, score: float, recognizer: str, identifier: str) -> RecognizerResult:
    return RecognizerResult(
        entity_type="PERSON",
        start=start,
        end=end,
        score=score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: identifier,
        },
    )


_NAME_WORD = r"[A-Z][a-z\u00c0-\u024f'\u2019-]+"
_INTRODUCTION = re.compile(
    r"\b(?:[Mm]y (?:full )?name is|[Ii] am|[Ii]'m|[Ii]\u2019m|[Tt]his is|[Nn]ame:|[Cc]all me|[Ss]igned,?)\s+"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})"
)
#: "my name is oluwaseun adeyemi and…": after the unambiguous phrases any casing counts, up to 3 words,
#: stopping at the first stop word (spaCy's English list) or punctuation.
_LOWER_INTRODUCTION = re.compile(
    r"\b(?:my (?:full )?name is|my name['\u2019]s|name:|call me)\s+(?P<words>[^\W\d_][\w'\u2019-]*(?:\s+[^\W\d_][\w'\u2019-]*){0,2})",
    re.IGNORECASE,
)


class IntroducedNameRecognizer(EntityRecognizer):
    """PERSON after a self-introduction ("my name is Marguerite Quillfeather", "I'm Zelda", "this is Ana Lima").

    The small spaCy NER model misses rare names even in such contexts; a capitalised word sequence right after
    an introduction phrase is a name with high precision. Score 0.8 (below checksum-validated patterns, above
    the 0.4 policy threshold). Common-word phrases ("I am Worried") are dropped later by the de-identifier's
    common-word rule.
    """

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["PERSON"], name="IntroducedNameRecognizer", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a PERSON result for each introduced name in ``text``."""
        if "PERSON" not in entities:
            return []
        spans = {(m.start("name"), m.end("name")) for m in _INTRODUCTION.finditer(text)}
        for match in _LOWER_INTRODUCTION.finditer(text):
            start = end = match.start("words")
            for word in re.finditer(r"\S+", match.group("words")):
                if word.group().lower() in STOP_WORDS:
                    break
                end = match.start("words") + word.end()
            if end > start:
                spans.add((start, end))
        return [_person(start, end, 0.8, "IntroducedNameRecognizer", self.id) for start, end in sorted(spans)]


#: "SMITH, John" / "Lopez, Ana": surname first, as on forms and in account records.
_SURNAME_FIRST = re.compile(
    r"(?<![\w.])(?P<surname>[A-Z][A-Za-z'\u2019-]+),\s+(?P<given>[A-Z][A-Za-z'\u2019-]+)(?!\w)"
)
_CAPITALISED_RUN = re.compile(
    r"(?<![\w.])[A-Z][a-z'\u2019]+(?:-[A-Z][a-z'\u2019]+)?(?:\s+[A-Z][a-z'\u2019]+(?:-[A-Z][a-z'\u2019]+)?){1,2}(?!\w)"
)


class CapitalisedNameRecognizer(EntityRecognizer):
    """PERSON for 2-3 consecutive capitalised words none of which is an ordinary English word
    ("a letter from Priya Raghunathan"), and for "Surname, Given" where one part is a known name
    ("SMITH, John", "Lopez, Ana"): forms the small NER model often misses.

    A word counts as a name part when it is a known given name or surname (Faker's lists) or is not in the
    spaCy model's WordNet-derived lemma index; "Northwind Bank", "Kidney Diseases" or "Apple Pay" contain an
    ordinary word and are not matched. Score 0.5: just above the policies' 0.4 threshold, below NER and
    checksum-validated findings. Organisation names made of unusual words ("Goldman Sachs") are matched too:
    the price of recall, kept in check by each domain's keep_terms.
    """

    def __init__(self, common_words: frozenset[str], names: frozenset[str]) -> None:
        self._common = common_words
        self._names = names
        super().__init__(
            supported_entities=["PERSON"], name="CapitalisedNameRecognizer", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def _is_name_part(self, word: str) -> bool:
        return is_name_word(word, self._common)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a PERSON result for each run of capitalised name-like words."""
        if "PERSON" not in entities or not self._common:
            return []
        spans = [
            (m.start(), m.end())
            for m in _CAPITALISED_RUN.finditer(text)
            if all(self._is_name_part(word) for word in m.group().split())
        ]
        spans += [
            (m.start(), m.end())
            for m in _SURNAME_FIRST.finditer(text)
            if (m.group("surname").lower() in self._names or m.group("given").lower() in self._names)
            and self._is_name_part(m.group("surname"))
            and self._is_name_part(m.group("given"))
        ]
        return [_person(start, end, 0.5, "CapitalisedNameRecognizer", self.id) for start, end in spans]
