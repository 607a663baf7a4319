"""Medical statistics page: differentially private counts of the records that mention each diagnosis or drug
(pipelines.skills.medical.dp_stats), released as a bar chart with each count's 95% confidence interval (counts the
noise swamps greyed out); each release spends privacy budget (epsilon) from the data dir's ledger, only after the
user confirms the spend, and the budget is shown as spent / remaining."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from app.auth import page_visitor
from app.state import get_services, guarded
from pipelines.skills.medical.dp_stats import DpRelease, budget_status, expected_noise, medical_stats

#: Smallest epsilon the slider offers (and its step).
MIN_EPSILON = 0.01
TYPES = {"all": "Diagnoses and drugs", "DISEASE": "Diagnoses", "CHEMICAL": "Drugs"}


def amount(value: float) -> str:
    """A noise scale or interval for people: whole records with thousands separators from 10 up ("2,407"),
    two significant digits below ("0.49")."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"


#: Legend labels of a count above the noise and of one the noise swamps (interval reaching 0).
CLEAR, SWAMPED = "above the noise", "noise larger than the count"


def interval_chart() -> dict[str, Any]:
    """The Vega-Lite spec: a bar per term (grey when the noise swamps it) and a whisker from ``low`` to ``high``,
    the 95% interval of its true count (rows: term, type, count, low, high, status)."""
    term = {"field": "term", "type": "nominal", "sort": None, "title": None}
    axis = {"field": "count", "type": "quantitative", "title": "records (noisy), with the 95% interval"}
    return {
        "layer": [
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "y": term,
                    "x": axis,
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "scale": {"domain": [CLEAR, SWAMPED], "range": ["#4c78a8", "#c8c8c8"]},
                        "legend": {"title": None, "orient": "bottom"},
                    },
                    "tooltip": [
                        {"field": "term", "type": "nominal"},
                        {"field": "type", "type": "nominal"},
                        {"field": "count", "type": "quantitative", "title": "records (noisy)"},
                        {"field": "low", "type": "quantitative", "title": "95% interval from"},
                        {"field": "high", "type": "quantitative", "title": "95% interval to"},
                        {"field": "status", "type": "nominal"},
                    ],
                },
            },
            {
                "mark": {"type": "errorbar", "ticks": True, "color": "#333333"},
                "encoding": {"y": term, "x": {**axis, "field": "low"}, "x2": {"field": "high"}},
            },
        ]
    }


def show_release(release: DpRelease) -> None:
    """The released counts as bars with their 95% intervals as whiskers; counts the noise swamps in grey."""
    rows = [
        {
            "term": row.term,
            "type": row.type,
            "count": row.count,
            "low": row.low,
            "high": row.high,
            "status": SWAMPED if row.swamped else CLEAR,
        }
        for row in release.counts
    ]
    st.vega_lite_chart(rows, interval_chart(), width="stretch")
    swamped = sum(row.swamped for row in release.counts)
    st.caption(
        f"ε = {release.epsilon:g}, noise scale {amount(release.scale)}. Whiskers: the 95% interval of each "
        f"true count, ±{amount(release.interval)} records; it holds for all {release.vocabulary_size:,} terms "
        "of the vocabulary at once, so also for the top ones shown (one count taken alone: "
        f"±{amount(release.accuracy)}). Grey: noise larger than the count: the interval reaches 0, so no record "
        "at all may mention the term. Counts are clamped at 0."
    )
    if release.counts and swamped == len(release.counts):
        st.info(
            f"All {swamped} counts shown are within the noise: with so few records, this release cannot tell "
            "these terms apart from terms no record mentions. More records, or a larger ε, narrow the interval."
        )
    elif swamped:
        st.caption(f"{swamped} of {len(release.counts)} counts shown are within the noise (grey).")


