"""Finance identifiers Presidio has no (default) recognizer for: UK sort codes and account numbers, SWIFT/BIC,
ABA routing numbers, UK passport numbers of 9 digits and dates of birth; plus Presidio's own UK NINO and UK
passport recognizers, which its default registry does not load.

Most of these are short digit runs that are only identifiers in context ("sort code 20-00-00" is one,
"12-05-21" alone is a date), so each recognizer of this module needs a *context word* near the match (a
window of characters before it, and a shorter one after it): no context, no finding. Where a check exists it
is applied (ABA checksum, ISO 3166 country code inside a BIC, a real calendar date for a date of birth).
Presidio's NINO recognizer needs no context (its letter rules make the shape specific); its UK passport
recognizer scores 0.1 alone, 0.45 with "passport" nearby, so only the latter passes the 0.4 threshold.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    AbaRoutingRecognizer,
    UkNinoRecognizer,
    UkPassportRecognizer,
)

__all__ = [
    "FINANCE_ENTITIES",
    "ContextPatternRecognizer",
    "SwiftBicRecognizer",
    "bic_country_codes",
    "build_finance_recognizers",
    "is_valid_bic",
    "is_valid_date",
]

#: Entity types the recognizers of this module (and the Presidio ones it loads) can return.
FINANCE_ENTITIES = (
    "ABA_ROUTING_NUMBER",
    "DATE_OF_BIRTH",
    "SWIFT_CODE",
    "UK_ACCOUNT_NUMBER",
    "UK_NINO",
    "UK_PASSPORT",
    "UK_SORT_CODE",
)


class ContextPatternRecognizer(EntityRecognizer):
    """A regular expression that counts only with a context word nearby and, optionally, a validator.

    A match is a finding when ``context`` matches within ``before`` characters before it or ``after``
    characters after it (the text between must not cross a blank line), and ``validate`` (if given) accepts
    the matched text. Deterministic, unlike Presidio's lemma-based context enhancer, which only raises the
    score of a match and cannot see multi-word context such as "sort code".
    """

    def __init__(
        self,
        entity: str,
        name: str,
        pattern: re.Pattern[str],
        context: re.Pattern[str],
        score: float,
        validate: Callable[[str], bool] | None = None,
        before: int = 40,
        after: int = 25,
        exclude: re.Pattern[str] | None = None,
    ) -> None:
        """Args:
        entity: The entity type returned (e.g. ``UK_SORT_CODE``).
        name: Recognizer name shown in findings.
        pattern: The candidate pattern; group ``value`` (or the whole match) is the finding.
        context: Context words; searched case-insensitively if compiled so.
        score: Score of a finding (0..1).
        validate: Check of the candidate text (checksum, code list); None = none.
        before: Characters before the candidate searched for context.
        after: Characters after the candidate searched for context.
        exclude: A pattern that, found in the same windows, cancels the finding (e.g. "US" for a UK
            passport); None = none.
        """
        self._pattern = pattern
        self._context = context
        self._score = score
        self._validate = validate
        self._before = before
        self._after = after
        self._exclude = exclude
        self._name = name
        super().__init__(supported_entities=[entity], name=name, supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return one result per candidate with context nearby that passes validation."""
        entity = self.supported_entities[0]
        if entity not in entities:
            return []
        results = []
        for match in self._pattern.finditer(text):
            group = "value" if "value" in self._pattern.groupindex else 0
            start, end = match.span(group)
            if not self._accepts(text, start, end):
                continue
            window = _window(text, start, end, self._before, self._after)
            if not self._context.search(window):
                continue
            if self._exclude is not None and self._exclude.search(window):
                continue
            results.append(
                RecognizerResult(
                    entity_type=entity,
                    start=start,
                    end=end,
                    score=self._score,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self._name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results

    def _accepts(self, text: str, start: int, end: int) -> bool:
        """Whether the candidate ``text[start:end]`` passes validation (context is checked apart)."""
        return self._validate is None or self._validate(text[start:end])


class SwiftBicRecognizer(ContextPatternRecognizer):
    """``SWIFT_CODE``: a BIC (:func:`is_valid_bic`) with "SWIFT" or "BIC" nearby; one made only of letters
    ("DEUTDEFF", but also "CUSTOMER", whose "OM" is Oman) only right after its label ("BIC: DEUTDEFF")."""

    def __init__(self) -> None:
        super().__init__("SWIFT_CODE", "SwiftBicRecognizer", _BIC, _BIC_CONTEXT, 0.7, is_valid_bic)

    def _accepts(self, text: str, start: int, end: int) -> bool:
        value = text[start:end]
        if not is_valid_bic(value):
            return False
        return any(c.isdigit() for c in value) or bool(
            _BIC_LABEL_BEFORE.search(text, max(0, start - 40), start)
        )


def _window(text: str, start: int, end: int, before: int, after: int) -> str:
    """The text around ``text[start:end]`` (the match itself replaced by a space), cut at blank lines."""
    head = text[max(0, start - before) : start].split("\n\n")[-1]
    tail = text[end : end + after].split("\n\n")[0]
    return f"{head} {tail}"


@cache
def bic_country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (from ``pycountry``) plus ``XK`` (Kosovo), which SWIFT assigns but ISO
    3166 does not list."""
    import pycountry

    return frozenset({country.alpha_2 for country in pycountry.countries} | {"XK"})


def is_valid_bic(value: str) -> bool:
    """Whether ``value`` is shaped like a BIC (ISO 9362): 4 letters (bank), an ISO 3166 country code,
    2 letters or digits (location), optionally 3 more (branch), upper case, 8 or 11 characters.

    No check digit exists; the country code is what tells "NWBKGB2L" from an upper-case word.
    """
    return bool(_BIC_SHAPE.fullmatch(value)) and value[4:6] in bic_country_codes()


_BIC_SHAPE = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
#: Calendar dates with a day, a month and a year: 12/03/1985, 1985-03-12, 12.3.85, 12 March 1985, March 12th, 1985.
_DATE = re.compile(
    r"(?<![\w/.-])(?P<value>"
    r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{1,2}-\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r")(?![\w/-]|\.\d)",
    re.IGNORECASE,
)


def is_valid_date(value: str) -> bool:
    """Whether ``value`` (one of the forms of a date of birth this module finds) is a real calendar date.

    Numeric forms are accepted when either day/month order gives a real date (12/03 or 03/12); a 2-digit
    year is read as 19xx or 20xx (both are tried).
    """
    text = value.lower().replace(",", " ").replace(".", " ").replace("of ", " ")
    numeric = re.fullmatch(r"(\d{1,4})[/ -](\d{1,2})[/ -](\d{1,4})", text.strip())
    if numeric is not None:
        a, b, c = (int(part) for part in numeric.groups())
        if len(numeric.group(1)) == 4:
            candidates = [(a, b, c)]
        else:
            years = [c] if len(numeric.group(3)) == 4 else [1900 + c, 2000 + c]
            candidates = [(y, b, a) for y in years] + [(y, a, b) for y in years]
        return any(_is_date(*candidate) for candidate in candidates)
    words = re.findall(r"[a-z]+|\d+", text)
    month = next((_MONTHS[w] for w in words if w in _MONTHS), None)
    numbers = [int(w) for w in words if w.isdigit()]
    if month is None or len(numbers) != 2:
        return False
    day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
    return _is_date(year, month, day)


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1870 <= year <= 2100


_I = re.IGNORECASE
#: 12-34-56 and 12 34 56 (and 123456 right after the words "sort code").
_SORT_CODE = re.compile(r"(?<![\w-])(?<!\d[ -])(?P<value>\d{2}([- ])\d{2}\2\d{2})(?![\w-]|[- ]\d)")
_SORT_CODE_PLAIN = re.compile(r"\bsort[\s-]?code\s*(?:is|:|no\.?|number)?\s*(?P<value>\d{6})(?![\w-])", _I)
_SORT_CODE_CONTEXT = re.compile(r"\bsort[\s-]?codes?\b|\bs/c\b", _I)
_ACCOUNT_NUMBER = re.compile(r"(?<![\w-])(?<!\d[ -])(?P<value>\d{8})(?![\w-]|[ -]\d)")
_ACCOUNT_CONTEXT = re.compile(r"\baccount|\bacc(?:t|\.|ount)?\s*(?:no|num|number|#)|\ba/c\b|\bacct\b", _I)
_BIC = re.compile(r"(?<![A-Za-z0-9])(?P<value>[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)(?![A-Za-z0-9])")
_BIC_CONTEXT = re.compile(r"\bswift\b|\bbic\b|bank identifier code|\bbank code\b", _I)
#: A letters-only candidate ("DEUTDEFF", but also "CUSTOMER") needs the label right before it.
_BIC_LABEL_BEFORE = re.compile(
    r"(?:\bswift|\bbic|bank identifier code)(?:\s*/\s*(?:swift|bic))?(?:\s+(?:code|number|no\.?|address))?"
    r"\s*(?:is|:|=|-)?\s*[\"'(]?$",
    _I,
)
_ABA = re.compile(r"(?<![\w-])(?<!\d[ -])(?P<value>[0123678]\d{8})(?![\w-]|[ -]\d)")
_ABA_CONTEXT = re.compile(r"\brouting\b|\baba\b|\brtn\b|\btransit number\b", _I)
_PASSPORT_DIGITS = re.compile(r"(?<![\w-])(?<!\d[ -])(?P<value>\d{9})(?![\w-]|[ -]\d)")
_PASSPORT_CONTEXT = re.compile(r"\bpassport", _I)
_US_CUE = re.compile(r"\bU\.?S\.?A?\b|\bAmerican\b|\bUnited States\b")
_BIRTH_CONTEXT = re.compile(
    r"\bborn\b|\bbirth|\bd\.?o\.?b\b|\bbirthday|\bdate of birth|\bnée\b", re.IGNORECASE
)


def _aba_checksum(value: str) -> bool:
    """Presidio's ABA checksum (3-7-1 weights, sum divisible by 10)."""
    return bool(_aba_recognizer().validate_result(value))


@cache
def _aba_recognizer() -> AbaRoutingRecognizer:
    return AbaRoutingRecognizer()


def _not_all_same(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return len(set(digits)) > 1


def build_finance_recognizers() -> list[EntityRecognizer]:
    """The finance recognizers, ready for ``registry.add_recognizer``.

    Returns:
        - ``UK_SORT_CODE``: ``NN-NN-NN`` / ``NN NN NN`` with "sort code" or "s/c" nearby (and ``NNNNNN`` right
          after "sort code"); score 0.6.
        - ``UK_ACCOUNT_NUMBER``: 8 digits with "account", "acct", "a/c" nearby; score 0.6 (above Presidio's
          US_BANK_NUMBER, 0.4 with context, which matches the same digits).
        - ``SWIFT_CODE``: :class:`SwiftBicRecognizer`; score 0.7.
        - ``ABA_ROUTING_NUMBER``: 9 digits passing Presidio's ABA checksum with "routing", "ABA", "RTN"
          nearby; score 0.85 (checksum and context: above a phone-number reading of the digits, 0.75).
          (Presidio's own recognizer scores any checksum-passing 9 digits 1.0, one 9-digit
          number in ten, so it is not loaded.)
        - ``UK_PASSPORT``: 9 digits with "passport" nearby and no "US"/"American"/"United States" there (those
          are Presidio's ``US_PASSPORT``); score 0.5. Presidio's ``UkPassportRecognizer`` adds the 2-letter +
          7-digit form (0.1, 0.45 with "passport" in context).
        - ``UK_NINO``: Presidio's ``UkNinoRecognizer`` (HMRC's prefix rules: no D, F, I, Q, U, V first, no
          D, F, I, O, Q, U, V second, not BG, GB, KN, NK, NT, TN, ZZ; suffix A-D); score 0.5.
        - ``DATE_OF_BIRTH``: a real calendar date (:func:`is_valid_date`) with "born", "birth", "DOB",
          "birthday" nearby; score 0.7. Dates alone are not personal data in finance and are not looked for.
    """
    return [
        ContextPatternRecognizer(
            "UK_SORT_CODE", "UkSortCodeRecognizer", _SORT_CODE, _SORT_CODE_CONTEXT, 0.6, _not_all_same
        ),
        ContextPatternRecognizer(
            "UK_SORT_CODE", "UkSortCodeRecognizer", _SORT_CODE_PLAIN, _SORT_CODE_CONTEXT, 0.6, _not_all_same
        ),
        ContextPatternRecognizer(
            "UK_ACCOUNT_NUMBER",
            "UkAccountNumberRecognizer",
            _ACCOUNT_NUMBER,
            _ACCOUNT_CONTEXT,
            0.6,
            _not_all_same,
        ),
        SwiftBicRecognizer(),
        ContextPatternRecognizer(
            "ABA_ROUTING_NUMBER", "AbaRoutingContextRecognizer", _ABA, _ABA_CONTEXT, 0.85, _aba_checksum
        ),
        ContextPatternRecognizer(
            "UK_PASSPORT",
            "UkPassportDigitsRecognizer",
            _PASSPORT_DIGITS,
            _PASSPORT_CONTEXT,
            0.5,
            _not_all_same,
            exclude=_US_CUE,
        ),
        UkPassportRecognizer(),
        UkNinoRecognizer(),
        ContextPatternRecognizer(
            "DATE_OF_BIRTH", "DateOfBirthRecognizer", _DATE, _BIRTH_CONTEXT, 0.7, is_valid_date, before=45
        ),
    ]
