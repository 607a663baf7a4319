"""Differentially private counts of diagnoses and drugs across the ingested medical records.

What is released: for each term of a public vocabulary, the number of records (ingested documents of a domain)
whose de-identified text mentions it (:mod:`pipelines.skills.medical.records` stores each record's distinct terms), plus
noise, so that the output hardly depends on whether any one record is in the collection.

Guarantee: pure epsilon-differential privacy (Dwork, McSherry, Nissim & Smith 2006, "Calibrating noise to
sensitivity in private data analysis", TCC) with **one record (document) as the privacy unit**: for two
collections that differ by adding or removing one record, every output is at most ``e**epsilon`` times as likely
under one as under the other. A patient with several documents is protected per document, not as a person.

Mechanism (every step runs inside OpenDP 0.16, https://docs.opendp.org/):

1. **Public vocabulary.** The bins are fixed before any data is read: the terms of the recognizer's two
   lexicons (its training mentions and the MedQuAD foci, ``lexicon.tsv`` and ``foci.tsv`` of the model folder),
   per type (``DISEASE``, ``CHEMICAL``), normalized like the stored terms
   (:func:`pipelines.skills.medical.records.normalize_tokens`). Which terms appear in the output therefore reveals nothing.
   A record's terms outside the vocabulary (the CRF also tags mentions no lexicon lists) are **ignored**: their
   strings could not be released, and they do not use up the record's contribution bound.
2. **Contribution bounding.** Each record contributes at most ``k = dp.max_terms_per_record`` (default 20)
   (type, term) pairs to one query, each at most once. When a record has more vocabulary terms of the queried
   types, the first ``k`` in a fixed public order (sha256 of a constant seed, the type and the term) are kept:
   the choice depends on that record alone, never on the others.
3. **Counting.** The kept pairs of all records form one list; ``opendp.transformations.make_count_by_categories``
   counts it per vocabulary bin. Adding or removing one record changes the list by at most ``k`` elements
   (symmetric distance ``k``), so the L1 sensitivity of the count vector is ``k``.
4. **Noise.** ``opendp.measurements.make_laplace`` on integer counts adds discrete Laplace (geometric) noise of
   scale ``b = k / epsilon`` to every bin (Ghosh, Roughgarden & Sundararajan 2009; the discrete Laplace and its
   exact sampler: Canonne, Kamath & Steinke 2020, "The Discrete Gaussian for Differential Privacy", NeurIPS).
   The measurement's privacy map gives the epsilon charged: ``map(k) = k / b``. Integer noise from an exact
   sampler avoids the floating-point attacks on the textbook continuous Laplace (Mironov 2012).
5. **Post-processing** (which cannot weaken the guarantee): noisy counts are clamped at 0 and the ``top`` bins
   by noisy count are shown (ties in vocabulary order). The number of records is not released (it is not
   private).
6. **Confidence intervals** (post-processing too: they depend only on the public scale and vocabulary size).
   One count's noise ``X`` has ``P(|X| > a) <= alpha`` for ``a = accuracy``: for the continuous Laplace(b),
   ``P(|X| > a) = exp(-a / b)``, so the 95% interval is ``± b·ln(1/0.05) ≈ ± 3.0·b`` (Dwork & Roth 2014,
   Fact 3.7); for the discrete Laplace OpenDP computes the exact tail
   (``opendp.accuracy.discrete_laplacian_scale_to_accuracy``). But the chart shows the **top** bins of
   ``m`` (the vocabulary size): with thousands of terms and few records, those are the bins whose noise
   happened to be largest (the maximum of ``m`` Laplace(b) draws is about ``b·ln(m/2)``: ≈ 1,600 for
   b = 200 and m = 5,000), so a per-count interval would call pure noise significant. The released
   ``interval`` is therefore **simultaneous** over all ``m`` bins (Bonferroni / union bound: each bin at level
   ``alpha / m``, ``a = b·ln(m/alpha)`` for the continuous Laplace, ≈ 2,300 for b = 200, m = 5,000; Dwork &
   Roth 2014, Theorem 3.8, the Laplace mechanism's l-infinity error over m counts): with 95%
   probability *every* true count lies within ``± interval`` of its noisy count, whichever bins are picked
   for display. A shown count whose interval reaches 0 (``count <= interval``; the scale ``b`` is then larger
   than the count too, as ``interval > b``) cannot be told apart from a term no record mentions: it is
   marked ``swamped`` and the page greys it out ("noise larger than the count").

Budget: basic sequential composition (Dwork et al. 2006; Dwork & Roth 2014, Theorem 3.16): the epsilons of all
queries released over a data dir add up. The ledger (table ``dp_ledger`` of ``<data_dir>/records.sqlite3``)
records every released query; a query whose epsilon would take the total above ``dp.total_epsilon`` is refused
with :class:`DpBudgetError` before anything is computed or released. The budget is charged *before* the noisy
counts are computed, so a failure after the charge loses budget rather than releasing uncharged output. There
is no reset command: restoring budget lets someone average repeated releases and recover the true counts, so
deleting ledger rows is an administrator's decision (README, "Differentially private statistics").

Defaults: ``dp.total_epsilon`` = 1.0 (at most an e ≈ 2.7 likelihood ratio about any one record over the data
dir's whole life, a strong guarantee by the usual reading, Dwork & Roth 2014 §2.3 / 3.5) and
``dp.query_epsilon`` = 0.1 (ten default queries).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pipelines.core.errors import AssistantError
from pipelines.core.settings import DpSettings
from pipelines.skills.medical.entities import MedicalEntityRecognizer
from pipelines.skills.medical.lexicon import ENTITY_TYPES, TermLexicon
from pipelines.skills.medical.records import RecordStore, normalize_tokens

__all__ = [
    "CONTRIBUTION_SEED",
    "MIN_EPSILON",
    "BudgetStatus",
    "DpBudgetError",
    "DpError",
    "DpRelease",
    "NoiseLevel",
    "TermCount",
    "Vocabulary",
    "bound_contributions",
    "budget_status",
    "counting_measurement",
    "expected_noise",
    "medical_stats",
    "noise_interval",
    "noise_level",
    "noise_scale",
    "query_types",
    "release_counts",
]

#: Public seed of the fixed order in which a record's terms are kept when it has more than ``k``.
CONTRIBUTION_SEED = "domain-assistant/dp_stats/v1"
#: Separator of type and term in the category strings counted by OpenDP (never inside a term).
_SEP = "\x1f"
#: Probability that a shown count is further from the true count than ``accuracy``; also the probability that
#: any count of a release is further from its true count than ``interval`` (simultaneous, see the docstring).
ACCURACY_ALPHA = 0.05


#: Smallest epsilon a query may spend: below it the noise scale (k / epsilon) makes every count meaningless
#: and integer counts overflow.
MIN_EPSILON = 0.001


class DpError(AssistantError):
    """A differentially private query that cannot run: an invalid epsilon, type or size, or no recognizer."""


class DpBudgetError(DpError):
    """The query's epsilon would exceed the data dir's remaining privacy budget; nothing was released."""


@dataclass(frozen=True)
class Vocabulary:
    """The public bins: sorted normalized terms per entity type.

    Attributes:
        terms: ``{type: (term, ...)}`` (sorted, distinct).
    """

    terms: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_lexicons(cls, lexicons: Iterable[TermLexicon]) -> Vocabulary:
        """The union of the lexicons' terms, normalized, per type."""
        by_type: dict[str, set[str]] = {}
        for lexicon in lexicons:
            for tokens, kind in lexicon.terms.items():
                term = normalize_tokens(tokens)
                if term and _SEP not in term:
                    by_type.setdefault(kind, set()).add(term)
        return cls({kind: tuple(sorted(terms)) for kind, terms in sorted(by_type.items())})

    @classmethod
    def of(cls, recognizer: MedicalEntityRecognizer) -> Vocabulary:
        """The vocabulary of a recognizer: its training-mention lexicon and its MedQuAD foci."""
        return cls.from_lexicons([recognizer.lexicon, recognizer.foci])

    def bins(self, types: Sequence[str]) -> list[tuple[str, str]]:
        """The ``(type, term)`` bins of ``types``, in type then term order."""
        return [(kind, term) for kind in sorted(types) for term in self.terms.get(kind, ())]

    def size(self, types: Sequence[str] = ENTITY_TYPES) -> int:
        """Number of bins of ``types``."""
        return sum(len(self.terms.get(kind, ())) for kind in types)


