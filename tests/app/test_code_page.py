"""The code page through Streamlit's AppTest (real services, the real llama.cpp model, the real sandbox): each
task mode runs, shows the produced code and says what its check did."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.skills.code.sandbox import sandbox_status
from tests.pipelines.skills.code.test_code_checks import CODE, SUM_CPP

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "24")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__CODE_MAX_TOKENS", "32")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    return data


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "code.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_offers_the_four_modes(app_env: Path) -> None:
    at = _page()
    assert at.radio(key="code_mode").options == ["Ask", "Complete", "Write tests", "Translate C++ → Python"]


@pytest.mark.skipif(not sandbox_status().available, reason=f"no sandbox here: {sandbox_status().reason}")
@pytest.mark.parametrize(
    ("mode", "code", "inputs", "check_prefix"),
    [
        ("write_tests", CODE, "", "Tests: "),
        ("translate", SUM_CPP, "2 3\n---\n1 1", "Translation: the Python translation ran on 2 input(s)"),
    ],
)
def test_a_task_runs_and_its_check_is_shown(
    app_env: Path, mode: str, code: str, inputs: str, check_prefix: str
) -> None:
    at = _page()
    at.radio(key="code_mode").set_value(mode).run()
    at.text_area(key=f"code_input_{mode}").set_value(code)
    if inputs:
        at.text_area(key="code_inputs").set_value(inputs)
    at.button(key="code_run").click().run()
    assert not at.exception, at.exception
    messages = [e.value for e in (*at.success, *at.error, *at.warning)]
    assert any(m.startswith(check_prefix) for m in messages), messages
    assert any("llamacpp" in c.value for c in at.caption)
    assert at.code, "the produced code is shown in a code block (with its copy button)"
    if mode == "translate":
        rows = at.dataframe[0].value
        assert list(rows["input"]) == ["2 3\n", "1 1\n"]