services = get_services()
page_visitor(services)  # aggregates only: every visitor who gets the page sees the same figures
settings = services.settings.dp
st.title("Medical statistics")
st.caption(
    "How many records mention each diagnosis or drug, with random noise added (differential privacy, "
    "OpenDP's discrete Laplace mechanism), so that the numbers hardly change whether or not any one record is "
    "in the collection."
)
with st.expander("What does epsilon mean?"):
    st.markdown(
        "**Epsilon (ε)** limits what a released number can reveal about any single record: with ε = 0.1, any "
        "result is at most e^0.1 ≈ 1.1 times more (or less) likely with a given record than without it. "
        "Smaller ε means more noise and stronger privacy. Every release spends its ε from a fixed budget for "
        f"this data directory (total {settings.total_epsilon:g}); the ε of all releases add up, and once the "
        "budget is spent no more statistics can be released. Each record counts for at most "
        f"{settings.max_terms_per_record} terms, so the noise has scale {settings.max_terms_per_record} / ε. "
        "Only terms of the recognizer's public vocabulary are counted."
    )

domains = [name for name, config in services.domains.items() if config.ner is not None]
if not domains:
    st.info(
        "No domain has an entity recognizer (a ner: block in its domain.yaml), so there is nothing to count."
    )
    st.stop()
domain = st.selectbox("Domain", domains, format_func=lambda d: services.domains[d].title)
status = guarded(lambda: budget_status(services.records, settings.total_epsilon))
if status is None:
    st.stop()
remaining = math.floor(status.remaining / MIN_EPSILON + 1e-6) * MIN_EPSILON
if remaining < MIN_EPSILON:
    st.error(
        f"privacy budget exhausted: {status.spent:g} of {status.total:g} spent by {status.queries} releases; no "
        "more statistics can be released from this data directory (resetting it is an administrator's decision)."
    )
else:
    kind = st.radio("Count", list(TYPES), format_func=TYPES.__getitem__, horizontal=True)
    epsilon = st.slider(
        "Epsilon for this release",
        min_value=MIN_EPSILON,
        max_value=max(remaining, MIN_EPSILON),
        value=min(settings.query_epsilon, remaining),
        step=MIN_EPSILON,
        help="Spent from the budget when you release. Smaller = noisier, more private.",
    )
    top = st.number_input("Terms shown", min_value=1, max_value=100, value=15)
    level = guarded(lambda: expected_noise(services.entity_recognizer(domain), settings, kind, epsilon))
    if level is not None:
        st.caption(
            f"At ε = {epsilon:g} the noise has scale {amount(level.scale)}: counts up to about "
            f"{amount(level.interval)} records can be noise alone (95%, over the {level.vocabulary_size:,} terms "
            "counted). With fewer records than that, expect the chart to show noise."
        )
    after = max(0.0, round(status.remaining - epsilon, 9))
    confirmed = st.checkbox(
        f"Spend ε = {epsilon:g} of the {status.remaining:g} that remain (of {status.total:g} for this data "
        f"directory's whole life); {after:g} will remain, and spent budget is never given back.",
        key=f"confirm_{status.queries}_{epsilon:g}",  # a new confirmation for each release and each ε
    )
    clicked = st.button(f"Release (spends ε = {epsilon:g})", type="primary", key="release")
    if clicked and not confirmed:
        st.warning("Nothing was released and no budget was spent: confirm the spend above first.")
    elif clicked:
        release = guarded(
            lambda: medical_stats(
                services.records,
                services.entity_recognizer(domain),
                settings,
                domain,
                kind,
                epsilon,
                int(top),
            )
        )
        if release is not None:  # shown from the session on the rerun, with the budget, slider and a fresh
            st.session_state["dp_release"] = release  # confirmation for what now remains
            st.rerun()

if (shown := st.session_state.get("dp_release")) is not None:
    show_release(shown)

left, middle, right = st.columns(3)
left.metric("Budget (ε)", f"{status.total:g}")
middle.metric("Spent", f"{status.spent:.2f}", help=f"{status.queries} releases")
right.metric("Remaining", f"{max(status.remaining, 0.0):.2f}")
