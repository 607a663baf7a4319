"""Ingestion reports and hold-for-review with real Presidio, real embeddings and a real Chroma in a temp dir."""

from __future__ import annotations

import json

import pytest

from ingest import EmptyDocumentError, ReviewError
from pipelines.services import Services
from privacy import risk_score
from tests.conftest import (
    CANARY_CARD,
    CANARY_EMAIL,
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_VALUES,
    scan_tree_for,
)
from tests.ingest.conftest import make_pdf

#: A one-page complaint letter: a record about a person (risk well above 1).
LETTER = (
    f"Complaint\n\nContact {CANARY_NAME} at {CANARY_EMAIL} or {CANARY_PHONE}.\n"
    f"The card {CANARY_CARD} was charged twice for the same order.\n"
    "The foreign transaction fee of 2.75% was also applied twice."
).encode()
#: Reference material with no personal data (risk 0).
FEES = b"# Fees\n\nThe foreign transaction fee is 2.75% of the amount. ATM withdrawals abroad cost 3.00.\n"


def _hold_above(services: Services, threshold: float | None) -> Services:
    services.settings.ingest.hold_risk_threshold = threshold
    return services


def test_a_pdf_with_planted_pii_gets_a_report_stored_beside_its_chunks(services: Services) -> None:
    pdf = make_pdf(
        [
            f"Letter from {CANARY_NAME} about a card.\n"
            f"Please write to {CANARY_NAME} at {CANARY_EMAIL} or call {CANARY_PHONE}.",
            f"Card {CANARY_CARD} was charged twice.\nThe dispute window is 13 months.",
        ]
    )
    result = services.ingestion.ingest_bytes("finance", "complaint.pdf", pdf)
    report = result.report
    assert result.status == "indexed" and result.chunks_added > 0
    assert report["entities"] == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 1, "PERSON": 2, "PHONE_NUMBER": 1}
    assert report["recognizers"]["EmailRecognizer"] == 1
    assert report["recognizers"]["CreditCardRecognizer"] == 1
    assert sum(report["recognizers"].values()) == report["findings"] == 5
    assert report["risk"] == risk_score(report["entities"], report["characters"]) > 0
    assert result.redactions == report["entities"]
    (stored,) = services.store.list_documents("finance")
    assert stored.report == report
    assert not [v for v in CANARY_VALUES if v in json.dumps(result.to_dict())]


def test_a_duplicate_returns_the_stored_report(services: Services) -> None:
    first = services.ingestion.ingest_bytes("finance", "letter.txt", LETTER)
    again = services.ingestion.ingest_bytes("finance", "copy.txt", LETTER)
    assert again.status == "duplicate" and again.report == first.report and again.chunks_added == 0


@pytest.mark.parametrize(
    ("threshold", "data", "status"),
    [
        (None, LETTER, "indexed"),  # off: every document is indexed
        (1.0, LETTER, "held"),
        (1.0, FEES, "indexed"),  # risk 0 is not above 1
        (0.0, FEES, "indexed"),  # "above": risk 0 is not held even at 0
        (100.0, LETTER, "indexed"),
    ],
)
def test_documents_above_the_threshold_are_held_and_not_indexed(
    services: Services, threshold: float | None, data: bytes, status: str
) -> None:
    result = _hold_above(services, threshold).ingestion.ingest_bytes("finance", "doc.txt", data)
    assert result.status == status
    held = services.review.held("finance")
    if status == "held":
        assert result.chunks_added == 0 and services.store.count("finance") == 0
        assert [h.sha256 for h in held] == [result.sha256] and held[0].report == result.report
        assert result.report["risk"] > (threshold or 0)
    else:
        assert held == [] and services.store.count("finance") == result.chunks > 0


def test_a_held_document_keeps_no_raw_pii_anywhere_under_the_data_dir(services: Services) -> None:
    result = _hold_above(services, 1.0).ingestion.ingest_bytes("finance", f"{CANARY_NAME}.txt", LETTER)
    assert result.held
    (held,) = services.review.held("finance")
    text = " ".join(s.text for s in held.sections)
    assert "<PERSON>" in text and "<CREDIT_CARD>" in text and "2.75%" in text
    assert held.name == "<PERSON>.txt"
    assert list((services.settings.data_dir / "review").rglob("*.json"))
    assert scan_tree_for(services.settings.data_dir, CANARY_VALUES) == []


def test_releasing_a_held_document_indexes_it_with_its_report(services: Services) -> None:
    held = _hold_above(services, 1.0).ingestion.ingest_bytes("finance", "letter.txt", LETTER)
    again = services.ingestion.ingest_bytes("finance", "letter.txt", LETTER)
    assert again.status == "held" and again.duplicate and again.report == held.report
    released = services.review.release("finance", held.sha256[:8])
    assert released.status == "indexed" and released.chunks_added > 0
    assert services.review.held("finance") == []
    (stored,) = services.store.list_documents("finance")
    assert stored.sha256 == held.sha256 and stored.report == held.report
    hits = services.store.search("finance", services.embedder.embed_query("card charged twice"), 3)
    assert "<CREDIT_CARD>" in hits[0].text
    assert scan_tree_for(services.settings.data_dir, CANARY_VALUES) == []
    assert services.ingestion.ingest_bytes("finance", "letter.txt", LETTER).status == "duplicate"


def test_rejecting_a_held_document_deletes_it_and_indexes_nothing(services: Services) -> None:
    held = _hold_above(services, 1.0).ingestion.ingest_bytes("finance", "letter.txt", LETTER)
    gone = services.review.reject("finance", held.sha256)
    assert gone.sha256 == held.sha256
    assert services.review.held("finance") == [] and services.store.count("finance") == 0
    assert not list((services.settings.data_dir / "review").rglob("*.json"))
    assert services.ingestion.ingest_bytes("finance", "letter.txt", LETTER).status == "held"  # a new decision


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("zzzz", "not a document id"),
        ("ab", "not a document id"),
        ("0000", "no document '0000' is held"),
    ],
)
def test_release_and_reject_name_a_bad_document_id(services: Services, prefix: str, message: str) -> None:
    _hold_above(services, 1.0).ingestion.ingest_bytes("finance", "letter.txt", LETTER)
    for action in (services.review.release, services.review.reject):
        with pytest.raises(ReviewError, match=message):
            action("finance", prefix)
    assert len(services.review.held("finance")) == 1


def test_a_release_interrupted_after_indexing_is_finished_by_the_listing(services: Services) -> None:
    held = _hold_above(services, 1.0).ingestion.ingest_bytes("finance", "letter.txt", LETTER)
    record = services.review_queue.get("finance", held.sha256)
    assert record is not None
    services.review.release("finance", held.sha256)
    services.review_queue.hold(record)  # as if the queue file had not been deleted
    assert services.review.held("finance") == []
    assert services.review_queue.get("finance", held.sha256) is None


def test_a_failed_ingest_leaves_no_report_and_no_held_file(services: Services) -> None:
    with pytest.raises(EmptyDocumentError):
        _hold_above(services, 0.0).ingestion.ingest_bytes("finance", "empty.txt", b"   ")
    assert not (services.settings.data_dir / "review").exists()
    assert services.store.list_documents("finance") == []


@pytest.mark.slow
def test_the_shipped_sample_corpora_are_never_held(services: Services) -> None:
    reports = _hold_above(services, 0.0).ingestion.index_sample_corpora(domains=["finance"])
    assert reports and not any(r.held for r in reports)
    assert services.review.held("finance") == []
