"""The intent model's multilingual head: the BANKING77 intents of messages in Chinese (and other non-Latin
scripts the English ensemble cannot read).

Method: multinomial logistic regression over the multilingual sentence vectors of
:class:`ingest.multilingual.MultilingualEncoder` (USE-multilingual v3, 512 dims: English and Chinese share the
space, so English training messages transfer to Chinese ones). Trained by
:mod:`pipelines.training.intent_multilingual` on the written Chinese messages (``train_zh.jsonl``) plus a
sample of the English ones; stored as the model folder's member named by ``"multilingual"`` in its
``intent_model.json`` (``head.safetensors``: ``weight`` (labels x 512), ``bias`` (labels)).

Which messages it answers: those with any Han character (:func:`needs_multilingual`); the English ensemble
keeps every other message, so its BANKING77 accuracy is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipelines.core.linear import softmax

__all__ = ["HAN", "MultilingualHead", "needs_multilingual"]

#: CJK unified ideographs (with extension A and the compatibility block).
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def needs_multilingual(text: str) -> bool:
    """True when ``text`` has a Han character (the English ensemble's encoders cannot read it)."""
    return HAN.search(text) is not None


class _Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MultilingualHead:
    """A linear softmax head over multilingual sentence vectors (the module docstring)."""

    kind = "multilingual_lr"

    def __init__(
        self, encoder: _Encoder, weight: np.ndarray, bias: np.ndarray, temperature: float = 1.0
    ) -> None:
        """``weight``: (labels, 512); ``bias``: (labels,); the logits are divided by ``temperature`` (> 0)."""
        self.encoder = encoder
        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.temperature = temperature

    @classmethod
    def load(cls, folder: Path, labels: Sequence[str], encoder: _Encoder) -> MultilingualHead:
        """Read ``folder/head.safetensors`` and the temperature of ``folder/intent_model.json`` (1.0 if none).

        Raises:
            IntentError: A file is missing or unreadable, the shape does not fit ``labels`` x 512, or the
                temperature is not a positive number.
        """
        from safetensors.numpy import load_file

        from pipelines.skills.triage.intent import IntentError

        path = folder / "head.safetensors"
        try:
            tensors = load_file(str(path))
            weight, bias = tensors["weight"], tensors["bias"]
        except (OSError, KeyError, ValueError) as exc:
            raise IntentError(f"{path}: cannot read the multilingual intent head ({exc})") from exc
        if weight.shape != (len(labels), 512) or bias.shape != (len(labels),):
            raise IntentError(f"{path}: shape {weight.shape} does not match {len(labels)} labels x 512")
        from pipelines.skills.triage.intent import read_description

        temperature = read_description(folder).get("temperature", 1.0)
        if not isinstance(temperature, int | float) or temperature <= 0:
            raise IntentError(f"{folder}: temperature {temperature!r} is not a positive number")
        return cls(encoder, weight, bias, float(temperature))

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Label probabilities, shape (len(texts), labels); rows sum to 1."""
        return softmax((self.encoder.encode(texts) @ self.weight.T + self.bias) / self.temperature)
