"""Shared and private documents in the store: real Chroma and SQLite FTS5 in tmp_path, hand-made vectors (no
embedder needed: the filter is what is tested). A request of a user sees the shared chunks and that user's own
private ones; chunks written before documents had owners count as shared, in Chroma and in a BM25 table of the
old layout (rebuilt in place)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ingest import Chunk, VectorStore, owner_metadata
from ingest.lexical import LexicalIndex

#: document sha256 -> (owner, chunk text); None = a chunk of before owners (no owner keys at all).
DOCUMENTS: dict[str, tuple[str | None, str]] = {
    "a" * 64: (None, "Legacy fees: the card fee is 25 pounds a year."),
    "b" * 64: ("", "Shared fees: the card fee is waived for students."),
    "c" * 64: ("alice", "Alice's notes: the card fee of ZEBRAQUILL-7731 is 3 pounds."),
    "d" * 64: ("bob", "Bob's notes: the card fee of OTTERBLADE-5512 is 9 pounds."),
}


def _vector(number: int) -> list[float]:
    return [1.0, 0.05 * number, 0.0, 0.0]


def _write(store: VectorStore, domain: str = "finance") -> None:
    for number, (sha, (owner, text)) in enumerate(DOCUMENTS.items()):
        metadata: dict[str, Any] = {
            "document_sha256": sha,
            "source": f"{sha[:4]}.md",
            "ingested_at": str(number),
        }
        if owner is not None:
            metadata |= owner_metadata(owner)
        store.add_chunks(domain, [Chunk(f"chunk-{sha[:4]}", text, 0, "")], [_vector(number)], [metadata])


@pytest.fixture
def store(tmp_path: Path) -> VectorStore:
    built = VectorStore(tmp_path / "chroma")
    _write(built)
    return built


def _owners(hits: list[Any]) -> set[str]:
    return {str(hit.metadata.get("owner", "legacy")) or "shared" for hit in hits}


@pytest.mark.parametrize(
    ("visible_to", "expected"),
    [
        (None, {"legacy", "shared", "alice", "bob"}),  # single-user mode: everything, as before
        ("alice", {"legacy", "shared", "alice"}),
        ("bob", {"legacy", "shared", "bob"}),
        ("", {"legacy", "shared"}),
        ("carol", {"legacy", "shared"}),
    ],
)
def test_dense_and_bm25_search_see_shared_and_own_private_chunks(
    store: VectorStore, visible_to: str | None, expected: set[str]
) -> None:
    dense = store.search("finance", _vector(0), 10, visible_to=visible_to)
    lexical = store.search_lexical("finance", "card fee pounds", 10, visible_to=visible_to)
    assert _owners(dense) == expected
    assert _owners(lexical) == expected


def test_a_pinned_private_document_of_another_user_yields_nothing(store: VectorStore) -> None:
    alice_doc = "c" * 64
    where = {"document_sha256": alice_doc}
    assert store.search("finance", _vector(2), 5, where=where, visible_to="bob") == []
    assert store.search_lexical("finance", "ZEBRAQUILL", 5, [alice_doc], visible_to="bob") == []
    assert [h.chunk_id for h in store.search("finance", _vector(2), 5, where=where, visible_to="alice")] == [
        "chunk-cccc"
    ]


def test_listing_shows_owner_and_visibility_for_what_the_user_may_see(store: VectorStore) -> None:
    listed = {
        info.sha256[:1]: (info.owner, info.visibility)
        for info in store.list_documents("finance", visible_to="alice")
    }
    assert listed == {"a": ("", "shared"), "b": ("", "shared"), "c": ("alice", "private")}
    assert len(store.list_documents("finance")) == 4
    assert store.list_documents("finance", sha256="d" * 64, visible_to="alice") == []


def test_the_owner_survives_a_bm25_index_rebuilt_from_chroma(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "chroma")
    _write(store)
    store.lexical.delete("finance", sorted(store.lexical.ids("finance")))  # as if the index were lost
    assert store.sync_lexical("finance") == 4
    hits = store.search_lexical("finance", "card fee", 10, visible_to="bob")
    assert _owners(hits) == {"legacy", "shared", "bob"}


def test_a_bm25_table_of_before_owners_is_upgraded_in_place_and_stays_shared(tmp_path: Path) -> None:
    path = tmp_path / "bm25.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE VIRTUAL TABLE bm25_finance USING fts5(tokens, chunk_id UNINDEXED, document UNINDEXED, "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    old.execute("INSERT INTO bm25_finance VALUES ('card fee', 'old-1', 'doc-old')")
    old.commit()
    old.close()
    index = LexicalIndex(path)
    assert [h.chunk_id for h in index.search("finance", "card fee", 5, owners=["", "alice"])] == ["old-1"]
    index.upsert("finance", ["new-1"], ["card fee for alice"], ["doc-new"], owners=["alice"])
    assert {h.chunk_id for h in index.search("finance", "card fee", 5, owners=[""])} == {"old-1"}
    assert {h.chunk_id for h in index.search("finance", "card fee", 5, owners=["", "alice"])} == {
        "old-1",
        "new-1",
    }
    assert LexicalIndex(path).count("finance") == 2  # reopened: upgraded once, nothing lost


def test_a_new_collection_gets_the_wider_hnsw_graph_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    import chromadb

    from ingest.store import HNSW

    path = tmp_path / "chroma"
    client = chromadb.PersistentClient(path=str(path))
    old = client.get_or_create_collection(
        "domain_code", metadata={"hnsw:space": "cosine"}, embedding_function=None
    )
    old.add(ids=["x"], embeddings=[_vector(1)])
    store = VectorStore(path)
    _write(store, "finance")
    created = store.client.get_collection("domain_finance").configuration["hnsw"]
    assert {key: created[key] for key in HNSW} == HNSW and created["max_neighbors"] == 32
    store.count("code")  # opened with the new settings: the existing graph is not rebuilt
    kept = store.client.get_collection("domain_code").configuration["hnsw"]
    assert (kept["space"], kept["max_neighbors"], kept["ef_construction"]) == ("cosine", 16, 100)


def test_reading_chunks_by_id_leaves_out_what_the_user_may_not_see(store: VectorStore) -> None:
    """Every search result passes through ``read_chunks``: another user's chunk and a missing id are left out,
    the rest come with their text from Chroma."""
    plain = store.search_lexical("finance", "card fee", 4, visible_to="alice")
    assert {hit.chunk_id for hit in plain} == {"chunk-aaaa", "chunk-bbbb", "chunk-cccc"}
    ids = [hit.chunk_id for hit in plain] + ["chunk-dddd", "chunk-gone"]
    read = store.read_chunks("finance", ids, "alice")
    assert set(read) == {hit.chunk_id for hit in plain}  # bob's and a missing id are left out
    assert [read[hit.chunk_id].text for hit in plain] == [hit.text for hit in plain]


def test_nearest_ranks_ids_without_reading_and_filters_only_when_asked(store: VectorStore) -> None:
    """The cheap dense ranking holds every chunk (bob's too) unless ``visible_to`` asks Chroma to filter."""
    everyone = [chunk_id for chunk_id, _ in store.nearest("finance", _vector(3), 10)]
    assert everyone[0] == "chunk-dddd" and len(everyone) == 4
    alice = [chunk_id for chunk_id, _ in store.nearest("finance", _vector(3), 10, visible_to="alice")]
    assert "chunk-dddd" not in alice and len(alice) == 3
    assert store.nearest("finance", _vector(3), 0) == []


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("user", ["alice", "bob", "", "carol", None])
def test_hybrid_search_of_a_user_equals_the_search_filtered_in_chroma(
    store: VectorStore, mode: str, user: str | None
) -> None:
    """The dense ranking is searched unfiltered first; when another user's chunk ranks (bob's is nearest to
    this vector), it is searched again with the filter: the result is the exactly filtered search's, and no
    chunk another user may not see is returned."""
    from domains import RetrievalConfig
    from pipelines.chat.retrieval import hybrid_search

    class Fixed:
        def embed_query(self, text: str) -> list[float]:
            return _vector(3)

    config = RetrievalConfig(mode=mode)  # type: ignore[arg-type]
    hits = hybrid_search(store, Fixed(), "finance", "card fee", 4, config, visible_to=user)  # type: ignore[arg-type]
    allowed = {None: {"legacy", "shared", "alice", "bob"}, "alice": {"legacy", "shared", "alice"}}
    allowed |= {"bob": {"legacy", "shared", "bob"}, "": {"legacy", "shared"}, "carol": {"legacy", "shared"}}
    assert _owners(hits) == allowed[user]
    dense = [hit.chunk_id for hit in store.search("finance", _vector(3), 50, visible_to=user)]
    lexical = [hit.chunk_id for hit in store.search_lexical("finance", "card fee", 50, visible_to=user)]
    if mode == "dense":
        assert [hit.chunk_id for hit in hits] == dense
    elif mode == "bm25":
        assert [hit.chunk_id for hit in hits] == lexical
    else:
        score = {i: 1 / (61 + dense.index(i)) if i in dense else 0.0 for i in {*dense, *lexical}}
        score = {i: v + (1 / (61 + lexical.index(i)) if i in lexical else 0.0) for i, v in score.items()}
        assert [hit.chunk_id for hit in hits] == sorted(score, key=lambda i: -score[i])[:4]


def test_a_collection_deleted_and_made_again_behind_the_store_is_found_again(tmp_path: Path) -> None:
    """A reader keeps its collection handle between searches; when another writer deletes the collection and
    builds it again (a new Chroma id), the reader's next search reopens it instead of failing."""
    reader = VectorStore(tmp_path / "chroma")
    _write(reader)
    assert len(reader.search("finance", _vector(0), 4)) == 4  # the handle is kept now
    writer = VectorStore(tmp_path / "chroma")
    writer.client.delete_collection("domain_finance")
    writer.add_chunks(
        "finance",
        [Chunk("chunk-new", "Rebuilt: the card fee is 1 pound.", 0, "")],
        [_vector(1)],
        [{"document_sha256": "e" * 64, "source": "new.md", "ingested_at": "9"}],
    )
    assert [hit.chunk_id for hit in reader.search("finance", _vector(1), 4)] == ["chunk-new"]


def test_another_users_chunk_never_moves_the_scores_a_user_sees(tmp_path: Path) -> None:
    """No side channel: bob's private chunk is the nearest to alice's query but has none of its words, so it
    fuses below the first chunks read; alice's hits and their scores are still exactly what they are once bob's
    document is gone (a rank it took would tell alice that a matching private document exists)."""
    from domains import RetrievalConfig
    from pipelines.chat.retrieval import hybrid_search

    class Fixed:
        def embed_query(self, text: str) -> list[float]:
            return _vector(0)

    store = VectorStore(tmp_path / "chroma")
    for number in range(1, 7):
        store.add_chunks(
            "finance",
            [Chunk(f"shared-{number}", f"Shared note {number}: the card fee is {number} pounds.", 0, "")],
            [_vector(number)],
            [{"document_sha256": f"{number}" * 64, "source": f"s{number}.md", "ingested_at": "1"}],
        )
    store.add_chunks(
        "finance",
        [Chunk("alice-1", "Alice's own card fee notes.", 0, "")],
        [_vector(7)],
        [{"document_sha256": "a" * 64, "source": "a.md", "ingested_at": "1"} | owner_metadata("alice")],
    )
    store.add_chunks(
        "finance",
        [Chunk("bob-1", "Bob's zebra memo about quokkas.", 0, "")],
        [_vector(0)],
        [{"document_sha256": "b" * 64, "source": "b.md", "ingested_at": "1"} | owner_metadata("bob")],
    )

    def seen() -> list[tuple[str, float]]:
        hits = hybrid_search(store, Fixed(), "finance", "card fee", 3, RetrievalConfig(), visible_to="alice")  # type: ignore[arg-type]
        return [(hit.chunk_id, hit.score) for hit in hits]

    with_bob = seen()
    assert "bob-1" not in {chunk_id for chunk_id, _ in with_bob}
    store.delete_document("finance", "b" * 64)
    assert seen() == with_bob


def test_a_signed_in_search_after_another_process_wrote_falls_back_to_bm25(tmp_path: Path) -> None:
    """Another process (the command line beside a server) writes to the same embedded store: this process's
    in-memory vector index lacks the new chunks, and Chroma's filtered search fails on them ("Error finding
    id"). The store says so (StaleIndexError), and a signed-in user's retrieval answers from BM25 alone
    instead of failing (a new user's trial saw the server answer 500)."""
    import subprocess
    import sys
    import textwrap

    from domains import RetrievalConfig
    from ingest import StaleIndexError
    from pipelines.chat.retrieval import hybrid_search

    class Fixed:
        def embed_query(self, text: str) -> list[float]:
            return _vector(0)

    store = VectorStore(tmp_path / "chroma")
    _write(store)
    assert store.search("finance", _vector(0), 5, visible_to="alice")  # the index is loaded in this process
    writer = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from pathlib import Path
        from ingest import Chunk, VectorStore, owner_metadata
        store = VectorStore(Path({str(tmp_path / "chroma")!r}))
        chunks = [Chunk(f"late-{{i}}", f"Late card fee note {{i}}.", 0, "") for i in range(30)]
        metadata = [{{"document_sha256": "e" * 64, "source": "late.md", "ingested_at": "9"}}] * 30
        store.add_chunks("finance", chunks, [[1.0, 0.01 * i, 0.0, 0.0] for i in range(30)], metadata)
        """
    )
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=120)
    with pytest.raises(StaleIndexError, match="restart the server"):
        store.nearest("finance", _vector(0), 50, visible_to="alice")
    hits = hybrid_search(store, Fixed(), "finance", "card fee", 4, RetrievalConfig(), visible_to="alice")  # type: ignore[arg-type]
    assert hits and _owners(hits) <= {"legacy", "shared", "alice"}
