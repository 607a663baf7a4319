"""Private documents through the real flows: ingestion with an owner, duplicates and updates within the
uploader's own scope, the review queue, the catalog, pinning and retrieval for one user (real Presidio, MiniLM,
Chroma and FTS5 in tmp_path)."""

from __future__ import annotations

import hashlib

import pytest

from pipelines.chat.pinning import resolve_documents
from pipelines.core.errors import AssistantError, DocumentError
from pipelines.documents.ingestion import document_id
from pipelines.services import Services

#: A made-up product code that de-identification leaves alone (checked below): what only alice's file says.
#: Not right after "card": there the learned PII recognizer reads a code with digits as a reference number.
CANARY = "ZEBRAQUILL-7731"
PRIVATE = f"# Pricing memo\n\nThe {CANARY} premium card has an annual fee of 3 pounds and no foreign fee.\n".encode()
SHARED = b"# Card fees\n\nThe standard card has an annual fee of 25 pounds. Foreign payments cost 2.75%.\n"


def _texts(hits: list) -> str:  # type: ignore[type-arg]
    return " ".join(hit.text for hit in hits)


def test_a_private_document_is_retrieved_listed_and_deleted_only_for_its_owner(services: Services) -> None:
    shared = services.ingestion.ingest_bytes("finance", "fees.md", SHARED)
    mine = services.ingestion.ingest_bytes("finance", "memo.md", PRIVATE, owner="alice")
    assert (shared.visibility, mine.visibility, mine.owner) == ("shared", "private", "alice")
    assert shared.sha256 == hashlib.sha256(SHARED).hexdigest()
    assert mine.sha256 == document_id(hashlib.sha256(PRIVATE).hexdigest(), "alice") != shared.sha256
    query = f"annual fee of the {CANARY} premium card"
    assert CANARY in _texts(services.retriever.retrieve("finance", query, 5, visible_to="alice"))
    assert CANARY not in _texts(services.retriever.retrieve("finance", query, 5, visible_to="bob"))
    assert "25 pounds" in _texts(services.retriever.retrieve("finance", query, 5, visible_to="bob"))
    assert CANARY in _texts(services.retriever.retrieve("finance", query, 5))  # single-user mode: all

    def listed(user: str | None) -> dict[str, str]:
        return {info.name: info.visibility for info in services.catalog.documents("finance", user)}

    assert listed("alice") == {"fees.md": "shared", "memo.md": "private"}
    assert listed("bob") == {"fees.md": "shared"}
    with pytest.raises(DocumentError, match="no document 'memo.md' is indexed"):
        services.catalog.delete("finance", "memo.md", visible_to="bob")
    with pytest.raises(DocumentError, match="no document"):  # nor by its id
        services.catalog.delete("finance", mine.sha256[:12], visible_to="bob")
    with pytest.raises(AssistantError, match="unknown document"):  # bob cannot pin it either
        resolve_documents(services.store, services.domains, [mine.sha256[:12]], "finance", visible_to="bob")
    pinned = resolve_documents(services.store, services.domains, ["memo.md"], "finance", visible_to="alice")
    assert pinned.sha256 == [mine.sha256]
    receipt = services.catalog.delete("finance", "memo.md", visible_to="alice")
    assert (receipt.owner, receipt.chunks) == ("alice", mine.chunks)
    assert listed(None) == {"fees.md": "shared"}


def test_the_same_file_is_a_separate_document_per_owner_and_duplicates_stay_in_scope(
    services: Services,
) -> None:
    shared = services.ingestion.ingest_bytes("finance", "memo.md", PRIVATE)
    alice = services.ingestion.ingest_bytes("finance", "memo.md", PRIVATE, owner="alice")
    bob = services.ingestion.ingest_bytes("finance", "memo.md", PRIVATE, owner="bob")
    assert [r.status for r in (shared, alice, bob)] == ["indexed"] * 3  # nobody learns another has it
    assert len({shared.sha256, alice.sha256, bob.sha256}) == 3
    assert services.ingestion.ingest_bytes("finance", "memo.md", PRIVATE, owner="alice").status == "duplicate"
    # an update of alice's memo replaces her older version only: the shared one and bob's stay
    update = services.ingestion.ingest_bytes("finance", "memo.md", PRIVATE + b"\nFrom May.\n", owner="alice")
    assert update.status == "updated" and [v.sha256 for v in update.replaced] == [alice.sha256]
    owners = sorted(info.owner for info in services.catalog.documents("finance"))
    assert owners == ["", "alice", "bob"]
    # bob deleting his copy leaves the others' chunks
    with pytest.raises(DocumentError, match="matches 2 documents"):  # shared + his own
        services.catalog.delete("finance", "memo.md", visible_to="bob")
    services.catalog.delete("finance", bob.sha256[:16], visible_to="bob")
    assert CANARY in _texts(services.retriever.retrieve("finance", CANARY, 5, visible_to="alice"))
    assert [r.owner for r in services.catalog.erase_owner("alice")] == ["alice"]
    assert [info.owner for info in services.catalog.documents("finance")] == [""]


def test_a_held_private_document_is_released_as_private(services: Services) -> None:
    services.settings.ingest.hold_risk_threshold = 0.0
    text = f"# Call notes\n\nCall Zelda Quartermaine on 212-555-0173 about the {CANARY} card.\n".encode()
    held = services.ingestion.ingest_bytes("finance", "notes.md", text, owner="alice")
    assert held.status == "held" and held.owner == "alice"
    [queued] = services.review.held("finance")
    assert queued.owner == "alice" and queued.sha256 == held.sha256
    released = services.review.release("finance", held.sha256[:12])
    assert released.owner == "alice"
    assert [i.name for i in services.catalog.documents("finance", "bob")] == []
    assert [i.owner for i in services.catalog.documents("finance", "alice")] == ["alice"]


def test_the_chat_turn_retrieves_only_what_its_user_may_see(services: Services) -> None:
    services.ingestion.ingest_bytes("finance", "fees.md", SHARED)
    mine = services.ingestion.ingest_bytes("finance", "memo.md", PRIVATE, owner="alice")
    question = f"What is the annual fee of the {CANARY} premium card?"
    bob = services.chat.ask(question, domain="finance", owner="bob")
    assert all(source.source != "memo.md" for source in bob.sources) and bob.sources
    assert CANARY not in " ".join(source.text for source in bob.sources)
    # a pinned document another user may not see yields nothing, even by its full id
    pinned = services.chat.ask(question, domain="finance", owner="bob", documents=[mine.sha256])
    assert pinned.sources == []
    alice = services.chat.ask(question, domain="finance", owner="alice")
    assert any(source.source == "memo.md" for source in alice.sources)
