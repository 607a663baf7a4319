"""Ingestion reports and the risk score (privacy.report), and the plain-English glossary (privacy.glossary)."""

from __future__ import annotations

from typing import get_args

import pytest

from privacy import (
    OPERATOR_MEANINGS,
    SINK_MEANINGS,
    SINKS,
    Deidentifier,
    DocumentReport,
    PrivacyError,
    build_report,
    entity_label,
    risk_score,
    summarize_counts,
)
from privacy.policies import Operator
from tests.conftest import CANARY_CARD, CANARY_EMAIL, CANARY_NAME, domain_policy


@pytest.mark.parametrize(
    ("entities", "characters", "risk"),
    [
        ({}, 5000, 0.0),
        ({"PERSON": 1}, 1000, 1.0),
        ({"PERSON": 1}, 2000, 0.5),
        ({"PERSON": 1}, 40, 1.0),  # shorter than 1,000 characters counts as 1,000
        ({"CREDIT_CARD": 1}, 1000, 3.0),  # identifiers enabling fraud weigh 3
        ({"US_SSN": 2, "PERSON": 1}, 1400, 5.0),
        ({"DATE_TIME": 2}, 1000, 1.0),  # quasi-identifiers weigh 0.5
        ({"SOMETHING_NEW": 3}, 3000, 1.0),  # an unlisted type weighs 1
    ],
)
def test_risk_is_weighted_findings_per_thousand_characters(
    entities: dict[str, int], characters: int, risk: float
) -> None:
    assert risk_score(entities, characters) == risk


@pytest.mark.parametrize(("entities", "characters"), [({"PERSON": -1}, 100), ({}, -5)])
def test_risk_rejects_negative_input(entities: dict[str, int], characters: int) -> None:
    with pytest.raises(PrivacyError, match="non-negative"):
        risk_score(entities, characters)


def test_a_report_of_real_findings_counts_per_type_and_recognizer(deidentifier: Deidentifier) -> None:
    text = (
        f"Contact {CANARY_NAME} at {CANARY_EMAIL}. Card {CANARY_CARD} was charged twice. "
        f"Contact {CANARY_NAME} again."
    )
    redaction = deidentifier.redact(text, domain_policy("finance"))
    report = build_report(redaction.findings, len(text))
    assert report.entities == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 1, "PERSON": 2}
    assert report.recognizers["EmailRecognizer"] == 1
    assert report.recognizers["CreditCardRecognizer"] == 1
    assert sum(report.recognizers.values()) == report.findings == 4
    assert report.risk == risk_score(report.entities, len(text)) == 1.0 + 1.0 + 3.0 + 1.0
    assert CANARY_NAME not in str(report.to_dict()) and CANARY_EMAIL not in str(report.to_dict())


def test_a_report_survives_its_dict_form() -> None:
    report = DocumentReport({"PERSON": 2}, {"SpacyRecognizer": 2}, 1500, 1.33)
    assert DocumentReport.from_dict(report.to_dict()) == report
    with pytest.raises(PrivacyError, match="not a document report"):
        DocumentReport.from_dict({"entities": {"PERSON": "many"}})


def test_every_operator_and_sink_has_a_plain_english_meaning() -> None:
    assert set(OPERATOR_MEANINGS) == set(get_args(Operator))
    assert set(SINK_MEANINGS) == set(SINKS)


@pytest.mark.parametrize(
    ("counts", "text"),
    [
        ({"PERSON": 1, "CREDIT_CARD": 1}, "1 card number, 1 person"),
        ({"PERSON": 2, "EMAIL_ADDRESS": 1}, "2 people, 1 email address"),
        ({"EMAIL_ADDRESS": 3}, "3 email addresses"),
        ({"AU_TFN": 2}, "2 au tfns"),
        ({"PERSON": 0}, ""),
        ({}, ""),
    ],
)
def test_counts_are_summarized_in_plain_english(counts: dict[str, int], text: str) -> None:
    assert summarize_counts(counts) == text


def test_labels_are_singular_for_one() -> None:
    assert entity_label("PERSON") == "person" and entity_label("PERSON", 3) == "people"
