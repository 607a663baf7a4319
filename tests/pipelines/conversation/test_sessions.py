"""Erasing a session (vault + memory, with a receipt) and what happens when a session's vault expires."""

from __future__ import annotations

import time

import pytest

from pipelines.core.errors import SessionError
from pipelines.services import Services
from privacy import VaultStore
from tests.conftest import CANARY_NAME, CANARY_PHONE

MARKER = "unmistakable-marker-of-this-turn"


def _stored_turn(services: Services, session_id: str, text: str) -> str:
    """Store a de-identified turn the way the chat pipeline does (vault saved, then the turn)."""
    vault, _ = services.conversations.open_vault(session_id)
    redacted = services.deidentification.pseudonymize(text, vault).text
    services.vaults.save(vault)
    services.memory.add_turn(session_id, redacted, f"answer {MARKER}", "finance", 0.9, [], "llamacpp", "m")
    return redacted


def test_erase_removes_vault_and_turns_and_returns_a_receipt(services: Services) -> None:
    _stored_turn(services, "s1", f"I am {CANARY_NAME}, phone {CANARY_PHONE}. What is the fee?")
    _stored_turn(services, "s1", "And the ATM fee?")
    _stored_turn(services, "keep", "Another conversation.")
    receipt = services.conversations.erase("s1")
    assert (receipt.turns, receipt.session_record, receipt.vault_file, receipt.vault_values) == (
        2,
        True,
        True,
        2,
    )
    assert receipt.summary().startswith(
        "erased session s1 at "
    ) and "2 turns, vault with 2 personal values" in (receipt.summary())
    assert not services.vaults.exists("s1") and not services.memory.exists("s1")
    assert services.memory.turns("s1") == []
    assert [s.id for s in services.memory.sessions()] == ["keep"]
    # secure_delete: the erased turns' text is not left behind in the SQLite file's free pages, nor in its
    # write-ahead log
    database = services.settings.data_dir / "memory.sqlite3"
    raw = b"".join(p.read_bytes() for p in (database, database.with_name("memory.sqlite3-wal")) if p.exists())
    assert raw.count(MARKER.encode()) == 1  # only the kept session's turn


@pytest.mark.parametrize(
    ("session_id", "message"), [("never-seen", "no session 'never-seen'"), ("../x", "invalid session id")]
)
def test_erasing_nothing_or_a_bad_id_is_an_error(services: Services, session_id: str, message: str) -> None:
    with pytest.raises(SessionError, match=message):
        services.conversations.erase(session_id)


def _age_vaults(services: Services, hours: float) -> None:
    """Re-save every vault as if its last use were ``hours`` ago (the store's own key, an earlier clock)."""
    directory = services.vaults.directory
    past = VaultStore(directory, clock=lambda: time.time() - hours * 3600)
    for path in directory.glob("*.vault"):
        past.save(services.vaults.open(path.stem))


def test_an_expired_session_keeps_its_turns_but_never_reuses_their_placeholders(services: Services) -> None:
    first = _stored_turn(services, "s", f"My name is {CANARY_NAME}. What is the fee?")
    assert first == "My name is <PERSON_1>. What is the fee?"
    _age_vaults(services, services.settings.privacy.vault_ttl_hours + 1)

    assert services.conversations.unrestorable_placeholders("s") == [
        "<PERSON_1>"
    ]  # opening erased the expired vault
    assert not services.vaults.exists("s")
    assert (
        services.conversations.transcript("s", services.domains)[0].question == first
    )  # shown, but no longer restorable
    vault, expired = services.conversations.open_vault("s")
    assert expired
    later = services.deidentification.pseudonymize("My colleague is Marcus Ellingworth.", vault).text
    services.vaults.save(vault)
    assert later == "My colleague is <PERSON_2>."
    again, expired_again = services.conversations.open_vault("s")
    assert not expired_again
    assert again.placeholder_for("PERSON", "Priya Venkataraman") == "<PERSON_3>"


