"""Issue 21 items 4, 8 and two labels of 9 on the chat page (Streamlit AppTest, real services, llama.cpp).

- item 4: an earlier answer keeps its source passages after the next question and when the conversation is
  reopened (the passages are stored with the turn, de-identified as indexed); a turn stored before that says
  "Passage not stored";
- item 8: what the page shows for a turn right after it is answered is what a reopened conversation shows: a
  first name typed after the full name comes back as typed, values the model made up show as ``[phone number]``;
- item 9: the backend note is not repeated under answers; passages are plain quoted text, their Markdown
  neither rendered nor shown raw.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CANARY_NAME, CANARY_PHONE

ROOT = Path(__file__).resolve().parents[2]
PASSAGE = "The foreign transaction fee is 2.75% of the amount"
DOCUMENT = (
    "# Fees\n\n"
    f"**{PASSAGE}.** Complaints about a fee go to {CANARY_NAME} on {CANARY_PHONE}.\n\n"
    "- ATM withdrawals abroad cost $3 each\n"
)


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "auto")  # no Ollama here: llama.cpp with a note why
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "24")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    return data


def _services():  # the test's own view of the app's data dir (real stores, the process's shared models)
    from pipelines import load_settings
    from pipelines.services import Models, Services

    return Services(load_settings(), Models.shared())


def _app(session_id: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    if session_id is not None:
        at.session_state["session_id"] = session_id
    at.run()
    assert not at.exception, at.exception
    return at


def _ask(at: AppTest, question: str) -> None:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _shown(at: AppTest) -> list[str]:
    """Every markdown and text value the main area shows."""
    return [str(e.value) for e in (*at.main.markdown, *at.main.text)]


def _passages(at: AppTest) -> list[str]:
    """The passages shown in the answers' "Sources" expanders (the answers themselves may quote them)."""
    found = []
    for expander in at.main.expander:
        if expander.label.startswith("Sources ("):
            values = [str(e.value) for e in (*expander.markdown, *expander.text)]
            found += [value for value in values if PASSAGE in value]
    return found


def _captions(at: AppTest) -> list[tuple[str, list[str]]]:
    """(role, captions) of each chat message, in order."""
    return [(m.name, [str(c.value) for c in m.caption]) for m in at.chat_message]


def _conversation(at: AppTest) -> list[tuple[str, str]]:
    """(role, first markdown) of each chat message: the question or the answer as shown."""
    return [(m.name, str(m.markdown[0].value) if len(m.markdown) else "") for m in at.chat_message]


def test_earlier_answers_keep_their_passages_after_the_next_question_and_when_reopened(app_env: Path) -> None:
    services = _services()
    receipt = services.ingestion.ingest_bytes("finance", "fees.md", DOCUMENT.encode())
    assert receipt.status == "indexed", receipt
    at = _app()
    _ask(at, "What is the foreign transaction fee?")
    assert len(_passages(at)) == 1
    session_id = at.session_state["session_id"]
    _ask(at, "And what does an ATM withdrawal abroad cost?")
    assert len(_passages(at)) == 2, _shown(at)  # the first answer's passage is still there
    assert not any("Passage not stored" in c.value for c in at.main.caption)
    # item 9: passages read as plain quoted text: no raw "# Fees" or "**", nothing Markdown would act on
    for passage in _passages(at):
        assert passage.startswith("> ") and "# Fees" not in passage and "**" not in passage, passage
        assert "\\$3" in passage and "\\<PERSON\\>" in passage, passage
    # item 9: the backend note ("Ollama unavailable ...") is not repeated under the answers
    assert not any("Ollama unavailable" in c.value for c in at.main.caption)

    reopened = _app(session_id)
    assert len(_passages(reopened)) == 2, _shown(reopened)
    # stored de-identified, as indexed: the planted values are in no stored turn, nor in the memory files
    stored = services.memory.turns(session_id)
    texts = [s.get("text", "") for t in stored for s in t.sources]
    assert sum(PASSAGE in text for text in texts) == 2
    assert not any(CANARY_NAME in t or CANARY_PHONE in t or "Quartermaine" in t for t in texts)
    memory_files = list(app_env.glob("memory.sqlite3*"))
    assert memory_files
    for path in memory_files:
        data = path.read_bytes()
        for value in (CANARY_NAME, CANARY_PHONE, "Quartermaine"):
            assert value.encode() not in data, (path.name, value)


