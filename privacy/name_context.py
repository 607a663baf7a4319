"""Names found from the words around them, and names completed from their neighbours (issue 22, round 2).

Two kinds of miss the NER model and the learned recognizer leave, in any casing:

- **a name after a relation or a care role**: "my daughter (lily)", "BROUGHT BY MUM (CHARLOTTE)", "my mentor
  grant said", "WIFE ENID ON 07700…", "partner Felix" (:class:`RelationNameRecognizer`);
- **a name cut short or written twice**: the model finds "<BILL> o'hara", "Ms <WONG> Mei Ling", "<NOVAK>,
  MILAN", "ANIL <KUMAR RAGHAVAN>", or finds "SARAH-LOUISE DENT" once and leaves "CPN: … DENT" later on
  (:func:`complete_names`).

What counts as a name word here: a word of letters (inner apostrophes and hyphens allowed) that is not one of
spaCy's English stop words, and that is a known given name or surname (Faker's person providers,
:mod:`privacy.lexicon`), a Gaelic/Scottish ``O'``/``Mc``/``Mac`` form, or not an ordinary English word (the
spaCy model's WordNet-derived lemma index). The method is the classic one of rule-based name finders
(cue words plus gazetteers, e.g. GATE ANNIE's person grammar); its cues and gazetteers are listed below.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

from privacy.lexicon import (
    MONTH_NAMES,
    WEEKDAY_NAMES,
    given_names,
    is_common_word,
    is_name_word,
    known_names,
    word_set,
)
from privacy.recognizers import recognizer_result

__all__ = [
    "IntroducedLowerCaseNameRecognizer",
    "NameSpan",
    "RelationNameRecognizer",
    "complete_names",
    "follows_name_cue",
]

#: A letter of an alphabetic script (not CJK: Chinese names are :mod:`privacy.chinese`'s, and a Han run is not
#: a word).
_LETTER = r"[^\W\d_\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]"
#: A word of a name: letters with inner apostrophes or hyphens ("O'Hara", "Asante-Boateng", "Ní"), not touching
#: a Han character.
_NAME_TOKEN = rf"{_LETTER}(?:{_LETTER}|['\u2019-](?={_LETTER}))*"
_TOKEN = re.compile(rf"(?<![\w'\u2019@./-]){_NAME_TOKEN}(?![\w@/]|\.\w|['\u2019-]\w)")

#: Relations and care roles after which a word is someone's name ("my late father Tom", "daughter (Keisha)",
#: "NOK: WIFE PEARL"). Plural "HCAs (shona)" too. Roles often followed by a company or a code word are left out
#: ("my boss Monzo", "my landlord Foxtons", "child Xvfb", "sibling divs", "NOK" the currency).
_RELATIONS = (
    "wife|husband|partner|spouse|fianc[eé]e?|son|daughter|stepson|stepdaughter|mum|mom|mummy|mother|"
    "dad|daddy|father|brother|sister|twin|friend|mentor|colleague|co-?worker|carer|caregiver|"
    "neighbou?r|aunt|auntie|aunty|uncle|niece|nephew|"
    "cousin|grandson|granddaughter|grandchild|gran|granny|grandma|grandmother|grandad|granddad|grandpa|"
    "grandfather|nan|nana|nanna|girlfriend|boyfriend|flatmate|housemate|roommate|"
    "hca|in-law|brother-in-law|sister-in-law|mother-in-law|father-in-law|son-in-law|daughter-in-law|"
    "stepmother|stepfather|stepmum|stepdad|godmother|godfather|goddaughter|godson"
)
_RELATION_CUE = (
    r"\b(?:(?:late|eldest|oldest|youngest|younger|older|little|baby|step|ex|twin|elder)[\s-]+)?"
    rf"(?:{_RELATIONS})s?\b(?!['\u2019])"
    # then the name: right after, in brackets, after a colon or comma, or after "called"/"named"
    r"(?:\s*\(\s*|\s*[:,]\s*|\s+(?:(?:is\s+)?called|named)\s+|\s+)"
)
_RELATION = re.compile(rf"{_RELATION_CUE}(?={_NAME_TOKEN})", re.IGNORECASE)
_RELATION_BEFORE = re.compile(rf"{_RELATION_CUE}\Z", re.IGNORECASE)
#: A casual self-introduction, any casing: "i'm jess", "hi im victor", "it's will here", "this is mark from".
_INTRODUCTION_CUE = (
    r"(?<![\w'\u2019])(?:(?P<self>i['\u2019]?m|i\s+am)|(?P<this>it['\u2019]?s|its|this\s+is))\s+"
    r"(?:(?:me|just)\s+(?:again\s*)?,?\s*)?"
)
_INTRODUCTION = re.compile(rf"{_INTRODUCTION_CUE}(?={_NAME_TOKEN})", re.IGNORECASE)
_INTRODUCTION_BEFORE = re.compile(rf"{_INTRODUCTION_CUE}\Z", re.IGNORECASE)
#: What follows a name after "it's"/"this is" (else "its grace period", "it's April." or "this is chase again"
#: would be names): "here", "from", "speaking", "calling".
_AFTER_INTRODUCED = re.compile(r"\s+(?:here|from|speaking|calling)\b", re.IGNORECASE)
#: What follows a name after "I'm": punctuation, the end, or "here", "from", "and", "again", ... ("hi im victor
#: and my card", not "i'm grace period expired").
_AFTER_SELF = re.compile(
    r"\s*(?:$|[,.!?;:)\-])|\s+(?:here|from|again|speaking|calling|and|btw|lol|my|i)\b", re.IGNORECASE
)
#: Months, weekdays and seasons that are also given names ("it's April", "i'm june's ...").
_CALENDAR_WORDS = MONTH_NAMES | WEEKDAY_NAMES | {"spring", "summer", "autumn", "fall", "winter"}
#: Words that open a name's continuation only as a surname particle ("Siobhán Ní Bhriain", "Pearl van der Berg").
_PARTICLES = frozenset(
    [
        "ni",
        "nic",
        "ní",
        "mac",
        "mc",
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "la",
        "le",
        "du",
        "da",
        "di",
        "dos",
        "das",
        "bin",
        "binti",
        "al",
        "el",
        "ap",
        "ter",
        "ten",
        "st",
    ]
)
#: Words that are never part of a name next to one: titles, clinical and banking labels of notes.
_NOT_NAME_WORDS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "dame",
        "pt",
        "dob",
        "mrn",
        "nhs",
        "nok",
        "adm",
        "d/c",
        "ward",
        "bed",
        "bay",
        "room",
        "age",
        "aged",
        "yo",
        "cust",
        "customer",
        "patient",
        "account",
        "acc",
        "acct",
        "card",
        "ref",
        "tel",
        "mob",
        "mobile",
        "phone",
        "email",
        "address",
        "addr",
        "hosp",
        "no",
        "number",
        "user",
        "login",
        "id",
        "via",
        "per",
        "re",
        "fao",
        "attn",
        "cc",
    ]
)
#: A Gaelic or Scottish surname form, which WordNet may still list in part ("O'Hara", "McGrath", "MacLeod").
_GAELIC = re.compile(r"(?i)^(?:o['\u2019]|mc|mac)[^\W\d_]{2,}$")


def follows_name_cue(
    text: str, start: int, verbs: frozenset[str], common: frozenset[str] = frozenset()
) -> bool:
    """Whether the word at ``start`` comes right after a relation or care-role word ("my daughter (lily)") or
    a casual self-introduction ("i'm jess"), which makes a common word there a name (the de-identifier's
    common-word rule then spares it): not a stop word ("i'm will" is the exception: after "I'm" a modal is
    no verb), and not an inflected verb form ("my wife said", "i'm calling",
    :func:`privacy.lexicon.english_verb_forms`) unless it is an English given name or surname.

    Args:
        text: The text.
        start: Offset of the word's first character.
        verbs: Inflected verb forms (:func:`privacy.lexicon.english_verb_forms`).
        common: Lower-case ordinary English words: one of them in lower case right after a relation word (not
            in brackets) is not spared ("my son bill payment").
    """
    word = _TOKEN.match(text, start)
    if word is None:
        return False
    lower = word.group().lower()
    window = text[max(0, start - 48) : start]
    introduced = _INTRODUCTION_BEFORE.search(window) is not None and (
        lower in given_names() or lower in _MODALS
    )
    if lower in STOP_WORDS and not (introduced and lower in _MODALS):
        return False
    if lower not in known_names() and lower in verbs:
        return False
    if introduced:
        return True
    relation = _RELATION_BEFORE.search(window)
    if relation is None:
        return False
    # a lower-case ordinary word right after the relation word is that word ("my son bill payment"); in
    # brackets it is a name ("my daughter (lily)")
    return "(" in relation.group() or _case(word.group()) != "lower" or not is_common_word(lower, common)


#: Modal verbs that are also given names: after "I'm" they can only be the name ("i'm will from the data team").
_MODALS = frozenset(["will", "may"])


@dataclass(frozen=True)
class NameSpan:
    """A PERSON span ``[start, end)`` of a text, in characters, with the score given to it (0..1)."""

    start: int
    end: int
    score: float


def _case(word: str) -> str:
    """The casing class of a word: ``upper`` ("O'HARA"), ``lower`` ("o'hara") or ``title`` (anything else)."""
    letters = [c for c in word if c.isalpha()]
    if all(c.isupper() for c in letters) and len(letters) > 1:
        return "upper"
    if all(c.islower() for c in letters):
        return "lower"
    return "title"


class _Words:
    """The name-word tests of this module over one common-word lexicon."""

    def __init__(self, common: frozenset[str]) -> None:
        self.common = common

    def known(self, word: str) -> bool:
        """A given name or surname of Faker's English providers (the multi-locale lists hold "Said", "Will")."""
        return word.lower() in known_names()

    def name_like(self, word: str, min_letters: int = 2) -> bool:
        """A known name, a Gaelic form, or (at least three letters) not an ordinary English word; never a stop
        word, a title or a note label."""
        lower = word.lower().replace("\u2019", "'")
        if lower in STOP_WORDS or lower in _NOT_NAME_WORDS or len(lower) < min_letters:
            return False
        if self.known(word) or _GAELIC.match(word):
            return True
        return len(lower) >= 3 and is_name_word(lower, self.common)


