"""The shared BM25 index (:class:`pipelines.documents.lexical_sql.SqlLexicalIndex`) on a real throwaway PostgreSQL
cluster: the same hits and scores as the FTS5 index (:class:`ingest.lexical.LexicalIndex`), all-or-nothing writes,
two replicas on one database, deletes that leave nothing in a dump, pending records with the host, concurrent
writers. The ranking is also checked on SQLite (no server needed)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ingest.errors import StoreError
from ingest.lexical import LexicalIndex, writer_host
from pipelines.core.sql import database_engine
from pipelines.documents.lexical_sql import SqlLexicalIndex
from tests.fixtures.servers import PostgresCluster, free_port, postgres_or_skip

DOMAIN = "banking"
#: (id, text, document, owner): English and Chinese chunks, shared ("") and private ones.
CORPUS = [
    ("c01", "My card was stolen yesterday at the bank branch", "d1", ""),
    ("c02", "Bank transfer fees and daily card limits for transfers abroad", "d1", ""),
    ("c03", "What to do when a passport is stolen abroad", "d2", ""),
    ("c04", "我的银行卡被盗了，怎么办？", "d3", "alice"),
    ("c05", "银行卡的转账限额是多少？每天最多五万元。", "d3", "alice"),
    ("c06", "Card fees: the card fee is waived for students; other fees apply", "d2", "bob"),
    ("c07", "Mortgage rates rose again this quarter at every bank", "d4", ""),
    ("c08", "The savings account pays interest monthly; savings above the limit pay more", "d4", "alice"),
    ("c09", "转账手续费：境外转账收取手续费", "d5", ""),
    ("c10", "Lost or stolen cards are blocked at once: call the bank", "d5", "bob"),
    ("c11", "", "d5", ""),
]
QUERIES = [
    "stolen card",
    "bank fees for transfers",
    "银行卡被盗",
    "转账限额",
    "mortgage savings interest",
    "card",
    "nothing matches xylophone",
]
#: Upserts each of the two writer threads makes.
BATCHES = 40
FILTERS = [
    {},
    {"owners": [""]},
    {"owners": ["", "alice"]},
    {"owners": []},
    {"documents": ["d1", "d3"]},
    {"documents": ["d5"], "owners": ["", "bob"]},
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    yield from postgres_or_skip()


@pytest.fixture
def url(cluster: PostgresCluster) -> str:
    return cluster.new_database()


@pytest.fixture
def index(url: str) -> Iterator[SqlLexicalIndex]:
    opened = _open(url)
    yield opened
    opened.close()
    opened.engine.dispose()


def _open(url: str) -> SqlLexicalIndex:
    """An index on its own engine from the product's factory, as one replica has."""
    return SqlLexicalIndex(database_engine(url))


def _load(target: SqlLexicalIndex | LexicalIndex, rows: list[tuple[str, str, str, str]] = CORPUS) -> None:
    ids, texts, documents, owners = (list(column) for column in zip(*rows, strict=True))
    target.upsert(DOMAIN, ids, texts, documents, owners=owners)


def _assert_same_answers(sql: SqlLexicalIndex, fts: LexicalIndex) -> None:
    for query in QUERIES:
        for where in FILTERS:
            expected = fts.search(DOMAIN, query, 10, **where)
            got = sql.search(DOMAIN, query, 10, **where)
            assert [h.chunk_id for h in got] == [h.chunk_id for h in expected], (query, where)
            for mine, theirs in zip(got, expected, strict=True):
                assert mine.score == pytest.approx(theirs.score, rel=1e-9), (query, where)
            assert sql.search(DOMAIN, query, 2, **where) == got[:2]


def _rows(url: str, chunk_id: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: int(
                    connection.execute(
                        text(f"SELECT count(*) FROM {table} WHERE chunk_id = :c"), {"c": chunk_id}
                    ).scalar_one()
                )
                for table in ("lexical_chunks", "lexical_postings")
            }
    finally:
        engine.dispose()


