"""The clinical record page through Streamlit's AppTest (real services, the real entity model and llama.cpp)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import scan_tree_for
from tests.pipelines.skills.medical.test_clinical import NOTE, PATIENT, RAW

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "24")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    return data


def _analysed() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "clinical.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    at.text_area(key="clinical_text").set_value(NOTE)
    at.button(key="clinical_analyse").click().run()
    assert not at.exception, at.exception
    return at


def test_a_pasted_note_shows_masked_text_entities_and_relations(app_env: Path) -> None:
    at = _analysed()
    shown = " ".join(h.proto.body for h in at.get("html"))
    assert "<PERSON_1>" in shown or "&lt;PERSON_1&gt;" in shown
    assert 'title="CHEMICAL"' in shown and "metformin" in shown
    assert PATIENT not in shown
    captions = " ".join(c.value for c in at.caption)
    assert "1 person" in captions and "chemical/drug mentions" in captions
    assert [s.value for s in at.subheader] == ["De-identified note", "Relations", "Summary"]
    [table] = at.dataframe
    assert "treats" in set(table.value["relation"]) and "metformin" in set(table.value["from"])


def test_the_summary_is_streamed_and_nothing_raw_is_stored(app_env: Path) -> None:
    at = _analysed()
    at.button(key="clinical_summarise").click().run()
    assert not at.exception, at.exception
    assert any("saw only the de-identified note" in c.value for c in at.caption)
    assert scan_tree_for(app_env, RAW) == []


def test_an_empty_note_is_an_error_not_a_traceback(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "clinical.py"), default_timeout=600)
    at.run()
    at.button(key="clinical_analyse").click().run()
    assert not at.exception and [e.value for e in at.error] == ["the note is empty"]
