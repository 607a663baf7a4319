"""The Streamlit chat page through Streamlit's AppTest (real services, llama.cpp backend)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "32")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    from pipelines import load_settings
    from pipelines.ingestion import ingest_bytes
    from pipelines.services import Services

    services = Services(load_settings())
    ingest_bytes(
        services, "finance", "fees.md", b"# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"
    )
    return data


def test_a_question_in_the_chat_page_produces_an_answer_and_sources(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    assert not at.exception
    at.chat_input[0].set_value("What is the foreign transaction fee?").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assistant = [m for m in at.chat_message if m.name == "assistant"]
    assert assistant, "no assistant message"
    assert any(e.label.startswith("Sources (") for e in at.expander)
    texts = " ".join(str(t.value) for t in at.text)
    assert "2.75%" in texts
    captions = " ".join(c.value for c in at.caption)
    assert "finance" in captions and "llamacpp" in captions


def test_the_session_is_listed_after_a_turn_and_survives_a_rerun(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.chat_input[0].set_value("What is the foreign transaction fee?").run()
    at.run()
    assert any(m.name == "user" for m in at.chat_message)
    options = at.sidebar.selectbox[0].options
    assert any("foreign transaction fee" in o for o in options)
