"""Sign-in, roles and per-user isolation in the web app (``auth.mode: local``), through Streamlit's AppTest with
real services and the llama.cpp backend; and the single-user mode's refusal of a non-loopback address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.services import Services
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {
    "root": "admin-pass-0123",
    "alice": "alice-pass-0123",
    "bob": "bob-pass-01234",
    "carol": "carol-pass-0123",
}
ROLES = {"root": "admin", "alice": "agent", "bob": "agent", "carol": "clinician"}


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """A data dir with accounts (``auth.mode: local``), four users and one finance document."""
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_AUTH__MODE", "local")
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "32")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    from pipelines import load_settings
    from pipelines.services import Models

    services = Services(load_settings(), Models.shared())
    for name, role in ROLES.items():
        services.accounts.add_user(name, role, PASSWORDS[name])
    services.ingestion.ingest_bytes(
        "finance", "fees.md", b"# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"
    )
    yield services
    st.cache_resource.clear()


def _page_text(at: AppTest) -> str:
    """Everything the page shows as text (markdown, captions, titles, alerts, widget options, tables)."""
    parts: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "title",
        "header",
        "subheader",
        "error",
        "warning",
        "info",
        "success",
    ):
        parts += [str(element.value) for element in getattr(at, kind)]
    for box in list(at.selectbox) + list(at.sidebar.selectbox):
        parts += [str(option) for option in box.options]  # the labels shown
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    return "\n".join(parts)


def _signed_in(name: str, password: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(PASSWORDS[name] if password is None else password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_nothing_shows_before_sign_in_and_a_wrong_password_is_refused_then_locked(team: Services) -> None:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.chat_input and not at.sidebar.selectbox  # no conversations, no chat
    at = _signed_in("alice", "not-her-password")
    assert [e.value for e in at.error] == ["wrong user name or password"]
    assert not at.chat_input
    for _ in range(4):
        at.button[0].click().run()
    at.text_input[1].set_value(PASSWORDS["alice"])
    at.button[0].click().run()  # the right password, but the name is locked now
    assert "too many failed sign-ins" in at.error[0].value
    assert not at.chat_input


def test_a_user_sees_only_their_own_conversations(team: Services) -> None:
    alice = _signed_in("alice")
    assert alice.chat_input, [t.value for t in alice.title]
    alice.chat_input[0].set_value(
        f"I am {CANARY_NAME}, card {CANARY_CARD}, phone {CANARY_PHONE}. What is the foreign transaction fee?"
    ).run()
    alice.run()
    session = alice.session_state["session_id"]
    assert team.accounts.owner(session) == "alice"
    assert CANARY_NAME in " ".join(alice.sidebar.selectbox[0].options + [_page_text(alice)])

    bob = _signed_in("bob")
    assert bob.session_state["session_id"] != session
    text = _page_text(bob)
    for canary in (CANARY_NAME, CANARY_CARD, CANARY_PHONE, "foreign transaction fee"):
        assert canary not in text
    assert bob.sidebar.selectbox[0].options == ["(new chat)"]

    bob.session_state["session_id"] = session  # even a forged state does not open it
    bob.run()
    assert bob.session_state["session_id"] != session
    assert CANARY_NAME not in _page_text(bob)
    assert not [m for m in bob.chat_message if m.name == "user"]


def test_roles_decide_the_pages_and_the_domains(team: Services) -> None:
    from app.auth import LOCAL, Visitor
    from app.navigation import specs_for

    agent = [p.title for p in specs_for(Visitor("alice", "agent", ("finance",)))]
    clinician = [p.title for p in specs_for(Visitor("carol", "clinician", ("medical",)))]
    admin = [p.title for p in specs_for(Visitor("root", "admin", ()))]
    developer = [p.title for p in specs_for(Visitor("dev", "developer", ("code",)))]
    assert agent == ["Chat", "Agent assist", "Documents"]
    assert clinician == ["Chat", "Clinical record", "Medical statistics", "Documents"]
    assert developer == ["Chat", "Code", "Documents"]
    assert admin == ["Administration", "Medical statistics", "Documents"]
    assert len(specs_for(LOCAL)) == 7
    user = team.accounts.user("alice")
    assert [p.title for p in specs_for(Visitor(user.name, user.role, user.domains))] == agent

    alice = _signed_in("alice")
    domain = next(s for s in alice.sidebar.selectbox if s.label == "Domain")
    assert domain.options == [team.domains["finance"].title]  # one domain: nothing to route between
    carol = _signed_in("carol")
    assert next(s for s in carol.sidebar.selectbox if s.label == "Domain").options == [
        team.domains["medical"].title
    ]


def test_the_admin_sees_counts_never_text_and_a_disabled_user_is_signed_out(team: Services) -> None:
    alice = _signed_in("alice")
    alice.chat_input[0].set_value(f"I am {CANARY_NAME}. What is the foreign transaction fee?").run()
    admin = _signed_in("root")
    assert [t.value for t in admin.title] == ["Administration"]
    assert not admin.chat_input
    users = admin.dataframe[0].value.set_index("user")
    assert users.loc["alice", "conversations"] == 1 and users.loc["alice", "turns"] == 1
    assert users.loc["bob", "conversations"] == 0
    text = _page_text(admin)
    assert CANARY_NAME not in text and "foreign transaction fee" not in text

    team.accounts.disable("alice")
    alice.run()
    assert [t.value for t in alice.title] == ["Sign in"]
    assert not alice.chat_input
    assert "session_id" not in alice.session_state


def test_sign_out_forgets_the_user_and_the_open_conversation(team: Services) -> None:
    alice = _signed_in("alice")
    alice.chat_input[0].set_value(f"I am {CANARY_NAME}. What is the foreign transaction fee?").run()
    next(b for b in alice.sidebar.button if b.label == "Sign out").click().run()
    assert [t.value for t in alice.title] == ["Sign in"]
    assert CANARY_NAME not in _page_text(alice)


def test_without_accounts_the_app_refuses_a_non_loopback_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit import config

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    before = config.get_option("server.address")
    try:
        for address in ("0.0.0.0", ""):
            config.set_option("server.address", address)
            at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
            at.run()
            assert not at.chat_input
            assert "ASSISTANT_AUTH__MODE=local" in at.error[0].value
        config.set_option("server.address", "127.0.0.1")
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
        at.run()
        assert at.chat_input and not at.error
    finally:
        config.set_option("server.address", before)
        st.cache_resource.clear()


def test_a_private_document_is_listed_and_pinned_only_for_its_owner(team: Services) -> None:
    report = team.ingestion.ingest_bytes(
        "finance",
        "zebraquill-notes.md",
        b"# Notes\n\nProduct ZEBRAQUILL-7731 has a 0.5% fee.\n",
        owner="alice",
    )
    assert report.chunks_added == 1

    def documents_page(name: str) -> AppTest:
        at = _signed_in(name)
        at.switch_page("pages/documents.py").run()
        next(s for s in at.selectbox if s.label == "Domain").set_value("finance").run()
        assert not at.exception, at.exception
        return at

    alice = documents_page("alice")
    listed = alice.dataframe[0].value
    assert set(listed["name"]) == {"fees.md", "zebraquill-notes.md"}
    assert dict(zip(listed["name"], listed["visibility"], strict=True))["zebraquill-notes.md"] == "private"
    bob = documents_page("bob")
    assert list(bob.dataframe[0].value["name"]) == ["fees.md"]
    assert "zebraquill" not in _page_text(bob).lower()
    assert not [e for e in bob.expander if e.label == "Delete documents"]  # nothing of bob's to delete
    admin = documents_page("root")
    assert list(admin.dataframe[0].value["name"]) == ["fees.md"]
    assert "1 private document of users, not listed" in _page_text(admin)

    bob_chat = _signed_in("bob")
    pin = next(m for m in bob_chat.sidebar.multiselect if m.label == "Answer only from these documents")
    assert [o.split(" · ")[0] for o in pin.options] == ["fees.md"]
