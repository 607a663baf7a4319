"""Training the intent model a domain ships (``assistant train intent``): one command, seeded, CPU only.

The shipped model is an ensemble (probabilities averaged, :class:`pipelines.skills.triage.intent.IntentClassifier`) of one
fine-tuned encoder per seed and two logistic-regression members (:mod:`pipelines.skills.triage.intent_linear`).

Fine-tuned member: the bundled all-MiniLM-L6-v2 gets LoRA adapters (Hu et al. 2021, arXiv:2106.09685; rank 16
on every linear layer of the 6 transformer blocks, 0.68M trainable parameters, via ``peft``) and a
cosine-softmax head (one unit vector per label, logits = 20 x cosine, as in NormFace, Wang et al. 2017), trained
jointly with label-smoothed (0.1) cross-entropy, AdamW, linear warm-up over 6 % of the steps then linear decay.
Its artifact is the adapter plus the head (about 3 MB); the base encoder comes from its package. The linear
members add about 6.5 MB (float16 weights and the TF-IDF vocabulary) and train in about 2 minutes.

The model is written to a temporary folder beside the target and moved into place only when complete, so an
interrupted run leaves the previous model untouched.
"""

from __future__ import annotations

import csv
import json
import math
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipelines.skills.triage.intent import (
    BASE_MODEL,
    MODEL_FILE,
    IntentError,
    load_encoder,
    mean_pool,
    read_description,
)
from pipelines.skills.triage.intent_linear import LINEAR_KINDS, train_linear_member

__all__ = [
    "SHIPPED_SEEDS",
    "TrainingConfig",
    "check_model_target",
    "TrainingReport",
    "load_labelled_csv",
    "refit_linear_members",
    "train_intent_ensemble",
    "train_intent_model",
]


