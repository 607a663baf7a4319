"""Custom Presidio recognizers of this product."""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from privacy.lexicon import MONTH_NAMES, is_common_word, is_name_word

__all__ = ["CapitalisedNameRecognizer", "IntroducedNameRecognizer", "recognizer_result"]


def recognizer_result(
    entity: str, start: int, end: int, score: float, recognizer: str, identifier: str
) -> RecognizerResult:
    """A Presidio result with the recognizer's name and id in its metadata (what the ingestion report counts)."""
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: identifier,
        },
    )


def _person(start: int, end: int, score: float, recognizer: str, identifier: str) -> RecognizerResult:
    return recognizer_result("PERSON", start, end, score, recognizer, identifier)


_NAME_WORD = r"[A-Z\u00c0-\u00de][a-z\u00df-\u024f'\u2019-]+"
_INTRODUCTION = re.compile(
    r"\b(?:[Mm]y (?:full )?name is|[Ii] am|[Ii]'m|[Ii]\u2019m|[Tt]his is|[Nn]ame:|[Cc]all me|[Ss]igned,?)\s+"
    r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Prof|Sir|Dame)\.?\s+)?"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})"
)
#: "my name is oluwaseun adeyemi and…": after the unambiguous phrases any casing counts, up to 3 words,
#: stopping at the first stop word (spaCy's English list) or punctuation.
_LOWER_INTRODUCTION = re.compile(
    r"\b(?:my (?:full )?name is|my name['\u2019]s|name:|call me|(?:last|first|maiden|family|middle|sur)\s?name"
    r"(?: is|\?|:)|named (?:him|her|them|it)?|everyone calls me)\s+(?P<words>[^\W\d_][\w'\u2019-]*(?:\s+[^\W\d_][\w'\u2019-]*){0,2})",
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
    r"(?!,? and )"  # "Jones, Mitchell and Williams" is a firm, not "Surname, Given"
)
#: A word in any Latin, Greek or Cyrillic script, with inner apostrophes and hyphens ("O'Brien-Hughes").
_WORD = re.compile(r"(?<![\w.@/])[^\W\d_](?:[^\W\d_]|['\u2019-](?=[^\W\d_]))*\.?(?![\w@/])")


def _is_capitalised(word: str) -> bool:
    """Title-case word: upper-case first letter and some lower-case letter after it ("Árnþórsson", "McKay")."""
    return word[0].isupper() and any(c.islower() for c in word[1:])


_MONTHS = MONTH_NAMES


