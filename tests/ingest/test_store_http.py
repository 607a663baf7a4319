"""The document store on a real Chroma server (``chroma run``, started once for this module): two
:class:`VectorStore` instances on one server stand for two replicas (one writes, the other searches, lists and
deletes; their BM25 side is one FTS5 file both open), private documents stay private through the server, a
server that is down or a proxy that refuses the token gives a clear :class:`StoreError` without the token, the
configured headers reach the server through a token-checking reverse proxy, and a writer killed with SIGKILL in
the middle of a document leaves nothing visible, cleaned up by the next store and written whole again.

Vectors are small and fixed (:mod:`tests.ingest.chroma_http`): storage is what is tested, not embeddings."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ingest import StoreError, VectorStore
from ingest.lexical import LexicalIndex, PendingDocument, writer_host
from ingest.store import _STALE_WRITE_S, ChromaServer
from tests.fixtures.servers import ServerUnavailable, free_port, start_chroma
from tests.ingest.chroma_http import TokenProxy, add, document, vector

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok-5f1c9a7e-test-secret"


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real Chroma server for this module (skipped with the reason when it cannot start)."""
    try:
        running = start_chroma(tmp_path_factory.mktemp("chroma-server") / "data")
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield ChromaServer(running.host, running.port)
    finally:
        running.stop()


