"""The shipped sample corpora are indexed once per data dir, under a lock, whatever the domain already holds.
Slow tier: each test indexes the code domain's sample corpus."""

from __future__ import annotations

import threading

import pytest

from domains import sample_corpus_files
from pipelines.services import Services

pytestmark = pytest.mark.slow


def test_a_user_document_does_not_keep_the_samples_out(services: Services) -> None:
    services.ingestion.ingest_bytes("code", "notes.md", b"# Notes\n\nOur own code notes.\n")
    assert services.ingestion.samples_pending(["code"]) == ["code"]
    reports = services.ingestion.index_sample_corpora(domains=["code"])
    samples = sample_corpus_files(services.domains.domain("code"))
    assert len(reports) == len(samples)
    assert len(services.catalog.documents("code")) == len(samples) + 1
    assert services.ingestion.samples_pending(["code"]) == []


def test_samples_deleted_by_a_user_are_not_put_back(services: Services) -> None:
    services.ingestion.index_sample_corpora(domains=["code"])
    for document in services.catalog.documents("code"):
        services.catalog.delete("code", document.sha256)
    assert services.ingestion.index_sample_corpora(domains=["code"]) == []
    assert services.catalog.documents("code") == []


def test_concurrent_first_uses_index_the_samples_once(services: Services) -> None:
    results: list[int] = []

    def first_use() -> None:
        results.append(len(services.ingestion.index_sample_corpora(domains=["code"])))

    threads = [threading.Thread(target=first_use) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples = len(sample_corpus_files(services.domains.domain("code")))
    assert sorted(results) == [
        0,
        0,
        samples,
    ]  # one thread indexed them; the others waited and found them done
