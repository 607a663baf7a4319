"""Support-vector heads with a Gaussian (RBF) kernel as plain arrays: the learned risk layer fits scikit-learn's
``SVC`` and then scores with numpy alone (no scikit-learn on the hot path); the trainer stores the arrays with
safetensors.

The decision function of a fitted two-class SVM is ``f(x) = sum_i a_i * exp(-gamma * |x - s_i|^2) + b`` over
its support vectors ``s_i`` with dual coefficients ``a_i`` (``y_i * alpha_i``) and intercept ``b`` (Cortes &
Vapnik 1995; scikit-learn's ``SVC.decision_function``, positive for the second class of ``classes_``). Its
sign is the class; its size is no probability, so :func:`platt` maps it to one with a sigmoid fitted on held-out
decision values (Platt 1999, "Probabilistic outputs for support vector machines").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

__all__ = ["RbfHead", "RbfOneVsRest", "platt", "platt_probability"]


@dataclass(frozen=True)
class RbfHead:
    """A two-class RBF-kernel SVM's decision function.

    Attributes:
        support: Support vectors, (n, dims) float32.
        dual: Their dual coefficients ``y_i * alpha_i``, (n,) float32.
        intercept: The bias ``b``.
        gamma: The kernel width ``gamma`` (1 / squared vector length units), > 0.
    """

    support: np.ndarray
    dual: np.ndarray
    intercept: float
    gamma: float

    def __post_init__(self) -> None:
        if self.support.ndim != 2 or self.dual.shape != (self.support.shape[0],):
            raise ValueError(f"support {self.support.shape} and dual {self.dual.shape} do not fit")
        if not self.gamma > 0:
            raise ValueError(f"gamma {self.gamma} is not positive")

    @classmethod
    def from_svc(cls, model: Any) -> RbfHead:
        """The head of a fitted two-class ``sklearn.svm.SVC(kernel="rbf")``, float32 and C-ordered (safetensors
        writes the raw buffer).

        Raises:
            ValueError: Not a two-class RBF model.
        """
        if model.kernel != "rbf" or len(model.classes_) != 2:
            raise ValueError("only a two-class SVC with the rbf kernel is supported")
        return cls(
            np.ascontiguousarray(model.support_vectors_, dtype=np.float32),
            np.ascontiguousarray(model.dual_coef_[0], dtype=np.float32),
            float(model.intercept_[0]),
            float(model._gamma),  # the value "scale" resolved to at fit time
        )

    @cached_property
    def _support_norms(self) -> np.ndarray:
        """``|s_i|^2`` of each support vector, (n,) float32: computed once, not per call (it read every support
        vector: 1.5 ms of a 2.2 ms decision on the finance risk model's vectors)."""
        return _squared_norms(self.support)

    @property
    def dims(self) -> int:
        """The vectors' dimension."""
        return int(self.support.shape[1])

    def decision(self, vectors: np.ndarray) -> np.ndarray:
        """``f(x)`` for each row of ``vectors`` (m, dims): shape (m,); equals ``SVC.decision_function``."""
        kernel = _rbf_kernel(vectors, self.support, self._support_norms, self.gamma)
        return np.asarray(kernel @ self.dual + self.intercept, dtype=np.float64)


@dataclass(frozen=True)
class RbfOneVsRest:
    """Several two-class RBF-kernel SVMs fitted on the same rows (one per class, that class against the rest),
    each with its Platt sigmoid, scored through one kernel row: their support vectors are stored once, as the
    union, and each head's dual coefficients are a column (zero where a vector is not one of its own).

    Heads fitted with ``gamma="scale"`` on the same rows share ``gamma`` (it depends on the rows only).

    Attributes:
        support: The union of the heads' support vectors, (n, dims) float32.
        dual: Dual coefficients ``y_i * alpha_i`` per head, (n, heads) float32.
        intercept: Each head's bias, (heads,) float32.
        gamma: The shared kernel width, > 0.
        calibration: Platt slope and offset per head, (heads, 2) float32 (:func:`platt`).
    """

    support: np.ndarray
    dual: np.ndarray
    intercept: np.ndarray
    gamma: float
    calibration: np.ndarray

    def __post_init__(self) -> None:
        heads = self.intercept.shape[0] if self.intercept.ndim == 1 else -1
        if (
            self.support.ndim != 2
            or self.dual.shape != (self.support.shape[0], heads)
            or self.calibration.shape != (heads, 2)
        ):
            raise ValueError(
                f"support {self.support.shape}, dual {self.dual.shape}, intercept {self.intercept.shape} and "
                f"calibration {self.calibration.shape} do not fit"
            )
        if not self.gamma > 0:
            raise ValueError(f"gamma {self.gamma} is not positive")

    @classmethod
    def from_svcs(cls, models: list[Any], rows: np.ndarray, calibration: np.ndarray) -> RbfOneVsRest:
        """The heads of fitted two-class ``SVC(kernel="rbf")`` models, all fitted on ``rows`` (n, dims), with
        their Platt parameters ``calibration`` (heads, 2).

        Raises:
            ValueError: A model is not a two-class RBF model, or their ``gamma`` values differ.
        """
        heads = [RbfHead.from_svc(model) for model in models]  # checks kernel and classes
        if any(not np.isclose(head.gamma, heads[0].gamma) for head in heads):
            raise ValueError("the heads were fitted with different gamma values (on different rows?)")
        union = sorted({int(i) for model in models for i in model.support_})
        position = {row: k for k, row in enumerate(union)}
        dual = np.zeros((len(union), len(models)), dtype=np.float32)
        for j, model in enumerate(models):
            dual[[position[int(i)] for i in model.support_], j] = model.dual_coef_[0]
        return cls(
            np.ascontiguousarray(np.asarray(rows)[union], dtype=np.float32),
            dual,
            np.asarray([head.intercept for head in heads], dtype=np.float32),
            heads[0].gamma,
            np.ascontiguousarray(calibration, dtype=np.float32),
        )

    @cached_property
    def _support_norms(self) -> np.ndarray:
        return _squared_norms(self.support)

    def decision(self, vectors: np.ndarray) -> np.ndarray:
        """Each head's ``f(x)`` for each row of ``vectors`` (m, dims): shape (m, heads)."""
        kernel = _rbf_kernel(vectors, self.support, self._support_norms, self.gamma)
        return np.asarray(kernel @ self.dual + self.intercept, dtype=np.float64)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Each head's Platt probability of its class, shape (m, heads), each in 0..1 (rows need not sum to
        1)."""
        decisions = self.decision(vectors)
        return platt_probability(decisions, self.calibration[:, 0], self.calibration[:, 1])


def _squared_norms(rows: np.ndarray) -> np.ndarray:
    """``|r_i|^2`` of each row of ``rows`` (n, dims): shape (n,), float32."""
    return np.asarray((rows * rows).sum(axis=1), dtype=np.float32)


def _rbf_kernel(
    vectors: np.ndarray, support: np.ndarray, support_norms: np.ndarray, gamma: float
) -> np.ndarray:
    """``exp(-gamma * |x - s_i|^2)`` for each row ``x`` of ``vectors`` (m, dims) and support vector ``s_i``
    (``support`` (n, dims) with its :func:`_squared_norms`): shape (m, n), through one matrix product."""
    vectors = np.asarray(vectors, dtype=np.float32)
    squared = _squared_norms(vectors)[:, None] - 2.0 * vectors @ support.T + support_norms[None, :]
    return np.asarray(np.exp(-gamma * np.maximum(squared, 0.0)))


def platt_probability(
    decisions: np.ndarray, slope: float | np.ndarray, offset: float | np.ndarray
) -> np.ndarray:
    """``sigmoid(slope * decisions + offset)``, the probabilities of :func:`platt`'s fit, same shape as
    ``decisions`` (``slope`` and ``offset`` may be one per column of a (m, heads) ``decisions``)."""
    return np.asarray(1.0 / (1.0 + np.exp(-(slope * np.asarray(decisions) + offset))))


def platt(decisions: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Platt scaling: ``(a, b)`` such that ``sigmoid(a * f + b)`` is the probability of the positive class, fitted
    by (nearly unregularised) logistic regression on held-out decision values ``decisions`` (n,) and their 0/1
    ``labels`` (n,).

    Raises:
        ValueError: Both classes are not present, or the fit does not increase with ``f`` (``a <= 0``).
    """
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(labels).astype(int)
    if len(set(labels.tolist())) != 2:
        raise ValueError("Platt scaling needs decision values of both classes")
    model = LogisticRegression(C=1e4, max_iter=1000).fit(np.asarray(decisions).reshape(-1, 1), labels)
    a, b = float(model.coef_[0, 0]), float(model.intercept_[0])
    if a <= 0:
        raise ValueError("the decision values do not separate the classes (Platt slope <= 0)")
    return a, b
