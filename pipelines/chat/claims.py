"""Figures nobody checked: every number, amount, date, clock time, phone-like string, card number, e-mail address
and named fee of an answer must occur in what the model saw, else it is flagged (issue 21 item 2).

The citation check (:mod:`pipelines.chat.citations`) looks only at sentences with ``[n]`` markers, and small
models rarely write them; this check reads **every** sentence, cited or not, and needs no model call.

What counts as support: the texts the model saw, de-identified as it saw them (:class:`ClaimSupport`): the
numbered passages, the question, the earlier questions of the conversation (the user said them) and the
passages of those earlier turns (the earlier answers the model sees took their figures from there), and the
system prompt (a domain's escalation addendum names the bank's helplines). Earlier *answers* are not support:
a figure they got wrong must not vouch for itself. A user's own values are placeholders there (``<PHONE_NUMBER_1>``), so a
placeholder the answer copies is supported when it occurs in a support text, and a placeholder that occurs in
none is flagged like the value it stands for.

Figures and how two writings of one figure are made equal (decided when the labelled sets were written, before
this check; ``benchmarks/data/claim_check.md``):

- **amount** (money): a currency (``£ $ € GBP USD EUR``, or ``pounds``, ``dollars``, ``euros``, ``sterling``
  after the number) and a value with its magnitude (``k``, ``m``, ``bn``, ``thousand``, ``million``):
  ``£25,000`` = ``25000 pounds`` = ``£25k`` = ``GBP 25,000``. Supported when a support text has the same value in
  the same currency, or the bare value with no currency; the same value in another currency is flagged with
  that reason (``$10`` where the passage says ``£10``).
- **percent**: ``2.75%`` = ``2.75 per cent`` = ``2.75 percent``; supported by the same value as a percentage or
  a bare number.
- **number**: digits (``25,000`` = ``25000``; ``25k`` = 25,000; ordinals ``3rd`` = 3), and number words before a
  unit (``three days`` = ``3 days``; ``thirty-six``); supported when the value occurs anywhere in a support text
  (as a number, an amount, a percentage, a number word or an ordinal word: ``third``). The value is compared,
  not its sense: "5 attempts" passes beside "5 business days" (a known limit, measured).
- **time**: ``4pm`` = ``4 p.m.`` = ``16:00``, ``3:30pm`` = ``3.30pm``, ``12 noon`` = ``12pm``.
- **date**: ``14 March 2025`` = ``March 14, 2025`` = ``14/03/2025`` (day first) = ``2025-03-14``; a date without
  a year matches one with it.
- **phone** (7-15 digits, grouped, or starting with ``+``, ``0`` or ``(``): digits compared, ``+44 (0)20`` =
  ``020``, and two numbers of 9 digits or more are equal when their last 9 digits are.
- **card**: 13-19 digits in groups of four or passing the Luhn check; **email**: compared case-insensitively.
- **fee**: the words right before ``fee``/``charge`` (``late payment fee``, ``non-sterling transaction fee``;
  determiners, amounts and generic words such as "additional" left out); supported when one sentence or table
  row of a support text holds all of them (Snowball stems: "recalls" = "recall") and a fee word (fee, charge,
  cost).

Not figures: text in code spans and fenced code blocks, citation markers, list numbering at the start of a line,
numbers inside words (``H1N1``, ``UTF-8``), URLs.

Invented identifiers: a phone number, card number or e-mail address in the answer that occurs in no support
text is never shown as if real. :class:`IdentifierMasker` replaces it, as the answer streams, with a marker
(:data:`MARKERS`, e.g. ``[unverified phone number]``) before the user's values are restored, so the screen, the
stored answer and ``--json`` all carry the marker, and :func:`check_claims` reports each marker as an
unsupported claim. The claims hold no raw identifier: their ``text`` is the marker.

Precision and recall of the flags on a development and a held-out labelled set: ``benchmarks/claim_check.py``,
results in ``benchmarks/results/claim_check.md``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from privacy import ANY_PLACEHOLDER, PLACEHOLDER_PATTERN, entity_label

__all__ = [
    "CLAIM_KINDS",
    "IDENTIFIER_KINDS",
    "MARKERS",
    "KIND_LABELS",
    "MAX_CLAIMS",
    "Claim",
    "ClaimSupport",
    "IdentifierMasker",
    "MaskedParts",
    "check_claims",
    "extract_figures",
    "readable",
    "stored_claims",
    "with_shown",
]

#: The kinds of figure checked, in the order the module docstring describes them.
CLAIM_KINDS = ("amount", "percent", "number", "time", "date", "phone", "card", "email", "fee")
#: Kinds that identify a person or an account: never shown when unsupported.
IDENTIFIER_KINDS = ("phone", "card", "email")
#: What replaces an unsupported identifier in the displayed (and stored) answer.
MARKERS = {
    "phone": "[unverified phone number]",
    "card": "[unverified card number]",
    "email": "[unverified email address]",
}
#: Bare placeholders (a value the privacy scan masked, ``<PHONE_NUMBER>``) by the identifier kind they stand for.
_PLACEHOLDER_KINDS = {"PHONE_NUMBER": "phone", "CREDIT_CARD": "card", "EMAIL_ADDRESS": "email"}

#: A claim kind in words, as the flags name it (``"phone"`` -> ``"phone number"``).
KIND_LABELS = {
    "amount": "amount",
    "percent": "percentage",
    "number": "number",
    "time": "time",
    "date": "date",
    "phone": "phone number",
    "card": "card number",
    "email": "e-mail address",
    "fee": "fee",
}


@dataclass(frozen=True)
class Claim:
    """An unsupported figure of an answer.

    Attributes:
        kind: One of :data:`CLAIM_KINDS`.
        text: The figure as written in the checked answer (``£50,001``, ``late payment fee``); for an identifier
            its marker (``[unverified phone number]``) or placeholder, never the value.
        value: Its normalised form (``GBP 50001``, ``2.75%``, ``2025-03-14``, ``16:00``); "" for identifiers and
            fees.
        sentence: The sentence of the checked (de-identified) answer that holds it.
        reason: Why it is flagged, in words.
        start: Offset of the figure in the checked answer.
        end: Offset just after it.
        shown: ``sentence`` with the user's values restored, for display; "" until set. Never stored or put in
            ``--json``.
    """

    kind: str
    text: str
    value: str
    sentence: str
    reason: str
    start: int = 0
    end: int = 0
    shown: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """``{kind, text, value, sentence, reason}`` (de-identified; the ``ask --json`` and stored shape)."""
        return {
            "kind": self.kind,
            "text": self.text,
            "value": self.value,
            "sentence": self.sentence,
            "reason": self.reason,
        }


# --- text clean-up -------------------------------------------------------------------------------------------

_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)
_CITATION = re.compile(r"(?<![\w)\]])(?:\[\s*\d+(?:\s*(?:[,;]|[-\u2013])\s*\d+)*\s*\])+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_LIST_NUMBER = re.compile(r"(?m)^[ \t]*(?:[-*][ \t]+)?\d{1,2}[.)](?=[ \t])")
_MARKER = re.compile("|".join(re.escape(m) for m in MARKERS.values()))


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _prepare(text: str, answer: bool) -> str:
    """``text`` with what is not a figure blanked out, offsets kept (placeholders, markers, citations, URLs; in
    an answer also code and list numbers)."""
    if answer:
        text = _blank(text, _CODE)
        text = _blank(text, _LIST_NUMBER)
    for pattern in (_URL, _CITATION, ANY_PLACEHOLDER, _MARKER):
        text = _blank(text, pattern)
    return text


# --- numbers and number words --------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_MAGNITUDE = {
    "k": 1_000,
    "m": 1_000_000,
    "bn": 1_000_000_000,
    **{k: v for k, v in _SCALES.items() if v > 100},
}

_SMALL = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
_WORD_NUMBER = re.compile(
    rf"\b(?:(?:{_SMALL})(?:[- ](?:{_SMALL}))?|a|an)(?:[- ](?:hundred|thousand|million)(?:(?: and)? (?:{_SMALL})(?:[- ](?:{_SMALL}))?)?)?\b",
    re.IGNORECASE,
)
#: Words after which a number word is a figure ("three days"), not prose ("two options").
_UNIT_WORDS = frozenset(
    re.split(
        r"\s+",
        "second seconds minute minutes hour hours day days week weeks month months year years working business "
        "calendar time times attempt attempts payment payments percent per pound pounds dollar dollars euro euros "
        "pence card cards digit digits character characters withdrawal withdrawals transaction transactions "
        "statement statements",
    )
)
_ORDINAL_WORD = re.compile(rf"\b(?:{'|'.join(_ORDINALS)})\b", re.IGNORECASE)

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER = re.compile(
    rf"(?<![\w.,:])(?<![A-Za-z]-)(?:{_NUM})(?:(?:st|nd|rd|th)\b|\s?(?:k|m|bn)\b|\s(?:thousand|million|billion)\b)?"
    r"(?![\w]|[.,]\d)",
    re.IGNORECASE,
)
_PLAIN = re.compile(rf"(?<![\w.])(?:{_NUM})(?!\w)")


def _decimal(digits: str) -> Decimal | None:
    try:
        return Decimal(digits.replace(",", "")).normalize()
    except InvalidOperation:
        return None


def _parse_number(token: str) -> Decimal | None:
    """The value of a digit token with an optional ordinal or magnitude suffix (``25k`` → 25000)."""
    match = re.match(rf"({_NUM})\s?([a-z]*)", token.strip(), re.IGNORECASE)
    if match is None:
        return None
    value = _decimal(match.group(1))
    suffix = match.group(2).lower()
    if value is not None and suffix in _MAGNITUDE:
        value = (value * _MAGNITUDE[suffix]).normalize()
    return value


def _word_value(words: str) -> int | None:
    """The value of a number phrase (``thirty-six``, ``one hundred``, ``a thousand``); None when not one."""
    total, current = 0, 0
    seen = False
    for word in re.split(r"[\s-]+", words.lower().replace(" and ", " ")):
        if word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _TENS:
            current += _TENS[word]
            seen = True
        elif word in ("a", "an"):
            current += 1
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
            seen = True
        elif word:
            return None
    return total + current if seen else None


def _to_str(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- figure patterns -----------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_CARD = re.compile(r"(?<![\w+-])(?<![A-Z]{4} )(?:\d{4}[ -]){2,3}\d{1,7}(?![\w-])|(?<![\w+-])\d{13,19}(?!\w)")
_PHONE = re.compile(
    r"(?<![\w+/.,:])(?<![A-Z]{4} )(?:\+\d{1,3}[ .\-]?(?:\(0\)[ .\-]?)?)?(?:\(\d{2,5}\)[ .\-]?)?\d{2,15}"
    r"(?:[ .\-]\d{2,8}){0,4}"
    r"(?![\w/%£$€]|[.,:]\d|\s?(?i:am|pm|a\.m\.|p\.m\.|k|m|bn|percent|per cent)\b)",
)
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}  # fmt: skip
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATE_PATTERNS = [
    (re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])"), "ymd"),
    (re.compile(r"(?<![\d/.])(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})(?![\d/])"), "dmy"),
    (
        re.compile(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({_MONTH})\.?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
        ),
        "d_month_y",
    ),
    (
        re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?(?!\d)", re.IGNORECASE),
        "month_d_y",
    ),
]
_TIME = re.compile(
    r"(?<![\w:.])(?:(\d{1,2})(?:[:.](\d{2}))?\s?(am|pm|a\.m\.|p\.m\.)(?![\w])|(\d{1,2}):(\d{2})(?![\d:])"
    r"|(12\s)?(noon|midnight)\b)",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = {
    "£": "GBP",
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "gbp": "GBP",
    "usd": "USD",
    "eur": "EUR",
}
_CURRENCY_AFTER = {
    "pound": "GBP", "pounds": "GBP", "sterling": "GBP", "gbp": "GBP", "dollar": "USD", "dollars": "USD",
    "usd": "USD", "euro": "EUR", "euros": "EUR", "eur": "EUR",
}  # fmt: skip
_SYMBOL = {"GBP": "£", "USD": "$", "EUR": "€"}
_MAG = r"(?:\s?(?:k|m|bn)\b|\s(?:thousand|million|billion)\b)?"
_AMOUNT_BEFORE = re.compile(rf"(US\$|£|\$|€|\b(?:GBP|USD|EUR)\s?)\s?({_NUM}){_MAG}", re.IGNORECASE)
_WORDS = rf"(?:(?:{_SMALL})(?:[- ](?:{_SMALL}))?(?:[- ](?:hundred|thousand|million)(?:(?: and)? (?:{_SMALL})(?:[- ](?:{_SMALL}))?)?)?|(?:a|an|one) (?:hundred|thousand|million))"
_AMOUNT_AFTER = re.compile(
    rf"(?<![\w.,])({_NUM}{_MAG}|{_WORDS})\s?(pounds?|sterling|dollars?|euros?|GBP|USD|EUR)\b", re.IGNORECASE
)
_PERCENT = re.compile(
    rf"(?<![\w.,])({_NUM}|{_WORDS})\s?(%|per\s?cent\b|percent\b|percentage points?\b)", re.IGNORECASE
)
_FEE = re.compile(
    r"(?<![A-Za-z'\-])((?:[A-Za-z][A-Za-z'\-]*[ \t]+){1,4})(fees?|charges?)\b(?!-)", re.IGNORECASE
)
#: Cheap searches for the word or sign each costly pattern cannot match without (its unit, currency or "fee"):
#: a text without it skips that pattern's scan. Same matches, less time: most passages hold no amount.
_CUES = {
    _PERCENT: re.compile(r"%|per\s?cent", re.IGNORECASE),
    _AMOUNT_BEFORE: re.compile(r"[$£€]|GBP|USD|EUR", re.IGNORECASE),
    _AMOUNT_AFTER: re.compile(r"pound|sterling|dollar|euro|GBP|USD|EUR", re.IGNORECASE),
    _FEE: re.compile(r"fee|charge", re.IGNORECASE),
}


def _cued(pattern: re.Pattern[str], text: str) -> Iterable[re.Match[str]]:
    """``pattern.finditer(text)``, or nothing when ``text`` lacks the pattern's cue (:data:`_CUES`)."""
    return pattern.finditer(text) if _CUES[pattern].search(text) else ()