def test_services_purge_expired_vaults_at_start_up(services: Services) -> None:
    _stored_turn(services, "old", f"I am {CANARY_NAME}.")
    _stored_turn(services, "new", f"I am {CANARY_NAME}.")
    _age_vaults(services, 25)
    services.vaults.save(services.vaults.open("new"))  # used just now
    restarted = Services(services.settings, services.models)
    assert not restarted.vaults.exists("old") and restarted.vaults.exists("new")
    log = restarted.log_path.read_text(encoding="utf-8")
    assert "vaults expired erased=1 ttl_hours=24" in log


def test_a_zero_time_to_live_keeps_vaults(services: Services) -> None:
    _stored_turn(services, "s", f"I am {CANARY_NAME}.")
    _age_vaults(services, 24 * 365)
    services.settings.privacy.vault_ttl_hours = 0
    restarted = Services(services.settings, services.models)
    assert restarted.vaults.open("s").values == {"<PERSON_1>": CANARY_NAME}


def test_a_turn_in_an_expired_session_is_flagged_and_gets_fresh_numbers(services: Services) -> None:
    from tests.pipelines.llm.fake_ollama import FakeOllamaServer

    _stored_turn(services, "s", f"My name is {CANARY_NAME}. What is the fee?")
    _age_vaults(services, 30)
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=["Noted, <PERSON_2>."]) as fake:
        services.settings.ollama.hosts = [fake.url]
        pipeline = services.chat
        result = pipeline.ask("My colleague is Marcus Ellingworth.", "s", "finance", "ollama")
        follow_up = pipeline.ask("Thanks.", "s", "finance", "ollama")
    assert result.vault_expired and not follow_up.vault_expired
    assert result.redacted_question == "My colleague is <PERSON_2>."
    assert result.answer == "Noted, Marcus Ellingworth."


def test_titles_say_turn_or_turns_and_when_and_keep_to_the_given_sessions(services) -> None:  # type: ignore[no-untyped-def]
    memory = services.memory
    memory.add_turn("t1", "What is the fee?", "2.75% [1].", "finance", 0.9, [], "llamacpp", "m")
    memory.add_turn("t2", "What is the fee?", "2.75% [1].", "finance", 0.9, [], "llamacpp", "m")
    memory.add_turn("t2", "And abroad?", "The same [1].", "finance", 0.9, [], "llamacpp", "m")
    titles = dict(services.conversations.titles())
    assert titles["t1"].startswith("What is the fee? · 1 turn · 20")
    assert titles["t2"].startswith("What is the fee? · 2 turns · 20")
    assert list(dict(services.conversations.titles(only={"t2"}))) == ["t2"]


def test_titles_show_values_as_the_first_turns_domain_displays_them(services: Services) -> None:
    """A newcomer's find (issue 21): the chat's conversation picker showed the full card number typed in the
    first question, where the transcript and the finance policy show only its last four digits."""
    from tests.conftest import CANARY_CARD

    _stored_turn(services, "card", f"Hi, my card is {CANARY_CARD}. What is the fee?")
    shown = dict(services.conversations.titles(domains=services.domains))["card"]
    assert CANARY_CARD not in shown and "6467" in shown, shown
    transcript = services.conversations.transcript("card", services.domains)[0].question
    assert shown.startswith(transcript[:40]), (shown, transcript)
    # the owner's own terminal (no domains given) still restores every value
    assert CANARY_CARD in dict(services.conversations.titles())["card"]


def test_a_session_with_only_a_vault_is_titled_for_what_it_holds(services: Services) -> None:
    """A newcomer's find: an agent-assist analysis (a vault, no turns) appeared in the chat picker as
    "(empty) · 0 turns"; it is listed (its values can be erased from there) under a title that says what it is."""
    vault, _ = services.conversations.open_vault("assist")
    services.deidentification.pseudonymize(f"I am {CANARY_NAME}.", vault)
    services.vaults.save(vault)
    title = dict(services.conversations.titles(domains=services.domains))["assist"]
    assert title.startswith("(no messages: agent-assist values only) · 0 turns"), title
