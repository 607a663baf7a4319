"""The ingestion flow with real Presidio, real embeddings and a real Chroma in a temp dir."""

from __future__ import annotations

import pytest

from ingest import CorruptFileError, EmptyDocumentError, IngestError
from pipelines.services import Services
from tests.conftest import scan_tree_for
from tests.ingest.conftest import make_pdf

HANDBOOK = (
    b"# Disputes\n\nA dispute must be raised within 13 months of the transaction date. "
    b"Contact Zelda Quartermaine at zelda.quartermaine@example.org for escalations.\n\n"
    b"# Fees\n\nThe foreign transaction fee is 2.75%.\n"
)


def test_ingest_stores_deidentified_chunks_with_metadata(services: Services) -> None:
    report = services.ingestion.ingest_bytes("finance", "handbook.md", HANDBOOK)
    assert report.chunks_added == report.chunks > 0
    assert report.redactions == {"EMAIL_ADDRESS": 1, "PERSON": 1}
    hits = services.store.search("finance", services.embedder.embed_query("dispute deadline"), 5)
    assert hits[0].source == "handbook.md"
    assert hits[0].metadata["document_sha256"] == report.sha256
    assert hits[0].metadata["location"].startswith("section: ")
    joined = " ".join(h.text for h in hits)
    assert "Quartermaine" not in joined and "13 months" in joined and "2.75%" in joined


def test_reingesting_the_same_file_adds_nothing(services: Services) -> None:
    first = services.ingestion.ingest_bytes("finance", "handbook.md", HANDBOOK)
    count = services.store.count("finance")
    second = services.ingestion.ingest_bytes("finance", "renamed-copy.md", HANDBOOK)
    assert second.duplicate and second.chunks_added == 0
    assert services.store.count("finance") == count == first.chunks


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        (
            "corrupt.pdf",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Pages 9 0 R >>\ntrailer\ngarbage",
            IngestError,
        ),
        ("truncated.pdf", make_pdf(["Fees page"])[:300], IngestError),
        ("empty.txt", b"", EmptyDocumentError),
        ("wrong.pdf", b"hello, I am text", CorruptFileError),
    ],
)
def test_unreadable_files_are_rejected_and_leave_the_collection_unchanged(
    services: Services, name: str, data: bytes, error: type[Exception]
) -> None:
    services.ingestion.ingest_bytes("finance", "handbook.md", HANDBOOK)
    before = services.store.count("finance")
    with pytest.raises(error) as caught:
        services.ingestion.ingest_bytes("finance", name, data)
    assert name in str(caught.value)
    assert services.store.count("finance") == before
    assert [d.name for d in services.store.list_documents("finance")] == ["handbook.md"]


def test_documents_are_listed_per_domain(services: Services) -> None:
    services.ingestion.ingest_bytes("finance", "handbook.md", HANDBOOK)
    services.ingestion.ingest_bytes("code", "util.py", b"def add(a, b):\n    return a + b\n")
    (finance,) = services.store.list_documents("finance")
    assert finance.name == "handbook.md" and finance.chunks >= 1 and finance.kind == "markdown"
    assert [d.name for d in services.store.list_documents("code")] == ["util.py"]


@pytest.mark.slow
def test_sample_corpora_are_indexed_once(services: Services) -> None:
    reports = services.ingestion.index_sample_corpora(domains=["code"])
    assert reports and all(r.chunks_added > 0 for r in reports)
    assert services.ingestion.index_sample_corpora(domains=["code"]) == []


def test_personal_data_in_a_file_name_is_not_stored(services: Services) -> None:
    report = services.ingestion.ingest_bytes("finance", "Zelda Quartermaine 4539 1488 0343 6467.md", HANDBOOK)
    assert report.name == "<PERSON> <CREDIT_CARD>.md"
    (doc,) = services.store.list_documents("finance")
    assert doc.name == "<PERSON> <CREDIT_CARD>.md"
    assert scan_tree_for(services.settings.data_dir, ("Quartermaine", "4539 1488 0343 6467")) == []