_FEE_WORDS = frozenset({"fee", "fees", "charge", "charges", "charged", "cost", "costs", "costing"})
#: Words that never name a fee (determiners, verbs, generic adjectives); a fee name is the run of other words
#: right before "fee"/"charge".
_NOT_FEE_NAME = frozenset(
    re.split(
        r"\s+",
        """a an the no any some our your their its his her my this that these those such same own other another
    additional extra small smaller large larger standard usual normal applicable relevant possible new one two
    each every of or and to for per in on at by from with without is are be been was were there also may will
    can could would should might must not does do did we you they it i he she us them pay pays paid paying charge charged apply applies applied waive waived
    free total fixed its what which how much many there's it's further full only separate similar certain
    corresponding given typical""",
    )
)


@dataclass(frozen=True)
class _Mention:
    """A figure found in a text (internal)."""

    kind: str
    start: int
    end: int
    text: str
    value: Any  # kind-specific normalised value


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _retrying(
    pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], bool]
) -> Iterator[re.Match[str]]:
    """The matches of ``pattern`` that ``accept`` takes; after a refused one the search goes on from the next
    character, not from its end ("12 12 12 0800 555 0199" still finds the phone number)."""
    position = 0
    while (m := pattern.search(text, position)) is not None:
        if accept(m):
            yield m
            position = max(m.end(), m.start() + 1)
        else:
            position = m.start() + 1


