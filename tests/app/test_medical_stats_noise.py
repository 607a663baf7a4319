"""The Medical statistics page with few records (issue 21, item 7), through Streamlit's AppTest with real services,
the shipped entity model and the real OpenDP measurement: Release spends nothing until the spend is confirmed
(the confirmation names the ε it spends and what remains), and the chart draws each noisy count with its 95%
interval, greying out the counts the noise swamps, with a caption saying why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
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


def _chart(at: AppTest) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The one chart's Vega-Lite spec and its data rows."""
    (chart,) = at.get("vega_lite_chart")
    proto = chart.proto  # type: ignore[attr-defined]
    return json.loads(proto.spec), pa.ipc.open_stream(proto.data.data).read_all().to_pylist()


def test_release_without_confirmation_spends_nothing(app_env: Path) -> None:
    services = _services()
    services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    at = _page()
    at.button(key="release").click().run()
    assert not at.exception, at.exception
    assert services.records.ledger() == []  # nothing spent
    assert [m.value for m in at.metric] == ["0.25", "0.00", "0.25"]
    assert not list(at.get("vega_lite_chart"))
    assert any("no budget was spent" in w.value for w in at.warning), [w.value for w in at.warning]


def test_the_confirmation_names_the_spend_and_what_remains_and_is_asked_again_for_each_release(
    app_env: Path,
) -> None:
    services = _services()
    services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    at = _page()
    (confirm,) = at.checkbox
    assert "ε = 0.1 of the 0.25 that remain" in confirm.label and "0.15 will remain" in confirm.label
    assert not confirm.value
    confirm.check().run()
    at.button(key="release").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    (entry,) = services.records.ledger()
    assert entry.epsilon == pytest.approx(0.1)
    assert [m.value for m in at.metric] == ["0.25", "0.10", "0.15"]

    at.run()  # the next release needs its own confirmation, naming the new remainder
    (confirm,) = at.checkbox
    assert not confirm.value and "of the 0.15 that remain" in confirm.label
    at.button(key="release").click().run()
    assert len(services.records.ledger()) == 1
    assert len(list(at.get("vega_lite_chart"))) == 1  # the first release stays on screen


def test_with_few_records_every_count_is_drawn_with_its_interval_and_greyed_out_as_noise(
    app_env: Path,
) -> None:
    services = _services()
    services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    at = _page()
    assert any("counts up to about" in c.value and "can be noise alone" in c.value for c in at.caption)
    at.checkbox[0].check().run()
    at.button(key="release").click().run()
    assert not at.exception, at.exception

    spec, rows = _chart(at)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "errorbar"]
    whiskers = spec["layer"][1]["encoding"]
    assert whiskers["x"]["field"] == "low" and whiskers["x2"]["field"] == "high"
    assert len(rows) == 15  # "Terms shown" default
    # one record, ε = 0.1, k = 20: scale 200 and a simultaneous 95% half-width of about 2,400 over 8,399 terms
    for row in rows:
        half_width = row["high"] - row["count"]
        assert half_width > 2000
        assert row["low"] == max(0, row["count"] - half_width)
        swamped = row["count"] <= half_width
        assert row["status"] == ("noise larger than the count" if swamped else "above the noise"), row
    # The rows shown are the 15 largest of 8,399 noisy counts whose true value is 0 or 1. The interval is
    # simultaneous at 95%, so each run has a 5% chance that one noise draw exceeds it (that row is then "above the
    # noise", as it should be by the rule above): Poisson(0.05) exceedances, 3 or more about once in 50,000 runs.
    swamped_rows = sum(row["status"] == "noise larger than the count" for row in rows)
    assert swamped_rows >= 13
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"][1] == "noise larger than the count"
    captions = " ".join(c.value for c in at.caption)
    assert "Grey: noise larger than the count" in captions
    if swamped_rows == 15:
        assert any("All 15 counts shown are within the noise" in i.value for i in at.info)
    else:
        assert f"{swamped_rows} of 15 counts shown are within the noise (grey)" in captions


def test_with_little_noise_the_counts_above_it_are_not_greyed_out(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_DP__TOTAL_EPSILON", "1000")
    services = _services()
    services.ingestion.ingest_bytes("medical", "note.txt", NOTE)
    at = _page()
    at.slider[0].set_value(500.0).run()  # scale 20 / 500 = 0.04: the noise is a fraction of a record
    at.radio[0].set_value("DISEASE").run()
    at.checkbox[0].check().run()
    at.button(key="release").click().run()
    assert not at.exception, at.exception
    _spec, rows = _chart(at)
    clear = {r["term"]: r for r in rows if r["status"] == "above the noise"}
    assert {"hypertension", "asthma"} <= set(clear), rows
    assert all(r["count"] == 1 and r["low"] == 1 == r["high"] for r in clear.values())
    assert all(r["status"] == "noise larger than the count" for r in rows if r["count"] == 0)
    assert not at.info
