"""Issue 21 item 1 and the sidebar's labels: "New chat" after picking a past conversation, the new conversation
listed by its title with "Delete conversation" once answered, and code-task sessions kept out of the chat's
picker. Streamlit's AppTest over real services (llama.cpp backend, real stores)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CANARY_CARD, CANARY_NAME

ROOT = Path(__file__).resolve().parents[2]
OLD_NAME = "Ottoline Brackenbury"


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Real services over a fresh data dir with one document and one past conversation ``old`` (a vault holding
    ``OLD_NAME``); yields the services."""
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "24")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    from pipelines import load_settings
    from pipelines.services import Models, Services

    services = Services(load_settings(), Models.shared())
    services.ingestion.ingest_bytes(
        "finance", "fees.md", b"# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"
    )
    vault = services.vaults.open("old")
    question = services.deidentification.pseudonymize(f"I am {OLD_NAME}. What is the fee?", vault).text
    services.vaults.save(vault)
    services.memory.add_turn("old", question, "It is 2.75% [1].", "finance", 0.9, [], "llamacpp", "m")
    return services


def _picker(at: AppTest):
    return next(s for s in at.sidebar.selectbox if s.label == "Session")


def _delete_buttons(at: AppTest) -> list:
    return [b for b in at.sidebar.button if "Delete conversation" in b.label]


def test_new_chat_after_picking_a_past_conversation_starts_a_new_one(app_env) -> None:
    services = app_env
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    picker = _picker(at)
    assert any(OLD_NAME in o for o in picker.options) and picker.value != "old"
    picker.set_value("old").run()  # pick the past conversation
    assert not at.exception, at.exception
    assert _picker(at).value == "old"
    assert any(OLD_NAME in str(m.value) for m in at.markdown)  # its transcript is shown

    new = next(b for b in at.sidebar.button if "New chat" in b.label)
    new.click().run()
    assert not at.exception, at.exception
    shown = _picker(at).value
    assert shown != "old", "the picker stayed on the past conversation"
    assert at.session_state["session_id"] == shown
    assert not any(OLD_NAME in str(m.value) for m in at.markdown), "the old transcript is still shown"
    assert not [m for m in at.chat_message if m.name == "user"]

    at.chat_input[0].set_value(f"I am {CANARY_NAME}, card {CANARY_CARD}. What is the foreign fee?").run()
    assert not at.exception, at.exception
    session = at.session_state["session_id"]
    assert session not in ("old", ""), session
    assert len(services.memory.turns("old")) == 1, "the question went into the old conversation"
    assert len(services.memory.turns(session)) == 1
    old_values = set(services.vaults.open("old").values.values())
    assert not any(CANARY_NAME in v or "Quartermaine" in v for v in old_values), "new values in the old vault"
    assert any(CANARY_NAME in v for v in services.vaults.open(session).values.values())

    # the new conversation is listed by its title (not "(new chat)") with a delete button, in this run or the
    # next rerun the page makes on its own (no interaction)
    if "(new chat)" in _picker(at).options or not _delete_buttons(at):
        at.run()
    picker = _picker(at)
    assert picker.value == session
    assert "(new chat)" not in picker.options, picker.options
    assert picker.options[picker.index].startswith(f"I am {CANARY_NAME}"), picker.options
    assert len(_delete_buttons(at)) == 1


def test_the_new_conversation_is_listed_with_delete_in_the_run_that_answered(app_env) -> None:
    """The run that stored the first answer ends with the sidebar showing it (the page reruns itself)."""
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.chat_input[0].set_value("What is the foreign transaction fee?").run()
    assert not at.exception, at.exception
    picker = _picker(at)
    assert picker.value == at.session_state["session_id"]
    assert "(new chat)" not in picker.options, picker.options
    assert any("foreign transaction fee" in o for o in picker.options)
    assert len(_delete_buttons(at)) == 1
    assert [m for m in at.chat_message if m.name == "assistant"]  # the answer is still on the page


def test_code_task_sessions_are_not_in_the_chat_picker(app_env) -> None:
    """A code task stored by the real code-task pipeline (the Code page's "Complete") stays out of the chat's
    picker; chats, also in the code domain, stay in."""
    services = app_env
    task = "code0task"
    events = list(services.code_tasks(max_tokens=8).stream("complete", "def add(a, b):\n", task))
    assert events[-1].kind == "done"
    assert services.memory.turns(task), "the code task was not stored"
    services.memory.add_turn(
        "codechat", "How do I reverse a list?", "Use reversed().", "code", 0.8, [], "x", "m"
    )

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    options = _picker(at).options
    assert any(OLD_NAME in o for o in options), options
    assert any("reverse a list" in o for o in options), options
    assert not any(o.startswith("Complete") for o in options), options

    from pipelines.conversation.kinds import chat_session_ids

    assert sorted(chat_session_ids(services.conversations, services.domains)) == ["codechat", "old"]