def _card_like(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    grouped = bool(re.fullmatch(r"(?:\d{4}[ -]){3}\d{1,7}", text))
    return 13 <= len(digits) <= 19 and (grouped or _luhn(digits))


def _phone_digits(text: str) -> str:
    """National form of a phone number's digits: ``+44 (0)20 7946 0000`` → ``02079460000``."""
    international = text.lstrip().startswith(("+", "00"))
    digits = re.sub(r"\D", "", text.replace("(0)", ""))
    if international:
        digits = digits[2:] if digits.startswith("00") else digits
        if digits.startswith("44"):
            return "0" + digits[2:]
        return "+" + digits
    return digits


def _phone_like(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        return False
    groups = re.findall(r"\d+", text)
    if len(groups) == 2 and all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return False  # a year span 2009-2010
    # a leading +, 0 or (, or groups like "555 0199" (not "12 12 12 12", a run of small numbers)
    return text.lstrip().startswith(("+", "0", "(")) or (len(groups) >= 2 and len(groups[0]) >= 3)


def _time_value(match: re.Match[str]) -> tuple[int, int, str | None] | None:
    hour_ampm, minute_ampm, ampm, hour24, minute24, _twelve, noon = match.groups()
    if noon:
        return (0, 0, "pm") if noon.lower() == "noon" else (0, 0, "am")
    if ampm:
        hour, minute = int(hour_ampm), int(minute_ampm or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        return hour % 12, minute, "pm" if ampm.lower().startswith("p") else "am"
    hour, minute = int(hour24), int(minute24)
    if hour > 23 or minute > 59:
        return None
    if hour >= 12:
        return hour % 12, minute, "pm" if hour < 24 else "am"
    return hour, minute, None


def _time_text(value: tuple[int, int, str | None]) -> str:
    hour, minute, ampm = value
    if ampm == "pm":
        hour += 12
    return f"{hour:02d}:{minute:02d}"


def _date_value(groups: tuple[str | None, ...], form: str) -> tuple[int | None, int, int | None] | None:
    if form == "ymd":
        year, month, day = int(groups[0] or 0), int(groups[1] or 0), int(groups[2] or 0)
    elif form == "dmy":
        day, month = int(groups[0] or 0), int(groups[1] or 0)
        year = int(groups[2] or 0)
        year = year + 2000 if year < 100 else year
    elif form == "d_month_y":
        day, month = int(groups[0] or 0), _MONTHS[(groups[1] or "").lower().rstrip(".")]
        year = int(groups[2]) if groups[2] else 0
    else:
        month, day = _MONTHS[(groups[0] or "").lower().rstrip(".")], int(groups[1] or 0)
        year = int(groups[2]) if groups[2] else 0
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return (year or None), month, day


def _date_text(value: tuple[int | None, int, int | None]) -> str:
    year, month, day = value
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def _mentions(raw: str, answer: bool) -> list[_Mention]:
    """Every figure in ``raw`` (an answer, or a support text), longest kinds first, no two overlapping."""
    text = _prepare(raw, answer)
    taken = [False] * len(text)
    found: list[_Mention] = []

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def take(kind: str, start: int, end: int, value: Any) -> None:
        for i in range(start, end):
            taken[i] = True
        found.append(_Mention(kind, start, end, raw[start:end], value))

    for m in _EMAIL.finditer(text):
        take("email", m.start(), m.end(), m.group().lower())
    for pattern, form in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            date = _date_value(m.groups(), form)
            if date is not None and free(m.start(), m.end()):
                take("date", m.start(), m.end(), date)
    for m in _retrying(_CARD, text, lambda m: _card_like(m.group()) and free(m.start(), m.end())):
        take("card", m.start(), m.end(), re.sub(r"\D", "", m.group()))
    for m in _retrying(_PHONE, text, lambda m: _phone_like(m.group()) and free(m.start(), m.end())):
        take("phone", m.start(), m.end(), _phone_digits(m.group()))
    for m in _TIME.finditer(text):
        time = _time_value(m)
        if time is not None and free(m.start(), m.end()):
            take("time", m.start(), m.end(), time)
    for m in _cued(_PERCENT, text):
        value = _parse_number(m.group(1)) if m.group(1)[0].isdigit() else _word_decimal(m.group(1))
        if value is not None and free(m.start(), m.end()):
            take("percent", m.start(), m.end(), value)
    for m in _cued(_AMOUNT_BEFORE, text):
        currency = _CURRENCY_BEFORE[m.group(1).strip().lower()]
        value = _parse_number(m.group()[len(m.group(1)) :].strip())
        if value is not None and free(m.start(), m.end()):
            take("amount", m.start(), m.end(), (value, currency))
    for m in _cued(_AMOUNT_AFTER, text):
        number = m.group(1)
        value = _parse_number(number) if number[0].isdigit() else _word_decimal(number)
        if value is not None and free(m.start(), m.end()):
            take("amount", m.start(), m.end(), (value, _CURRENCY_AFTER[m.group(2).lower()]))
    for m in _NUMBER.finditer(text):
        value = _parse_number(m.group())
        if value is not None and free(m.start(), m.end()):
            take("number", m.start(), m.end(), value)
    for m in _WORD_NUMBER.finditer(text):
        if m.group().lower() in ("a", "an", "one", "zero") or not free(m.start(), m.end()):
            continue
        following = re.match(r"[\s-]+([A-Za-z]+)", text[m.end() :])
        if answer and not (following and following.group(1).lower() in _UNIT_WORDS):
            continue
        value = _word_decimal(m.group())
        if value is not None:
            take("number", m.start(), m.end(), value)
    for m in _cued(_FEE, text):
        name = _fee_name(m.group(1))
        if name:
            words = list(re.finditer(r"\S+", m.group(1)))
            start = m.start(1) + words[-len(name)].start()
            found.append(_Mention("fee", start, m.end(), raw[start : m.end()], tuple(name)))
    return sorted(found, key=lambda mention: mention.start)


def _word_decimal(words: str) -> Decimal | None:
    value = _word_value(words)
    return None if value is None else Decimal(value)


def _fee_name(words: str) -> list[str]:
    """The words naming a fee: the run right before "fee" that are not :data:`_NOT_FEE_NAME` (at most 3)."""
    name: list[str] = []
    for word in reversed(words.split()):
        if word.lower() in _NOT_FEE_NAME or not re.fullmatch(r"[A-Za-z][A-Za-z'\-]*", word):
            break
        name.insert(0, word)
        if len(name) == 3:
            break
    return name


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _stems(words: Iterable[str]) -> set[str]:
    parts = [p for w in words for p in re.split(r"[-']", w.lower()) if p]
    return set(_stemmer().stemWords(parts))


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass
class ClaimSupport:
    """What the model saw, indexed for the figure check (build with :meth:`from_texts`).

    Attributes:
        numbers: Every numeric value in the texts (numbers, amounts, percentages, number and ordinal words).
        amounts: ``(value, currency)`` pairs.
        bare: Values written with no unit (a bare number supports an amount or a percentage of that value).
        percents: Percentage values.
        times: ``(hour % 12, minute, am|pm|None)``.
        dates: ``(year|None, month, day)``.
        phones: National digit strings; cards: digit strings (also of every long digit run); emails: lower case.
        placeholders: Every placeholder (``<PHONE_NUMBER_1>``, ``<EMAIL_ADDRESS>``).
        fee_sentences: Stem sets of the sentences and table cells' rows that hold a fee word.
    """

    numbers: set[Decimal] = field(default_factory=set)
    amounts: set[tuple[Decimal, str]] = field(default_factory=set)
    bare: set[Decimal] = field(default_factory=set)
    percents: set[Decimal] = field(default_factory=set)
    times: set[tuple[int, int, str | None]] = field(default_factory=set)
    dates: set[tuple[int | None, int, int | None]] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    cards: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    placeholders: set[str] = field(default_factory=set)
    fee_sentences: list[set[str]] = field(default_factory=list)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> ClaimSupport:
        """Index ``texts`` (de-identified, as the model saw them: passages, question, earlier questions, system
        prompt)."""
        support = cls()
        for text in texts:
            if text:
                support.add(text)
        return support

    def add(self, text: str) -> None:
        """Index one more support text."""
        self.placeholders.update(ANY_PLACEHOLDER.findall(text))
        cleaned = _prepare(text, answer=False)
        for token in _PLAIN.findall(cleaned):
            value = _decimal(token)
            if value is not None:
                self.numbers.add(value)
        for digits in re.findall(r"\d[\d \-]{11,}\d", cleaned):
            self.cards.add(re.sub(r"\D", "", digits))
        for m in _ORDINAL_WORD.finditer(cleaned):
            self.numbers.add(Decimal(_ORDINALS[m.group().lower()]))
        for mention in _mentions(text, answer=False):
            kind, value = mention.kind, mention.value
            if kind == "amount":
                self.amounts.add(value)
                self.numbers.add(value[0])
            elif kind == "percent":
                self.percents.add(value)
                self.numbers.add(value)
            elif kind == "number":
                self.numbers.add(value)
                self.bare.add(value)
            elif kind == "time":
                self.times.add(value)
            elif kind == "date":
                self.dates.add(value)
                self.numbers.update(Decimal(v) for v in value if v)
            elif kind == "phone":
                self.phones.add(value)
            elif kind == "card":
                self.cards.add(value)
            elif kind == "email":
                self.emails.add(value)
        header = ""
        for line in text.splitlines():
            if line.lstrip().startswith("|"):  # a table row means what its column headings say, too
                if re.fullmatch(r"[\s|:\-]*", line):
                    continue
                if not header:
                    header = line
                pieces = [f"{header} {line}"]
            else:
                header = ""
                pieces = _SENTENCE.split(line)
            for piece in pieces:
                words = re.findall(r"[A-Za-z][A-Za-z'\-]*", piece)
                if any(w.lower() in _FEE_WORDS for w in words):
                    self.fee_sentences.append(_stems(words))

    def verdict(self, mention: _Mention) -> str:
        """ "" when ``mention`` is supported, else the reason it is not."""
        kind, value = mention.kind, mention.value
        where = "in no passage the model saw, nor in the question"
        if kind == "amount":
            amount, currency = value
            if (amount, currency) in self.amounts:
                return ""
            others = sorted(c for v, c in self.amounts if v == amount and c != currency)
            if others:
                return (
                    f"the sources give {_SYMBOL.get(others[0], others[0])}{_to_str(amount)}, not {currency}"
                )
            return f"amount {_SYMBOL.get(currency, currency)}{_to_str(amount)} is {where}"
        if kind == "percent":
            return "" if value in self.percents or value in self.bare else f"{_to_str(value)}% is {where}"
        if kind == "number":
            return "" if value in self.numbers else f"number {_to_str(value)} is {where}"
        if kind == "time":
            hour, minute, ampm = value
            for h, m, a in self.times:
                if h == hour and m == minute and (a == ampm or a is None or ampm is None):
                    return ""
            return f"time {_time_text(value)} is {where}"
        if kind == "date":
            year, month, day = value
            for y, m, d in self.dates:
                if m == month and d == day and (y == year or y is None or year is None):
                    return ""
            return f"date {_date_text(value)} is {where}"
        if kind == "phone":
            for known in self.phones:
                if known == value or (len(known) >= 9 and len(value) >= 9 and known[-9:] == value[-9:]):
                    return ""
            return f"phone number {where}"
        if kind == "card":
            return "" if value in self.cards else f"card number {where}"
        if kind == "email":
            return "" if value in self.emails else f"e-mail address {where}"
        if kind == "fee":
            wanted = _stems(value)
            if any(wanted <= sentence for sentence in self.fee_sentences):
                return ""
            named = " ".join(value).lower()
            return f"no passage names {'an' if named[:1] in 'aeiou' else 'a'} {named} fee or charge"
        return ""


def extract_figures(answer: str) -> list[tuple[str, str]]:
    """Every figure of ``answer`` as ``(kind, text)``, in order (supported or not; for inspection and tests)."""
    return [(m.kind, m.text) for m in _mentions(answer, answer=True)]


_MAX_SENTENCE = 240
#: At most this many claims are reported for one answer (a degenerate answer repeating numbers would list
#: thousands); the first ones, in answer order.
MAX_CLAIMS = 100
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[ \t]+|\n")


class _Sentences:
    """The sentences of a text (split after ``.``, ``!`` or ``?`` and a space, and at line ends), found by offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in _SENTENCE_BREAK.finditer(text))]

    def at(self, offset: int) -> str:
        """The stripped sentence holding ``offset`` (of a sentence over 240 characters, the 240 around it)."""
        index = bisect_right(self.starts, offset) - 1
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.text)
        if end - start > _MAX_SENTENCE:
            start = max(start, offset - _MAX_SENTENCE // 2)
            end = min(end, start + _MAX_SENTENCE)
            return f"…{self.text[start:end].strip()}…"
        return self.text[start:end].strip()


def check_claims(answer: str, support: ClaimSupport) -> list[Claim]:
    """The unsupported figures of ``answer``, in order.

    Args:
        answer: The final answer, de-identified (``ChatResult.answer_redacted``: placeholders, and the markers of
            :class:`IdentifierMasker` where an identifier was replaced).
        support: What the model saw (:meth:`ClaimSupport.from_texts`).

    Returns:
        One :class:`Claim` per unsupported figure, in answer order, at most :data:`MAX_CLAIMS`: each figure
        failing the rules of the module docstring, each identifier marker, and each bare identifier placeholder
        (``<PHONE_NUMBER>``, a value the privacy scan masked) or user placeholder that occurs in no support text.
    """
    claims: list[Claim] = []
    sentences = _Sentences(answer)
    for m in _MARKER.finditer(answer):
        kind = next(k for k, marker in MARKERS.items() if marker == m.group())
        claims.append(
            Claim(
                kind,
                m.group(),
                "",
                sentences.at(m.start()),
                f"{KIND_LABELS[kind]} in no passage the model saw, nor in the question: not shown",
                m.start(),
                m.end(),
            )
        )
    masked = _blank(answer, _CODE)
    for m in ANY_PLACEHOLDER.finditer(masked):
        entity = re.sub(r"_\d+$", "", m.group()[1:-1])
        placeholder_kind = _PLACEHOLDER_KINDS.get(entity)
        if placeholder_kind is None or m.group() in support.placeholders:
            continue
        kind = placeholder_kind
        reason = (
            f"a {KIND_LABELS[kind]} the model wrote that is in no passage nor in the question (masked)"
            if m.group() == f"<{entity}>"
            else f"{m.group()} is in no passage nor in the question"
        )
        sentence = sentences.at(m.start())
        claims.append(Claim(kind, m.group(), "", sentence, reason, m.start(), m.end()))
    for mention in _mentions(answer, answer=True):
        reason = support.verdict(mention)
        if not reason:
            continue
        value = mention.value
        if mention.kind in IDENTIFIER_KINDS:
            text, value_text = MARKERS[mention.kind], ""  # never the raw value
        elif mention.kind == "amount":
            text, value_text = mention.text, f"{value[1]} {_to_str(value[0])}"
        elif mention.kind == "percent":
            text, value_text = mention.text, f"{_to_str(value)}%"
        elif mention.kind == "number":
            text, value_text = mention.text, _to_str(value)
        elif mention.kind == "time":
            text, value_text = mention.text, _time_text(value)
        elif mention.kind == "date":
            text, value_text = mention.text, _date_text(value)
        else:
            text, value_text = mention.text, ""
        claims.append(
            Claim(
                mention.kind,
                text,
                value_text,
                sentences.at(mention.start),
                reason,
                mention.start,
                mention.end,
            )
        )
    return sorted(claims, key=lambda claim: claim.start)[:MAX_CLAIMS]


def with_shown(claims: Sequence[Claim], display: Any) -> list[Claim]:
    """``claims`` with :attr:`Claim.shown` set to ``display(sentence)`` (the user's values restored)."""
    return [replace(c, shown=display(c.sentence)) for c in claims]


def readable(text: str) -> str:
    """A claim's text or reason for display: each placeholder in it (``<PHONE_NUMBER>``, ``<PERSON_1>``) as its
    entity's label in brackets (``[phone number]``, as the answer shows a value the model wrote), never the
    placeholder's syntax and never a value (claims are stored de-identified and carry no vault)."""

    def label(match: re.Match[str]) -> str:
        token = match.group(0)
        session = PLACEHOLDER_PATTERN.fullmatch(token)
        return f"[{entity_label(session.group(1) if session else token[1:-1].split('#', 1)[0])}]"

    return ANY_PLACEHOLDER.sub(label, text)


def stored_claims(signals: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The unsupported claims stored with a turn (``StoredTurn.signals["unsupported"]``), [] when none."""
    if not signals:
        return []
    return list(signals.get("unsupported") or [])


# --- masking identifiers as the answer streams ---------------------------------------------------------------

#: A tail that may still grow into an identifier: a digit run with separators and what follows it unbroken by
#: whitespace (``4567,``), or an unfinished word.
#: Longest tail held back, characters: an identifier is far shorter, so a longer run of digits is released.
_MAX_HOLD = 160
_HOLD = re.compile(r"(?:[+(]?\d[\d\s().\-]*)?\S*$")


class IdentifierMasker:
    """Replaces unsupported phone numbers, card numbers and e-mail addresses in streamed text by
    :data:`MARKERS`, holding back a tail that might still be one (a digit run, an unfinished word) until the
    next character settles it.

    Feed it the model's raw output (placeholders, not the user's values): the user's own values are
    placeholders there, so only values the model wrote itself are checked.
    """

    def __init__(self, support: ClaimSupport) -> None:
        """Args:
        support: What the model saw (:meth:`ClaimSupport.from_texts`).
        """
        self.support = support
        self._pending = ""
        self._context = ""  # the last characters released: what comes before the next chunk
        self.masked = 0  # identifiers replaced so far

    def feed(self, text: str) -> str:
        """Add streamed ``text``; return what is safe to show now (possibly "")."""
        self._pending += text
        hold = _HOLD.search(self._pending)
        cut = hold.start() if hold is not None else len(self._pending)
        if len(self._pending) - cut > _MAX_HOLD:
            # a long run of digits is no identifier: release it but its last part, never cutting through one
            cut = len(self._pending) - _MAX_HOLD // 2
            for mention in _mentions(self._pending, answer=True):
                if mention.kind in IDENTIFIER_KINDS and mention.start < cut < mention.end:
                    cut = mention.start
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._mask(ready)

    def flush(self) -> str:
        """Return the rest at the end of the stream."""
        ready, self._pending = self._pending, ""
        return self._mask(ready)

    def _mask(self, text: str) -> str:
        context, self._context = self._context, (self._context + text)[-8:]
        if not text or not re.search(r"\d|@", text):
            return text
        out, last = [], 0
        for mention in _mentions(context + text, answer=True):
            start, end = mention.start - len(context), mention.end - len(context)
            if start >= 0 and mention.kind in IDENTIFIER_KINDS and self.support.verdict(mention):
                out.append(text[last:start])
                out.append(MARKERS[mention.kind])
                last = end
                self.masked += 1
        out.append(text[last:])
        return "".join(out)

    def mask(self, text: str) -> str:
        """Mask a whole text at once (what :meth:`feed` and :meth:`flush` give for it)."""
        return self.feed(text) + self.flush()


class MaskedParts(Iterator[tuple[str, str]]):
    """The model's ``(content, reasoning)`` parts (:func:`pipelines.llm.generation.chat_parts`) with unsupported
    identifiers in the content masked (:class:`IdentifierMasker`); keeps the wrapped stream's ``close``,
    ``output_tokens`` and its other attributes."""

    def __init__(self, parts: Iterator[tuple[str, str]], support: ClaimSupport) -> None:
        self._parts = parts
        self.masker = IdentifierMasker(support)
        self._done = False

    @property
    def output_tokens(self) -> int | None:
        """The wrapped stream's reported output tokens (None when unknown)."""
        return getattr(self._parts, "output_tokens", None)

    def __getattr__(self, name: str) -> Any:
        """Anything else the wrapped stream reports once it ended (``finish_reason``)."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._parts, name)

    def __next__(self) -> tuple[str, str]:
        if self._done:
            raise StopIteration
        while True:
            try:
                content, reasoning = next(self._parts)
            except StopIteration:
                self._done = True
                tail = self.masker.flush()
                if tail:
                    return tail, ""
                raise
            shown = self.masker.feed(content) if content else ""
            if shown or reasoning:
                return shown, reasoning

    def close(self) -> None:
        """Stop the wrapped stream."""
        close = getattr(self._parts, "close", None)
        if callable(close):
            close()
