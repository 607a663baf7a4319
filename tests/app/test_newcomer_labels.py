"""Issue 21 item 9, the labels a newcomer reads: domain titles alike everywhere, the upload's domain, the backend
status once in the sidebar, the chat page's name, plurals, clinical masked counts in words, and a sentence-initial
"Seen" not masked as a place. Real services, real Presidio/spaCy, Streamlit's AppTest."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from privacy import Deidentifier
from tests.conftest import domain_policy

ROOT = Path(__file__).resolve().parents[2]
FEES = b"# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Real services over a fresh data dir holding one finance document; yields the services."""
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "16")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    from pipelines import load_settings
    from pipelines.services import Models, Services

    services = Services(load_settings(), Models.shared())
    services.ingestion.ingest_bytes("finance", "fees.md", FEES)
    return services


def _select(at: AppTest, label: str):
    return next(s for s in at.sidebar.selectbox if s.label == label)


def test_domain_names_are_the_domains_titles_in_the_sidebar_and_on_the_documents_page(app_env) -> None:
    services = app_env
    titles = [services.domains[name].title for name in services.domains]
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    assert _select(at, "Domain").options == ["auto (route each question)", *titles]
    assert _select(at, "Into domain").options == titles
    status = " ".join(str(c.value) for c in at.sidebar.caption)
    for name in services.domains:  # the chunk totals name each domain by its title too
        assert f"{services.domains[name].title}: " in status
        assert f"{name}: " not in status, status
    _select(at, "Domain").set_value("finance").run()
    (panel,) = [e for e in at.sidebar.expander if e.label.startswith("🔒 Privacy policy")]
    assert panel.label == f"🔒 Privacy policy: {services.domains['finance'].title}"

    documents = AppTest.from_file(str(ROOT / "app" / "pages" / "documents.py"), default_timeout=600)
    documents.run()
    assert not documents.exception, documents.exception
    assert documents.selectbox[0].options == titles
    documents.selectbox[0].set_value("finance").run()
    assert "1 document" in [str(c.value) for c in documents.caption]  # not "1 documents"


def test_the_upload_domain_follows_the_routed_domain_then_the_visitors_choice(app_env) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    assert _select(at, "Into domain").value == "code"  # nothing routed yet: the first domain
    at.chat_input[0].set_value("What is the foreign transaction fee?").run()
    assert not at.exception, at.exception
    at.run()
    assert _select(at, "Into domain").value == "finance", "the upload did not follow the routed domain"
    _select(at, "Into domain").set_value("medical").run()
    at.run()
    assert _select(at, "Into domain").value == "medical"  # the visitor's own choice is kept
    _select(at, "Domain").set_value("code").run()
    assert _select(at, "Into domain").value == "medical"


def test_the_backend_status_is_shown_once_in_the_sidebar(app_env) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    status = [str(c.value) for c in at.sidebar.caption if str(c.value).startswith("Backend: ")]
    assert status == ["Backend: llama.cpp (Ollama unavailable)"], status
    at.chat_input[0].set_value("What is the foreign transaction fee?").run()
    at.chat_input[0].set_value("Is it charged on refunds?").run()
    assert not at.exception, at.exception
    main = [str(c.value) for c in at.main.caption]
    assert not [c for c in main if "unavailable" in c], main  # not under every answer
    _select(at, "Backend").set_value("llamacpp").run()
    assert [str(c.value) for c in at.sidebar.caption if str(c.value).startswith("Backend: ")] == [
        "Backend: llama.cpp"
    ]


def test_the_chat_page_is_called_chat_and_streamlit_lists_no_page_files() -> None:
    from app.auth import LOCAL
    from app.navigation import specs_for

    assert specs_for(LOCAL)[0].title == "Chat"
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    # without this Streamlit lists app/pages/*.py ("main", "admin", ...) while the first run loads the models
    assert config["client"]["showSidebarNavigation"] is False
    assert config["client"]["toolbarMode"] in ("viewer", "minimal")  # no Deploy button


def test_a_user_erasure_receipt_uses_singulars() -> None:
    from pipelines.accounts.erasure import UserErasureReceipt

    receipt = UserErasureReceipt("ann", "2026-12-06T00:00:00+00:00", 1, 1, 1, 1, 1)
    assert receipt.summary() == (
        "erased user ann at 2026-12-06T00:00:00+00:00: 1 session (1 turn, 1 personal value), "
        "1 private document, 1 key"
    )
    assert "2 sessions (3 turns, 0 personal values), 0 private documents, 2 keys" in (
        UserErasureReceipt("ann", "t", 2, 3, 0, 2, 0).summary()
    )


def test_clinical_masked_counts_use_words_not_type_names(app_env) -> None:
    note = (
        "Patient Zelda Quartermaine, MRN 4417-2290, seen on 03/14/2024.\n"
        "Seen today for type 2 diabetes; continue metformin 500 mg twice daily."
    )
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "clinical.py"), default_timeout=600)
    at.run()
    at.text_area(key="clinical_text").set_value(note)
    at.button(key="clinical_analyse").click().run()
    assert not at.exception, at.exception
    (masked,) = [str(c.value) for c in at.caption if str(c.value).startswith("Masked: ")]
    assert "medical record number" in masked and "1 person" in masked, masked
    assert "×" not in masked and "MEDICAL_RECORD_NUMBER" not in masked and "PERSON" not in masked, masked
    assert "place" not in masked, masked  # "Seen" is not a place


@pytest.mark.parametrize(
    "sentence",
    [
        "Seen in clinic today for follow-up of asthma.",
        "Patient reports chest pain. Seen by cardiology.",
        "SEEN ON THE WARD ROUND, COMFORTABLE.",
    ],
)
def test_a_sentence_initial_seen_is_not_masked_as_a_place(deidentifier: Deidentifier, sentence: str) -> None:
    for policy in ("medical", "finance", "code"):
        redaction = deidentifier.redact(sentence, domain_policy(policy))
        assert redaction.text == sentence, (policy, redaction.text)


def test_real_places_are_still_masked(deidentifier: Deidentifier) -> None:
    text = "Seen today. She lives in Baltimore, grew up in Winterthur and flew to Seen last week."
    redaction = deidentifier.redact(text, domain_policy("medical"))
    assert redaction.text.startswith("Seen today."), redaction.text
    for place in ("Baltimore", "Winterthur"):
        assert place not in redaction.text, redaction.text
    assert "flew to <LOCATION>" in redaction.text  # the town of Seen after a place cue is still a place