def _sentence_initial(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence, a line or the text (where capitals say nothing)."""
    before = text[:start].rstrip(" \t\"'\u201c(")
    return not before or before[-1] in ".!?:\n"


def _is_initial(word: str) -> bool:
    """A middle initial: one upper-case letter, with or without a full stop ("J.", "N")."""
    return len(word.rstrip(".")) == 1 and word[0].isupper()


#: "eva kleist", "benjamin a seiler": a lower-case given name, an optional initial and a surname.
_LOWER_NAME = re.compile(
    r"(?<![\w.@/-])(?P<given>[a-z\u00df-\u024f]{3,})(?P<rest>(?:\s[a-z])?\s[a-z\u00df-\u024f]{3,})(?![\w@/-])"
)


class CapitalisedNameRecognizer(EntityRecognizer):
    """PERSON for name-like capitalised words the small NER model misses:

    - runs of 2-4 capitalised words (middle initials allowed: "Sari J. Paavolainen", "Halldór Ó Árnþórsson"),
      none of which is an ordinary English word ("a letter from Priya Raghunathan"); score 0.5;
    - "Surname, Given" where one part is a known name ("SMITH, John", "Lopez, Ana"); score 0.5;
    - a single capitalised word that is a known given name in a European or American locale and not an
      ordinary English word ("Darren, can I speak to your boss?", "She named him Luís"), or, alone inside a
      sentence, an English given name that is also a word but not a month ("then Teresa and Mary left", not
      "in May" or "a Grace Period"); score 0.45;
    - in lower case, such a given name followed by an optional initial and a word that is not an ordinary
      English word ("eva kleist lives at …", "benjamin a seiler"); score 0.45.

    A word counts as a name part when it is a known given name or surname (Faker's lists) or is not in the
    spaCy model's WordNet-derived lemma index; "Northwind Bank", "Kidney Diseases" or "Apple Pay" contain an
    ordinary word and are not matched. Scores sit just above the policies' 0.4 threshold, below NER and
    checksum-validated findings, so an NER LOCATION or ORGANIZATION over the same words wins. Organisation names
    made of unusual words ("Goldman Sachs") are matched too: the price of recall, kept in check by each
    domain's keep_terms.
    """

    def __init__(
        self,
        common_words: frozenset[str],
        names: frozenset[str],
        given: frozenset[str] = frozenset(),
    ) -> None:
        self._common = common_words
        self._names = names
        self._given = given
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
        results = []
        run: list[re.Match[str]] = []
        for match in _WORD.finditer(text):
            word = match.group()
            joins = bool(run) and self._joins(text, run[-1], match)
            if _is_capitalised(word) or (joins and _is_initial(word)):
                if run and not joins:
                    results += self._run_results(text, run)
                    run = []
                run.append(match)
            else:
                results += self._run_results(text, run)
                run = []
        results += self._run_results(text, run)
        results += [
            _person(m.start(), m.end(), 0.45, "CapitalisedNameRecognizer", self.id)
            for m in _LOWER_NAME.finditer(text)
            if m.group("given") in self._given
            and not is_common_word(m.group("given"), self._common)
            and all(not is_common_word(w, self._common) for w in m.group("rest").split() if len(w) > 1)
        ]
        results += [
            _person(m.start(), m.end(), 0.5, "CapitalisedNameRecognizer", self.id)
            for m in _SURNAME_FIRST.finditer(text)
            if (m.group("surname").lower() in self._names or m.group("given").lower() in self._names)
            and self._is_name_part(m.group("surname"))
            and self._is_name_part(m.group("given"))
        ]
        return results

    @staticmethod
    def _joins(text: str, previous: re.Match[str], match: re.Match[str]) -> bool:
        """Whether ``match`` continues the run ending with ``previous``: only spaces between them, and no
        sentence-ending full stop (an initial's full stop is fine)."""
        gap = text[previous.end() : match.start()]
        if gap.strip(" \t") or not gap:
            return False
        return not previous.group().endswith(".") or _is_initial(previous.group())

    def _run_results(self, text: str, run: list[re.Match[str]]) -> list[RecognizerResult]:
        """Results for one run of adjacent capitalised words (initials only between words)."""
        while run and _is_initial(run[-1].group()):
            run = run[:-1]
        # "From Zelda Quartermaine", "Dear Ana Lima": an ordinary word opening the run is not part of the name
        while len(run) > 2 and not self._is_name_part(run[0].group().rstrip(".")):
            run = run[1:]
        if not run:
            return []
        words = [m.group().rstrip(".") for m in run]
        full = [w for w in words if not _is_initial(w)]
        start, end = run[0].start(), run[-1].end() - (1 if run[-1].group().endswith(".") else 0)
        if 2 <= len(full) <= 4 and len(words) <= 5 and all(self._is_name_part(w) for w in full):
            return [_person(start, end, 0.5, "CapitalisedNameRecognizer", self.id)]
        if len(words) > 5:
            return []
        return [
            _person(
                m.start(), m.start() + len(m.group().rstrip(".")), 0.45, "CapitalisedNameRecognizer", self.id
            )
            for m in run
            if len(m.group().rstrip(".")) >= 3
            and m.group().rstrip(".").lower() in self._given
            and (
                not is_common_word(m.group().rstrip("."), self._common)
                or (
                    len(run) == 1
                    and m.group().rstrip(".").lower() in self._names
                    and m.group().rstrip(".").lower() not in _MONTHS
                    and not _sentence_initial(text, m.start())
                )
            )
        ]
