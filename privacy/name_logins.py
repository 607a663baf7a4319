"""Login names built from a person's name, found without a cue: ``siobhan.mcgarrigle``, ``joan_mcbride42``,
``j.nowak2``, ``ddunleavy``.

Companies make logins from names by a few schemes (given.surname, given_surname, initial + surname, with a
number when the name is taken), and users copy them into chats, log lines, CSV fixtures and comments without
saying "user" ("# rotated by ddunleavy", "1,wojciech.nowak,Wojciech Nowak"). The cue-based rules of
:mod:`privacy.secret_recognizers` miss those. A lower-case token is such a login when:

- it is ``first<sep>second[digits]`` with ``<sep>`` ``.`` or ``_`` (not ``-``: "hartmann-price" is a
  double-barrelled surname), ``first`` a known given name (Faker's
  lists, :func:`privacy.lexicon.given_names`) or a single letter, and ``second`` a known surname or a word of
  4+ letters that is no English word ("oyelaran"; after ``_`` or ``-`` only when ``first`` is no English word
  either: "max_retries" is code); or
- it is one letter glued to a known surname of 5+ letters that is no English word, with optional digits
  (``ddunleavy``, ``jkowalski2``), and the token itself is no English word or name.

Never: a token followed by ``(`` or ``[`` or preceded by ``.`` or ``@`` (code, e-mail), a file name
(``main.py``), a module root (``sys.argv``), an initial before an unknown word (``e.errno``), or a token whose
parts are both English words ("grace.period", "mark.down"). Entity ``USERNAME``, score 0.5: above
the policies' 0.4, below the cue-based logins (0.6), so a labelled finding keeps its standing.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.lexicon import given_names, is_common_word, surnames, word_set
from privacy.recognizers import recognizer_result

__all__ = ["NameLoginRecognizer"]

_SEPARATED = re.compile(
    r"(?<![\w.@/\\-])(?P<first>[a-z]{1,20})[._](?P<second>[a-z]{3,24})(?P<digits>\d{0,4})(?![\w@(/\\[-]|\.\w)"
)
_GLUED = re.compile(
    r"(?<![\w.@/\\-])(?P<initial>[a-z])(?P<surname>[a-z]{5,24})(?P<digits>\d{0,4})(?![\w@(/\\-]|\.\w)"
)
#: Module and object names of code that are also given names somewhere ("sys", "app").
_CODE_ROOTS = word_set(
    "sys os np pd plt df tf db io re app api cfg env ctx req res self cls obj args kwargs log logger err "
    "util utils math json time date string list dict set test main base core data node"
)
#: File and code endings that make "first.second" a file or an attribute, not a login.
_NOT_LOGIN_SECOND = word_set(
    "py js ts json yaml yml txt log md html css csv xml sql conf cfg ini env lock toml java rb php sh go rs "
    "exe dll png jpg pdf docx xlsx zip"
)


class NameLoginRecognizer(EntityRecognizer):
    """``USERNAME`` for lower-case logins made of a given name or initial and a surname (module docstring).

    Args:
        common: Lower-case English words (:func:`privacy.lexicon.common_english_words`).
    """

    ENTITY = "USERNAME"
    SCORE = 0.5

    def __init__(self, common: frozenset[str]) -> None:
        super().__init__(
            supported_entities=[self.ENTITY], name="NameLoginRecognizer", supported_language="en"
        )
        self._common = common

    def load(self) -> None:
        """Nothing to load (the name lists load on first use)."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """One result per name-built login in ``text`` (none unless ``USERNAME`` is asked for)."""
        if self.ENTITY not in entities:
            return []
        spans = [m.span() for m in _SEPARATED.finditer(text) if self._separated(m)]
        spans += [m.span() for m in _GLUED.finditer(text) if self._glued(m)]
        return [
            recognizer_result(self.ENTITY, start, end, self.SCORE, "NameLoginRecognizer", self.id)
            for start, end in sorted(set(spans))
        ]

    def _word(self, word: str) -> bool:
        return is_common_word(word, self._common) or (
            word.endswith("ies") and is_common_word(word[:-3] + "y", self._common)  # "retries"
        )

    def _separated(self, match: re.Match[str]) -> bool:
        first, second = match.group("first"), match.group("second")
        if second in _NOT_LOGIN_SECOND or (self._word(first) and self._word(second)):
            return False
        if second in surnames():
            return first in given_names() or len(first) == 1
        if first in _CODE_ROOTS or first not in given_names():
            return False  # "e.errno", "sys.argv": an initial needs a known surname after it
        # "max_retries", "mark.parametrize": a given name that is also an English word opens a login only
        # before a known surname ("grant.mcallister"), else it is code
        if self._word(first):
            return False
        return len(second) >= 4 and not self._word(second)

    def _glued(self, match: re.Match[str]) -> bool:
        word = match.group("initial") + match.group("surname")
        surname = match.group("surname")
        if word in given_names() or word in surnames() or self._word(word):
            return False
        return surname in surnames() and not self._word(surname)