def test_same_hits_and_scores_as_fts5(index: SqlLexicalIndex, tmp_path: Path) -> None:
    fts = LexicalIndex(tmp_path / "bm25.sqlite3")
    _load(fts)
    _load(index)
    assert index.count(DOMAIN) == fts.count(DOMAIN) == len(CORPUS)
    assert index.ids(DOMAIN) == fts.ids(DOMAIN)
    assert index.document_ids(DOMAIN, "d3") == fts.document_ids(DOMAIN, "d3") == {"c04", "c05"}
    assert [h.chunk_id for h in index.search(DOMAIN, "银行卡被盗", 10)][0] == "c04"
    _assert_same_answers(index, fts)
    # replacing and deleting chunks keeps the statistics (N, avgdl, document frequencies) those of FTS5
    changed = [("c02", "Transfers abroad cost a flat fee; stolen cards cost nothing", "d1", "")]
    for target in (fts, index):
        _load(target, changed)
        assert target.delete(DOMAIN, ["c07", "c07", "missing"]) == 1
    _assert_same_answers(index, fts)
    assert index.count("otherdomain") == 0 and index.search("otherdomain", "card", 5) == []
    fts.close()


def test_same_hits_and_scores_as_fts5_on_sqlite(tmp_path: Path) -> None:
    fts = LexicalIndex(tmp_path / "bm25.sqlite3")
    sql = _open(f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    _load(fts)
    _load(sql)
    _assert_same_answers(sql, fts)
    sql.close()
    sql.engine.dispose()
    fts.close()


def test_upsert_with_completes_is_all_or_nothing(index: SqlLexicalIndex) -> None:
    _load(index)
    index.begin_document(DOMAIN, "f" * 64, ["c01", "new"])
    before = index.search(DOMAIN, "stolen card", 10)
    secret = "quokkazebra confidential words"
    with pytest.raises(StoreError) as failure:
        # the second id is longer than the chunk id column: the database fails after the first row's old
        # postings were already deleted in the transaction
        index.upsert(DOMAIN, ["c01", "x" * 300], [secret, secret], ["d1", "d9"], completes=["f" * 64])
    assert "quokka" not in str(failure.value) and "confidential" not in str(failure.value)
    assert index.search(DOMAIN, "stolen card", 10) == before  # old rows and statistics intact
    assert index.search(DOMAIN, "quokkazebra", 10) == []
    assert index.count(DOMAIN) == len(CORPUS)
    assert [p.sha256 for p in index.pending(DOMAIN)] == ["f" * 64]  # the pending record was not cleared
    index.upsert(DOMAIN, ["c01"], [secret], ["d1"], completes=["f" * 64])
    assert index.pending(DOMAIN) == []
    assert [h.chunk_id for h in index.search(DOMAIN, "quokkazebra", 10)] == ["c01"]
    with pytest.raises(StoreError, match="differ in length"):
        index.upsert(DOMAIN, ["a", "b"], ["one"], ["d"])
    with pytest.raises(StoreError, match="invalid domain"):
        index.search("Bad Domain", "card", 3)


def test_two_replicas_see_each_others_writes(url: str) -> None:
    first, second = _open(url), _open(url)
    try:
        first.upsert(DOMAIN, ["a1"], ["Stolen card reported"], ["d1"])
        assert [h.chunk_id for h in second.search(DOMAIN, "stolen", 5)] == ["a1"]
        second.upsert(DOMAIN, ["b1"], ["Card limits raised"], ["d2"], owners=["alice"])
        assert first.ids(DOMAIN) == {"a1", "b1"}
        assert [h.chunk_id for h in first.search(DOMAIN, "card", 5, owners=[""])] == ["a1"]
        second.begin_document(DOMAIN, "e" * 64, ["c1"])
        assert [p.sha256 for p in first.pending()] == ["e" * 64]
        first.end_document(DOMAIN, "e" * 64)
        assert second.pending() == []
        assert second.delete(DOMAIN, ["a1"]) == 1
        assert first.search(DOMAIN, "stolen", 5) == [] and first.count(DOMAIN) == 1
    finally:
        for replica in (first, second):
            replica.close()
            replica.engine.dispose()


def test_delete_leaves_nothing_in_a_dump(cluster: PostgresCluster, url: str, index: SqlLexicalIndex) -> None:
    _load(index)
    index.upsert(
        DOMAIN, ["gone-chunk-7"], ["Zanzibarquokka xylophonist testimony"], ["dgone"], owners=["carol"]
    )
    dump = cluster.dump(url)
    assert "zanzibarquokka" in dump and "gone-chunk-7" in dump  # tokens are what the index holds
    assert index.delete(DOMAIN, ["gone-chunk-7"]) == 1
    assert _rows(url, "gone-chunk-7") == {"lexical_chunks": 0, "lexical_postings": 0}
    dump = cluster.dump(url)
    for leftover in ("zanzibarquokka", "xylophonist", "testimoni", "gone-chunk-7", "dgone", "carol"):
        assert leftover not in dump.lower()
    assert "Zanzibarquokka" not in dump  # the chunk text itself is never stored
    assert index.count(DOMAIN) == len(CORPUS)


def test_pending_records_carry_the_host(index: SqlLexicalIndex) -> None:
    index.begin_document(DOMAIN, "a" * 64, ["x1", "x2"])
    index.begin_document("other", "b" * 64)
    index.begin_document(DOMAIN, "a" * 64, ["x1", "x2", "x3"])  # a new attempt replaces the record
    records = index.pending(DOMAIN)
    assert len(records) == 1
    record = records[0]
    assert (record.domain, record.sha256, record.ids) == (DOMAIN, "a" * 64, ("x1", "x2", "x3"))
    assert record.host == writer_host() and record.pid == os.getpid() and record.started > 0
    assert {p.domain for p in index.pending()} == {DOMAIN, "other"}
    index.end_document(DOMAIN, "a" * 64)
    assert [p.domain for p in index.pending()] == ["other"]


def test_concurrent_upserts_from_two_threads(url: str, tmp_path: Path) -> None:
    index = _open(url)
    errors: list[BaseException] = []
    words = ["card", "bank", "loan", "fee", "stolen", "limit", "transfer", "savings"]

    def rows(worker: int, batch: int) -> list[tuple[str, str, str, str]]:
        # both workers also rewrite the shared ids s0..s4, so they contend for the same rows
        made = [
            (
                f"w{worker}-{batch}-{n}",
                " ".join(words[(worker + batch + n + j) % 8] for j in range(n + 2)),
                "d",
                "",
            )
            for n in range(5)
        ]
        return made + [(f"s{n}", f"{words[n]} shared {words[(batch + n) % 8]}", "s", "") for n in range(5)]

    def work(worker: int) -> None:
        try:
            for batch in range(BATCHES):
                _load(index, rows(worker, batch))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert index.count(DOMAIN) == 2 * BATCHES * 5 + 5
    # the statistics are exactly those of the final rows
    engine = create_engine(url)
    with engine.connect() as connection:
        stats = connection.execute(
            text("SELECT chunks, tokens FROM lexical_stats WHERE domain = :d"), {"d": DOMAIN}
        )
        chunks, tokens = stats.one()
        lengths = connection.execute(
            text("SELECT count(*), sum(length) FROM lexical_chunks WHERE domain = :d"), {"d": DOMAIN}
        ).one()
        orphans = connection.execute(
            text(
                "SELECT count(*) FROM lexical_postings p WHERE NOT EXISTS (SELECT 1 FROM lexical_chunks c"
                " WHERE c.domain = p.domain AND c.chunk_id = p.chunk_id AND c.length = p.length)"
            )
        ).scalar_one()
    engine.dispose()
    assert (chunks, tokens) == tuple(lengths)
    assert orphans == 0  # every posting belongs to the chunk row written with it
    # without the contended ids, the index equals a fresh FTS5 index of the other rows (every hit and score)
    index.delete(DOMAIN, [f"s{n}" for n in range(5)])
    fts = LexicalIndex(tmp_path / "bm25.sqlite3")
    _load(fts, [row for worker in (0, 1) for batch in range(BATCHES) for row in rows(worker, batch)[:5]])
    for query in ("card bank", "stolen limit transfer", "savings fee loan"):
        expected = {h.chunk_id: h.score for h in fts.search(DOMAIN, query, 500)}
        got = {h.chunk_id: h.score for h in index.search(DOMAIN, query, 500)}
        assert got.keys() == expected.keys()
        assert all(got[c] == pytest.approx(expected[c], rel=1e-9) for c in got)
    fts.close()
    index.close()
    index.engine.dispose()


def test_an_unreachable_database_is_a_store_error() -> None:
    engine = create_engine(f"postgresql+psycopg://assistant:hunter2secret@127.0.0.1:{free_port()}/nowhere")
    with pytest.raises(StoreError, match="cannot open or create the BM25 tables") as failure:
        SqlLexicalIndex(engine)
    assert "hunter2secret" not in str(failure.value)
