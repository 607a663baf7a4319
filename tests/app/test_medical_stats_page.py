"""The Medical statistics page (Streamlit's AppTest, real services and the shipped entity model): a confirmed
release draws the noisy counts and spends budget; the epsilon slider is bounded by what remains; an exhausted
budget shows an error and no chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
NOTE = b"Clinic note\n\nThe patient has hypertension and asthma. Started metformin.\n"


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    monkeypatch.setenv("ASSISTANT_DP__TOTAL_EPSILON", "0.25")
    import streamlit as st

    st.cache_resource.clear()
    return data


def _services():  # type: ignore[no-untyped-def]
    from pipelines import load_settings
    from pipelines.services import Models, Services

    return Services(load_settings(), Models.shared())


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "medical_stats.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    return at


def _charts(at: AppTest) -> list[object]:
    return list(at.get("vega_lite_chart"))


def test_a_release_draws_the_noisy_counts_and_spends_budget(app_env: Path) -> None:

    services = _services()
    services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    at = _page()
    assert at.slider[0].max == pytest.approx(0.25) and at.slider[0].value == pytest.approx(0.1)
    assert not _charts(at)
    at.radio[0].set_value("DISEASE")
    at.slider[0].set_value(0.15)
    at.number_input[0].set_value(7).run()
    # a release spends budget only once confirmed (tests/app/test_medical_stats_noise.py)
    at.checkbox[0].check()
    at.button[0].click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert len(_charts(at)) == 1
    assert [m.value for m in at.metric] == ["0.25", "0.15", "0.10"]
    (entry,) = services.records.ledger()
    assert entry.epsilon == pytest.approx(0.15) and "types=DISEASE" in entry.query

    at.run()  # a rerun shows the slider bounded by the remaining budget
    assert at.slider[0].max == pytest.approx(0.1)


def test_an_exhausted_budget_shows_an_error_and_no_chart(app_env: Path) -> None:
    from pipelines.skills.medical.dp_stats import medical_stats

    services = _services()
    medical_stats(
        services.records,
        services.entity_recognizer("medical"),
        services.settings.dp,
        "medical",
        "all",
        epsilon=0.25,
    )
    at = _page()
    (error,) = [e.value for e in at.error]
    assert error.startswith("privacy budget exhausted: 0.25 of 0.25 spent")
    assert not at.slider and not at.button and not _charts(at)
    assert [m.value for m in at.metric] == ["0.25", "0.25", "0.00"]
