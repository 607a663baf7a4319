"""The review queue in the shared database (``SqlReviewQueue``) behaves like the file queue (``ReviewQueue``), on
SQLite and on a real PostgreSQL; two replicas see one queue; a held upload on one replica is released on another."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, inspect, text

from ingest import HeldDocument, ReviewError, ReviewStorage
from ingest.loaders import Section
from ingest.review import ReviewQueue
from pipelines.core.sql import database_engine, sqlite_engine
from pipelines.documents.review_sql import SqlReviewQueue
from pipelines.services import Models, Services
from tests.conftest import CANARY_VALUES
from tests.fixtures.servers import PostgresCluster, postgres_or_skip
from tests.pipelines.documents.test_ingestion_review import LETTER


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    yield from postgres_or_skip()


def _held(
    sha_digit: str, held_at: str, owner: str = "", text_: str = "Call <PERSON_1> about the fee."
) -> HeldDocument:
    return HeldDocument(
        name=f"letter-{sha_digit}.txt",
        domain="finance",
        sha256=sha_digit * 64,
        kind="text",
        language=None,
        sections=(Section(text_, "page 1"), Section("Fees: 2.75%.", "page 2")),
        report={"entities": {"PERSON": 1}, "risk": 2.5},
        held_at=held_at,
        owner=owner,
    )


@pytest.fixture(params=["files", "sqlite", "postgresql"])
def make_queue(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], ReviewStorage]:
    """A factory of queues over one storage (each call: another replica's view of it)."""
    if request.param == "files":
        return lambda: ReviewQueue(tmp_path / "review")
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "review.sqlite3")
        return lambda: SqlReviewQueue(engine)
    cluster: PostgresCluster = request.getfixturevalue("cluster")
    url = cluster.new_database()
    return lambda: SqlReviewQueue(database_engine(url))


def test_hold_get_list_find_and_remove(make_queue: Callable[[], ReviewStorage]) -> None:
    queue = make_queue()
    assert queue.held("finance") == [] and queue.get("finance", "a" * 64) is None
    older, newer = (
        _held("a", "2026-12-01T10:00:00+00:00"),
        _held("b", "2026-12-02T10:00:00+00:00", owner="alice"),
    )
    queue.hold(older)
    queue.hold(newer)
    assert queue.get("finance", "a" * 64) == older
    assert [h.sha256[0] for h in queue.held("finance")] == ["b", "a"]  # newest first
    assert queue.find("finance", "bbbb") == newer and queue.find("finance", "bbbb").owner == "alice"
    with pytest.raises(ReviewError, match="no document"):
        queue.find("finance", "cccc")
    with pytest.raises(ReviewError, match="not a document id"):
        queue.find("finance", "xyz")
    replaced = _held("a", "2026-12-03T10:00:00+00:00", text_="Call <PERSON_2>.")
    queue.hold(replaced)  # a later hold of the same document replaces it
    assert queue.get("finance", "a" * 64) == replaced and len(queue.held("finance")) == 2
    assert queue.held("medical") == []
    assert queue.remove("finance", "a" * 64) is True and queue.remove("finance", "a" * 64) is False
    assert [h.sha256[0] for h in queue.held("finance")] == ["b"]


def test_invalid_keys_are_refused(make_queue: Callable[[], ReviewStorage]) -> None:
    queue = make_queue()
    with pytest.raises(ReviewError, match="invalid domain"):
        queue.held("../etc")
    with pytest.raises(ReviewError, match="invalid document sha256"):
        queue.get("finance", "not-a-sha")
    with pytest.raises(ReviewError, match="invalid document sha256"):
        queue.hold(replace(_held("a", "2026-12-01T10:00:00+00:00"), sha256="z"))


def test_two_replicas_see_one_queue(make_queue: Callable[[], ReviewStorage]) -> None:
    first, second = make_queue(), make_queue()
    first.hold(_held("c", "2026-12-01T10:00:00+00:00"))
    assert [h.sha256[0] for h in second.held("finance")] == ["c"]
    assert second.remove("finance", "c" * 64) is True
    assert first.held("finance") == []


def test_a_document_held_on_one_replica_is_released_on_another(
    cluster: PostgresCluster, tmp_path: Path, models: Models
) -> None:
    url = cluster.new_database()

    def replica(name: str) -> Services:
        from pipelines.core.settings import load_settings

        settings = load_settings(data_dir=tmp_path / name)
        settings.database.url = SecretStr(url)
        settings.privacy.vault_key = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e8="
        settings.ingest.index_samples_on_start = False
        settings.ingest.hold_risk_threshold = 1.0
        return Services(settings, models)

    one, two = replica("one"), replica("two")
    held = one.ingestion.ingest_bytes("finance", "letter.txt", LETTER)
    assert held.status == "held"
    assert [h.sha256 for h in two.review.held("finance")] == [held.sha256]
    assert not (tmp_path / "one" / "review").exists()  # in the database, not the data dir
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT record FROM review_queue")).scalars().all()
            assert "review_queue" in inspect(connection).get_table_names()
    finally:
        engine.dispose()
    assert len(rows) == 1 and not [value for value in CANARY_VALUES if value in rows[0]]  # de-identified
    released = two.review.release("finance", held.sha256[:12])
    assert released.status == "indexed"
    assert one.review.held("finance") == []
