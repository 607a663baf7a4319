"""The PII evaluation: the scoring rule on hand-made cases, and the command on real data from ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.evals.pii import GoldSpan, Sample, load_dataset, score
from privacy import Finding
from tests.cli_runner import run

SHARED = Path(__file__).resolve().parents[4] / "shared" / "datasets"


def finding(entity: str, start: int, end: int) -> Finding:
    return Finding(entity, start, end, 1.0, "test")


SAMPLE = Sample("Jane Doe called 212-555-0173", (GoldSpan("PERSON", 0, 8), GoldSpan("PHONE_NUMBER", 16, 28)))


@pytest.mark.parametrize(
    ("predicted", "typed", "expected"),
    [
        ([finding("PERSON", 0, 8), finding("PHONE_NUMBER", 16, 28)], True, (1.0, 1.0, 1.0)),
        ([finding("PERSON", 0, 4)], True, (1.0, 0.5, 0.5556)),  # partial overlap counts; one of two found
        ([finding("LOCATION", 0, 8)], True, (0.0, 0.0, 0.0)),  # wrong type does not count when typed
        (
            [finding("LOCATION", 0, 8)],
            False,
            (1.0, 0.5, 0.5556),
        ),  # ... but does when matching is type-agnostic
        (
            [finding("PERSON", 0, 8), finding("PERSON", 9, 15)],
            True,
            (0.5, 0.5, 0.5),
        ),  # "called" is a false hit
        ([], True, (0.0, 0.0, 0.0)),
    ],
)
def test_span_overlap_scoring(
    predicted: list[Finding], typed: bool, expected: tuple[float, float, float]
) -> None:
    result = score([SAMPLE], [predicted], typed)
    assert (result["precision"], result["recall"], result["f2"]) == expected


def test_per_entity_scores_have_support() -> None:
    result = score([SAMPLE], [[finding("PERSON", 0, 8)]], typed=True)
    assert result["per_entity"]["PERSON"] == {"precision": 1.0, "recall": 1.0, "f2": 1.0, "support": 1}
    assert result["per_entity"]["PHONE_NUMBER"]["recall"] == 0.0


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets is not beside the repository")
def test_both_datasets_load() -> None:
    synth = load_dataset(SHARED / "presidio_synth", limit=50)
    assert len(synth.samples) == 50 and synth.typed and "PERSON" in synth.entities
    notes = load_dataset(SHARED / "physionet_deid", limit=20)
    assert len(notes.samples) == 20 and not notes.typed
    text = notes.samples[0].text
    assert all(0 <= s.start < s.end <= len(text) for s in notes.samples[0].spans)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets is not beside the repository")
def test_eval_pii_command_prints_product_and_baseline(tmp_path: Path) -> None:
    done = run(
        "eval",
        "pii",
        "--dataset",
        str(SHARED / "presidio_synth" / "generated_small.json"),
        "--limit",
        "30",
        "--json",
        data_dir=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for system in ("product", "baseline"):
        assert {"precision", "recall", "f2", "per_entity"} <= set(result[system])
        assert 0.0 <= result[system]["f2"] <= 1.0
    assert result["samples"] == 30


def test_an_unknown_dataset_path_is_a_clear_error(tmp_path: Path) -> None:
    from pipelines.core.errors import AssistantError

    with pytest.raises(AssistantError, match="not a presidio_synth JSON file or folder"):
        load_dataset(tmp_path)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets is not beside the repository")
def test_physionet_splits_are_disjoint_halves_by_patient() -> None:
    notes = {
        split: load_dataset(SHARED / "physionet_deid", split=split) for split in ("all", "dev", "heldout")
    }
    assert len(notes["dev"].samples) + len(notes["heldout"].samples) == len(notes["all"].samples) == 2434
    dev_texts = {s.text for s in notes["dev"].samples}
    assert not dev_texts & {s.text for s in notes["heldout"].samples}
    assert "heldout" in notes["heldout"].name


@pytest.mark.parametrize(
    ("dataset", "split", "message"),
    [
        ("physionet_deid", "test", "unknown split 'test'"),
        ("presidio_synth", "dev", "applies to the PhysioNet deid folder only"),
    ],
)
def test_a_bad_split_is_a_clear_error(dataset: str, split: str, message: str) -> None:
    from pipelines.core.errors import AssistantError

    with pytest.raises(AssistantError, match=message):
        load_dataset(SHARED / dataset, split=split)
