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
    "CARD_SECURITY_CODE",
    "DATE_OF_BIRTH",
    "REFERENCE_NUMBER",
    "SWIFT_CODE",
    "UK_ACCOUNT_NUMBER",
    "UK_NINO",
    "UK_PASSPORT",
    "UK_DRIVING_LICENCE",
    "UK_SORT_CODE",
    "VEHICLE_ID",
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
_SORT_CODE_CONTEXT = re.compile(r"\bsort[\s-]?codes?\b|\bs/c\b|\bsc\b", _I)
#: "sort 60-83-71": the word "sort" alone right before NN-NN-NN (payee details typed in a hurry).
_SORT_CODE_SHORT_LABEL = re.compile(
    r"\bsort\s*[:#]?\s*(?P<value>\d{2}([- ])\d{2}\2\d{2})(?![\w-]|[- ]\d)", _I
)
#: A UK sort code and account number written together, the way payee details are given ("60-83-71 / 22019384",
#: "30-99-50 44556677"): the pair is the context of each other.
_SORT_CODE_PAIR = re.compile(
    r"(?<![\w-])(?P<value>\d{2}-\d{2}-\d{2})(?=\s*(?:/|,|\||;)?\s*"
    r"(?!(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))\d{8}(?![\w-]|[ -]\d))"
)
_ACCOUNT_PAIR = re.compile(r"(?<=\d{2}-\d{2}-\d{2})\s*(?:/|,|\||;)?\s*(?P<value>\d{8})(?![\w-]|[ -]\d)")
#: A National Insurance number after its label, whatever its prefix letters ("NI QQ 12 34 56 B": HMRC's own
#: example prefix, which Presidio's recognizer rightly rejects as never issued, is still what the user typed).
_NINO_LABELLED = re.compile(
    r"\b(?:NI|NINO|NI\s+(?:no|number)|national\s+insurance(?:\s+(?:no|number))?)\.?\s*(?:is|:|#|-)?\s*"
    r"(?P<value>[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
#: A National Insurance number's shape (HMRC: two letters, six digits in pairs, A-D) and its words nearby: what a
#: policy without ``UK_NINO`` (code, medical) removes as ``ID_NUMBER`` ("NI numbers like AB 12 34 56 C").
_NINO_SHAPE = re.compile(r"(?<![A-Za-z0-9])(?P<value>[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D])(?![A-Za-z0-9])")
_NINO_CONTEXT = re.compile(r"\bNI\b|\bNINO\b|national\s+insurance", re.IGNORECASE)
_ACCOUNT_NUMBER = re.compile(r"(?<![\w-])(?<!\d[ -])(?P<value>\d{8})(?![\w-]|[ -]\d)")
#: Eight digits spaced out one by one, as statements and OCR print them ("Acc No: 0 0 4 8 1 2 7 3").
_ACCOUNT_SPACED = re.compile(r"(?<![\w-])(?<!\d )(?P<value>\d(?: \d){7})(?![\w-]| \d)")
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
#: Other countries' passport numbers (ICAO 9303 allows 9 letters and digits: "19FV88213" in France): letters and
#: at least 5 digits, right after "passport (number|no)".
_PASSPORT_ALNUM = re.compile(
    r"\bpassport(?:\s+(?:number|no\.?|#))?(?:\s+is)?\s*[:#]?\s*"
    r"(?P<value>(?=[A-Z0-9]*[A-Z])(?=(?:[A-Z]*\d){5})[A-Z0-9]{7,9})(?![A-Za-z0-9-])",
    _I,
)
_US_CUE = re.compile(r"\bU\.?S\.?A?\b|\bAmerican\b|\bUnited States\b")
_BIRTH_CONTEXT = re.compile(
    r"\bborn\b|\bbirth|\bd\.?o\.?b\b|\bbirthday|\bdate of birth|\bnée\b", re.IGNORECASE
)


#: Labels of a customer's own reference numbers at a bank, insurer, lender or school: customer/client number,
#: reference, loan, agreement, policy, member(ship), student, application, claim, case, contract, mortgage; and
#: the ids others give a person: staff/employee/payroll number, user or online id, dispute, invoice and ticket
#: numbers (an order number is the shop's, and stays).
_CUSTOMER_ID = re.compile(
    r"\b(?:customer|client|cust|member(?:ship)?|policy(?:holder)?|student|applicant|application|loan|agreement|"
    r"mortgage|contract|claim|case|plan|pension(?:\s+plan)?|ref(?:erence)?|cif|staff|employee|payroll|"
    r"user|online|dispute|invoice|ticket)"
    r"(?:[\s_]+(?:number|num|no\.?|#|id|ref(?:erence)?|code))?\.?(?:\s+(?:is|was))?\s*[:#=]?\s*#?\s*"
    r"(?P<value>(?=(?:[A-Z/-]*\d){4})[A-Z0-9][A-Z0-9/-]{3,24})(?![\w/-])",
    re.IGNORECASE,
)
#: Labels too loose alone ("plan", "case", "claim", "ref", "loan"): the value must hold a letter and a digit or
#: come after a number word ("case no. 4471", "ref # 8812"); "a 2024 plan" or "case 12" are not identifiers.
_LOOSE_ID_LABEL = re.compile(r"^(?:plan|case|claim|ref|reference|loan|contract|pension|application)\b", re.I)


#: Labels that name a person's own number wherever they stand (not "ref", "case", "plan": in code those are
#: git refs, test cases and build plans).
_PERSONAL_ID_LABEL = re.compile(r"(?:customer|client|cust|member|policyholder|student|applicant|cif)\b", re.I)


class CustomerIdRecognizer(ContextPatternRecognizer):
    """``REFERENCE_NUMBER``: a customer's own reference after its label ("customer number 0048812367", "loan ref
    LX-00918273", "policy HH-44719026", "membership no. M8832109", "student no 2209841"); at least 4 digits,
    score 0.6. The label is the evidence: such numbers have no common format or check digit.

    For a policy without ``REFERENCE_NUMBER`` but with ``ID_NUMBER`` (code, medical), the numbers after a
    person's label (customer, client, member, policyholder, student, applicant, CIF: "member MBR-8821044" in a
    traceback) are ``ID_NUMBER``."""

    def __init__(self) -> None:
        super().__init__("REFERENCE_NUMBER", "CustomerIdRecognizer", _CUSTOMER_ID, re.compile(""), 0.6)
        self.supported_entities = ["REFERENCE_NUMBER", "ID_NUMBER"]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """``REFERENCE_NUMBER`` results, or ``ID_NUMBER`` ones after a person's label (class docstring)."""
        if "REFERENCE_NUMBER" in entities:
            return super().analyze(text, ["REFERENCE_NUMBER"], nlp_artifacts)
        if "ID_NUMBER" not in entities:
            return []
        results = []
        for result in super().analyze(text, ["REFERENCE_NUMBER"], nlp_artifacts):
            label = next(
                m
                for m in _CUSTOMER_ID.finditer(text, max(0, result.start - 60))
                if m.start("value") == result.start
            )
            if _PERSONAL_ID_LABEL.match(text, label.start()):
                result.entity_type = "ID_NUMBER"
                results.append(result)
        return results

    def _accepts(self, text: str, start: int, end: int) -> bool:
        match = next(
            (m for m in _CUSTOMER_ID.finditer(text, max(0, start - 60)) if m.start("value") == start), None
        )
        if match is None:
            return False
        label = text[match.start() : start]
        value = text[start:end]
        if re.fullmatch(r"(?:19|20)\d\d", value):
            return False
        # a loose label needs a letter in the value or a number word in the label
        return not _LOOSE_ID_LABEL.match(label) or bool(
            re.search(r"[A-Za-z]", value) or re.search(r"#|:|\bno\b|number|num\b|=|\bid\b", label, re.I)
        )


#: Other countries' personal tax and identity numbers after their label: Spain's NIF/NIE/DNI, Australia's TFN,
#: Canada's SIN, Ireland's PPS, the Netherlands' BSN, Brazil's CPF, Italy's codice fiscale, Sweden's
#: personnummer, Germany's Steuer-ID, a "tax file/id number", "TIN". SIN and TIN in capitals only ("sin", "tin"
#: are words); blanks only before a digit; the value holds 6+ digits, in groups or not ("48217739Q", "123 456 782", "123.456.789-09").
_NATIONAL_ID_LABELLED = re.compile(
    r"(?:\b(?:SIN|TIN)\b|(?i:\b(?:nif|nie|dni|tfn|ppsn?|bsn|cpf|codice\s+fiscale|personnummer|steuer-?id|"
    r"tax\s+(?:file|id(?:entification)?)\s+(?:number|no\.?)|social\s+insurance\s+number)\b))"
    r"(?i:\s+(?:is|was|number|no\.?))?\s*[:#=-]?\s*"
    r"(?P<value>(?=(?:[^\d\s]?[ .-]?\d){6})[A-Za-z0-9](?:[A-Za-z0-9]|[.-](?=[A-Za-z0-9])| (?=\d)){5,17})(?![A-Za-z0-9])"
)


class NationalIdLabelRecognizer(ContextPatternRecognizer):
    """``ID_NUMBER`` (or ``REFERENCE_NUMBER`` where the policy has no ``ID_NUMBER``, as finance's): another
    country's personal tax or identity number right after its label (:data:`_NATIONAL_ID_LABELLED`), as typed
    (no check digit is tested: the label is the evidence, and a mistyped number still points at the person);
    score 0.6."""

    def __init__(self) -> None:
        super().__init__("ID_NUMBER", "NationalIdLabelRecognizer", _NATIONAL_ID_LABELLED, re.compile(""), 0.6)
        self.supported_entities = ["ID_NUMBER", "REFERENCE_NUMBER"]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """The labelled numbers, typed ``ID_NUMBER`` or else ``REFERENCE_NUMBER`` (class docstring)."""
        entity = next((e for e in self.supported_entities if e in entities), None)
        if entity is None:
            return []
        results = super().analyze(text, ["ID_NUMBER"], nlp_artifacts)
        for result in results:
            result.entity_type = entity
        return results


#: An IBAN after its label, as typed (ISO 13616: country code, 2 check digits, up to 30 letters and digits,
#: printed in groups of 4): Presidio's recognizer wants the mod-97 check to pass; a mistyped IBAN still points
#: at the account.
_IBAN_LABELLED = re.compile(
    r"\biban(?:\s+(?:number|no\.?))?(?:\s+is)?\s*[:#=-]?\s*"
    r"(?P<value>(?-i:[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{1,4}){3,8}))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
#: A US Social Security number after its label, as typed (Presidio's recognizer rejects never-issued ranges
#: such as 123-45-6789 or 9xx, which people still type as theirs).
_SSN_LABELLED = re.compile(
    r"\b(?:ssn|ss#|social\s+security(?:\s+(?:number|no\.?|#))?)(?:\s+is)?\s*[:#=-]?\s*"
    r"(?P<value>\d{3}([- ]?)\d{2}\2\d{4})(?![\w-])",
    re.IGNORECASE,
)


#: UK registration marks (DVLA, current format since 2001): two letters (region), two digits (age identifier),
#: three letters; written with or without the space ("LK19 XRT", "yj67kpn").
_UK_PLATE = re.compile(
    r"(?<![A-Za-z0-9])(?P<value>[A-HJ-PR-Y][A-HJ-PR-Y](?:0[1-9]|[1-9]\d)\s?[A-HJ-PR-Z]{3})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
#: Older UK marks: prefix (1983-2001, "A123 BCD") and suffix (1963-1983, "ABC 123D") formats (DVLA).
_UK_PLATE_OLD = re.compile(
    r"(?<![A-Za-z0-9])(?P<value>[A-HJ-NP-Y]\d{1,3}\s?[A-Z]{3}|[A-Z]{3}\s?\d{1,3}[A-HJ-NP-Y])(?![A-Za-z0-9])"
)
#: Any registration right after its label ("licence plate 7ABC123", "reg no: KX05 ABC", "plate# WZ-4421"):
#: 4-8 letters and digits with both, the label being the evidence.
_PLATE_LABELLED = re.compile(
    r"\b(?:(?:licen[cs]e|number|registration|reg)\s+plate|plate(?:\s+(?:no\.?|number))?|"
    r"reg(?:istration)?(?:\s+(?:no\.?|number|mark))?|vrn|vrm)\b\.?(?:\s+(?:is|was))?(?:\s*[:#]\s*|\s+)"
    r"(?P<value>(?-i:[A-Z0-9]{1,4}[ -]?[A-Z0-9]{1,5}))(?![A-Za-z0-9-])",
    re.IGNORECASE,
)
_PLATE_CONTEXT = re.compile(
    r"\b(?:reg(?:istration)?|registered|number\s*plates?|plates?|vehicle|car|van|motorbike|lorry|vrn|vrm|"
    r"dvla|parked|v5c?)\b",
    re.IGNORECASE,
)
#: UK driving licence numbers (DVLA): 5 characters of the surname (padded with 9s), 6 digits from the date of
#: birth (decade, month +5 for women, day, year), 2 initials (padded with 9), a digit, 2 check letters.
_UK_LICENCE = re.compile(
    r"(?<![A-Za-z0-9])(?P<value>[A-Z][A-Z9]{4}\d[0156]\d[0-3]\d\d[A-Z9]{2}\d[A-Z0-9]{2})(?:\s?\d{2})?(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_LICENCE_CONTEXT = re.compile(r"\b(?:licen[cs]e|dvla|driving|driver)", re.IGNORECASE)


def _plate_ok(value: str) -> bool:
    """A labelled registration: 4-8 characters, not a year, a time or a number with a unit ("2019", "12h")."""
    bare = re.sub(r"[ -]", "", value)
    if not (re.search(r"\d", bare) and re.search(r"[A-Z]", bare)):
        return False
    return 4 <= len(bare) <= 8 and not re.fullmatch(
        r"\d+(?:h|hrs?|mins?|am|pm|st|nd|rd|th|s|k|m|kg|mg|ml)?", bare, re.I
    )


def _aba_checksum(value: str) -> bool:
    """Presidio's ABA checksum (3-7-1 weights, sum divisible by 10)."""
    return bool(_aba_recognizer().validate_result(value))


@cache
def _aba_recognizer() -> AbaRoutingRecognizer:
    return AbaRoutingRecognizer()


def _not_a_date(value: str) -> bool:
    """Whether 8 digits are not a YYYYMMDD date (a log's "20240101" after "12-05-21" is no account)."""
    return _not_all_same(value) and not (
        value[:2] in ("19", "20") and is_valid_date(f"{value[:4]}-{value[4:6]}-{value[6:]}")
    )


def _not_all_same(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return len(set(digits)) > 1


def build_finance_recognizers() -> list[EntityRecognizer]:
    """The finance recognizers, ready for ``registry.add_recognizer``.

    Returns:
        - ``UK_SORT_CODE``: ``NN-NN-NN`` / ``NN NN NN`` with "sort code", "s/c" or "sc" nearby (and ``NNNNNN``
          right after "sort code"), right after the word "sort" ("sort 20-00-00", whatever the digits), or
          followed by an 8-digit account number ("60-83-71 / 22019384"); 0.6.
        - ``UK_ACCOUNT_NUMBER``: 8 digits (also spaced one by one, "0 0 4 8 1 2 7 3") with "account", "acct",
          "a/c" nearby or right after a sort code; 0.6 (above Presidio's US_BANK_NUMBER, 0.4 with context,
          which matches the same digits).
        - ``ID_NUMBER`` / ``REFERENCE_NUMBER``: :class:`NationalIdLabelRecognizer` (NIF, DNI, TFN, SIN, BSN, CPF,
          codice fiscale, ... after their label, as typed); score 0.6. ``ID_NUMBER`` also for a UK NINO's shape
          with "NI", "NINO" or "national insurance" nearby, for policies without ``UK_NINO`` (code, medical).
        - ``SWIFT_CODE``: :class:`SwiftBicRecognizer`; score 0.7.
        - ``ABA_ROUTING_NUMBER``: 9 digits passing Presidio's ABA checksum with "routing", "ABA", "RTN"
          nearby; score 0.85 (checksum and context: above a phone-number reading of the digits, 0.75).
          (Presidio's own recognizer scores any checksum-passing 9 digits 1.0, one 9-digit
          number in ten, so it is not loaded.)
        - ``UK_PASSPORT``: 9 digits with "passport" nearby and no "US"/"American"/"United States" there (those
          are Presidio's ``US_PASSPORT``); score 0.5. Presidio's ``UkPassportRecognizer`` adds the 2-letter +
          7-digit form (0.1, 0.45 with "passport" in context); any 7-9 letters and digits (5+ digits) right
          after "passport" (other countries' numbers, ICAO 9303) count too, score 0.5.
        - ``UK_NINO``: Presidio's ``UkNinoRecognizer`` (HMRC's prefix rules: no D, F, I, Q, U, V first, no
          D, F, I, O, Q, U, V second, not BG, GB, KN, NK, NT, TN, ZZ; suffix A-D); score 0.5. After its label
          ("NI", "NINO", "national insurance") any two letters, six digits and A-D count; score 0.6.
        - ``CARD_SECURITY_CODE``: :class:`~privacy.cards.CardSecurityCodeRecognizer` (3-4 digits after "CVV",
          "security code", "3 digits on the back", ...); score 0.8.
        - ``REFERENCE_NUMBER``: :class:`CustomerIdRecognizer` (customer, policy, loan, member numbers after their label);
          score 0.6 (``ID_NUMBER`` after a person's label where the policy has no ``REFERENCE_NUMBER``).
        - ``VEHICLE_ID``: a UK registration mark in the DVLA format since 2001 ("LK19 XRT") with "reg",
          "plate", "vehicle", "car", "van" nearby, score 0.6 (the older prefix/suffix formats: 0.5); any 4-8
          letters and digits right after "plate", "reg no", "registration", score 0.55.
        - ``UK_DRIVING_LICENCE``: the DVLA's 16-character licence number (surname, date-of-birth digits with
          the month 0-1 or 5-6, initials, check characters) with "licence", "driving" or "DVLA" nearby; 0.7.
        - ``IBAN_CODE`` and ``US_SSN`` right after their label ("IBAN: GB12 …", "SSN 123-45-6789") as typed,
          whether or not the checksum or the issued ranges agree (Presidio checks both otherwise); score 0.6.
        - ``DATE_OF_BIRTH``: a real calendar date (:func:`is_valid_date`) with "born", "birth", "DOB",
          "birthday" nearby; score 0.7. Dates alone are not personal data in finance and are not looked for.
    """
    from privacy.cards import CardSecurityCodeRecognizer

    return [
        CardSecurityCodeRecognizer(),
        CustomerIdRecognizer(),
        ContextPatternRecognizer(
            "VEHICLE_ID",
            "UkVehicleRegistrationRecognizer",
            _UK_PLATE,
            _PLATE_CONTEXT,
            0.6,
            before=40,
            after=30,
        ),
        ContextPatternRecognizer(
            "VEHICLE_ID",
            "UkVehicleRegistrationRecognizer",
            _UK_PLATE_OLD,
            _PLATE_CONTEXT,
            0.5,
            before=40,
            after=30,
        ),
        ContextPatternRecognizer(
            "VEHICLE_ID",
            "VehicleRegistrationLabelRecognizer",
            _PLATE_LABELLED,
            re.compile(""),
            0.55,
            _plate_ok,
        ),
        ContextPatternRecognizer(
            "UK_DRIVING_LICENCE", "UkDrivingLicenceRecognizer", _UK_LICENCE, _LICENCE_CONTEXT, 0.7, before=50
        ),
        ContextPatternRecognizer(
            "UK_SORT_CODE", "UkSortCodeRecognizer", _SORT_CODE, _SORT_CODE_CONTEXT, 0.6, _not_all_same
        ),
        ContextPatternRecognizer(
            "UK_SORT_CODE", "UkSortCodeRecognizer", _SORT_CODE_PLAIN, _SORT_CODE_CONTEXT, 0.6, _not_all_same
        ),
        ContextPatternRecognizer(
            "UK_SORT_CODE", "UkSortCodeRecognizer", _SORT_CODE_PAIR, re.compile(""), 0.6, _not_all_same
        ),
        ContextPatternRecognizer(
            "UK_SORT_CODE", "UkSortCodeRecognizer", _SORT_CODE_SHORT_LABEL, re.compile(""), 0.6
        ),
        ContextPatternRecognizer(
            "UK_ACCOUNT_NUMBER", "UkAccountNumberRecognizer", _ACCOUNT_PAIR, re.compile(""), 0.6, _not_a_date
        ),
        ContextPatternRecognizer("UK_NINO", "UkNinoLabelRecognizer", _NINO_LABELLED, re.compile(""), 0.6),
        ContextPatternRecognizer("IBAN_CODE", "IbanLabelRecognizer", _IBAN_LABELLED, re.compile(""), 0.6),
        ContextPatternRecognizer("US_SSN", "UsSsnLabelRecognizer", _SSN_LABELLED, re.compile(""), 0.6),
        ContextPatternRecognizer(
            "UK_ACCOUNT_NUMBER",
            "UkAccountNumberRecognizer",
            _ACCOUNT_NUMBER,
            _ACCOUNT_CONTEXT,
            0.6,
            _not_all_same,
        ),
        ContextPatternRecognizer(
            "UK_ACCOUNT_NUMBER",
            "UkAccountNumberRecognizer",
            _ACCOUNT_SPACED,
            _ACCOUNT_CONTEXT,
            0.6,
            _not_all_same,
        ),
        NationalIdLabelRecognizer(),
        ContextPatternRecognizer("ID_NUMBER", "UkNinoIdNumberRecognizer", _NINO_SHAPE, _NINO_CONTEXT, 0.6),
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
        ContextPatternRecognizer(
            "UK_PASSPORT", "PassportLabelRecognizer", _PASSPORT_ALNUM, re.compile(""), 0.5, exclude=_US_CUE
        ),
        UkPassportRecognizer(),
        UkNinoRecognizer(),
        ContextPatternRecognizer(
            "DATE_OF_BIRTH", "DateOfBirthRecognizer", _DATE, _BIRTH_CONTEXT, 0.7, is_valid_date, before=45
        ),
    ]