class _CuedNameRecognizer(EntityRecognizer, ABC):
    """PERSON for the name right after a cue (:attr:`CUE`, a pattern ending where the name starts): the first
    word, judged by :meth:`_name_end`, and the name words of the same casing after it."""

    NAME = ""
    CUE: re.Pattern[str]
    SCORE = 0.0

    def __init__(self, common: frozenset[str], tagger: Callable[[Doc], None] | None = None) -> None:
        """Args:
        common: Lower-case ordinary English words (:func:`privacy.lexicon.common_english_words`).
        tagger: Tags a spaCy ``Doc`` in place when the analysis has no part-of-speech tags (the product's
            pipeline tags only on demand: :func:`privacy.analyzer.build_analyzer`); None: use the tags as they are.
        """
        super().__init__(supported_entities=["PERSON"], name=self.NAME, supported_language="en")
        self._words = _Words(common)
        self._tagger = tagger

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a PERSON result per name found after a cue in ``text``."""
        if "PERSON" not in entities:
            return []
        tags: dict[int, str] | None = None

        def tag_at(start: int) -> str:
            """The tag of the token at ``start``; the text is tagged on the first question only."""
            nonlocal tags
            if tags is None:
                tags = _tags(nlp_artifacts, self._tagger)
            return tags.get(start, "")

        results = []
        for cue in self.CUE.finditer(text):
            first = _TOKEN.match(text, cue.end())
            if first is None:
                continue
            end = self._name_end(text, cue, first, partial(tag_at, first.start()))
            if end is not None:
                results.append(
                    recognizer_result("PERSON", first.start(), end, self.SCORE, self.NAME, self.id)
                )
        return results

    @abstractmethod
    def _name_end(
        self, text: str, cue: re.Match[str], first: re.Match[str], tag: Callable[[], str]
    ) -> int | None:
        """The end of the name whose first word is ``first`` (``tag()``: its spaCy tag, asked for last: tagging
        costs a tagger pass over the text), or None for no name."""


class RelationNameRecognizer(_CuedNameRecognizer):
    """PERSON for the name right after a relation or a care role (:data:`_RELATIONS`), in any casing:
    "my daughter (lily)", "BROUGHT BY MUM (CHARLOTTE)", "my mentor grant said", "partner Felix", "WIFE ENID".

    The first word must be a known given name (Faker's providers of many locales), or, from three letters,
    not an ordinary English word ("BROTHER FAISAL"); never a stop word ("wife is"), nor tagged a verb or a
    function word by spaCy's tagger ("my son will call", "my wife said"); an ordinary word in lower case counts
    only in brackets ("my daughter (lily)"; not "my son bill payment"). Up to
    two more words follow if they are name words in the same casing ("sister Ruby-Mae THORNTON" stops at the
    casing change). Score 0.6 (above the policies' 0.4 threshold, below validated identifiers).
    """

    NAME = "RelationNameRecognizer"
    CUE = _RELATION
    SCORE = 0.6

    def _name_end(
        self, text: str, cue: re.Match[str], first: re.Match[str], tag: Callable[[], str]
    ) -> int | None:
        word = first.group()
        lower = word.lower()
        if lower in STOP_WORDS or lower in _NOT_NAME_WORDS:
            return None
        if not (lower in given_names() or (len(lower) >= 3 and self._words.name_like(word))):
            return None
        if "(" not in cue.group() and _case(word) == "lower" and is_common_word(lower, self._words.common):
            return None  # "my son bill payment", "my mum rose early": a lower-case common word is that word
        if tag() in _NOT_NAME_TAGS:
            return None
        return _extend_right(text, first.end(), _case(word), self._words, max_words=2)


class IntroducedLowerCaseNameRecognizer(_CuedNameRecognizer):
    """PERSON for a given name after a casual self-introduction, in any casing: "i'm jess", "hi im victor",
    "it's will here", "this is mark from the data team" (the capitalised forms are
    :class:`privacy.recognizers.IntroducedNameRecognizer`'s).

    The word must be a known given name (Faker's providers of many locales) or "will"/"may" (after "I'm" no
    modal verb can stand), that spaCy's tagger does not read
    as an adjective, a participle or an adverb ("i'm sure", "i'm calling"), nor a month or season; after
    "I'm" it must be followed by punctuation, the end or a word such as "and", "from", "here" ("i'm grace
    period expired" is not a name), after "it's"/"this is" by "here", "from", "speaking" or "calling". Up to two
    name words of the same casing follow (:func:`complete_names`'s rule). Score 0.8.
    """

    NAME = "IntroducedLowerCaseNameRecognizer"
    CUE = _INTRODUCTION
    SCORE = 0.8

    def _name_end(
        self, text: str, cue: re.Match[str], first: re.Match[str], tag: Callable[[], str]
    ) -> int | None:
        lower = first.group().lower()
        if (
            lower not in given_names() and lower not in _MODALS
        ) or lower in _NOT_NAME_WORDS | _CALENDAR_WORDS:
            return None
        end = _extend_right(text, first.end(), _case(first.group()), self._words, max_words=2)
        if not (_AFTER_INTRODUCED if cue.group("this") else _AFTER_SELF).match(text, end):
            return None  # "i'm grace period expired", "this is chase again about my card"
        if tag() in _NOT_INTRODUCED_TAGS:
            return None
        return end


#: Penn Treebank tags of words that are not names after "I'm": adjectives, participles, adverbs, function
#: words, numbers ("i'm sure", "i'm calling", "i'm still").
_NOT_INTRODUCED_TAGS = frozenset(
    ["JJ", "JJR", "JJS", "VBG", "VBN", "RB", "RBR", "IN", "DT", "CD", "PRP", "PRP$", "CC", "TO"]
)
#: Penn Treebank tags of words that are not names after a relation word: verbs and modals ("my wife said", "son
#: will call"), function words, numbers.
_NOT_NAME_TAGS = frozenset(
    [
        "VB",
        "VBD",
        "VBG",
        "VBN",
        "VBP",
        "VBZ",
        "MD",
        "IN",
        "DT",
        "PRP",
        "PRP$",
        "CC",
        "TO",
        "WDT",
        "WP",
        "CD",
        "RB",
    ]
)


def _tags(nlp_artifacts: NlpArtifacts | None, tagger: Callable[[Doc], None] | None = None) -> dict[int, str]:
    """Character offset of each token -> its Penn Treebank tag (spaCy's tagger); an analysis without tags is
    tagged in place by ``tagger`` first (so a reused analysis is tagged once)."""
    tokens = getattr(nlp_artifacts, "tokens", None)
    if tokens is None:
        return {}
    if tagger is not None and isinstance(tokens, Doc) and not tokens.has_annotation("TAG"):
        tagger(tokens)
    return {token.idx: token.tag_ for token in tokens}


_NEXT = re.compile(rf"[ \t]+(?P<word>{_NAME_TOKEN})(?![\w@/]|\.\w)")
_NEXT_AFTER_COMMA = re.compile(rf",[ \t]*(?P<word>{_NAME_TOKEN})(?![\w@/]|\.\w)")
_PREVIOUS = re.compile(rf"(?<![\w'\u2019@./-])(?P<word>{_NAME_TOKEN})[ \t]+\Z")
#: A nickname in quotes or brackets between the parts of a name: "Terrence 'Tel' Bowditch", "EILEEN 'BETTY'
#: MCGRATH", "Robert (Bob) Hale"; the word after it must be a name word in the name's casing.
_NICKNAME = re.compile(
    rf"[ \t]+(?:'{_NAME_TOKEN}'|\u2018{_NAME_TOKEN}\u2019|\"{_NAME_TOKEN}\"|\({_NAME_TOKEN}\))(?=[ \t])"
)
#: A surname written before a given name and a comma, as registers and lists do ("VAN DER HOEVEN, Johanna",
#: "O'SULLIVAN, GRACE", "Kaur,Harpreet"): up to three words (particles included) opening their line, field or
#: list item.
_SURNAME_BEFORE_COMMA = re.compile(
    rf"(?:^|(?<=[\n\t,|;:(]))[ \t]*(?:\d{{1,3}}[.)][ \t]*)?"
    rf"(?P<surname>{_NAME_TOKEN}(?:[ \t]+{_NAME_TOKEN}){{0,2}})[ \t]*,[ \t]*\Z"
)


#: Words that open a line before a comma and a name without being a surname ("THANKS, JOHN", "Hi, Ann").
_GREETINGS = word_set(
    "hi hello hey dear thanks thank cheers regards best morning evening afternoon ok okay yes no sorry please "
    "attn attention note re fyi welcome congratulations bye goodbye"
)
#: Words that are no part of a name after a nickname; before a given name and a comma, greetings are none too.
_NOT_NAMES = STOP_WORDS | _NOT_NAME_WORDS
_NOT_SURNAMES = _NOT_NAMES | _GREETINGS


def _surname_words(surname: str, case: str, words: _Words) -> bool:
    """Whether the words before "<given>" and a comma are a surname: besides particles, name words (a known
    surname, or no English word) in the given name's casing, or any words but stop words and greetings in
    capitals, as registers write surnames ("DE JONG, Maarten", "O'SULLIVAN, GRACE"; not "Thanks, John")."""
    names = [w for w in surname.split() if w.lower() not in _PARTICLES]
    if not names or any(w.lower() in _NOT_SURNAMES for w in names):
        return False
    return all(_case(w) == "upper" or (_case(w) == case and words.name_like(w, min_letters=3)) for w in names)


def _extend_right(text: str, end: int, case: str, words: _Words, max_words: int = 3) -> int:
    """The end of a name at ``end`` taken over up to ``max_words`` following name words of the same casing,
    a particle counting only with the name word after it ("ni bhriain", "van der Berg")."""
    added = 0
    position = end
    pending = position
    while added < max_words:
        match = _NEXT.match(text, position)
        if match is None:
            break
        word = match.group("word")
        if word.lower() in _PARTICLES:
            position = match.end()
            continue
        if not words.name_like(word):
            break
        # same casing, or a known name after capitals ("Ms WONG Mei Ling": surname in capitals, then the rest)
        if _case(word) != case and not (case == "upper" and words.known(word) and _case(word) == "title"):
            break
        position = pending = match.end()
        added += 1
    return pending


def complete_names(
    text: str, names: Sequence[NameSpan], common: frozenset[str], taken: Callable[[int, int], bool]
) -> list[NameSpan]:
    """Completed and repeated name spans for the PERSON spans ``names`` of ``text``.

    - **Completed**: a span grows over the name words right after it (same casing; particles with their
      word: "Bill <o'hara>", "Ms WONG <Mei Ling>", "Siobhán <Ní Bhriain>"), over a quoted nickname and the
      name words after it ("Terrence <'Tel' Bowditch>"), back over a surname and comma that open their line,
      field or list item ("<VAN DER HOEVEN,> Johanna", "<O'SULLIVAN,> GRACE"), over "Surname, <Given>" when
      the span is one word and the next is a known given name in the same casing ("NOVAK, <MILAN>"), and over
      one known given name right before it in the same casing ("<ANIL> KUMAR RAGHAVAN", "<june> o'brien").
    - **Repeated**: each other whole-word occurrence of one of its words (three letters or more, not a stop
      word) is a name too, when that word is not an ordinary English word ("Achterberg"; not "WHITE" of "JOHN
      WHITE" in "WHITE CELL COUNT", nor "Grant" of "Grant Lowe" in "Grant applications").

    Args:
        text: The analysed text.
        names: PERSON spans found by the recognizers.
        common: Lower-case ordinary English words (:func:`privacy.lexicon.common_english_words`).
        taken: Whether ``[start, end)`` overlaps another finding (an e-mail, a user name...), which a repeat
            must not cut into.

    Returns:
        The completed spans (score kept) and the repeats (score 0.5), possibly overlapping ``names``.
    """
    words = _Words(common)
    out: list[NameSpan] = []
    spread: set[str] = set()  # the names' words that are not ordinary English words ("achterberg")
    for name in names:
        span_words = list(_TOKEN.finditer(text, name.start, name.end))
        if not span_words:
            continue
        start, end = name.start, name.end
        case = _case(span_words[-1].group())
        end = _extend_right(text, end, case, words)
        if end == name.end and len(span_words) == 1 and (after := _NEXT_AFTER_COMMA.match(text, end)):
            given = after.group("word")
            if _case(given) == case and given.lower() in given_names() and given.lower() not in STOP_WORDS:
                end = after.end()
        opened = text[start:end].count("'") % 2 == 1 and text[end : end + 1] == "'"
        nickname_end = end + 1 if opened else (m.end() if (m := _NICKNAME.match(text, end)) else -1)
        if nickname_end > 0 and (after := _NEXT.match(text, nickname_end)):
            # a nickname in quotes (or the span took its opening quote: "EILEEN 'BETTY"): the word after it in the
            # name's casing is the surname, whatever WordNet says ("Bowditch" is a lemma: it lists famous people)
            surname_word = after.group("word")
            if _case(surname_word) == case and surname_word.lower() not in _NOT_NAMES:
                end = _extend_right(text, after.end(), case, words, max_words=1)
        surname = _SURNAME_BEFORE_COMMA.search(text, max(0, start - 48), start)
        if (
            surname is not None
            and span_words[0].group().lower() in given_names()
            and _surname_words(surname.group("surname"), _case(span_words[0].group()), words)
        ):
            start = surname.start("surname")
        before = _PREVIOUS.search(text, max(0, start - 40), start)
        if before is not None and surname is None:
            first = before.group("word")
            if (
                first.lower() in given_names()
                and first.lower() not in STOP_WORDS
                and first.lower() not in _NOT_NAME_WORDS
                and _case(first) == _case(span_words[0].group())
            ):
                start = before.start("word")
        out.append(NameSpan(start, end, name.score))
        for token in _TOKEN.finditer(text, start, end):
            lower = token.group().lower()
            if (
                len(lower) >= 3
                and lower not in STOP_WORDS
                and lower not in _NOT_NAME_WORDS
                and not is_common_word(lower, common)
                and not any(is_common_word(part, common) for part in lower.split("-") if part)
            ):
                spread.add(lower)
    if not spread:
        return out
    covered = [(n.start, n.end) for n in out]
    for token in _TOKEN.finditer(text):
        if token.group().lower() not in spread or any(s <= token.start() < e for s, e in covered):
            continue
        if not taken(token.start(), token.end()):
            out.append(NameSpan(token.start(), token.end(), 0.5))
    return out
