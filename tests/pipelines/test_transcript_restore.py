"""Issue 21, items 4 and 8: a reopened conversation shows what the user saw, and keeps its source passages.

Real Presidio (spaCy), real vault store and memory; turns are stored the way the chat pipeline stores them
(``pipelines/chat/pipeline.py``: the question de-identified for memory, the answer scrubbed, the vault saved,
then the turn).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from pipelines.chat.citations import check_citations, source_records
from pipelines.chat.sources import Source
from pipelines.conversation.vault_sql import SqlVaultStore, VaultStorage
from pipelines.core.sql import sqlite_engine
from pipelines.services import Services
from privacy import VaultStore
from tests.conftest import CANARY_PHONE, scan_tree_for

FULL_NAME = "Anna Smith"


def _turn(
    services: Services, session_id: str, question: str, model_output: str = "Noted."
) -> tuple[str, str]:
    """Store one finance turn as the chat pipeline does; returns (stored question, stored answer)."""
    conversations, deid = services.conversations, services.deidentification
    vault, _expired = conversations.open_vault(session_id)
    _prompt, memory = deid.deidentify_message(question, vault, "finance")
    answer = deid.scrub(model_output, vault, "finance").text
    conversations.vaults.save(vault)
    services.memory.add_turn(session_id, memory.text, answer, "finance", 0.9, [], "llamacpp", "m")
    return memory.text, answer


def test_a_first_name_comes_back_as_typed_not_as_the_full_name_from_the_vault(services: Services) -> None:
    first = f"My name is {FULL_NAME} and I lost my card."
    later = "Anna would like to know the fee for a replacement card."
    stored_first, _ = _turn(services, "s1", first)
    stored_later, _ = _turn(services, "s1", later)
    # stored de-identified, and the model sees one person (the same placeholder) in both turns
    assert "Anna" not in stored_first + stored_later and "Smith" not in stored_first
    assert stored_first.count("<PERSON_1>") == 1 and stored_later.startswith("<PERSON_1> ")
    shown = services.conversations.transcript("s1", services.domains)
    assert [t.question for t in shown] == [first, later]
    # the typed spelling lives in the encrypted vault only: not in memory, whatever file it is in
    hits = scan_tree_for(services.settings.data_dir, (FULL_NAME, "Anna would"))
    assert hits == []


def test_the_same_question_typed_two_ways_comes_back_each_way(services: Services) -> None:
    _turn(services, "s2", f"I am {FULL_NAME}.")
    _turn(services, "s2", "Anna needs a new card.")
    _turn(services, "s2", f"{FULL_NAME} needs a new card.")  # same stored text as the turn before
    shown = services.conversations.transcript("s2", services.domains)
    assert [t.question for t in shown][1:] == ["Anna needs a new card.", f"{FULL_NAME} needs a new card."]


def test_values_the_model_made_up_are_shown_one_clear_way_and_the_users_own_restored(
    services: Services,
) -> None:
    _turn(services, "s3", f"My phone is {CANARY_PHONE}, what is the fee?")
    _, stored = _turn(
        services,
        "s3",
        "And by phone?",
        # the model invents a number, copies a document's redaction and makes up a session placeholder
        f"Call 020 7946 0321, <PHONE_NUMBER> or <PHONE_NUMBER_4>; we have {CANARY_PHONE} on file.",
    )
    assert "020 7946 0321" not in stored and CANARY_PHONE not in stored
    answer = services.conversations.transcript("s3", services.domains)[-1].answer
    assert answer == (
        f"Call [phone number], [phone number] or [phone number]; we have {CANARY_PHONE} on file."
    )


def test_an_expired_users_placeholder_is_kept_as_the_page_says(services: Services) -> None:
    _turn(services, "s4", f"I am {FULL_NAME}.", "Hello <PERSON_1>.")
    services.vaults.erase("s4")  # the values expired
    shown = services.conversations.transcript("s4", services.domains)
    assert shown[0].question == "I am <PERSON_1>." and shown[0].answer == "Hello <PERSON_1>."
    assert services.conversations.unrestorable_placeholders("s4") == ["<PERSON_1>"]


def test_stored_sources_keep_their_passage_text_as_shown(services: Services) -> None:
    passage = "The replacement card fee is 5 pounds; call <PHONE_NUMBER> to order one."
    source = Source(1, "fees.md", "c1", 0.8, "Fees", passage)
    records = source_records([source], check_citations("It costs 5 pounds [1].", [source]))
    assert records[0]["text"] == passage
    assert records[0]["citations"][0]["supported"]


@pytest.mark.parametrize("kind", ["files", "sqlite"])
def test_spellings_are_kept_encrypted_and_survive_another_replicas_save(tmp_path: Path, kind: str) -> None:
    key = Fernet.generate_key().decode()

    def store() -> VaultStorage:
        if kind == "files":
            return VaultStore(tmp_path / "vault", key)
        return SqlVaultStore(sqlite_engine(tmp_path / "shared.sqlite3"), key)

    first, second = store(), store()
    mine = first.open("s")
    mine.placeholder_for("PERSON", FULL_NAME)
    mine.keep_spellings(0, "<PERSON_1> called.", [(0, "Anna")])
    first.save(mine)
    other = second.open("s")
    other.keep_spellings(1, "Is <PERSON_1> covered?", [(3, "Smith")])
    second.save(other)
    again = first.open("s")
    assert again.spellings_of(0, "<PERSON_1> called.") == {0: "Anna"}
    assert again.spellings_of(0, "<PERSON_1> phoned.") == {}  # kept for another text: not applied
    assert again.spellings_of(1, "Is <PERSON_1> covered?") == {3: "Smith"}
    if kind == "sqlite":  # a replica saving an older copy keeps what another one kept meanwhile
        first.save(mine)
        assert first.open("s").spellings_of(1, "Is <PERSON_1> covered?") == {3: "Smith"}
    assert scan_tree_for(tmp_path, ("Anna", "Smith")) == []  # encrypted at rest
