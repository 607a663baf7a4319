"""Differentially private term counts (pipelines.skills.medical.dp_stats) over a real records file (SQLite in tmp_path) with
the real OpenDP measurement: budget accounting, noise scale, contribution bounding, counting once per record."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pipelines.core.settings import load_settings
from pipelines.services import Models, Services
from pipelines.skills.medical.dp_stats import (
    DpBudgetError,
    DpError,
    Vocabulary,
    bound_contributions,
    budget_status,
    counting_measurement,
    noise_scale,
    query_types,
    release_counts,
)
from pipelines.skills.medical.lexicon import MedicalEntity, TermLexicon
from pipelines.skills.medical.records import RecordStore, normalize_term, record_terms

DISEASES = [f"disease {i}" for i in range(20)]
DRUGS = ["aspirin", "metformin", "warfarin", "5-ht", "non-small cell"]


def _vocabulary(diseases: list[str] = DISEASES, drugs: list[str] = DRUGS) -> Vocabulary:
    return Vocabulary.from_lexicons(
        [
            TermLexicon.from_phrases([(d, "DISEASE") for d in diseases]),
            TermLexicon.from_phrases([(c, "CHEMICAL") for c in drugs]),
        ]
    )


def _release(
    store: RecordStore,
    epsilon: float,
    total: float = 1.0,
    k: int = 20,
    types=("CHEMICAL", "DISEASE"),
    top: int = 100,
    vocabulary: Vocabulary | None = None,
):  # type: ignore[no-untyped-def]
    return release_counts(store, vocabulary or _vocabulary(), "medical", types, epsilon, total, k, top)


def _theoretical_mean_abs(scale: float) -> float:
    """E|X| of the discrete Laplace with P(x) ∝ exp(-|x|/scale): 2q / (1 - q²), q = exp(-1/scale)."""
    q = math.exp(-1 / scale)
    return 2 * q / (1 - q * q)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    return RecordStore(tmp_path / "records.sqlite3")


@pytest.mark.parametrize(("k", "epsilon"), [(1, 1.0), (20, 0.1), (20, 0.3), (7, 0.05), (3, 2.5)])
def test_the_measurement_charges_exactly_epsilon_for_k_terms_per_record(k: int, epsilon: float) -> None:
    measurement = counting_measurement(_vocabulary().bins(["DISEASE"]), noise_scale(k, epsilon))
    assert noise_scale(k, epsilon) == pytest.approx(k / epsilon)
    assert measurement.map(k) == pytest.approx(epsilon, rel=1e-12)
    assert measurement.map(2 * k) == pytest.approx(2 * epsilon, rel=1e-12)  # a bigger record costs more


def test_the_noise_has_the_discrete_laplace_scale_k_over_epsilon() -> None:
    k, epsilon = 5, 0.5
    scale = noise_scale(k, epsilon)  # 10
    bins = [("DISEASE", f"term {i}") for i in range(4000)]
    data = [f"DISEASE\x1fterm {i}" for i in range(4000) for _ in range(3)]  # every true count is 3
    noisy = counting_measurement(bins, scale)(data)
    noise = [value - 3 for value in noisy]
    mean_abs = sum(abs(x) for x in noise) / len(noise)
    # 4,000 draws: the standard error of the mean is about 1.6% of it; a scale of k (epsilon ignored) or
    # 1/epsilon (k ignored) is 50% or 80% off
    assert mean_abs == pytest.approx(_theoretical_mean_abs(scale), rel=0.07)
    assert abs(sum(noise) / len(noise)) < 0.1 * scale  # centred


def test_released_counts_carry_noise_of_scale_k_over_epsilon(store: RecordStore) -> None:
    k, epsilon = 2, 0.5  # scale 4
    for i in range(600):  # each disease bin is mentioned by 60 records, two terms per record
        store.replace_terms(
            "medical", f"{i:064x}", {("DISEASE", DISEASES[i % 20]), ("DISEASE", DISEASES[(i + 1) % 20])}
        )
    noise = []
    for _ in range(50):
        release = _release(store, epsilon, total=1000.0, k=k, types=("DISEASE",), top=20)
        assert release.scale == 4.0 and release.epsilon == pytest.approx(0.5)
        noise.extend(row.count - 60 for row in release.counts)
    assert len(noise) == 1000
    assert sum(abs(x) for x in noise) / len(noise) == pytest.approx(_theoretical_mean_abs(4.0), rel=0.15)


def test_a_query_beyond_the_budget_is_refused_and_nothing_is_recorded(store: RecordStore) -> None:
    store.replace_terms("medical", "a" * 64, {("CHEMICAL", "aspirin")})
    first = _release(store, 0.1, total=0.25)
    second = _release(store, 0.1, total=0.25)
    assert first.budget is not None and first.budget.remaining == pytest.approx(0.15)
    assert second.budget is not None and second.budget.spent == pytest.approx(0.2)
    with pytest.raises(DpBudgetError, match=r"needs epsilon 0\.1 but only 0\.05 of 0\.25 remains"):
        _release(store, 0.1, total=0.25)
    assert [entry.epsilon for entry in store.ledger()] == pytest.approx([0.1, 0.1])
    assert store.spent() == pytest.approx(0.2)
    _release(store, 0.05, total=0.25)  # what remains can still be spent
    assert budget_status(store, 0.25).remaining == pytest.approx(0.0)


def test_ten_default_queries_fit_the_default_budget_and_the_eleventh_is_refused(store: RecordStore) -> None:
    for _ in range(10):  # 0.1 * 10 sums to 0.9999999999999999 in floats
        _release(store, 0.1)
    with pytest.raises(DpBudgetError):
        _release(store, 0.1)
    status = budget_status(store, 1.0)
    assert status.queries == 10 and status.spent == pytest.approx(1.0) and status.remaining == 0.0


@pytest.mark.parametrize("epsilon", [0.0, -0.1, 1e-9, 1e-300, math.nan, math.inf])
def test_an_invalid_epsilon_is_refused_before_anything_is_charged(store: RecordStore, epsilon: float) -> None:
    with pytest.raises(DpError, match="epsilon must be a number of at least 0.001"):
        _release(store, epsilon)
    assert store.ledger() == []


def test_the_ledger_persists_across_services_on_the_same_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    first = Services(settings, Models.shared())
    _release(first.records, 0.4, total=settings.dp.total_epsilon)
    _release(first.records, 0.4, total=settings.dp.total_epsilon)

    again = Services(load_settings(data_dir=tmp_path / "data"), Models.shared())
    status = budget_status(again.records, again.settings.dp.total_epsilon)
    assert (status.spent, status.queries) == (pytest.approx(0.8), 2)
    with pytest.raises(DpBudgetError):
        _release(again.records, 0.4, total=again.settings.dp.total_epsilon)
    entries = again.records.ledger()
    assert [e.domain for e in entries] == ["medical", "medical"]
    assert all("discrete-laplace scale=50" in e.query for e in entries)  # k 20 / epsilon 0.4


def test_a_record_with_more_than_k_terms_contributes_at_most_k(store: RecordStore) -> None:
    many = {("DISEASE", d) for d in DISEASES}  # 20 vocabulary terms
    store.replace_terms("medical", "b" * 64, many | {("DISEASE", f"unlisted {i}") for i in range(30)})
    release = _release(store, 1e6, total=1e7, k=5, types=("DISEASE",), top=20)  # noise scale 5e-6: exact
    counted = {(row.type, row.term) for row in release.counts if row.count}
    assert sum(row.count for row in release.counts) == 5
    assert counted == set(bound_contributions(many, 5))  # the fixed public order; unlisted terms ignored


def test_the_kept_terms_depend_on_the_record_alone() -> None:
    terms = [("DISEASE", d) for d in DISEASES]
    kept = bound_contributions(terms, 4)
    assert kept == bound_contributions(list(reversed(terms)), 4) and len(kept) == 4
    assert set(bound_contributions(terms[:3], 4)) == set(terms[:3])  # under the bound: all kept


def test_each_record_counts_once_per_term(store: RecordStore) -> None:
    mentions = [MedicalEntity("CHEMICAL", 0, 7, "Aspirin"), MedicalEntity("CHEMICAL", 20, 27, "aspirin")]
    for sha in ("1" * 64, "2" * 64, "3" * 64):
        store.replace_terms(
            "medical", sha, record_terms([*mentions, MedicalEntity("DISEASE", 30, 40, "Disease  3")])
        )
    store.replace_terms("medical", "4" * 64, {("DISEASE", "disease 3")})
    store.replace_terms("finance", "5" * 64, {("CHEMICAL", "aspirin")})  # another domain: not counted
    counts = {(r.type, r.term): r.count for r in _release(store, 1e6, total=1e7, top=100).counts}
    assert counts[("CHEMICAL", "aspirin")] == 3
    assert counts[("DISEASE", "disease 3")] == 4
    assert sum(counts.values()) == 7


def test_a_replaced_or_forgotten_record_is_no_longer_counted(store: RecordStore) -> None:
    store.replace_terms("medical", "6" * 64, {("CHEMICAL", "aspirin"), ("CHEMICAL", "warfarin")})
    store.replace_terms("medical", "6" * 64, {("CHEMICAL", "metformin")})
    assert store.terms_of("medical", "6" * 64) == {("CHEMICAL", "metformin")}
    assert store.forget("medical", "6" * 64) == 1
    assert store.terms_by_record("medical", ["CHEMICAL", "DISEASE"]) == {}


def test_the_vocabulary_is_the_lexicons_terms_normalized_like_stored_terms() -> None:
    vocabulary = _vocabulary()
    assert vocabulary.terms["CHEMICAL"] == ("5-ht", "aspirin", "metformin", "non-small cell", "warfarin")
    assert vocabulary.size() == 25 and vocabulary.size(["DISEASE"]) == 20
    assert normalize_term("5 - HT") == normalize_term("5-HT") == "5-ht"
    assert normalize_term("  Non-Small\n Cell ") == "non-small cell"
    assert normalize_term("Parkinson's  Disease") == "parkinson's disease"
    assert normalize_term("IL-2 (high dose), i.v.") == "il-2 (high dose), i . v ."
    assert normalize_term("  ") == ""


@pytest.mark.parametrize(
    ("given", "types"),
    [("all", ("CHEMICAL", "DISEASE")), ("disease", ("DISEASE",)), ("CHEMICAL", ("CHEMICAL",))],
)
def test_query_types(given: str, types: tuple[str, ...]) -> None:
    assert query_types(given) == types


def test_an_unknown_type_is_an_error() -> None:
    with pytest.raises(DpError, match="unknown entity type 'GENE'"):
        query_types("GENE")


def test_top_n_shows_the_highest_noisy_counts_clamped_at_zero(store: RecordStore) -> None:
    for i in range(30):
        store.replace_terms(
            "medical",
            f"{i:064x}",
            {("CHEMICAL", "warfarin")} | ({("CHEMICAL", "aspirin")} if i < 10 else set()),
        )
    release = _release(store, 50.0, total=100.0, k=2, types=("CHEMICAL",), top=3)  # scale 0.04
    assert [(r.term, r.count) for r in release.counts[:2]] == [("warfarin", 30), ("aspirin", 10)]
    assert len(release.counts) == 3 and release.counts[2].count == 0 and release.vocabulary_size == 5
    assert all(r.count >= 0 for r in release.counts)
    assert release.accuracy < 1
