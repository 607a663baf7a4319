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
    from pipelines.services import Models, Services

    services = Services(load_settings(), Models.shared())
    services.ingestion.ingest_bytes(
        "finance", "fees.md", b"# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"
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
    texts = " ".join(str(t.value) for e in at.expander for t in (*e.text, *e.markdown))  # the passages
    assert "2.75%" in texts
    captions = " ".join(c.value for c in at.caption)
    assert "Bank customer service" in captions and "llamacpp" in captions
    assert "· intent " in captions and "no risk" in captions  # a finance turn shows its intent and risk


def test_a_high_risk_message_shows_the_escalation_notice_now_and_after_a_rerun(app_env: Path) -> None:
    from domains import load_domains

    escalation = load_domains()["finance"].escalation
    assert escalation is not None
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.chat_input[0].set_value("Someone stole my card and is using it right now, help").run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [escalation.notices["fraud"]]
    assert "risk fraud (high) · escalate" in " ".join(c.value for c in at.caption)
    at.run()  # the stored turn keeps its signals
    assert [e.value for e in at.error] == [escalation.notices["fraud"]]


def test_the_session_is_listed_after_a_turn_and_survives_a_rerun(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.chat_input[0].set_value("What is the foreign transaction fee?").run()
    at.run()
    assert any(m.name == "user" for m in at.chat_message)
    options = at.sidebar.selectbox[0].options
    assert any("foreign transaction fee" in o for o in options)


def test_delete_conversation_erases_vault_and_turns_and_shows_the_receipt(app_env: Path) -> None:
    from pipelines import load_settings
    from pipelines.services import Models, Services

    services = Services(load_settings(), Models.shared())
    vault = services.vaults.open("seeded")
    question = services.deidentification.pseudonymize("I am Zelda Quartermaine. What is the fee?", vault).text
    services.vaults.save(vault)
    services.memory.add_turn("seeded", question, "It is 2.75% [1].", "finance", 0.9, [], "llamacpp", "m")

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.session_state["session_id"] = "seeded"
    at.run()
    assert any("Zelda Quartermaine" in str(m.value) for m in at.markdown)  # the transcript, restored
    delete = [b for b in at.sidebar.button if "Delete conversation" in b.label]
    assert len(delete) == 1
    delete[0].click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("erased session seeded at ") for s in at.sidebar.success)
    assert "1 turn, vault with 1 personal value" in at.sidebar.success[0].value
    assert at.session_state["session_id"] != "seeded"
    assert not services.vaults.exists("seeded") and services.memory.turns("seeded") == []
    assert not any("Zelda Quartermaine" in str(m.value) for m in at.markdown)


def test_a_conversation_whose_values_expired_says_so(app_env: Path) -> None:
    import time

    from pipelines import load_settings
    from pipelines.services import Models, Services
    from privacy import VaultStore

    services = Services(load_settings(), Models.shared())
    old = VaultStore(services.vaults.directory, clock=lambda: time.time() - 48 * 3600)
    vault = old.open("stale")
    question = services.deidentification.pseudonymize("I am Zelda Quartermaine. What is the fee?", vault).text
    old.save(vault)
    services.memory.add_turn("stale", question, "It is 2.75% [1].", "finance", 0.9, [], "llamacpp", "m")

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.session_state["session_id"] = "stale"
    at.run()
    assert not at.exception, at.exception
    assert any("`<PERSON_1>` can no longer be restored" in i.value for i in at.info)
    assert not services.vaults.exists("stale")


def test_pinned_documents_restrict_the_answer_sources_and_survive_a_rerun(app_env: Path) -> None:
    from pipelines import load_settings
    from pipelines.services import Models, Services

    disputes = b"# Disputes\n\nA card payment can be disputed within 13 months of the transaction date.\n"
    sha = (
        Services(load_settings(), Models.shared())
        .ingestion.ingest_bytes("finance", "disputes.md", disputes)
        .sha256
    )
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    label = "Answer only from these documents"
    assert not [m for m in at.sidebar.multiselect if m.label == label]  # auto routing: no domain to pick from
    next(s for s in at.sidebar.selectbox if s.label == "Domain").set_value("finance").run()
    pin = next(m for m in at.sidebar.multiselect if m.label == label)
    assert sorted(o.split(" · ")[0] for o in pin.options) == ["disputes.md", "fees.md"]
    pin.set_value([sha]).run()
    at.run()
    assert at.session_state["pinned_documents"]["finance"] == [sha]
    at.chat_input[0].set_value("What is the foreign transaction fee?").run()
    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.markdown if m.value.startswith("**["))
    assert "disputes.md" in shown and "fees.md" not in shown


def test_an_unsupported_citation_and_an_invalid_one_are_flagged_under_the_answer(app_env: Path) -> None:
    from pipelines import load_settings
    from pipelines.chat.citations import check_citations, source_records
    from pipelines.chat.pipeline import Source
    from pipelines.services import Models, Services

    services = Services(load_settings(), Models.shared())
    vault = services.vaults.open("cited")
    question = services.deidentification.pseudonymize("I am Zelda Quartermaine. What is the fee?", vault).text
    services.vaults.save(vault)
    sources = [
        Source(
            1, "fees.md", "c1", 0.61, "section: Fees", "The foreign transaction fee is 2.75% of the amount."
        )
    ]
    answer = "<PERSON_1>, the foreign transaction fee is 2.75% [1]. It is 9% for <PERSON_1> at weekends [1]. See [4]."
    citations = check_citations(answer, sources)
    assert [(c.number, c.valid, c.supported) for c in citations] == [
        (1, True, True),
        (1, True, False),
        (4, False, False),
    ]
    services.memory.add_turn(
        "cited", question, answer, "finance", 0.9, source_records(sources, citations), "llamacpp", "m"
    )

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.session_state["session_id"] = "cited"
    at.run()
    assert not at.exception, at.exception
    assert any(e.label == "Sources (1) · ⚠️ 1 unsupported citation" for e in at.expander)
    warnings = [w.value for w in at.warning]
    flagged = [w for w in warnings if w.startswith("[1] may not support:")]
    assert len(flagged) == 1, warnings
    assert "It is 9% for Zelda Quartermaine at weekends [1]." in flagged[0]  # shown restored, like the answer
    assert "number 9 not in the passage" in flagged[0]
    assert any("cites [4], which is not among the sources" in w for w in warnings)
    assert any(
        "**[1] fees.md** · section: Fees · score 0.610 · ⚠️ unsupported citation" in m.value
        for m in at.markdown
    )


def test_thumbs_under_an_answer_store_its_rating(app_env: Path) -> None:
    from pipelines import load_settings
    from pipelines.services import Models, Services

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.chat_input[0].set_value("What is the foreign transaction fee?").run()
    assert len(at.get("feedback")) == 1  # under the answer just streamed, before any rerun
    at.run()
    session = at.session_state["session_id"]
    thumbs = at.get("feedback")
    assert len(thumbs) == 1
    thumbs[0].set_value(0).run()  # thumbs down
    memory = Services(load_settings(), Models.shared()).memory
    assert [(r.position, r.rating) for r in memory.ratings(session)] == [(0, "down")]
