"""Label hygiene of :mod:`pipelines.core.metrics`: identifiers pass, text and personal values become ``other``."""

from __future__ import annotations

from pipelines.core import metrics
from tests.conftest import CANARY_CARD, CANARY_EMAIL, CANARY_NAME, CANARY_PHONE


def test_labels_keep_identifiers_and_drop_text() -> None:
    for name in ("PERSON", "CREDIT_CARD", "scam", "self-harm", "finance", "indexed", "POST"):
        assert metrics.label(name) == name
    for value in (
        CANARY_NAME,
        CANARY_PHONE,
        CANARY_EMAIL,
        CANARY_CARD,
        CANARY_CARD.replace(" ", ""),
        "",
        "a" * 65,
    ):
        assert metrics.label(value) == "other", value


def test_only_registered_names_and_no_planted_value_are_exposed() -> None:
    metrics.observe_generation(
        "llamacpp",
        f"http://{CANARY_NAME}@gpu:8000/v1",
        0.1,
        0.2,
        5,
        {CANARY_NAME: 1, "PERSON": 1},
        [CANARY_PHONE],
    )
    metrics.observe_ingestion(CANARY_EMAIL, "indexed", 1)
    metrics.observe_http(f"/api/sessions/{CANARY_CARD}", "GET", 200, 0.01)
    body, content_type = metrics.exposition()
    text = body.decode()
    assert content_type.startswith("text/plain")
    assert not any(v in text for v in (CANARY_NAME, CANARY_PHONE, CANARY_EMAIL, CANARY_CARD, "Zelda"))
    names = {
        line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")
    }
    assert all(name.startswith("assistant_") for name in names), names