@pytest.fixture
def domain() -> str:
    """A fresh domain (collection and BM25 table) per test: the server is shared by the module."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def replicas(tmp_path: Path, chroma: ChromaServer) -> tuple[VectorStore, VectorStore]:
    """Two stores on the server, each with its own local folder, sharing one BM25 file."""
    shared = tmp_path / "shared" / "bm25.sqlite3"
    first = VectorStore(tmp_path / "a", server=chroma, lexical=LexicalIndex(shared))
    second = VectorStore(tmp_path / "b", server=chroma, lexical=LexicalIndex(shared))
    return first, second


def test_what_one_replica_writes_the_other_searches_lists_and_deletes(
    replicas: tuple[VectorStore, VectorStore], domain: str, chroma: ChromaServer
) -> None:
    writer, reader = replicas
    assert writer.location == reader.location == f"chroma://127.0.0.1:{chroma.port}"
    sha, chunks, _, _ = doc = document("handbook", 12)
    assert add(writer, domain, doc) == 12

    listed = reader.list_documents(domain)
    assert [(info.sha256, info.chunks, info.name) for info in listed] == [(sha, 12, "handbook.md")]
    assert reader.has_document(domain, sha)
    dense = reader.search(domain, vector(3), 3)
    assert dense[0].chunk_id == chunks[3].id and dense[0].score == pytest.approx(1.0, abs=1e-5)
    lexical = reader.search_lexical(domain, "mortgages case 4", 3)
    assert lexical and lexical[0].chunk_id == chunks[4].id
    assert reader.embeddings(domain, [chunks[0].id])[chunks[0].id] == pytest.approx(vector(0))

    assert reader.delete_document(domain, sha) == 12
    assert writer.list_documents(domain) == [] and writer.count(domain) == 0
    assert writer.search(domain, vector(3), 5) == []
    assert writer.search_lexical(domain, "mortgages case 4", 5) == []


def test_delete_leaves_no_chunk_or_vector_anywhere(
    replicas: tuple[VectorStore, VectorStore], domain: str, chroma: ChromaServer, tmp_path: Path
) -> None:
    writer, reader = replicas
    gone_sha, gone_chunks, _, _ = gone = document("erase-me", 7)
    kept_sha, _, _, _ = kept = document("keep-me", 3)
    add(writer, domain, gone)
    add(writer, domain, kept)
    assert reader.delete_document(domain, gone_sha) == 7

    ids = [chunk.id for chunk in gone_chunks]
    fresh = VectorStore(
        tmp_path / "c", server=chroma, lexical=LexicalIndex(tmp_path / "shared" / "bm25.sqlite3")
    )
    collection = fresh.client.get_collection(f"domain_{domain}")
    assert collection.get(ids=ids, include=["embeddings", "documents", "metadatas"])["ids"] == []
    assert collection.get(where={"document_sha256": gone_sha}, include=[])["ids"] == []
    assert fresh.embeddings(domain, ids) == {}
    assert fresh.lexical.document_ids(domain, gone_sha) == set()
    assert not set(ids) & fresh.lexical.ids(domain)
    assert fresh.lexical.pending(domain) == []
    assert [info.sha256 for info in fresh.list_documents(domain)] == [kept_sha]
    assert collection.count() == 3 == fresh.lexical.count(domain)


@pytest.mark.parametrize(
    ("visible_to", "expected"),
    [
        (None, {"", "alice", "bob"}),
        ("alice", {"", "alice"}),
        ("bob", {"", "bob"}),
        ("", {""}),
        ("carol", {""}),
    ],
)
def test_private_documents_stay_private_through_the_server(
    replicas: tuple[VectorStore, VectorStore], domain: str, visible_to: str | None, expected: set[str]
) -> None:
    writer, reader = replicas
    for name, owner in (("shared", None), ("alice-notes", "alice"), ("bob-notes", "bob")):
        add(writer, domain, document(name, 4, owner))

    assert {info.owner for info in reader.list_documents(domain, visible_to=visible_to)} == expected
    dense = reader.search(domain, vector(1), 12, visible_to=visible_to)
    lexical = reader.search_lexical(domain, "limit number cards", 12, visible_to=visible_to)
    assert {str(hit.metadata.get("owner", "")) for hit in dense} == expected
    assert {str(hit.metadata.get("owner", "")) for hit in lexical} == expected
    alice_sha = document("alice-notes", 4, "alice")[0]
    pinned = reader.search(domain, vector(1), 4, where={"document_sha256": alice_sha}, visible_to=visible_to)
    assert bool(pinned) == (visible_to in (None, "alice"))


def test_a_server_that_is_down_gives_a_clear_error_without_the_headers(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    server = ChromaServer("127.0.0.1", port, headers={"Authorization": f"Bearer {TOKEN}"})
    with pytest.raises(StoreError) as caught:
        VectorStore(tmp_path / "local", server=server)
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "chroma run" in message and "headers" in message
    assert TOKEN not in message and TOKEN not in repr(server)


@pytest.mark.parametrize(
    "value", [f"Bearer {TOKEN}\r\nX-Injected: 1", f"Bearer {TOKEN}é", f" Bearer {TOKEN}"]
)
def test_a_header_value_that_cannot_be_sent_is_refused_without_showing_it(value: str) -> None:
    with pytest.raises(ValueError, match="Authorization") as caught:
        ChromaServer("127.0.0.1", 8000, headers={"Authorization": value})
    assert TOKEN not in str(caught.value)


def test_the_headers_reach_the_server_through_a_token_checking_proxy(
    chroma: ChromaServer, domain: str, tmp_path: Path
) -> None:
    proxy = TokenProxy(chroma.port, TOKEN)
    try:
        with pytest.raises(StoreError) as refused:  # no token: the proxy refuses, the store says so
            VectorStore(tmp_path / "none", server=ChromaServer("127.0.0.1", proxy.port))
        assert f"127.0.0.1:{proxy.port}" in str(refused.value) and "401" in str(refused.value)
        wrong = "Bearer not-the-token-9d2e"
        with pytest.raises(StoreError) as wrong_token:
            VectorStore(
                tmp_path / "wrong",
                server=ChromaServer("127.0.0.1", proxy.port, headers={"Authorization": wrong}),
            )
        assert wrong not in str(wrong_token.value) and "not-the-token" not in str(wrong_token.value)
        assert proxy.accepted == 0 and proxy.refused == 2

        server = ChromaServer("127.0.0.1", proxy.port, headers={"Authorization": f"Bearer {TOKEN}"})
        through_proxy = VectorStore(tmp_path / "proxied", server=server)
        sha, chunks, _, _ = doc = document("via-proxy", 5)
        assert add(through_proxy, domain, doc) == 5
        assert through_proxy.search(domain, vector(2), 1)[0].chunk_id == chunks[2].id
        assert proxy.refused == 2 and proxy.accepted > 5  # every request carried the token
        direct = VectorStore(tmp_path / "direct", server=chroma, lexical=through_proxy.lexical)
        assert [info.sha256 for info in direct.list_documents(domain)] == [sha]  # it reached the real server
    finally:
        proxy.stop()


def test_records_of_another_host_are_alive_until_stale(
    replicas: tuple[VectorStore, VectorStore], domain: str
) -> None:
    """With a shared BM25 index a pending record may come from another machine: its process id cannot be
    checked here, so only its age ends it. A record of this host (or of host "") is checked by process id."""
    store, _ = replicas
    dead_pid = _dead_pid()
    now = time.time()
    elsewhere = PendingDocument(domain, "a" * 64, dead_pid, now, (), host=f"not-{writer_host()}")
    assert store._writer_alive(elsewhere)
    assert not store._writer_alive(
        PendingDocument(domain, "a" * 64, dead_pid, now - _STALE_WRITE_S - 1, (), "x")
    )
    assert not store._writer_alive(PendingDocument(domain, "a" * 64, dead_pid, now, (), host=writer_host()))
    assert not store._writer_alive(PendingDocument(domain, "a" * 64, dead_pid, now, (), host=""))


class ElsewhereIndex(LexicalIndex):
    """The FTS5 index, but its pending records say they were written on another machine (as a shared index's
    would): a :class:`ingest.lexical.LexicalBackend` given to the store."""

    def pending(self, domain: str | None = None) -> list[PendingDocument]:
        return [replace(record, host="another-machine") for record in super().pending(domain)]


def test_a_half_written_document_of_another_host_stays_hidden_and_is_not_cleaned_up(
    chroma: ChromaServer, domain: str, tmp_path: Path
) -> None:
    index = ElsewhereIndex(tmp_path / "shared" / "bm25.sqlite3")
    store = VectorStore(tmp_path / "local", server=chroma, lexical=index)
    sha, chunks, vectors, metadatas = document("remote-write", 3)
    store.client.get_or_create_collection(
        f"domain_{domain}", metadata={"hnsw:space": "cosine"}, embedding_function=None
    ).upsert(
        ids=[c.id for c in chunks],
        embeddings=vectors,
        documents=[c.text for c in chunks],
        metadatas=metadatas,
    )
    index.begin_document(domain, sha, [chunk.id for chunk in chunks])  # as if written elsewhere, not finished
    with sqlite3.connect(index.path) as db:
        db.execute("UPDATE pending SET pid = ?", (_dead_pid(),))  # its pid is dead here: it means nothing

    assert store.recover(domain) == []
    assert store.count(domain) == 3  # left alone: its writer may be running on the other machine
    assert store.list_documents(domain) == [] and store.search(domain, vector(1), 5) == []
    with sqlite3.connect(index.path) as db:
        db.execute("UPDATE pending SET started = ?", (time.time() - _STALE_WRITE_S - 60,))
    assert store.recover(domain) == [sha]  # stale: cleaned up
    assert store.count(domain) == 0 and index.pending(domain) == []


def _dead_pid() -> int:
    """The id of a process that has exited (and been waited for)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=60)
    return process.pid