def _priority(kind: str, term: str) -> bytes:
    return hashlib.sha256(f"{CONTRIBUTION_SEED}{_SEP}{kind}{_SEP}{term}".encode()).digest()


def bound_contributions(terms: Iterable[tuple[str, str]], k: int) -> list[tuple[str, str]]:
    """At most ``k`` distinct ``(type, term)`` pairs of one record: the first ``k`` by the public seeded-hash
    order (:data:`CONTRIBUTION_SEED`), a choice that depends on this record alone."""
    return sorted(set(terms), key=lambda pair: _priority(*pair))[:k]


def noise_scale(k: int, epsilon: float) -> float:
    """Discrete Laplace scale for L1 sensitivity ``k`` at ``epsilon``: ``k / epsilon``."""
    return k / epsilon


def noise_interval(scale: float, alpha: float = ACCURACY_ALPHA, bins: int = 1) -> float:
    """Half-width of the simultaneous ``1 - alpha`` confidence interval of ``bins`` noisy counts, each with
    discrete Laplace noise of ``scale``.

    Each count gets level ``alpha / bins`` (Bonferroni: the union bound over ``bins`` events), so with
    probability at least ``1 - alpha`` every true count is within ``± interval`` of its noisy count, whichever
    counts are then selected for display. The per-count tail is the discrete Laplace's exact one: with
    ``q = exp(-1/b)``, ``P(|X| >= a) = 2·q^a / (1 + q)`` for integers ``a >= 1``, so the half-width at level
    ``l`` is ``b·ln(2 / (l·(1 + q)))``, the formula of OpenDP's
    ``opendp.accuracy.discrete_laplacian_scale_to_accuracy`` (computed here in closed form because OpenDP 0.16
    returns -inf below a scale of about 0.01); it is close to the continuous Laplace(b)'s
    ``b·ln(bins/alpha)`` (Dwork & Roth 2014, "The Algorithmic Foundations of Differential Privacy": Fact 3.7,
    ``P(|Lap(b)| >= t·b) = exp(-t)``, and Theorem 3.8, the union bound over ``bins`` counts); ``bins = 1`` gives
    the usual per-count 95% interval ``b·ln(1/0.05) ≈ 3.0·b``.

    Args:
        scale: The noise scale ``b = k / epsilon`` (> 0).
        alpha: Probability that any of the counts is outside its interval, in (0, 1).
        bins: Number of counts covered at once (the vocabulary size of a release), >= 1.

    Returns:
        The half-width, in records.

    Raises:
        DpError: ``scale`` not > 0, ``alpha`` outside (0, 1), or ``bins`` < 1.
    """
    if not (math.isfinite(scale) and scale > 0) or not 0 < alpha < 1 or bins < 1:
        raise DpError(f"invalid noise interval: scale {scale!r}, alpha {alpha!r}, bins {bins!r}")
    level = alpha / bins
    return scale * math.log(2.0 / (level * (1.0 + math.exp(-1.0 / scale))))


