"""Ingestion reports: what de-identifying one document found (counts only, never values) and a risk score.

The risk score is a *PII density weighted by data-field sensitivity*: the sum of the sensitivity weights of the
document's findings per 1,000 characters of text, with documents shorter than 1,000 characters counted as
1,000 characters::

    risk = 1000 * sum(SENSITIVITY.get(finding.entity_type, 1.0) for finding in findings) / max(chars, 1000)

Why this measure (NIST SP 800-122, "Guide to Protecting the Confidentiality of PII", section 3.2, names
*identifiability*, *quantity of PII* and *data field sensitivity* as the factors of a PII confidentiality
impact level):

- *Sensitivity*: weights in three tiers. 3.0 for identifiers that alone enable identity theft or financial
  fraud (government ids, card, bank and IBAN numbers, crypto wallets: NIST SP 800-122 3.2.3 singles out SSNs
  and financial account numbers); 1.0 for direct identifiers (names, e-mail addresses, phone numbers) and any
  type not listed; 0.5 for quasi-identifiers, which identify a person only in combination (dates, places,
  nationality/religion/political groups, IP addresses, organisations: Sweeney, "Simple Demographics Often
  Identify People Uniquely", 2000).
- *Density rather than a count*: the index is meant for reference material (handbooks, documentation); a
  document dense with identifiers is a record *about people* (a letter, a patient note, a customer list) and
  is what a reviewer should look at, while a long manual that names a few contacts is not. A density keeps
  one threshold meaningful for a one-page note and a 300-page PDF alike. The 1,000-character floor stops a
  one-line file with one name from scoring 100.
- Findings are those the domain's policy de-identifies in documents (the ``index`` sink), i.e. what the
  ingestion removed; types the policy keeps in documents are not counted.

Scale, for choosing ``ingest.hold_risk_threshold``: a one-page letter (about 1,500 characters) naming its
writer and giving an e-mail, a phone and a card number scores (1 + 1 + 1 + 3) / 1.5 = 4.0; a reference
page with one contact name scores at most 1.0 (see ``benchmarks/results/ingest_risk.md`` for the shipped
corpora).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from privacy.deidentify import Finding
from privacy.errors import PrivacyError

__all__ = ["DEFAULT_SENSITIVITY", "SENSITIVITY", "DocumentReport", "build_report", "risk_score"]

#: Weight of a type not listed in :data:`SENSITIVITY` (a direct identifier).
DEFAULT_SENSITIVITY = 1.0
_HIGH, _QUASI = 3.0, 0.5
#: Sensitivity weight per entity type (the tiers are explained in the module docstring).
SENSITIVITY: dict[str, float] = {
    **dict.fromkeys(
        (
            "US_SSN",
            "US_ITIN",
            "US_PASSPORT",
            "US_DRIVER_LICENSE",
            "US_BANK_NUMBER",
            "CREDIT_CARD",
            "IBAN_CODE",
            "CRYPTO",
            "UK_NHS",
            "UK_NINO",
            "ES_NIF",
            "IT_FISCAL_CODE",
            "SG_NRIC_FIN",
            "AU_TFN",
            "AU_MEDICARE",
            "IN_AADHAAR",
            "IN_PAN",
        ),
        _HIGH,
    ),
    **dict.fromkeys(("DATE_TIME", "LOCATION", "NRP", "IP_ADDRESS", "ORGANIZATION", "URL"), _QUASI),
}


def risk_score(entities: Mapping[str, int], characters: int) -> float:
    """Sensitivity-weighted findings per 1,000 characters (see the module docstring for the formula and why).

    Args:
        entities: Number of findings per entity type.
        characters: Length of the document's text, characters (>= 0).

    Returns:
        The risk, >= 0, rounded to 2 decimals (0.0 for a document without findings).

    Raises:
        PrivacyError: A negative count or length.
    """
    if characters < 0 or any(count < 0 for count in entities.values()):
        raise PrivacyError(
            f"risk_score needs non-negative counts and length, got {dict(entities)}, {characters}"
        )
    weighted = sum(SENSITIVITY.get(entity, DEFAULT_SENSITIVITY) * n for entity, n in entities.items())
    return round(1000.0 * weighted / max(characters, 1000), 2)


@dataclass(frozen=True)
class DocumentReport:
    """What de-identifying one document found: counts, never values.

    Attributes:
        entities: Findings per entity type, e.g. ``{"PERSON": 2, "EMAIL_ADDRESS": 1}``.
        recognizers: Findings per Presidio recognizer that made them, e.g. ``{"SpacyRecognizer": 2}``.
        characters: Length of the document's text before de-identification, characters.
        risk: :func:`risk_score` of ``entities`` and ``characters``.
    """

    entities: dict[str, int] = field(default_factory=dict)
    recognizers: dict[str, int] = field(default_factory=dict)
    characters: int = 0
    risk: float = 0.0

    @property
    def findings(self) -> int:
        """Total number of findings."""
        return sum(self.entities.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{entities, recognizers, characters, risk, findings}``."""
        return {**asdict(self), "findings": self.findings}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DocumentReport:
        """Rebuild a report from :meth:`to_dict` output (``findings`` is derived and ignored).

        Raises:
            PrivacyError: A field has the wrong shape.
        """
        try:
            return cls(
                entities={str(k): int(v) for k, v in dict(raw.get("entities", {})).items()},
                recognizers={str(k): int(v) for k, v in dict(raw.get("recognizers", {})).items()},
                characters=int(raw.get("characters", 0)),
                risk=float(raw.get("risk", 0.0)),
            )
        except (TypeError, ValueError) as exc:
            raise PrivacyError(f"not a document report: {exc}") from exc


def build_report(findings: Iterable[Finding], characters: int) -> DocumentReport:
    """Count ``findings`` per entity type and per recognizer and score the document.

    Args:
        findings: The findings de-identified in the document (its text and file name).
        characters: Length of the document's text, characters.

    Returns:
        The report, with keys sorted.
    """
    found = list(findings)
    entities = Counter(f.entity_type for f in found)
    recognizers = Counter(f.recognizer or "unknown" for f in found)
    return DocumentReport(
        entities=dict(sorted(entities.items())),
        recognizers=dict(sorted(recognizers.items())),
        characters=characters,
        risk=risk_score(entities, characters),
    )