def test_kill_9_of_a_writer_mid_document_leaves_nothing_visible_and_reingesting_completes_it(
    chroma: ChromaServer, domain: str, tmp_path: Path
) -> None:
    """A child process writes a large document to the server in small batches and is killed with SIGKILL after
    its first batch: a fresh store lists no part of it, searches return none of its chunks, its vectors are
    cleaned up, and writing it again completes it."""
    lexical_file = tmp_path / "shared" / "bm25.sqlite3"
    total, name = 3000, "big-handbook"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.ingest.chroma_http",
            "write",
            *("--port", str(chroma.port), "--local", str(tmp_path / "child")),
            *("--lexical", str(lexical_file), "--domain", domain, "--name", name),
            *("--chunks", str(total), "--batch", "4"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    assert process.stdout is not None
    written = 0
    for line in process.stdout:
        if line.startswith("batch"):
            written = int(line.split()[1])
            if written >= 40:
                break
    assert written >= 40, f"the writer stopped early: {process.wait(timeout=60)} {process.stderr.read()}"  # type: ignore[union-attr]
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL  # waited for: its pid no longer answers

    sha, chunks, _, _ = doc = document(name, total)
    store = VectorStore(tmp_path / "after", server=chroma, lexical=LexicalIndex(lexical_file))
    collection = store.client.get_collection(f"domain_{domain}")
    assert collection.count() >= 40  # the killed writer's batches are on the server
    assert [record.sha256 for record in store.lexical.pending(domain)] == [sha]

    assert store.list_documents(domain) == []  # hidden, then cleaned up
    assert not store.has_document(domain, sha)
    assert store.search(domain, vector(5), 20) == []
    assert store.search_lexical(domain, f"{name} limit number", 20) == []
    assert store.count(domain) == 0 and store.lexical.count(domain) == 0
    assert store.lexical.pending(domain) == []

    assert add(store, domain, doc) == total
    other = VectorStore(tmp_path / "other", server=chroma, lexical=LexicalIndex(lexical_file))
    assert [(info.sha256, info.chunks) for info in other.list_documents(domain)] == [(sha, total)]
    assert other.search(domain, vector(5), 1)[0].metadata["document_sha256"] == sha
    assert other.lexical.count(domain) == total and other.lexical.pending(domain) == []
    assert {hit.chunk_id for hit in other.search_lexical(domain, "section 7", 5)} <= {c.id for c in chunks}
