"""Phone numbers in the forms people write them, found by context (Presidio's phonenumbers-based recognizer
only accepts numbers valid for a handful of regions)."""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.recognizers import recognizer_result

__all__ = ["ContextPhoneRecognizer"]

#: Digit groups with single separators (space, hyphen, dot, brackets), an optional +/00 country prefix, an
#: optional "(0)" trunk prefix and an optional extension ("x769").
_CANDIDATE = re.compile(
    r"(?<![\w+@/.:-])(?:\+|00)?\(?\d{1,4}\)?(?:[ .-]?\(0\))?(?:[ .-]?\(?\d{1,5}\)?){1,6}(?:\s?(?:x|ext\.?)\s?\d{1,5})?"
    r"(?![\w@/]|[.:,]\d)"
)
_CUE_BEFORE = re.compile(
    r"\b(?:phone|telephone|tel|mobile|cell|cellphone|fax|desk|office|landline|whatsapp|sms|text me|call me|"
    r"call us|call|ring me|reach me|contact number|phone number|mobile number|answering at|messages to|"
    r"registered)\b[^\n\d+(]{0,12}$",
    re.IGNORECASE,
)
_CUE_AFTER = re.compile(r"^[\s-]{0,2}\(?(?:office|fax|mobile|cell|home|work|desk|tel)\b", re.IGNORECASE)


class ContextPhoneRecognizer(EntityRecognizer):
    """``PHONE_NUMBER`` for 7-15 digit numbers written as phone numbers ("450 0840", "(99) 645-791",
    "+46 (0)179 459 33", "+1-903-140-4508x769") next to a phone cue ("Phone:", "call me on", "Mobile:",
    "fax", "…-Office"), score 0.6; or starting with an international prefix (+ or 00) and no cue, score 0.5.

    The digit count follows ITU-T E.164 (at most 15 digits); 7 is the shortest local subscriber number
    in common use. Dates, times and amounts are excluded by the separators allowed ("/", ":" and "," are not).
    """

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["PHONE_NUMBER"], name="ContextPhoneRecognizer", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a result per phone number in ``text``."""
        if "PHONE_NUMBER" not in entities:
            return []
        results = []
        for match in _CANDIDATE.finditer(text):
            number = match.group().rstrip(".-")
            digits = re.sub(r"\D", "", number.split("x")[0].split("ext")[0])
            if not 7 <= len(digits) <= 15:
                continue
            cue = bool(_CUE_BEFORE.search(text, max(0, match.start() - 40), match.start())) or bool(
                _CUE_AFTER.match(text, match.start() + len(number))
            )
            international = number.startswith(("+", "00"))
            if not cue and not international:
                continue
            results.append(
                recognizer_result(
                    "PHONE_NUMBER",
                    match.start(),
                    match.start() + len(number),
                    0.6 if cue else 0.5,
                    "ContextPhoneRecognizer",
                    self.id,
                )
            )
        return results
