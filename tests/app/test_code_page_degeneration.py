"""Issue 21 item 5 on the code page (Streamlit AppTest, real services, real sandbox): a write-tests answer that
loops on one assert is stopped, the complete tests run, and the page says plainly what happened instead of
"1 error · collection failure". The model's output comes from ScriptedOllama, a named STAND-IN for an Ollama
server replaying a fixed script (not a model), through the real Ollama client and host pool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.skills.code.sandbox import sandbox_status
from tests.pipelines.skills.code.scripted_ollama import ScriptedOllama
from tests.pipelines.skills.code.test_code_checks import CODE
from tests.pipelines.skills.code.test_code_degeneration import LIMIT, looping_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not sandbox_status().available, reason=f"no sandbox here: {sandbox_status().reason}")
def test_the_page_says_the_model_looped_and_was_stopped_and_shows_the_tests_that_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ScriptedOllama(looping_script()) as fake:
        monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "ollama")
        monkeypatch.setenv("ASSISTANT_OLLAMA__HOSTS", json.dumps([fake.url]))
        monkeypatch.setenv("ASSISTANT_OLLAMA__NUM_PREDICT", str(LIMIT))
        monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
        import streamlit as st

        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app" / "pages" / "code.py"), default_timeout=600)
        at.run()
        assert not at.exception, at.exception
        at.radio(key="code_mode").set_value("write_tests").run()
        at.text_area(key="code_input_write_tests").set_value(CODE)
        at.button(key="code_run").click().run()
        assert not at.exception, at.exception
    assert fake.sent < LIMIT / 2, f"the host wrote {fake.sent} of {LIMIT} tokens: not stopped early"
    warnings = [w.value for w in at.warning]
    assert any(
        w.startswith(
            "The model repeated the same line 8 times in a row (`assert sign(0) == 0`) and was stopped after "
        )
        and w.endswith("The repeats were dropped; the 3 tests were run.")
        for w in warnings
    ), warnings
    assert [s.value[:21] for s in at.success] == ["Tests: 3 passed · lin"]
    shown = " ".join(str(e.value) for e in (*at.error, *at.success, *at.warning, *at.info))
    assert "collection failure" not in shown
    rows = at.dataframe[0].value
    assert list(rows["outcome"]) == ["passed", "passed", "passed"]
