"""The RBF support-vector head as plain arrays (pipelines/core/kernel.py): its decision values equal
scikit-learn's, it survives a safetensors round trip, and Platt scaling refuses what it cannot fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file
from sklearn.svm import SVC

from pipelines.core.kernel import RbfHead, RbfOneVsRest, platt, platt_probability


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(120, 16)).astype(np.float32)
    y = (np.linalg.norm(x[:, :3], axis=1) > 1.5).astype(int)  # not linearly separable
    return x, y


def test_decision_values_equal_scikit_learns(tmp_path: Path) -> None:
    x, y = _data()
    model = SVC(C=3.0, kernel="rbf", gamma="scale", class_weight="balanced").fit(x, y)
    head = RbfHead.from_svc(model)
    queries = np.random.default_rng(8).normal(size=(30, 16)).astype(np.float32)
    np.testing.assert_allclose(head.decision(queries), model.decision_function(queries), atol=1e-4)
    assert head.dims == 16 and head.support.flags["C_CONTIGUOUS"] and head.dual.flags["C_CONTIGUOUS"]
    save_file({"support": head.support, "dual": head.dual}, str(tmp_path / "h.safetensors"))
    back = load_file(str(tmp_path / "h.safetensors"))
    again = RbfHead(back["support"], back["dual"], head.intercept, head.gamma)
    np.testing.assert_allclose(again.decision(queries), model.decision_function(queries), atol=1e-4)


def test_only_two_class_rbf_models_and_fitting_shapes_are_accepted() -> None:
    x, y = _data()
    with pytest.raises(ValueError, match="two-class SVC with the rbf kernel"):
        RbfHead.from_svc(SVC(kernel="linear").fit(x, y))
    with pytest.raises(ValueError, match="do not fit"):
        RbfHead(np.zeros((3, 4), dtype=np.float32), np.zeros(2, dtype=np.float32), 0.0, 1.0)
    with pytest.raises(ValueError, match="not positive"):
        RbfHead(np.zeros((3, 4), dtype=np.float32), np.zeros(3, dtype=np.float32), 0.0, 0.0)


def test_platt_scaling_increases_with_the_decision_value_and_refuses_what_it_cannot_fit() -> None:
    decisions = np.array([-2.0, -1.5, -0.5, 0.2, -0.1, 0.5, 1.0, 2.5])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    slope, offset = platt(decisions, labels)
    probability = platt_probability(decisions, slope, offset)
    np.testing.assert_allclose(probability, 1 / (1 + np.exp(-(slope * decisions + offset))))
    assert slope > 0 and probability[0] < 0.5 < probability[-1]
    with pytest.raises(ValueError, match="both classes"):
        platt(decisions, np.ones(8))
    with pytest.raises(ValueError, match="do not separate"):
        platt(decisions, 1 - labels)


def test_one_vs_rest_heads_score_as_their_machines_through_one_support_set() -> None:
    """Three one-vs-rest machines fitted on the same rows, stored as the union of their support vectors with one
    dual column each: the decision values equal each machine's own; probabilities are their Platt sigmoids."""
    x, _ = _data()
    labels = np.argmax(x[:, :3], axis=1)  # three classes
    models = [SVC(C=3.0, kernel="rbf", gamma="scale").fit(x, (labels == k).astype(int)) for k in range(3)]
    calibration = np.asarray([[1.0, 0.0], [2.0, -1.0], [0.5, 0.5]], np.float32)
    heads = RbfOneVsRest.from_svcs(models, x, calibration)
    union = {int(i) for model in models for i in model.support_}
    assert heads.support.shape == (len(union), 16) and heads.dual.shape == (len(union), 3)
    assert len(union) < sum(len(model.support_) for model in models)  # shared vectors stored once
    queries = np.random.default_rng(9).normal(size=(20, 16)).astype(np.float32)
    expected = np.stack([model.decision_function(queries) for model in models], axis=1)
    np.testing.assert_allclose(heads.decision(queries), expected, atol=1e-4)
    probabilities = heads.probabilities(queries)
    np.testing.assert_allclose(probabilities[:, 1], platt_probability(expected[:, 1], 2.0, -1.0), atol=1e-4)
    with pytest.raises(ValueError, match="do not fit"):
        RbfOneVsRest(heads.support, heads.dual[:, :2], heads.intercept, heads.gamma, heads.calibration)
    other = SVC(kernel="rbf", gamma="scale").fit(x[:60], (labels[:60] == 0).astype(int))
    with pytest.raises(ValueError, match="different gamma"):
        RbfOneVsRest.from_svcs([models[0], other], x, calibration[:2])
