"""Shared services for the Streamlit pages (one per process) and error display; with ``metrics.port`` set
(``ASSISTANT_METRICS__PORT``), the process's Prometheus metrics on ``http://<metrics.host>:<port>/metrics``
(``metrics.host`` is 127.0.0.1 unless set)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from pipelines import USER_FACING_ERRORS, load_settings
from pipelines.core import metrics
from pipelines.core.serving import claim_server
from pipelines.services import Models, Services

__all__ = ["get_services", "guarded", "index_samples_once"]

T = TypeVar("T")


@st.cache_resource(show_spinner="Starting…")  # the stores only: each model loads on first use
def _services() -> Services:
    services = Services(load_settings(), Models.shared())
    claim_server(services.settings.data_dir, "the web app")
    if services.settings.metrics.port is not None:  # once per process: this function's result is cached
        metrics.serve(services.settings.metrics.port, services.settings.metrics.host)
    return services


def get_services() -> Services:
    """The process-wide services (thread-safe), built from the settings tree over the process's shared models.
    When ``assistant serve`` already serves the data dir, the page shows why and stops."""
    try:
        return _services()
    except USER_FACING_ERRORS as exc:
        st.error(str(exc))
        st.stop()
        raise  # not reached: st.stop() ends the script run


def index_samples_once(services: Services) -> None:
    """Index the shipped sample corpora into empty collections (first start only), with a progress bar that is
    drawn before anything loads: checking the corpora builds the ingestion flow, which loads the
    de-identification model (spaCy) first, and the page must not stay blank meanwhile (issue 21)."""
    if not services.settings.ingest.index_samples_on_start:
        return
    bar = st.progress(0.0, text="Starting: loading the de-identification model…")
    if not services.ingestion.samples_pending():
        bar.empty()
        return
    bar.progress(0.0, text="Indexing the sample knowledge bases (first start only)…")

    def progress(stage: str, fraction: float) -> None:
        bar.progress(fraction, text=f"Indexing {stage}")

    services.ingestion.index_sample_corpora(progress=progress)
    bar.empty()


def guarded(action: Callable[[], T]) -> T | None:
    """Run ``action``; show a user-facing error as ``st.error`` (no traceback, no PII) and return None."""
    try:
        return action()
    except USER_FACING_ERRORS as exc:
        st.error(str(exc))
        return None
