"""Training the medical entity recognizer (``assistant train ner``): one command, seeded, CPU only, minutes.

Method (see :mod:`pipelines.skills.medical.entities` for the features): CRFsuite's L-BFGS trainer (Okazaki 2007) with
elastic-net regularisation (``c1`` L1, ``c2`` L2) over every sentence of the training files. The lexicon
feature is jackknifed: the training sentences are split into ``folds`` seeded folds and each fold's lexicon
tags come from a lexicon built from the other folds only, so the model learns how far a lexicon match can be
trusted on mentions it has not seen (at run time the lexicon of all training mentions is used). L1 keeps the
weights file small enough to commit.

The model is written to a temporary folder beside the target and moved into place only when complete, so an
interrupted run leaves the previous model untouched.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipelines.skills.medical.entities import (
    FOCI_FILE,
    LEXICON_FILE,
    MODEL_FILE,
    WEIGHTS_FILE,
    NerError,
    sentence_features,
    write_lexicon,
)
from pipelines.skills.medical.lexicon import TermLexicon, build_training_lexicon
from pipelines.training.ner_corpus import Sentence, read_iob, read_phrases

__all__ = ["NerTrainingConfig", "NerTrainingReport", "train_ner_model"]


@dataclass(frozen=True)
class NerTrainingConfig:
    """Hyper-parameters (defaults: the shipped medical model's, chosen on BC5CDR devel; see the README).

    Attributes:
        c1: L1 regularisation coefficient.
        c2: L2 regularisation coefficient.
        max_iterations: L-BFGS iterations.
        folds: Jackknife folds of the lexicon feature.
        min_precision: A training mention enters the lexicon when annotated in at least this share of its
            occurrences (0-1).
        seed: Seed of the fold split.
    """

    c1: float = 0.05
    c2: float = 0.01
    max_iterations: int = 300
    folds: int = 5
    min_precision: float = 0.5
    seed: int = 0


@dataclass(frozen=True)
class NerTrainingReport:
    """What a training run produced.

    Attributes:
        model_dir: The written model folder.
        sentences: Training sentences.
        tokens: Training tokens.
        lexicon_terms: Terms in the shipped training-mention lexicon.
        foci_terms: Terms in the MedQuAD foci lexicon.
        features: Features with a non-zero weight in the model.
        seconds: Wall-clock training time (feature extraction + L-BFGS), seconds.
        size_bytes: Size of the model folder, bytes.
        config: The hyper-parameters.
    """

    model_dir: Path
    sentences: int
    tokens: int
    lexicon_terms: int
    foci_terms: int
    features: int
    seconds: float
    size_bytes: int
    config: NerTrainingConfig

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["model_dir"] = str(self.model_dir)
        return out


def _jackknifed_lexicon_tags(sentences: Sequence[Sentence], settings: NerTrainingConfig) -> list[list[str]]:
    """Per sentence, the lexicon tags from a lexicon that excludes the sentence's own fold."""
    order = list(range(len(sentences)))
    random.Random(settings.seed).shuffle(order)
    fold_of = {index: position % settings.folds for position, index in enumerate(order)}
    tags: list[list[str]] = [[] for _ in sentences]
    for fold in range(settings.folds):
        others = [s for i, s in enumerate(sentences) if fold_of[i] != fold]
        lexicon = build_training_lexicon(others, settings.min_precision)
        for i, (words, _labels) in enumerate(sentences):
            if fold_of[i] == fold:
                tags[i] = lexicon.match(words)
    return tags


def train_ner_model(
    training_files: Sequence[Path],
    out_dir: Path,
    foci_file: Path | None = None,
    config: NerTrainingConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> NerTrainingReport:
    """Train the CRF entity model on IOB2 files and write its folder.

    Args:
        training_files: IOB2 files (see :func:`pipelines.training.ner_corpus.read_iob`), all used for training.
        out_dir: The model folder to write (replaced only when training completes).
        foci_file: Extra gazetteer (``phrase<TAB>type``) used as a feature; None = none.
        config: Hyper-parameters; None = :class:`NerTrainingConfig` defaults.
        progress: Called with ``(stage, done, total)`` (stages ``features`` and ``iterations``).

    Returns:
        The training report (also stored in the folder's ``ner_model.json``).

    Raises:
        NerError: Unreadable or malformed training data, or no training sentences.
    """
    import pycrfsuite

    settings = config or NerTrainingConfig()
    if not 2 <= settings.folds <= 20:
        raise NerError(f"folds must be 2-20, got {settings.folds}")
    started = time.perf_counter()
    sentences: list[Sentence] = [s for path in training_files for s in read_iob(path)]
    foci = TermLexicon.from_phrases(read_phrases(foci_file)) if foci_file else TermLexicon({})
    lexicon_tags = _jackknifed_lexicon_tags(sentences, settings)
    lexicon = build_training_lexicon(sentences, settings.min_precision)

    class _Trainer(pycrfsuite.Trainer):  # type: ignore[misc]
        def on_iteration(self, log: str, info: dict[str, Any]) -> None:
            if progress:
                progress("iterations", int(info.get("num", 0)), settings.max_iterations)

    trainer = _Trainer(verbose=False)
    for index, ((words, tags), lex) in enumerate(zip(sentences, lexicon_tags, strict=True)):
        trainer.append(sentence_features(words, lex, foci.match(words)), tags)
        if progress and (index + 1) % 500 == 0:
            progress("features", index + 1, len(sentences))
    trainer.set_params(
        {
            "c1": settings.c1,
            "c2": settings.c2,
            "max_iterations": settings.max_iterations,
            "feature.possible_transitions": True,
        }
    )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    tmp.chmod(0o755)
    try:
        trainer.train(str(tmp / WEIGHTS_FILE))
        write_lexicon(lexicon, tmp / LEXICON_FILE)
        write_lexicon(foci, tmp / FOCI_FILE)
        seconds = time.perf_counter() - started
        tagger = pycrfsuite.Tagger()
        tagger.open(str(tmp / WEIGHTS_FILE))
        features = len(tagger.info().state_features)
        tagger.close()
        size = sum(p.stat().st_size for p in tmp.iterdir())
        report = NerTrainingReport(
            model_dir=out_dir,
            sentences=len(sentences),
            tokens=sum(len(words) for words, _ in sentences),
            lexicon_terms=len(lexicon),
            foci_terms=len(foci),
            features=features,
            seconds=round(seconds, 1),
            size_bytes=size,
            config=settings,
        )
        info = report.to_dict()
        info.pop("model_dir")
        info["method"] = "linear-chain CRF (CRFsuite L-BFGS), jackknifed lexicon features"
        info["labels"] = ["CHEMICAL", "DISEASE"]
        info["training_files"] = [path.name for path in training_files]
        (tmp / MODEL_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return report
