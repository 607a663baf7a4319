"""Payment card numbers beyond Presidio's pattern (every issuer range and length, Luhn-checked, or typed wrongly
next to a card word, or partly masked) and card security codes after their label."""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.recognizers import recognizer_result

__all__ = ["CardNumberRecognizer", "CardSecurityCodeRecognizer", "issuer_matches", "luhn_valid"]

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
#: number is a word character, and ``\w`` let the number through unmasked. Groups are separated by single spaces,
#: hyphens or full stops ("5412.7712.3309.8841"), used alike throughout the number.
_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9_.-])\d(?:[ -]?\d){11,18}(?![A-Za-z0-9_-]|\.\d)"
    r"|(?<![A-Za-z0-9_.-])\d{4}(?:\.\d{4}){2}\.\d{1,7}(?![A-Za-z0-9_-]|\.\d)"
)
#: A number with some digits hidden by the issuer or the user ("4929 77** **** 6614", "XXXX-XXXX-XXXX-1234"):
#: groups of digits and mask characters (x, X, *, •, #) with at least one mask character.
_MASKED = re.compile(
    r"(?<![A-Za-z0-9_*\u2022#.-])[\dxX*\u2022#]{4}(?:[ -]?[\dxX*\u2022#]{2,6}){2,4}(?![A-Za-z0-9_*\u2022#-])"
)
_CONTEXT = re.compile(r"\b(?:card|cards|visa|mastercard|amex|maestro|debit|credit|pan)\b", re.IGNORECASE)
#: A card word just after the number ("4485 ... (my visa)", "... is my debit card").
_CONTEXT_AFTER = re.compile(
    r"^[\s,.)(-]{0,3}(?:\(?(?:is\s+)?(?:my|the|our|his|her|a)?\s*(?:new\s+|old\s+)?)"
    r"(?:card|visa|mastercard|amex|maestro|debit|credit)\b",
    re.IGNORECASE,
)
#: The grouping printed on cards (ISO/IEC 7812 numbers as embossed): 4-4-4-4, 4-6-5 (Amex), 4-6-4 (Diners),
#: 4-4-4-4-3 (19 digits), with one separator used throughout.
_CARD_GROUPING = re.compile(r"\d{4}([ .-])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ .-])\d{6}\2\d{4,5}")


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
    """``CREDIT_CARD`` for 12-19 digit numbers (single spaces, hyphens or full stops allowed) that pass Luhn and
    either start with a known issuer range of the right length (score 0.6) or follow a card word within 40
    characters ("card", "visa", "debit", …; score 0.8).

    A number people typed wrongly is still their card: a Luhn-invalid number counts when it starts with a known
    issuer range of the right length, is written in a card's printed grouping (4-4-4-4, 4-6-5) or has 15-16
    digits in any grouping, and has a card word within 80 characters before it or right after it ("charged twice on
    4716-2209-3381-5526 (my visa)"); score 0.5. A number partly hidden by its issuer ("4929 77** **** 6614")
    counts when more than its last four digits show (the last four alone are what a policy shows on purpose);
    score 0.9 (mask characters make the shape unmistakable: it must win over a guess at a part of it).

    Presidio's CreditCardRecognizer only knows 13-16 digit Visa/Mastercard/Amex/Diners/Discover/JCB layouts; 19
    digit Visa, 15 digit JCB and 12-19 digit Maestro numbers got through. Source of the check: ISO/IEC 7812-1
    annex B (Luhn); of the ranges: :data:`_ISSUERS`.
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
        """Return a result per card number in ``text`` (Luhn-valid, or typed wrongly next to a card word, or
        partly masked with more than the last four digits showing)."""
        if "CREDIT_CARD" not in entities:
            return []
        results = []
        for match in _CANDIDATE.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if not 12 <= len(digits) <= 19:
                continue
            context = _CONTEXT.search(text, max(0, match.start() - 40), match.start()) is not None
            if luhn_valid(digits):
                if not (context or issuer_matches(digits)):
                    continue
                score = 0.8 if context else 0.6
            elif (
                issuer_matches(digits)
                and (_CARD_GROUPING.fullmatch(match.group()) or len(digits) in (15, 16))
                and (
                    _CONTEXT.search(text, max(0, match.start() - 80), match.start()) is not None
                    or _CONTEXT_AFTER.match(text[match.end() : match.end() + 30]) is not None
                )
            ):
                score = 0.5
            else:
                continue
            results.append(
                recognizer_result(
                    "CREDIT_CARD", match.start(), match.end(), score, "CardNumberRecognizer", self.id
                )
            )
        for match in _MASKED.finditer(text):
            value = match.group()
            positions = re.sub(r"[ -]", "", value)
            if not 13 <= len(positions) <= 19 or not re.search(r"[xX*\u2022#]", value):
                continue
            head = re.sub(r"[ -]?\d{1,4}$", "", value)  # what shows besides the last four
            if not re.search(r"\d", head) or not re.search(r"\d", value[:4]):
                continue
            results.append(
                recognizer_result(
                    "CREDIT_CARD", match.start(), match.end(), 0.9, "CardNumberRecognizer", self.id
                )
            )
        return results


#: The names of the card verification value: CVV/CVV2, CVC/CVC2, CSC, CID (Amex), "security code", "card code",
#: "verification code/number/value", and the digits "on the back"/"on the front".
_CSC_LABEL = re.compile(
    r"(?:\b(?:cvv2?|cvc2?|csc|cvn|cid|cav2?|sec(?:urity)?\s+(?:code|number|digits|no\.?)|card\s+(?:security\s+)?code|"
    r"verification\s+(?:code|number|value))\b"
    r"|\b(?:(?:last\s+)?(?:3|4|three|four)\s+(?:digit\s+)?)?(?:digits?|numbers?|code)\s+(?:on|at)\s+(?:the\s+)?"
    r"(?:back|front|reverse|rear)(?:\s+of\s+(?:the|my|your)\s+card)?)"
    r"(?:\s+(?:no\.?|number|code))?(?:\s+(?:on|of|for)\s+(?:the|my|your|this|that)\s+(?:new\s+|old\s+)?card)?"
    r"[\s:#=-]*(?:(?:is|are|was|were|=)\s*)?[:#]?\s*(?P<code>\d{3,4})(?![\d/.,]\d|\d)",
    re.IGNORECASE,
)
#: "exp 09/27 code 448", "valid thru 05/28, code 448": a bare "code" right after a card's expiry date.
_EXPIRY_CODE = re.compile(
    r"\b(?:exp(?:iry|ires|\.)?|valid\s+(?:thru|through|until|to)|expiration(?:\s+date)?)\s*:?\s*"
    r"\d{1,2}\s*/\s*\d{2,4},?\s+(?:and\s+)?(?:the\s+)?code\s*(?:is\s*)?:?\s*(?P<code>\d{3,4})(?!\d)",
    re.IGNORECASE,
)


class CardSecurityCodeRecognizer(EntityRecognizer):
    """``CARD_SECURITY_CODE``: the 3-4 digit card verification value (ISO/IEC 7813 CVV/CVC, Amex's 4-digit CID)
    after its label ("cvv 512", "CVC2: 7204", "security code 087", "the 3 digits on the back are 902") or as a
    bare "code" right after a card's expiry date ("valid thru 05/28, code 448"); score 0.8.

    Only the digits are the finding. Without a label, three digits are no code: nothing is guessed from the
    shape alone.
    """

    ENTITY = "CARD_SECURITY_CODE"

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.ENTITY], name="CardSecurityCodeRecognizer", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return a result per labelled card security code in ``text``."""
        if self.ENTITY not in entities:
            return []
        spans = {m.span("code") for pattern in (_CSC_LABEL, _EXPIRY_CODE) for m in pattern.finditer(text)}
        return [
            recognizer_result(self.ENTITY, start, end, 0.8, "CardSecurityCodeRecognizer", self.id)
            for start, end in sorted(spans)
        ]
