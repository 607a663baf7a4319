"""Presidio's predefined patterns whose scans had no bound, bounded.

Three of Presidio's patterns rescan a run of characters from every start inside it, so their time grows with the
square of the run, or with the run times a long alternation (benchmarks/regex_worst_case.py: 4,000 characters of
``a-a-a-…`` took 36 ms for the email pattern, 65 ms for the health-plan member id; 4,000 of ``a.a.a.…`` took
3.4 s for the URL without a scheme; a 100,000-character analysis window would take minutes):

- the email pattern's local part ``[…]{0,}``: bounded to 252 characters, the longest an address can have
  (RFC 5321 section 4.5.3.1.3: a path is at most 256 octets, two of them the angle brackets, two the "@" and
  one domain letter);
- the member id's look-aheads ``(?=[A-Z0-9-]*[A-Z])`` and ``(?=[A-Z0-9-]*\\d)``: bounded to the 20 characters its
  first look-ahead already allows;
- the URL without a scheme ``[a-z0-9.\-]{1,253}[.](tld|…)``, whose ~1,500 top-level domains were tried at every
  dot of the 253 characters after every start: it starts only where no host-name character precedes (a host name
  is at most 253 characters, RFC 1035 section 2.3.4, so a longer run holds none).

The patterns are rewritten from Presidio's own text, so a Presidio upgrade that changes them fails loudly here
instead of silently dropping the bound.
"""

from __future__ import annotations

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    UrlRecognizer,
    UsHealthInsuranceMemberIdRecognizer,
)

from privacy.errors import PrivacyError

__all__ = ["bounded_email_recognizer", "bounded_member_id_recognizer", "bounded_url_recognizer"]

_EMAIL_LOCAL_PART = ("]{0,}[", "]{0,252}[")
_MEMBER_ID_LOOKAHEAD = ("[A-Z0-9-]*", "[A-Z0-9-]{0,19}")
_URL_START = ("(?i)((www", "(?i)(?<![a-z0-9.\\-])((www")
_URL_WITHOUT_SCHEME = "Non schema URL"


def _bounded(patterns: list[Pattern], old: str, new: str) -> list[Pattern]:
    """``patterns`` with ``old`` replaced by ``new`` in each regex.

    Raises:
        PrivacyError: A pattern does not contain ``old`` (Presidio changed it; review the bound).
    """
    bounded = []
    for pattern in patterns:
        if old not in pattern.regex:
            raise PrivacyError(f"Presidio's pattern {pattern.name!r} changed; cannot bound {old!r} in it")
        bounded.append(Pattern(pattern.name, pattern.regex.replace(old, new), pattern.score))
    return bounded


def bounded_email_recognizer() -> EmailRecognizer:
    """Presidio's ``EmailRecognizer`` (same name, entity, score and validation) with a bounded local part."""
    return EmailRecognizer(patterns=_bounded(EmailRecognizer.PATTERNS, *_EMAIL_LOCAL_PART))


def bounded_member_id_recognizer(supported_entity: str) -> UsHealthInsuranceMemberIdRecognizer:
    """Presidio's ``UsHealthInsuranceMemberIdRecognizer`` with bounded look-aheads, for ``supported_entity``."""
    return UsHealthInsuranceMemberIdRecognizer(
        patterns=_bounded(UsHealthInsuranceMemberIdRecognizer.PATTERNS, *_MEMBER_ID_LOOKAHEAD),
        supported_entity=supported_entity,
    )


def bounded_url_recognizer() -> UrlRecognizer:
    """Presidio's ``UrlRecognizer`` whose URL without a scheme starts only at the start of a host-name run."""
    patterns = [
        _bounded([pattern], *_URL_START)[0] if pattern.name == _URL_WITHOUT_SCHEME else pattern
        for pattern in UrlRecognizer.PATTERNS
    ]
    if patterns == list(UrlRecognizer.PATTERNS):
        raise PrivacyError(
            f"Presidio's UrlRecognizer has no pattern {_URL_WITHOUT_SCHEME!r}; review the bound"
        )
    return UrlRecognizer(patterns=patterns)