def counting_measurement(bins: Sequence[tuple[str, str]], scale: float) -> Any:
    """The OpenDP measurement: count a list of ``type<US>term`` strings per bin, then add discrete Laplace
    noise of ``scale`` per bin.

    Input: a list of strings under the symmetric distance (one record changes at most ``k`` of them). Output: a
    list of ``len(bins)`` noisy integer counts, in ``bins`` order. ``measurement.map(k)`` is the epsilon of a
    release when each record contributes at most ``k`` strings.
    """
    import opendp.prelude as dp

    dp.enable_features("contrib")
    counts = dp.t.make_count_by_categories(
        dp.vector_domain(dp.atom_domain(T=str)),
        dp.symmetric_distance(),
        categories=[f"{kind}{_SEP}{term}" for kind, term in bins],
        null_category=False,
    )
    return counts >> dp.m.then_laplace(scale=scale)


@dataclass(frozen=True)
class TermCount:
    """One released bin: entity type, normalized term, noisy number of records mentioning it (clamped at 0),
    and its simultaneous 95% confidence interval (:func:`noise_interval`).

    Attributes:
        type: ``DISEASE`` or ``CHEMICAL``.
        term: The normalized term.
        count: Noisy number of records mentioning it, clamped at 0.
        low: Lower end of the interval for the true count, ``max(0, ceil(count - interval))``.
        high: Upper end, ``floor(count + interval)``.
        swamped: The interval reaches 0 (``count <= interval``): the noise is larger than the count, which
            cannot be told apart from a term no record mentions.
    """

    type: str
    term: str
    count: int
    low: int = 0
    high: int = 0
    swamped: bool = True

    @classmethod
    def with_interval(cls, kind: str, term: str, count: int, interval: float) -> TermCount:
        """The bin's count with its interval of half-width ``interval`` (records)."""
        return cls(
            kind,
            term,
            count,
            low=max(0, math.ceil(count - interval)),
            high=math.floor(count + interval),
            swamped=count <= interval,
        )