#: The seeds of the shipped finance model (one model per seed; with several, their probabilities are averaged).
SHIPPED_SEEDS = (0,)


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters (defaults: the shipped finance model's; see the README's intent table).

    Attributes:
        epochs: Passes over the training data.
        batch_size: Messages per optimisation step.
        learning_rate: AdamW learning rate of the LoRA weights.
        head_learning_rate: AdamW learning rate of the label vectors.
        lora_rank: LoRA rank r.
        lora_alpha: LoRA scaling alpha (the update is scaled by alpha / r).
        lora_dropout: Dropout on the LoRA input.
        scale: Cosine-softmax temperature.
        label_smoothing: Cross-entropy label smoothing (Szegedy et al. 2016).
        warmup: Share of steps with a linearly rising learning rate.
        weight_decay: AdamW weight decay.
        max_length: Tokens per message.
        seed: Seeds Python, numpy and torch (shuffling, initialisation, dropout).
        threads: torch CPU threads (1: torch's worker threads spin-wait, so with other work on 2 cores, 2 threads
            measured 5.3 s per step against 0.9 s with 1).
    """

    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 8e-4
    head_learning_rate: float = 1e-2
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    scale: float = 20.0
    label_smoothing: float = 0.1
    warmup: float = 0.06
    weight_decay: float = 0.01
    max_length: int = 64
    seed: int = 0
    threads: int = 1


@dataclass
class TrainingReport:
    """What a training run did.

    Attributes:
        model_dir: Where the model was written.
        examples: Training messages.
        labels: Distinct labels.
        steps: Optimisation steps.
        seconds: Wall-clock training time, seconds.
        size_bytes: Size of the written model folder, bytes.
        config: The hyper-parameters used.
    """

    model_dir: Path
    examples: int
    labels: int
    steps: int
    seconds: float
    size_bytes: int
    config: TrainingConfig = field(default_factory=TrainingConfig)


def load_labelled_csv(path: Path) -> tuple[list[str], list[str]]:
    """Read a ``text,category`` CSV (the BANKING77 layout; UTF-8, with or without a byte-order mark) into
    texts and labels.

    Raises:
        IntentError: The file is missing or not UTF-8, lacks the two columns, or a row has an empty text or
            category (the message names the file and line).
    """
    if not path.is_file():
        raise IntentError(f"labelled data not found: {path}")
    texts: list[str] = []
    labels: list[str] = []
    try:
        with path.open(
            encoding="utf-8-sig", newline=""
        ) as handle:  # utf-8-sig: Excel's "CSV UTF-8" has a BOM
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"text", "category"} <= set(reader.fieldnames):
                raise IntentError(
                    f"{path}: expected a header with columns text,category, got {reader.fieldnames}"
                )
            for row in reader:
                text = (row.get("text") or "").strip()
                label = (row.get("category") or "").strip()
                if not text or not label:
                    raise IntentError(f"{path}:{reader.line_num}: empty text or category")
                texts.append(text)
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise IntentError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from exc
    if not texts:
        raise IntentError(f"{path}: no labelled rows")
    return texts, labels


@contextmanager
def _staged(model_dir: Path) -> Iterator[Path]:
    """A temporary folder beside ``model_dir`` that replaces it when the block completes, and is removed
    (leaving ``model_dir`` untouched) when the block fails or is interrupted by an exception (Ctrl-C; a
    SIGTERM kill leaves the ``.intent-*`` folder behind)."""
    check_model_target(model_dir)
    try:
        model_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".intent-", dir=model_dir.parent))
    except OSError as exc:
        raise IntentError(f"cannot write a model beside {model_dir}: {exc.strerror or exc}") from exc
    try:
        yield staging
        if model_dir.exists():
            shutil.rmtree(model_dir)
        staging.rename(model_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_model_target(model_dir: Path) -> None:
    """Refuse a target that training would destroy: a file, or a non-empty folder without ``intent_model.json``
    (so ``--out ~`` cannot replace a home folder with a model). A missing, empty or model folder is fine.

    Raises:
        IntentError: The target is a file or a folder holding something other than an intent model.
    """
    if model_dir.is_file() or (model_dir.exists() and not model_dir.is_dir()):
        raise IntentError(f"{model_dir} is a file, not a model folder")
    if model_dir.is_dir() and any(model_dir.iterdir()) and not (model_dir / MODEL_FILE).is_file():
        raise IntentError(
            f"{model_dir} is not empty and holds no intent model ({MODEL_FILE}); refusing to replace it: "
            "choose a new or empty folder"
        )


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def train_intent_model(
    texts: list[str],
    labels: list[str],
    model_dir: Path,
    config: TrainingConfig | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainingReport:
    """Fine-tune the intent model on labelled messages and write it to ``model_dir``.

    Args:
        texts: Training messages.
        labels: Their labels (same length; at least 2 distinct).
        model_dir: Target folder (replaced only when training finished).
        config: Hyper-parameters (None = :class:`TrainingConfig` defaults).
        progress: Called as ``progress(step, total_steps, loss)`` after every step.

    Returns:
        The :class:`TrainingReport`.

    Raises:
        IntentError: Lengths differ, or fewer than 2 labels.
    """
    config = config or TrainingConfig()
    check_model_target(model_dir)
    if len(texts) != len(labels):
        raise IntentError(f"{len(texts)} texts but {len(labels)} labels")
    names = sorted(set(labels))
    if len(names) < 2:
        raise IntentError(f"need at least 2 distinct labels to train, got {len(names)}")
    import numpy as np
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import save_file

    started = time.perf_counter()
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    index = {name: i for i, name in enumerate(names)}
    targets = torch.tensor([index[label] for label in labels])

    encoder, tokenizer = load_encoder()
    lora = LoraConfig(
        r=config.lora_rank,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=["query", "key", "value", "dense"],
    )
    model = get_peft_model(encoder, lora)
    head = torch.nn.Linear(384, len(names), bias=False)
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in model.parameters() if p.requires_grad], "lr": config.learning_rate},
            {"params": head.parameters(), "lr": config.head_learning_rate},
        ],
        weight_decay=config.weight_decay,
    )
    steps = config.epochs * math.ceil(len(texts) / config.batch_size)
    warmup = max(1, int(config.warmup * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup))
    )
    loss_function = torch.nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    generator = torch.Generator().manual_seed(config.seed)
    model.train()
    step = 0
    for _epoch in range(config.epochs):
        order = torch.randperm(len(texts), generator=generator).tolist()
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            embedded = mean_pool(model, tokenizer, [texts[i] for i in batch], config.max_length)
            logits = config.scale * embedded @ torch.nn.functional.normalize(head.weight, dim=-1).T
            loss = loss_function(logits, targets[batch])
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if progress is not None:
                progress(step, steps, float(loss.item()))

    with _staged(model_dir) as staging:
        model.save_pretrained(str(staging / "adapter"))
        weight = torch.nn.functional.normalize(head.weight.detach(), dim=-1).contiguous()
        save_file({"weight": weight}, str(staging / "head.safetensors"))
        seconds = time.perf_counter() - started
        description: dict[str, Any] = {
            "format": 1,
            "base_model": BASE_MODEL,
            "adapter": "adapter",
            "pooling": "mean",
            "labels": names,
            "scale": config.scale,
            "max_length": config.max_length,
            "training": {
                "examples": len(texts),
                "per_label": dict(sorted(Counter(labels).items())),
                "steps": steps,
                "seconds": round(seconds, 1),
                "config": asdict(config),
                "torch": torch.__version__,
            },
        }
        (staging / MODEL_FILE).write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    return TrainingReport(model_dir, len(texts), len(names), steps, seconds, _folder_size(model_dir), config)


def train_intent_ensemble(
    texts: list[str],
    labels: list[str],
    model_dir: Path,
    seeds: list[int],
    config: TrainingConfig | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    linear: Sequence[str] = LINEAR_KINDS,
) -> TrainingReport:
    """Train one fine-tuned model per seed (:func:`train_intent_model`) into ``model_dir/seed<N>`` and the
    ``linear`` members (:func:`pipelines.skills.triage.intent_linear.train_linear_member`) into ``model_dir/<kind>``, and
    describe them as an ensemble whose probabilities :class:`pipelines.skills.triage.intent.IntentClassifier` averages (one
    seed and no linear member = one model, written directly). The ensemble replaces ``model_dir`` only when
    every member is done.

    Args:
        texts: Training messages.
        labels: Their labels.
        model_dir: Target folder.
        seeds: One seed per fine-tuned member (distinct, at least one).
        config: Hyper-parameters shared by the fine-tuned members (their ``seed`` is replaced).
        progress: Called as ``progress(step, total_steps, loss)`` over all members' steps (a linear member
            counts as one step, loss 0).
        linear: Linear member kinds (default: both, as shipped).

    Raises:
        IntentError: No seed, repeated seeds, an unknown linear kind, or invalid data (see
            :func:`train_intent_model`).
    """
    config = config or TrainingConfig()
    if not seeds or len(set(seeds)) != len(seeds):
        raise IntentError(f"need distinct seeds, got {seeds}")
    _check_kinds(linear)
    check_model_target(model_dir)
    if len(seeds) == 1 and not linear:
        return train_intent_model(texts, labels, model_dir, replace(config, seed=seeds[0]), progress)
    per_member = config.epochs * math.ceil(len(texts) / config.batch_size)
    total = per_member * len(seeds) + len(linear)
    reports = []
    with _staged(model_dir) as staging:
        for index, seed in enumerate(seeds):
            offset = index * per_member

            def shifted(step: int, _total: int, loss: float, offset: int = offset) -> None:
                if progress is not None:
                    progress(offset + step, total, loss)

            reports.append(
                train_intent_model(
                    texts, labels, staging / f"seed{seed}", replace(config, seed=seed), shifted
                )
            )
        seconds = sum(r.seconds for r in reports)
        seconds += _write_linear(texts, labels, staging, linear, per_member * len(seeds), total, progress)
        _describe_ensemble(staging, [f"seed{seed}" for seed in seeds] + list(linear))
    return TrainingReport(
        model_dir,
        len(texts),
        reports[0].labels,
        sum(r.steps for r in reports),
        seconds,
        _folder_size(model_dir),
        config,
    )


def refit_linear_members(
    texts: list[str],
    labels: list[str],
    model_dir: Path,
    linear: Sequence[str] = LINEAR_KINDS,
    progress: Callable[[int, int, float], None] | None = None,
    source: Path | None = None,
) -> TrainingReport:
    """Keep the fine-tuned members of the model in ``source`` (default ``model_dir``) and (re)train only the
    linear members (about two minutes instead of about an hour), writing the ensemble to ``model_dir``, which is
    replaced only when done.

    Args:
        texts: Training messages.
        labels: Their labels (the same label set the fine-tuned members were trained on).
        model_dir: An existing model folder: one fine-tuned model, or an ensemble.
        linear: Linear member kinds to train.
        progress: Called as ``progress(step, total_steps, 0.0)``, one step per linear member.
        source: The model whose fine-tuned members are kept (None = ``model_dir`` itself).

    Raises:
        IntentError: No model in the source folder (or none with a fine-tuned member), an unknown kind, or labels
            that differ from the fine-tuned members'.
    """
    _check_kinds(linear)
    check_model_target(model_dir)
    origin = source or model_dir
    description = read_description(origin)
    if "ensemble" in description:
        kept = [
            str(name)
            for name in description["ensemble"]
            if read_description(origin / str(name)).get("kind", "lora") == "lora"
        ]
        sources = {name: origin / name for name in kept}
    elif description.get("kind", "lora") == "lora":
        seed = int(description.get("training", {}).get("config", {}).get("seed", 0))
        sources = {f"seed{seed}": origin}
    else:
        sources = {}
    if not sources:
        raise IntentError(f"{origin}: no fine-tuned member to keep; train one with `assistant train intent`")
    names = sorted(set(labels))
    for source in sources.values():
        if read_description(source).get("labels") != names:
            raise IntentError(
                f"{source}: its labels differ from the training data's; retrain the whole model"
            )
    started = time.perf_counter()
    with _staged(model_dir) as staging:
        for name, source in sources.items():
            shutil.copytree(source, staging / name, ignore=shutil.ignore_patterns(*LINEAR_KINDS, "seed*"))
        _write_linear(texts, labels, staging, linear, 0, len(linear), progress)
        _describe_ensemble(staging, list(sources) + list(linear))
    return TrainingReport(
        model_dir,
        len(texts),
        len(names),
        len(linear),
        time.perf_counter() - started,
        _folder_size(model_dir),
    )


def _check_kinds(linear: Sequence[str]) -> None:
    unknown = [kind for kind in linear if kind not in LINEAR_KINDS]
    if unknown or len(set(linear)) != len(linear):
        raise IntentError(
            f"linear members must be distinct kinds among {', '.join(LINEAR_KINDS)}, got {list(linear)}"
        )


def _write_linear(
    texts: list[str],
    labels: list[str],
    staging: Path,
    linear: Sequence[str],
    done: int,
    total: int,
    progress: Callable[[int, int, float], None] | None,
) -> float:
    """Train the linear members into ``staging``; returns their training seconds."""
    names = sorted(set(labels))
    seconds = 0.0
    for number, kind in enumerate(linear, start=1):
        seconds += float(train_linear_member(kind, texts, labels, names, staging / kind)["seconds"])
        if progress is not None:
            progress(done + number, total, 0.0)
    return seconds


def _describe_ensemble(staging: Path, members: list[str]) -> None:
    description = {"format": 1, "ensemble": members}
    (staging / MODEL_FILE).write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
