"""The agent-assist page through Streamlit's AppTest (real services: Presidio, the finance handbook in Chroma
and BM25, the intent model, the risk detector, llama.cpp): analyse a message, see the de-identified message,
intent, risk flags, cited passages and the draft; accept it and find the feedback stored and downloadable."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_VALUES

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "domains" / "finance" / "corpus"
MESSAGE = (
    f"Hello, I'm {CANARY_NAME}. Someone stole my card {CANARY_CARD} and used it for payments I never made, "
    "this is fraud!"
)


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "32")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    services = _services()

    for name in ("01-lost-stolen-cards-and-blocking.md", "07-fraud-and-scam-warnings.md"):
        services.ingestion.ingest_path("finance", CORPUS / name, review=False)
    return data


def _services():  # type: ignore[no-untyped-def]
    from pipelines import load_settings
    from pipelines.services import Models, Services

    return Services(load_settings(), Models.shared())


def _analysed() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "agent_assist.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    at.text_area[0].set_value(MESSAGE)
    at.button(key="assist_analyse").click().run()
    assert not at.exception, at.exception
    assert not at.error or all("Escalate" in e.value for e in at.error), [e.value for e in at.error]
    return at


@pytest.mark.slow
def test_analysing_a_message_shows_the_analysis_and_an_editable_draft_with_the_required_wording(
    app_env: Path,
) -> None:
    at = _analysed()
    codes = [c.value for c in at.code]
    assert any("<PERSON_1>" in c and "<CREDIT_CARD_1>" in c for c in codes), codes
    assert not any(CANARY_NAME in c for c in codes[:1])
    metrics = {m.label: m.value for m in at.metric}
    assert "Intent" in metrics and "Risk severity" in metrics
    markdown = " ".join(m.value for m in at.markdown)
    assert "`fraud`" in markdown
    assert any("Escalate this conversation" in e.value for e in at.error)
    labels = [e.label for e in at.expander]
    assert any(label.startswith("[1] ") and ".md" in label for label in labels), labels

    (reply,) = [t for t in at.text_area if t.label == "Reply (edit before sending)"]
    fraud = " ".join(_services().assist.config().required_wording["fraud"].split())
    assert fraud in " ".join(reply.value.split())
    assert any(fraud in " ".join(c.split()) for c in codes)  # the copyable suggestion


@pytest.mark.slow
def test_accept_and_save_edit_store_de_identified_feedback_and_the_csv_is_offered(app_env: Path) -> None:
    at = _analysed()
    at.button(key="assist_accept").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success][-1] == "Feedback stored: accepted (#1)."

    (reply,) = [t for t in at.text_area if t.label == "Reply (edit before sending)"]
    reply.set_value(reply.value + f"\nCall {CANARY_NAME} back today.")
    at.button(key="assist_edit").click().run()
    assert [s.value for s in at.success][-1] == "Feedback stored: edited (#2)."

    records = _services().feedback.records()
    assert [r.status for r in records] == ["accepted", "edited"]
    assert "fraud" in records[0].risk_categories
    assert records[1].final_text.endswith("Call <PERSON_1> back today.")
    (download,) = at.get("download_button")
    assert download.proto.label == "Download feedback CSV"
    csv_text = _services().feedback.export_csv_text()
    assert csv_text.splitlines()[0].startswith("id,created_at,session_id")
    assert not [v for v in CANARY_VALUES if v in csv_text]


def test_the_page_offers_a_stored_conversation_and_fills_in_its_last_message(app_env: Path) -> None:
    services = _services()
    services.memory.add_turn(
        "conv-1", "My card <CREDIT_CARD_1> is lost", "Sorry.", "finance", 0.9, [], "x", "y"
    )
    vault = services.vaults.open("conv-1")
    vault.placeholder_for("CREDIT_CARD", CANARY_CARD)
    services.vaults.save(vault)

    at = AppTest.from_file(str(ROOT / "app" / "pages" / "agent_assist.py"), default_timeout=600)
    at.run()
    at.radio(key="assist_origin").set_value("Use a conversation's last message").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="assist_session").value == "conv-1"
    assert at.text_area[0].value == f"My card {CANARY_CARD} is lost"


def test_analysing_an_empty_message_shows_an_error_not_a_traceback(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "agent_assist.py"), default_timeout=600)
    at.run()
    at.button(key="assist_analyse").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["the customer message is empty"]
