"""The agent-assist page (Streamlit's AppTest, real services: Presidio, the finance handbook chapter on fraud and
scams in Chroma and BM25, the intent model, the risk detector) with the draft of issue 21, item 6: the model opens
with "We are not responsible for the personal details of our customers." before the scam wording. The reply
shown to the agent opens with the scam wording, the sentence is gone, and the page says which sentence was
dropped and why, without the customer's values.

The LLM is a NAMED STAND-IN, ``ScriptedDraftModel`` (LangChain's ``GenericFakeChatModel`` streaming that fixed
draft word by word), put into the page's own services: what is tested is our handling of a draft, and the real
Gemma 3 270M does not reliably write the sentence of the issue.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from streamlit.testing.v1 import AppTest

from pipelines.llm.backends import Backend
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_VALUES

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "domains" / "finance" / "corpus"
ISSUE_SENTENCE = "We are not responsible for the personal details of our customers."
SCRIPTED_DRAFT = (
    f"{ISSUE_SENTENCE}\n\n"
    "Thank you for telling us about this call.\n"
    "- Please call us on 0800 123 4567 (option 1) straight away.\n\n"
    "Kind regards, Northwind Bank"
)
MESSAGE = (
    f"This is {CANARY_NAME}, card {CANARY_CARD}. A man called saying he was from the bank's fraud team and told "
    "me to move my money to a safe account. Is this a scam?"
)


class ScriptedDraftModel(GenericFakeChatModel):
    """NAMED LLM STAND-IN (tests only): streams the fixed draft of the issue, word by word."""


def _scripted(requested: str | None = None) -> Backend:
    return Backend(
        "scripted", "scripted-draft", ScriptedDraftModel(messages=iter([AIMessage(SCRIPTED_DRAFT)]))
    )


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    return data


def test_the_page_opens_the_reply_with_the_scam_wording_and_says_which_sentence_was_dropped(
    app_env: Path,
) -> None:
    from app.state import get_services

    at = AppTest.from_file(str(ROOT / "app" / "pages" / "agent_assist.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    services = get_services()  # the page's own services (one per process)
    services.ingestion.ingest_path("finance", CORPUS / "07-fraud-and-scam-warnings.md", review=False)
    services.assist.backends = _scripted

    at.text_area[0].set_value(MESSAGE)
    at.button(key="assist_analyse").click().run()
    assert not at.exception, at.exception

    scam = " ".join(services.assist.config().required_wording["scam"].split())
    (reply,) = [t.value or "" for t in at.text_area if t.label == "Reply (edit before sending)"]
    assert reply.startswith(scam), reply[:200]
    assert ISSUE_SENTENCE not in reply
    assert "Thank you for telling us about this call." in reply
    assert not any(ISSUE_SENTENCE in c.value for c in at.code)  # the copyable suggestion neither

    warnings = [w.value for w in at.warning]
    (dropped,) = [w for w in warnings if ISSUE_SENTENCE in w]
    assert dropped.startswith("Dropped from the model's draft") and "responsib" in dropped.split("—")[1]
    assert not [v for v in CANARY_VALUES if any(v in w for w in warnings)]
    captions = " ".join(c.value for c in at.caption)
    assert "required wording for this case opens the reply" in captions
