"""Record terms written at ingestion (pipelines.skills.medical.records) and their DP counts (pipelines.skills.medical.dp_stats), with the real
shipped entity model, real Presidio, real embeddings and a real Chroma in tmp_path."""

from __future__ import annotations

import pytest

from pipelines.services import Services
from pipelines.skills.medical.dp_stats import DpBudgetError, medical_stats
from tests.conftest import CANARY_NAME, CANARY_PHONE, CANARY_VALUES, scan_tree_for

MRN = "MRN 4471203"
NOTE = (
    "Discharge summary\n\n"
    f"Patient {CANARY_NAME}, {MRN}, phone {CANARY_PHONE}.\n"
    "Diagnosis: hypertension and asthma. Started metformin and aspirin.\n"
).encode()
OTHER = b"Clinic note\n\nThe patient has hypertension. Aspirin was stopped.\n"


def _types(terms: set[tuple[str, str]]) -> set[str]:
    return {kind for kind, _term in terms}


def test_an_indexed_note_stores_its_terms_from_the_deidentified_text_only(services: Services) -> None:
    report = services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    assert report.status == "indexed" and "PERSON" in report.redactions
    terms = services.records.terms_of("medical", report.sha256)
    assert {("DISEASE", "hypertension"), ("DISEASE", "asthma"), ("CHEMICAL", "metformin")} <= terms
    assert _types(terms) <= {"DISEASE", "CHEMICAL"}
    path = services.settings.data_dir / "records.sqlite3"
    assert path.is_file()
    assert scan_tree_for(services.settings.data_dir, (*CANARY_VALUES, "4471203")) == []


def test_a_domain_without_a_recognizer_stores_no_terms(services: Services) -> None:
    report = services.ingestion.ingest_bytes("finance", "fees.md", b"# Fees\n\nAspirin costs 2.75 a pack.\n")
    assert report.status == "indexed"
    assert services.records.terms_of("finance", report.sha256) == set()


def test_held_notes_count_once_released_and_never_when_rejected(services: Services) -> None:
    services.settings.ingest.hold_risk_threshold = 0.0
    held = services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    other = services.ingestion.ingest_bytes(
        "medical", "other.txt", OTHER + f"Seen by {CANARY_NAME}.\n".encode()
    )
    assert held.status == other.status == "held"
    assert services.records.terms_by_record("medical", ["DISEASE", "CHEMICAL"]) == {}

    services.review.release("medical", held.sha256)
    services.review.reject("medical", other.sha256)
    assert set(services.records.terms_by_record("medical", ["DISEASE", "CHEMICAL"])) == {held.sha256}


def test_deleting_or_replacing_a_note_drops_its_terms(services: Services) -> None:
    first = services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    second = services.ingestion.ingest_bytes(
        "medical", "note.txt", NOTE + b"Warfarin was added.\n"
    )  # a new version
    assert second.status == "updated"
    assert services.records.terms_of("medical", first.sha256) == set()
    assert ("CHEMICAL", "warfarin") in services.records.terms_of("medical", second.sha256)

    services.catalog.delete("medical", second.sha256)
    assert services.records.terms_by_record("medical", ["DISEASE", "CHEMICAL"]) == {}


def test_stats_release_noisy_counts_and_spend_the_budget(services: Services) -> None:
    services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    services.ingestion.ingest_bytes("medical", "other.txt", OTHER)
    services.settings.dp.total_epsilon = 0.3
    release = medical_stats(
        services.records,
        services.entity_recognizer("medical"),
        services.settings.dp,
        "medical",
        "DISEASE",
        epsilon=0.2,
        top=5,
    )
    assert len(release.counts) == 5 and {row.type for row in release.counts} == {"DISEASE"}
    assert release.scale == pytest.approx(20 / 0.2) and release.epsilon == pytest.approx(0.2)
    assert release.budget is not None and release.budget.remaining == pytest.approx(0.1)
    assert release.vocabulary_size > 1000  # the public lexicons, not the records' terms
    with pytest.raises(DpBudgetError):
        medical_stats(
            services.records,
            services.entity_recognizer("medical"),
            services.settings.dp,
            "medical",
            "all",
            epsilon=0.2,
        )
    assert [entry.epsilon for entry in services.records.ledger()] == pytest.approx([0.2])
