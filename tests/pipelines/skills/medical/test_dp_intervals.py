"""The confidence intervals of released noisy counts (issue 21, item 7; pipelines.skills.medical.dp_stats): the
half-width follows from the discrete Laplace scale (OpenDP's formula), is simultaneous over the vocabulary so that
it also holds for the top bins picked for display, and flags the counts the noise swamps. Checked against the
real OpenDP measurement by simulation."""

from __future__ import annotations

import math
from pathlib import Path

import opendp.prelude as dp
import pytest

from pipelines.skills.medical.dp_stats import (
    DpError,
    TermCount,
    Vocabulary,
    counting_measurement,
    noise_interval,
    noise_level,
    release_counts,
)
from pipelines.skills.medical.lexicon import TermLexicon
from pipelines.skills.medical.records import RecordStore

TERMS = [f"disease {i}" for i in range(200)]


def _vocabulary() -> Vocabulary:
    return Vocabulary.from_lexicons([TermLexicon.from_phrases([(t, "DISEASE") for t in TERMS])])


@pytest.mark.parametrize("scale", [0.01, 0.5, 1.0, 4.0, 200.0, 2000.0])
@pytest.mark.parametrize("bins", [1, 200, 8399])
def test_the_half_width_is_opendps_discrete_laplace_accuracy_at_alpha_over_bins(
    scale: float, bins: int
) -> None:
    expected = dp.discrete_laplacian_scale_to_accuracy(scale, 0.05 / bins)
    assert noise_interval(scale, 0.05, bins) == pytest.approx(expected, rel=1e-9)


def test_for_a_large_scale_it_is_the_continuous_laplace_interval() -> None:
    # Laplace(b): P(|X| > t) = exp(-t / b), so ±b·ln(1/0.05) per count and ±b·ln(m/0.05) for m counts at once
    assert noise_interval(200.0) == pytest.approx(200 * math.log(20), rel=1e-3)
    assert noise_interval(200.0, 0.05, 8399) == pytest.approx(200 * math.log(8399 / 0.05), rel=1e-3)


def test_a_tiny_scale_gives_a_tiny_finite_interval() -> None:
    width = noise_interval(5e-6, 0.05, 5000)  # OpenDP 0.16 returns -inf here
    assert 0 < width < 1e-3


@pytest.mark.parametrize(
    ("scale", "alpha", "bins"), [(0.0, 0.05, 1), (1.0, 0.0, 1), (1.0, 1.0, 1), (1.0, 0.05, 0)]
)
def test_invalid_interval_arguments_are_an_error(scale: float, alpha: float, bins: int) -> None:
    with pytest.raises(DpError, match="invalid noise interval"):
        noise_interval(scale, alpha, bins)


def test_the_simultaneous_interval_covers_the_top_counts_where_the_per_count_one_does_not() -> None:
    """Releases of pure noise (no record mentions any term): the largest of 200 noisy counts, the one a chart
    would put on top, exceeds the per-count 95% half-width in most releases but the simultaneous one in about
    5% at most; single counts exceed the per-count half-width at most about 5% of the time (4.5% for this scale: the
    discrete tail at the next integer)."""
    bins = [("DISEASE", t) for t in TERMS]
    scale, releases = 5.0, 600
    measurement = counting_measurement(bins, scale)
    per_count, joint = noise_interval(scale), noise_interval(scale, 0.05, len(bins))
    top_beyond_per_count = top_beyond_joint = single_beyond = 0
    for _ in range(releases):
        noisy = measurement([])
        top = max(abs(x) for x in noisy)
        top_beyond_per_count += top >= per_count
        top_beyond_joint += top >= joint
        single_beyond += sum(abs(x) >= per_count for x in noisy)
    assert top_beyond_per_count / releases > 0.9
    # four standard errors above 5% (≤ 0.075): a false alarm about once in 30,000 runs
    assert top_beyond_joint / releases <= 0.05 + 4 * math.sqrt(0.05 * 0.95 / releases)
    assert 0.04 <= single_beyond / (releases * len(bins)) <= 0.05


def test_a_count_within_the_noise_is_swamped_and_its_interval_starts_at_zero() -> None:
    assert TermCount.with_interval("DISEASE", "asthma", 2300, 2406.8) == TermCount(
        "DISEASE", "asthma", 2300, low=0, high=4706, swamped=True
    )
    assert TermCount.with_interval("DISEASE", "asthma", 5000, 2406.8) == TermCount(
        "DISEASE", "asthma", 5000, low=2594, high=7406, swamped=False
    )


def test_a_release_over_one_record_swamps_every_count_and_noise_level_predicts_it(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records.sqlite3")
    store.replace_terms("medical", "a" * 64, {("DISEASE", "disease 1"), ("DISEASE", "disease 2")})
    release = release_counts(store, _vocabulary(), "medical", ("DISEASE",), 0.1, 1.0, 20, 10)
    level = noise_level(_vocabulary(), ("DISEASE",), 0.1, 20)  # known before any budget is spent
    assert (
        release.interval == pytest.approx(level.interval) == pytest.approx(noise_interval(200.0, 0.05, 200))
    )
    assert release.accuracy == pytest.approx(level.accuracy)
    # the interval holds for all 200 counts at once with probability 0.95, so about one release in twenty has
    # a count whose noise leaves it, and the 10 released are the largest (CI saw one not swamped); three or more
    # of the 200 leaving it has probability ~2e-5
    swamped = [row for row in release.counts if row.swamped and row.low == 0 and row.high >= row.count]
    assert len(release.counts) == 10 and len(swamped) >= len(release.counts) - 2
    assert release.to_dict()["interval"] == pytest.approx(release.interval)
    assert {"low", "high", "swamped"} <= set(release.to_dict()["counts"][0])


def test_with_little_noise_the_mentioned_terms_stand_out(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records.sqlite3")
    for i in range(3):
        store.replace_terms("medical", f"{i:064x}", {("DISEASE", "disease 1")})
    release = release_counts(store, _vocabulary(), "medical", ("DISEASE",), 100.0, 1000.0, 1, 3)  # scale 0.01
    top = release.counts[0]
    assert (top.term, top.count, top.low, top.high, top.swamped) == ("disease 1", 3, 3, 3, False)
    assert all(row.swamped for row in release.counts[1:])