@dataclass(frozen=True)
class BudgetStatus:
    """The data dir's privacy budget (epsilon): total, spent, remaining (>= 0) and queries released."""

    total: float
    spent: float
    remaining: float
    queries: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``medical budget --json`` object)."""
        return asdict(self)


@dataclass(frozen=True)
class DpRelease:
    """A released query.

    Attributes:
        domain: The domain whose records were counted.
        types: Entity types counted.
        epsilon: Privacy loss charged for this query (the measurement's ``map(k)``).
        scale: Discrete Laplace scale per count (``k / epsilon``).
        max_terms_per_record: The contribution bound ``k``.
        vocabulary_size: Number of bins (public).
        accuracy: One count, taken alone, is within this of its true count with 95% probability
            (:func:`noise_interval` with ``bins = 1``, ≈ ``3.0·scale``).
        interval: Every count of the release is within this of its true count with 95% probability, jointly
            (:func:`noise_interval` over ``vocabulary_size`` bins): the half-width of the intervals shown,
            valid for the selected top bins.
        counts: The ``top`` bins by noisy count, highest first, each with its interval.
        budget: The budget after this query.
        query: The description stored in the ledger.
    """

    domain: str
    types: tuple[str, ...]
    epsilon: float
    scale: float
    max_terms_per_record: int
    vocabulary_size: int
    accuracy: float
    interval: float = 0.0
    counts: list[TermCount] = field(default_factory=list)
    budget: BudgetStatus | None = None
    query: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``medical stats --json`` object)."""
        return asdict(self)


def query_types(entity_type: str) -> tuple[str, ...]:
    """The types of ``DISEASE``, ``CHEMICAL`` or ``all`` (case-insensitive).

    Raises:
        DpError: Any other value.
    """
    wanted = entity_type.strip().upper()
    if wanted == "ALL":
        return tuple(sorted(ENTITY_TYPES))
    if wanted in ENTITY_TYPES:
        return (wanted,)
    raise DpError(f"unknown entity type {entity_type!r}; use DISEASE, CHEMICAL or all")


def budget_status(store: RecordStore, total_epsilon: float) -> BudgetStatus:
    """The budget of the data dir whose records file is ``store``."""
    spent = store.spent()
    # rounded to 1e-9: ten charges of 0.1 leave 0, not 1.1e-16
    return BudgetStatus(total_epsilon, spent, max(0.0, round(total_epsilon - spent, 9)), len(store.ledger()))


def release_counts(
    store: RecordStore,
    vocabulary: Vocabulary,
    domain: str,
    types: Sequence[str],
    epsilon: float,
    total_epsilon: float,
    max_terms_per_record: int,
    top: int,
) -> DpRelease:
    """Charge ``epsilon`` to the ledger and release noisy per-term record counts (see the module docstring).

    Args:
        store: The records file (terms and ledger).
        vocabulary: The public bins.
        domain: The domain whose records are counted.
        types: Entity types to count (``DISEASE``, ``CHEMICAL``).
        epsilon: Privacy loss of this query, > 0.
        total_epsilon: The data dir's total budget.
        max_terms_per_record: Contribution bound ``k`` >= 1.
        top: Bins shown (the highest noisy counts), >= 1.

    Returns:
        The release, with the budget after it.

    Raises:
        DpError: ``epsilon`` is not a finite number of at least :data:`MIN_EPSILON`, ``top`` or ``k`` < 1, or the vocabulary has no
            term of ``types``.
        DpBudgetError: ``epsilon`` exceeds the remaining budget; nothing is charged or released.
    """
    if not (math.isfinite(epsilon) and epsilon >= MIN_EPSILON):
        raise DpError(
            f"epsilon must be a number of at least {MIN_EPSILON:g}, got {epsilon!r} (smaller values give noise "
            "so large that no count means anything)"
        )
    if top < 1 or max_terms_per_record < 1:
        raise DpError(f"top ({top}) and max_terms_per_record ({max_terms_per_record}) must be at least 1")
    bins = vocabulary.bins(types)
    if not bins:
        raise DpError(f"the vocabulary has no {'/'.join(types)} terms")
    k = max_terms_per_record
    scale = noise_scale(k, epsilon)
    measurement = counting_measurement(bins, scale)
    charged = float(measurement.map(k))
    query = f"counts domain={domain} types={','.join(types)} k={k} bins={len(bins)} discrete-laplace scale={scale:g}"
    spent = store.spent()
    if store.charge(domain, charged, total_epsilon, query) is None:
        remaining = max(0.0, round(total_epsilon - spent, 9))
        raise DpBudgetError(
            f"privacy budget exhausted: this query needs epsilon {charged:g} but only {remaining:g} of "
            f"{total_epsilon:g} remains for this data dir ({spent:g} spent); nothing was released"
        )
    in_vocabulary = set(bins)
    contributions = [
        f"{kind}{_SEP}{term}"
        for terms in store.terms_by_record(domain, types).values()
        for kind, term in bound_contributions(terms & in_vocabulary, k)
    ]
    noisy = measurement(contributions)
    ranked = sorted(range(len(bins)), key=lambda i: -noisy[i])[:top]
    interval = noise_interval(scale, ACCURACY_ALPHA, len(bins))
    return DpRelease(
        domain=domain,
        types=tuple(types),
        epsilon=charged,
        scale=scale,
        max_terms_per_record=k,
        vocabulary_size=len(bins),
        accuracy=noise_interval(scale, ACCURACY_ALPHA),
        interval=interval,
        counts=[
            TermCount.with_interval(bins[i][0], bins[i][1], max(0, int(noisy[i])), interval) for i in ranked
        ],
        budget=budget_status(store, total_epsilon),
        query=query,
    )


@dataclass(frozen=True)
class NoiseLevel:
    """The noise a release would carry, known before it is made (public: ``k``, ``epsilon`` and the vocabulary
    size only; nothing is read from the records and no budget is spent).

    Attributes:
        epsilon: The release's epsilon.
        scale: Discrete Laplace scale ``k / epsilon``.
        accuracy: Per-count 95% half-width (:func:`noise_interval`, one bin).
        interval: Simultaneous 95% half-width over ``vocabulary_size`` bins: counts up to it are noise.
        vocabulary_size: Number of bins of the queried types.
    """

    epsilon: float
    scale: float
    accuracy: float
    interval: float
    vocabulary_size: int


def noise_level(vocabulary: Vocabulary, types: Sequence[str], epsilon: float, k: int) -> NoiseLevel:
    """The noise of a release of ``types`` at ``epsilon`` with contribution bound ``k`` (no budget spent).

    Raises:
        DpError: ``epsilon`` below :data:`MIN_EPSILON` or not finite, ``k`` < 1, or no bins of ``types``.
    """
    if not (math.isfinite(epsilon) and epsilon >= MIN_EPSILON) or k < 1:
        raise DpError(f"epsilon must be at least {MIN_EPSILON:g} and k at least 1 (got {epsilon!r}, {k!r})")
    size = vocabulary.size(types)
    if not size:
        raise DpError(f"the vocabulary has no {'/'.join(types)} terms")
    scale = noise_scale(k, epsilon)
    return NoiseLevel(
        epsilon,
        scale,
        noise_interval(scale, ACCURACY_ALPHA),
        noise_interval(scale, ACCURACY_ALPHA, size),
        size,
    )


def expected_noise(
    recognizer: MedicalEntityRecognizer | None,
    settings: DpSettings,
    entity_type: str = "all",
    epsilon: float | None = None,
) -> NoiseLevel:
    """The noise :func:`medical_stats` would add with these arguments, before anything is spent.

    Raises:
        DpError: The domain has no recognizer, or an invalid argument.
    """
    if recognizer is None:
        raise DpError("this domain has no entity recognizer (ner: block), so no term counts")
    return noise_level(
        Vocabulary.of(recognizer),
        query_types(entity_type),
        settings.query_epsilon if epsilon is None else epsilon,
        settings.max_terms_per_record,
    )


def medical_stats(
    records: RecordStore,
    recognizer: MedicalEntityRecognizer | None,
    settings: DpSettings,
    domain: str = "medical",
    entity_type: str = "all",
    epsilon: float | None = None,
    top: int = 10,
) -> DpRelease:
    """Release noisy counts of diagnoses and/or drugs across ``domain``'s records, charging the data dir's
    budget (settings ``dp.*``).

    Args:
        records: The record terms and the budget ledger.
        recognizer: ``domain``'s entity recognizer (its lexicons are the vocabulary); None = it has none.
        settings: The budget and the query defaults (``dp.*``).
        domain: A domain with an entity recognizer (``ner:`` block).
        entity_type: ``DISEASE``, ``CHEMICAL`` or ``all``.
        epsilon: This query's epsilon (default ``dp.query_epsilon``).
        top: Bins shown.

    Raises:
        AssistantError: Unknown domain.
        NerError: The domain's entity model is missing or malformed.
        DpError: The domain has no recognizer, or an invalid argument.
        DpBudgetError: The budget would be exceeded; nothing is released.
    """
    if recognizer is None:
        raise DpError(f"domain {domain!r} has no entity recognizer (ner: block), so no term counts")
    return release_counts(
        records,
        Vocabulary.of(recognizer),
        domain,
        query_types(entity_type),
        settings.query_epsilon if epsilon is None else epsilon,
        settings.total_epsilon,
        settings.max_terms_per_record,
        top,
    )