def test_a_turn_stored_without_passages_still_renders_and_says_so(app_env: Path) -> None:
    services = _services()
    services.memory.add_turn(
        "old",
        "What is the fee?",
        "It is 2.75% [1].",
        "finance",
        0.9,
        [{"number": 1, "source": "fees.md", "chunk_id": "c1", "score": 0.5, "location": "", "citations": []}],
        "llamacpp",
        "m",
    )
    at = _app("old")
    assert any("It is 2.75% [1]." in text for text in _shown(at))
    assert any(e.label == "Sources (1)" for e in at.expander)
    assert any("Passage not stored" in c.value for c in at.main.caption)


def test_a_first_name_typed_after_the_full_name_comes_back_as_typed_and_answers_as_shown(
    app_env: Path,
) -> None:
    services = _services()
    services.ingestion.ingest_bytes("finance", "fees.md", DOCUMENT.encode())
    at = _app()
    first = "My name is Anna Smith. What is the foreign transaction fee?"
    later = "Anna wants to know the foreign transaction fee on 100 pounds."
    _ask(at, first)
    _ask(at, later)
    live = _conversation(at)
    assert [text for role, text in live if role == "user"] == [first, later]
    session_id = at.session_state["session_id"]
    live_captions = _captions(at)
    reopened_at = _app(session_id)
    reopened = _conversation(reopened_at)
    assert reopened == live  # questions and answers, as they were shown
    # the captions too (a newcomer's find): what was masked under each question, the domain/backend line under
    # each answer, in the same place
    assert _captions(reopened_at) == live_captions
    assert any("Masked" in c for _, captions in live_captions for c in captions), live_captions
    assert "Anna Smith" not in " ".join(t.question for t in services.memory.turns(session_id))


def test_values_the_model_made_up_show_one_clear_way(app_env: Path) -> None:
    services = _services()
    vault, _ = services.conversations.open_vault("made-up")
    _prompt, memory = services.deidentification.deidentify_message(
        f"I am {CANARY_NAME}, what number do I call?", vault, "finance"
    )
    answer = services.deidentification.scrub(
        "Call 020 7946 0321 or <PHONE_NUMBER_4>, <PERSON_1>.", vault, "finance"
    ).text
    services.vaults.save(vault)
    services.memory.add_turn("made-up", memory.text, answer, "finance", 0.9, [], "llamacpp", "m")
    shown = _shown(_app("made-up"))
    assert f"Call [phone number] or [phone number], {CANARY_NAME}." in shown
    assert not any("<PHONE_NUMBER" in text for text in shown)


def test_a_stored_turn_with_unsupported_figures_shows_their_warning_when_reopened(app_env: Path) -> None:
    """Item 2 on the page: the figure flags stored with a turn's signals show under its answer (the live view
    draws the same stored turn)."""
    services = _services()
    services.memory.add_turn(
        "flagged",
        "What is the daily limit?",
        "The daily limit is £50,001.",
        "finance",
        0.9,
        [],
        "llamacpp",
        "m",
        signals={
            "unsupported": [{"kind": "amount", "text": "£50,001", "reason": "amount £50001 is in no passage"}]
        },
    )
    at = _app("flagged")
    warnings = [w.value for w in at.main.warning]
    assert any("1 figure in this answer is not in the sources" in w and "£50,001" in w for w in warnings), (
        warnings
    )
