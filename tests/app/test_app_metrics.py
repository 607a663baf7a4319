"""The web app's Prometheus metrics: off by default, served on 127.0.0.1 at ``metrics.port`` once per process."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CANARY_NAME

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_app_serves_metrics_on_its_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = _free_port()
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "16")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    monkeypatch.setenv("ASSISTANT_METRICS__PORT", str(port))
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    at.chat_input[0].set_value(f"I am {CANARY_NAME}. What is a card fee?").run()
    assert not at.exception, at.exception
    scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)
    assert scraped.status_code == 200
    assert "assistant_generation_seconds_count" in scraped.text
    assert 'assistant_masked_values_total{entity="PERSON"}' in scraped.text
    assert CANARY_NAME not in scraped.text and "Zelda" not in scraped.text
    st.cache_resource.clear()
