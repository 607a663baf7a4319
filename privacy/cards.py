"""Payment card numbers beyond Presidio's pattern: every issuer range and length, always Luhn-checked."""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.recognizers import recognizer_result

__all__ = ["CardNumberRecognizer", "issuer_matches", "luhn_valid"]

#: (IIN prefix range low, high, allowed lengths): the issuer identification number ranges of the major
#: networks as published in ISO/IEC 7812 registrations and summarised by Wikipedia's "Payment card number"
#: table (Visa, Mastercard, Amex, Discover, JCB incl. the old 15-digit 2131/1800, Diners, Maestro, UnionPay).
_ISSUERS: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),
    (51, 55, frozenset({16})),
    (2221, 2720, frozenset({16})),
    (34, 34, frozenset({15})),
    (37, 37, frozenset({15})),
    (6011, 6011, frozenset(range(16, 20))),
    (644, 649, frozenset(range(16, 20))),
    (65, 65, frozenset(range(16, 20))),
    (3528, 3589, frozenset(range(16, 20))),
    (2131, 2131, frozenset({15})),
    (1800, 1800, frozenset({15})),
    (36, 36, frozenset(range(14, 20))),
    (300, 305, frozenset(range(16, 20))),
    (38, 39, frozenset(range(16, 20))),
    (50, 50, frozenset(range(12, 20))),
    (56, 69, frozenset(range(12, 20))),
)
#: Boundaries are ASCII letters/digits, not ``\w``: in "卡号是4111111111111111" the Han character before the
#: number is a word character, and ``\w`` let the number through unmasked.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9_.-])\d(?:[ -]?\d){11,18}(?![A-Za-z0-9_-]|\.\d)")
_CONTEXT = re.compile(r"\b(?:card|cards|visa|mastercard|amex|maestro|debit|credit|pan)\b", re.IGNORECASE)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812-1 annex B over a string of digits."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def issuer_matches(digits: str) -> bool:
    """Whether ``digits`` starts with a known issuer range and has a length that issuer uses."""
    for low, high, lengths in _ISSUERS:
        width = len(str(low))
        if low <= int(digits[:width]) <= high and len(digits) in lengths:
            return True
    return False


class CardNumberRecognizer(EntityRecognizer):
    """``CREDIT_CARD`` for 12-19 digit numbers (single spaces or hyphens allowed) that pass Luhn and either
    start with a known issuer range of the right length (score 0.6) or follow a card word within 40
    characters ("card", "visa", "debit", …; score 0.8). A Luhn-invalid number is never a card.

    Presidio's CreditCardRecognizer only knows 13-16 digit Visa/Mastercard/Amex/Diners/Discover/JCB layouts; 19
    digit Visa, 15 digit JCB and 12-19 digit Maestro numbers got through.
    """

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["CREDIT_CARD"], name="CardNumberRecognizer", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a result per Luhn-valid card number in ``text``."""
        if "CREDIT_CARD" not in entities:
            return []
        results = []
        for match in _CANDIDATE.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if not 12 <= len(digits) <= 19 or not luhn_valid(digits):
                continue
            context = _CONTEXT.search(text, max(0, match.start() - 40), match.start()) is not None
            if context or issuer_matches(digits):
                results.append(
                    recognizer_result(
                        "CREDIT_CARD",
                        match.start(),
                        match.end(),
                        0.8 if context else 0.6,
                        "CardNumberRecognizer",
                        self.id,
                    )
                )
        return results
