"""Logistic-regression heads as plain arrays: the router, the multilingual intent head and the learned risk layer
fit scikit-learn's ``LogisticRegression`` and then score with numpy alone (no scikit-learn on the hot path), and
the trainers store the arrays with safetensors."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["class_rows", "softmax"]


def class_rows(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """One weight row and one bias per class of a fitted ``LogisticRegression``, in ``model.classes_`` order:
    ``(weight (classes, features), bias (classes,))``, float32 and C-ordered (scikit-learn's ``coef_`` is
    Fortran-ordered, and safetensors writes the raw buffer).

    ``softmax(x @ weight.T + bias)`` equals ``model.predict_proba(x)``, also for two classes, where scikit-learn
    keeps one row ``z`` (the second class's logit against the first's): ``softmax([-z/2, z/2])`` is
    ``sigmoid(z)``.
    """
    coef, intercept = np.asarray(model.coef_), np.asarray(model.intercept_)
    if coef.shape[0] == 1 and len(model.classes_) == 2:
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.asarray([-intercept[0] / 2, intercept[0] / 2])
    return np.ascontiguousarray(coef, dtype=np.float32), np.ascontiguousarray(intercept, dtype=np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis of ``logits`` (shifted by the maximum first, so large logits do not
    overflow)."""
    exps = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return np.asarray(exps / exps.sum(axis=-1, keepdims=True))
