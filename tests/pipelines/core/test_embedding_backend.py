"""Which embedding backend a data dir uses: ``auto`` keeps the backend its collections were built with (torch
for collections from before the record), onnx-int8 for a new data dir; every new collection records it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ingest import Chunk, StoreError, VectorStore
from pipelines import load_settings
from pipelines.services import Models, Services


def _services(data_dir: Path, models: Models, backend: str = "auto") -> Services:
    settings = load_settings(data_dir=data_dir)
    settings.ingest.index_samples_on_start = False
    settings.embedding.backend = backend  # type: ignore[assignment]
    return Services(settings, models)


def _legacy_collection(data_dir: Path, recorded: str | None) -> None:
    """A finance collection with one chunk, written as an older release did (``recorded`` None: no record)."""
    store = VectorStore(data_dir / "chroma")
    store.embedding = recorded
    chunk = Chunk(id="c1", text="Transfers take one day.", location="p1", index=0)
    meta = {"source": "faq.txt", "document_sha256": "a" * 64, "chunk_index": 0}
    store.add_chunks("finance", [chunk], [[1.0] + [0.0] * 383], [meta])


def test_a_new_data_dir_uses_int8_and_records_it(tmp_path: Path, models: Models) -> None:
    services = _services(tmp_path / "data", models)
    assert services.embedding_backend == "onnx-int8"
    assert services.embedder.backend == "onnx-int8"
    services.store.count("medical")  # creates the collection
    collection = services.store.client.get_collection("domain_medical")
    assert collection.metadata["embedding"] == "onnx-int8"


def test_the_backend_is_recorded_even_when_a_collection_is_made_before_any_embedding(
    tmp_path: Path, models: Models
) -> None:
    services = _services(tmp_path / "data", models)
    services.store.count("finance")  # the ingestion's duplicate check opens the collection before embedding
    docs = tmp_path / "faq.md"
    docs.write_text("# Transfers\n\nA SWIFT transfer takes one to four working days.\n")
    assert services.ingestion.ingest_path("finance", docs).chunks_added > 0
    reopened = _services(tmp_path / "data", models)
    assert reopened.store.recorded_embeddings() == {"finance": "onnx-int8"}
    assert reopened.embedding_backend == "onnx-int8"


def test_collections_from_before_the_record_keep_torch(tmp_path: Path, models: Models) -> None:
    _legacy_collection(tmp_path / "data", None)
    services = _services(tmp_path / "data", models)
    assert services.store.recorded_embeddings() == {"finance": "torch"}
    assert services.embedding_backend == "torch"
    assert services.embedder.backend == "torch"


def test_a_configured_backend_other_than_the_recorded_one_is_logged(
    tmp_path: Path, models: Models, caplog: pytest.LogCaptureFixture
) -> None:
    _legacy_collection(tmp_path / "data", "torch")
    services = _services(tmp_path / "data", models, backend="onnx-int8")
    with caplog.at_level(logging.WARNING):
        assert services.embedding_backend == "onnx-int8"
    assert "collection finance built with torch" in caplog.text


def test_auto_is_resolved_before_a_model_is_built(models: Models) -> None:
    from pipelines.core.settings import EmbeddingSettings

    with pytest.raises(ValueError, match="resolve embedding.backend 'auto'"):
        models.embedder(EmbeddingSettings())


def test_an_empty_collection_from_before_the_record_takes_it_on_first_write(
    tmp_path: Path, models: Models
) -> None:
    legacy = VectorStore(tmp_path / "data" / "chroma")
    legacy.count("finance")  # an older release made the collection empty, without a record
    services = _services(tmp_path / "data", models)
    assert services.embedding_backend == "onnx-int8"
    docs = tmp_path / "faq.md"
    docs.write_text("# Transfers\n\nA SWIFT transfer takes one to four working days.\n")
    services.ingestion.ingest_path("finance", docs)
    assert _services(tmp_path / "data", models).store.recorded_embeddings() == {"finance": "onnx-int8"}


def test_vectors_of_two_backends_never_mix_in_a_collection(tmp_path: Path, models: Models) -> None:
    _legacy_collection(tmp_path / "data", "torch")
    services = _services(tmp_path / "data", models, backend="onnx-int8")
    docs = tmp_path / "faq.md"
    docs.write_text("# Fees\n\nThe foreign transaction fee is 2.75%.\n")
    with pytest.raises(StoreError, match="ASSISTANT_EMBEDDING__BACKEND=torch"):
        services.ingestion.ingest_path("finance", docs)
    assert services.store.count("finance") == 1  # only the older chunk
