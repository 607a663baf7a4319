"""Medical statistics page: differentially private counts of the records that mention each diagnosis or drug
(pipelines.skills.medical.dp_stats), released as a bar chart; each release spends privacy budget (epsilon) from the data
dir's ledger, shown as spent / remaining."""

from __future__ import annotations

import math

import streamlit as st

from app.auth import page_visitor
from app.state import get_services, guarded
from pipelines.skills.medical.dp_stats import budget_status, medical_stats

#: Smallest epsilon the slider offers (and its step).
MIN_EPSILON = 0.01
TYPES = {"all": "Diagnoses and drugs", "DISEASE": "Diagnoses", "CHEMICAL": "Drugs"}

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
    if st.button(f"Release (spends ε = {epsilon:g})", type="primary", key="release"):
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
        if release is not None:
            st.bar_chart(
                [{"term": row.term, "records (noisy)": row.count} for row in release.counts],
                x="term",
                y="records (noisy)",
                horizontal=True,
                sort=False,
            )
            st.caption(
                f"Noise scale {release.scale:g}: each count is within ±{release.accuracy:.0f} of the true count "
                f"with 95% probability, over a vocabulary of {release.vocabulary_size} terms. Counts are clamped "
                "at 0; with few records, terms near the top may be there by noise alone."
            )
            status = release.budget or status

left, middle, right = st.columns(3)
left.metric("Budget (ε)", f"{status.total:g}")
middle.metric("Spent", f"{status.spent:.2f}", help=f"{status.queries} releases")
right.metric("Remaining", f"{max(status.remaining, 0.0):.2f}")
