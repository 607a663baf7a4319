"""The intent ensemble's two sentence encoders through ONNX Runtime with int8 weights.

The fine-tuned member (the base all-MiniLM-L6-v2 with its LoRA adapter merged) and the frozen encoder under
``embedding_lr`` are exported and quantised like the retrieval embedder (:mod:`ingest.onnx_encoder`: int8
per-channel weights of the dense layers, one text per call), cached next to it.

Measured on BANKING77's 3,080 test messages on this 2-core machine (issue 23): accuracy of the shipped
ensemble 0.9458 with torch, 0.9442 with both encoders int8 (0.9458 with only the fine-tuned one int8); one
message's intent p50 33 -> 10 ms. Also no torch copy of either encoder stays in memory once the exports are
cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.skills.triage.intent import IntentError, base_encoder_path, load_encoder

__all__ = ["OnnxIntentMember", "frozen_featurizer", "load_onnx_member"]


@dataclass(frozen=True)
class OnnxIntentMember:
    """A fine-tuned encoder member (kind ``lora``) run by ONNX Runtime with int8 weights.

    Attributes:
        encoder: The :class:`ingest.onnx_encoder.OnnxInt8Encoder` of the adapter-merged model.
        head: Label vectors, a float32 numpy array (labels, 384) with unit rows.
        scale: Cosine-softmax temperature (logits = scale * cosine).
    """

    encoder: Any
    head: Any
    scale: float
    kind: str = "lora"

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Label probabilities, a numpy array (len(texts), labels) whose rows sum to 1."""
        import numpy as np

        logits = self.scale * (self.encoder.encode_each(texts).astype(np.float64) @ self.head.T)
        logits -= logits.max(axis=1, keepdims=True)
        exponentials = np.exp(logits)
        return (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(np.float32)


def load_onnx_member(
    folder: Path, adapter: str | None, head: Any, scale: float, max_length: int, cache_dir: Path
) -> OnnxIntentMember:
    """The ``lora`` member in ``folder`` as an int8 ONNX model: exported on first use (the adapter merged into
    the base encoder with peft, about 10 s), then loaded from ``cache_dir``.

    Args:
        folder: The member folder.
        adapter: The adapter's sub-folder name (None: the base encoder, fine-tuned head only).
        head: The label vectors, a float tensor or array (labels, 384) with unit rows.
        scale: Cosine-softmax temperature.
        max_length: Tokens per message (longer ones are truncated).
        cache_dir: Where exports are kept.

    Raises:
        IntentError: The adapter cannot be read or merged.
    """
    import numpy as np

    from ingest.onnx_encoder import OnnxInt8Encoder, model_digest

    base = base_encoder_path()
    files = sorted(p for p in (folder / adapter).rglob("*") if p.is_file()) if adapter else []

    def merged() -> Any:
        encoder, _tokenizer = load_encoder()
        if not adapter:
            return encoder
        from peft import PeftModel

        try:
            return PeftModel.from_pretrained(encoder, str(folder / adapter)).merge_and_unload()
        except (OSError, ValueError, RuntimeError) as exc:
            raise IntentError(f"{folder / adapter}: cannot load the LoRA adapter ({exc})") from exc

    try:
        encoder = OnnxInt8Encoder(
            base,
            cache_dir,
            encoder=merged,
            digest=model_digest(base, files),
            stem="intent-encoder",
            max_tokens=max_length,
        )
    except OSError as exc:
        raise _unwritable(cache_dir, exc) from exc
    return OnnxIntentMember(encoder, np.asarray(head, dtype=np.float64), scale)


def _unwritable(cache_dir: Path, exc: OSError) -> IntentError:
    return IntentError(
        f"cannot make the intent model's ONNX export in {cache_dir} ({exc.strerror or exc}); set "
        "ASSISTANT_EMBEDDING__ONNX_CACHE_DIR to a writable folder, or ASSISTANT_EMBEDDING__BACKEND=torch"
    )


def frozen_featurizer(max_length: int, cache_dir: Path) -> Callable[[Sequence[str]], Any]:
    """The base all-MiniLM-L6-v2 (no adapter) as an int8 ONNX featurizer for ``embedding_lr``: texts → (n, 384)
    unit embeddings, one text per call. It shares the retrieval embedder's export file."""
    from ingest.onnx_encoder import OnnxInt8Encoder

    try:
        return OnnxInt8Encoder(base_encoder_path(), cache_dir, max_tokens=max_length).encode_each
    except OSError as exc:
        raise _unwritable(cache_dir, exc) from exc
