"""``assistant migrate`` (:mod:`pipelines.migration`): a data dir made in embedded mode (documents, a private one,
turns with a vault, a user and an API key) is copied to a real PostgreSQL and a real Chroma server
(:mod:`tests.fixtures.servers`; skipped with the reason when they are not installed), then opened in shared mode:
same chunk ids and vectors, the same turns and placeholders, the key still verifies. Run twice it duplicates
nothing; interrupted, a second run completes it; a wrong URL is a clear error without the password."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import inspect, make_url

from ingest import VectorStore
from pipelines.conversation.vault_sql import SqlVaultStore
from pipelines.core.errors import DatabaseError
from pipelines.core.settings import Settings, load_settings
from pipelines.core.sql import database_engine
from pipelines.documents.lexical_sql import SqlLexicalIndex
from pipelines.migration import MigrationReport, chroma_server, migrate
from pipelines.services import Models, Services
from privacy import VaultError
from tests.cli_runner import run
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE
from tests.fixtures.servers import (
    ChromaServer,
    PostgresCluster,
    ServerUnavailable,
    postgres_or_skip,
    start_chroma,
)

DOMAIN = "finance"
PASSWORD = "correct horse battery staple"
SHARED_DOC = (
    b"# Travel card fees\n\nThe travel card charges no fee for purchases abroad. Cash withdrawals abroad cost "
    b"2 pounds each, and the daily withdrawal limit is 500 pounds.\n\n## Lost cards\n\nReport a lost card at "
    b"once by phone; a replacement arrives within five working days.\n"
)
PRIVATE_DOC = (
    b"# My budget\n\nI save 300 pounds a month for the holiday fund and keep the emergency fund at three "
    b"months of rent.\n"
)


@dataclass
class Source:
    """The embedded data dir: its services, the session with a vault, the API key."""

    services: Services
    session_id: str
    key: str


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    yield from postgres_or_skip()


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    try:
        server = start_chroma(tmp_path / "chroma-server")
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


def _embedded_settings(data_dir: Path) -> Settings:
    settings = load_settings(data_dir=data_dir)
    settings.llm.backend = "llamacpp"
    settings.llamacpp.max_tokens = 8
    settings.ingest.index_samples_on_start = False
    return settings


@pytest.fixture(scope="module")
def source_template(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Path:
    """A data dir made once in embedded mode (copied per test so each test starts from the same state)."""
    data_dir = tmp_path_factory.mktemp("source") / "data"
    services = Services(_embedded_settings(data_dir), models)
    services.accounts.add_user("alice", "agent", PASSWORD)
    services.ingestion.ingest_bytes(DOMAIN, "fees.md", SHARED_DOC, review=False)
    services.ingestion.ingest_bytes(DOMAIN, "budget.md", PRIVATE_DOC, review=False, owner="alice")
    services.settings.ingest.hold_risk_threshold = 0.0  # this one is held for review
    held = services.ingestion.ingest_bytes(
        DOMAIN, "claim.md", f"# Claim\n\n{CANARY_NAME} called from {CANARY_PHONE} about a refund.\n".encode()
    )
    assert held.held
    services.settings.ingest.hold_risk_threshold = None
    result = services.chat.ask(
        f"My name is {CANARY_NAME} and my card is {CANARY_CARD}. What does a withdrawal abroad cost?",
        session_id="travel",
        domain=DOMAIN,
    )
    services.chat.ask("And the daily limit?", session_id=result.session_id, domain=DOMAIN)
    services.memory.rate(result.session_id, 1, "up")
    services.accounts.claim_session(result.session_id, "alice")
    key = services.accounts.create_key("alice", "laptop").key
    (data_dir.parent / "key.txt").write_text(key)
    services.store.lexical.close()
    return data_dir


@pytest.fixture
def source(source_template: Path, tmp_path: Path, models: Models) -> Source:
    data_dir = tmp_path / "data"
    shutil.copytree(source_template, data_dir)
    services = Services(_embedded_settings(data_dir), models)
    return Source(services, "travel", (source_template.parent / "key.txt").read_text())


def _run(source: Source, url: str, chroma: ChromaServer, **options: object) -> MigrationReport:
    settings = source.services.settings
    return migrate(
        source.services.store,
        list(source.services.domains),
        settings.data_dir,
        url,
        chroma_server(f"127.0.0.1:{chroma.port}"),
        vault_key=settings.privacy.vault_key,
        vault_ttl_hours=settings.privacy.vault_ttl_hours,
        **options,  # type: ignore[arg-type]
    )


def _shared(source: Source, url: str, chroma: ChromaServer, tmp_path: Path, models: Models) -> Services:
    """Services of a replica over the migrated stores: its own data dir with the source's secrets files (what
    the report says to carry), the vault key as the setting."""
    data_dir = tmp_path / "replica"
    (data_dir / "vault").mkdir(parents=True)
    for name in ("accounts.secret", "operators.secret"):
        shutil.copy2(source.services.settings.data_dir / "vault" / name, data_dir / "vault" / name)
    settings = _embedded_settings(data_dir)
    settings.store.mode = "http"
    settings.store.chroma_host = "127.0.0.1"
    settings.store.chroma_port = chroma.port
    settings.database.url = SecretStr(url)
    settings.privacy.vault_key = (
        (source.services.settings.data_dir / "vault" / "vault.key").read_text().strip()
    )
    return Services(settings, models)


def _exported(store: VectorStore, domain: str) -> dict[str, tuple[str, list[float], dict[str, object]]]:
    return {
        chunk_id: (text, vector, metadata)
        for _sha, ids, texts, vectors, metadatas in store.export(domain)
        for chunk_id, text, vector, metadata in zip(ids, texts, vectors, metadatas, strict=True)
    }


def _counts(report: MigrationReport) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    return {(c.kind, c.scope): (c.source, c.target, c.copied, c.skipped) for c in report.counts}


def test_everything_is_copied_without_reembedding_and_a_second_run_duplicates_nothing(
    source: Source, cluster: PostgresCluster, chroma: ChromaServer, tmp_path: Path, models: Models
) -> None:
    url = cluster.new_database()
    report = _run(source, url, chroma)
    assert report.ok, report.to_json_dict()
    counts = _counts(report)
    assert counts[("documents", DOMAIN)] == (2, 2, 2, 0)
    chunks = counts[("chunks", DOMAIN)][0]
    assert chunks >= 2 and counts[("lexical rows", DOMAIN)] == (chunks, chunks, chunks, 0)
    assert counts[("sessions", "memory")] == (1, 1, 1, 0)
    assert counts[("turns", "memory")] == (2, 2, 2, 0)
    assert counts[("turn_ratings", "memory")] == (1, 1, 1, 0)
    assert counts[("users", "accounts")][:2] == (1, 1) and counts[("api_keys", "accounts")][:2] == (1, 1)
    assert counts[("session_owners", "accounts")][:2] == (1, 1)
    assert counts[("vaults", "")] == (1, 1, 1, 0)
    assert counts[("held for review", DOMAIN)] == (1, 1, 1, 0)
    notes = " ".join(report.notes)
    assert "ASSISTANT_PRIVACY__VAULT_KEY" in notes and "accounts.secret" in notes
    key_text = (source.services.settings.data_dir / "vault" / "vault.key").read_text().strip()
    assert key_text not in json.dumps(report.to_json_dict())

    shared = _shared(source, url, chroma, tmp_path, models)
    store, old = shared.store, source.services.store
    assert {d.sha256 for d in store.list_documents(DOMAIN)} == {d.sha256 for d in old.list_documents(DOMAIN)}
    assert [d.owner for d in store.list_documents(DOMAIN, visible_to="alice")].count("alice") == 1
    assert store.list_documents(DOMAIN, visible_to="") == old.list_documents(DOMAIN, visible_to="")
    # the copied collection keeps the record of the backend that made its vectors
    assert shared.embedding_backend == source.services.embedding_backend == "onnx-int8"
    before, after = _exported(old, DOMAIN), _exported(store, DOMAIN)
    assert after.keys() == before.keys()
    for chunk_id, (text, vector, metadata) in before.items():
        assert after[chunk_id][0] == text
        # the same vectors, not embedded again (nothing in the migration can embed). Chroma keeps float32 and
        # the HTTP API sends their shortest text, but the server's JSON parsing may round a component to the
        # neighbouring float32 (seen: one component of one chunk, 7.5e-9 apart): equal to one unit in the last place
        copied, original = np.float32(after[chunk_id][1]), np.float32(vector)
        assert np.all(np.abs(copied - original) <= np.spacing(np.abs(original)))
        assert after[chunk_id][2] == metadata, (after[chunk_id][2], metadata)
    hits = store.search_lexical(DOMAIN, "withdrawal limit", 3, visible_to="")
    assert hits and hits[0].chunk_id in before
    vector = before[hits[0].chunk_id][1]
    assert store.search(DOMAIN, vector, 1)[0].chunk_id == hits[0].chunk_id
    assert shared.memory.turns(source.session_id) == source.services.memory.turns(source.session_id)
    assert (
        shared.vaults.open(source.session_id).values == source.services.vaults.open(source.session_id).values
    )
    assert CANARY_NAME in shared.vaults.open(source.session_id).values.values()
    assert [h.sha256 for h in shared.review_queue.held(DOMAIN)] == [
        h.sha256 for h in source.services.review_queue.held(DOMAIN)
    ]
    user, _key = shared.accounts.authenticate(source.key)
    assert user.name == "alice" and shared.accounts.owner(source.session_id) == "alice"
    assert shared.accounts.sign_in("alice", PASSWORD).name == "alice"
    follow_up = shared.chat.ask(
        f"Is {CANARY_NAME} charged abroad?", session_id=source.session_id, domain=DOMAIN
    )
    assert "<PERSON_1>" in follow_up.redacted_question  # the same placeholder as on the local install

    again = _run(source, url, chroma)
    assert again.ok
    counts = _counts(again)
    assert counts[("documents", DOMAIN)] == (2, 2, 0, 2)
    assert counts[("turns", "memory")] == (2, 2, 0, 2) and counts[("vaults", "")] == (1, 1, 0, 1)
    assert counts[("held for review", DOMAIN)] == (1, 1, 0, 1)
    assert store.count(DOMAIN) == chunks and store.lexical.count(DOMAIN) == chunks
    assert len(shared.memory.turns(source.session_id)) == 3  # the two copied and the one asked on the replica


def test_an_interrupted_migration_leaves_no_half_document_and_completes_when_run_again(
    source: Source,
    cluster: PostgresCluster,
    chroma: ChromaServer,
    tmp_path: Path,
    models: Models,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = cluster.new_database()
    calls = {"n": 0}
    upsert = SqlLexicalIndex.upsert

    def interrupted(self: SqlLexicalIndex, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second document: its vectors are on the server, then Ctrl-C
            raise KeyboardInterrupt
        upsert(self, *args, **kwargs)

    monkeypatch.setattr(SqlLexicalIndex, "upsert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(source, url, chroma)
    monkeypatch.undo()

    shared = _shared(source, url, chroma, tmp_path, models)
    assert len(shared.store.list_documents(DOMAIN)) == 1  # one whole document, the other absent
    report = _run(source, url, chroma)
    assert report.ok
    counts = _counts(report)
    assert counts[("documents", DOMAIN)] == (2, 2, 1, 1)
    assert counts[("sessions", "memory")] == (1, 1, 1, 0)
    assert _exported(shared.store, DOMAIN).keys() == _exported(source.services.store, DOMAIN).keys()
    assert shared.store.count(DOMAIN) == counts[("chunks", DOMAIN)][0]


def test_the_command_dry_run_json_and_a_wrong_url_without_the_password(
    source: Source, cluster: PostgresCluster, chroma: ChromaServer
) -> None:
    data_dir = source.services.settings.data_dir
    url = cluster.new_database()
    target = ["--to-sql", url, "--to-chroma", f"127.0.0.1:{chroma.port}"]
    header = ["--chroma-header", "X-Token: Hdr-Secret-Canary"]
    dry = run("migrate", *target, *header, "--dry-run", "--json", data_dir=data_dir)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["dry_run"] and planned["ok"]
    assert {(c["kind"], c["scope"]): c["copied"] for c in planned["counts"]}[("turns", "memory")] == 2
    assert "Hdr-Secret-Canary" not in dry.stdout + dry.stderr

    done = run("migrate", "--to-sql", "-", *target[2:], data_dir=data_dir, stdin=url + "\n")
    assert done.returncode == 0, done.stderr
    assert (
        "vaults" in done.stdout
        and "MISSING" not in done.stdout
        and "ASSISTANT_PRIVACY__VAULT_KEY" in done.stdout
    )

    secret = "Wr0ng-Secret-Canary"
    wrong = make_url(url).set(password=secret, port=1).render_as_string(hide_password=False)
    failed = run("migrate", "--to-sql", wrong, "--to-chroma", f"127.0.0.1:{chroma.port}", data_dir=data_dir)
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: cannot reach the database") and "***" in failed.stderr
    assert secret not in failed.stdout + failed.stderr
    with pytest.raises(DatabaseError):
        _run(source, wrong, chroma)
    bad = run("migrate", "--to-sql", url, "--to-chroma", "nowhere", data_dir=data_dir)
    assert bad.returncode == 1 and "HOST:PORT" in bad.stderr
    gone = run(
        "migrate", "--to-sql", url, "--to-chroma", "127.0.0.1:1", *header, "--dry-run", data_dir=data_dir
    )
    assert gone.returncode == 1 and "127.0.0.1:1" in gone.stderr and "Hdr-Secret-Canary" not in gone.stderr


def test_a_database_with_another_vault_key_is_refused_before_anything_is_written(
    source: Source, cluster: PostgresCluster, chroma: ChromaServer
) -> None:
    url = cluster.new_database()
    engine = database_engine(url)
    SqlVaultStore(engine, Fernet.generate_key().decode())  # the database's vaults use another key
    with pytest.raises(VaultError, match="not the one"):
        _run(source, url, chroma)
    assert not inspect(engine).has_table("sessions") and not inspect(engine).has_table("lexical_chunks")
    engine.dispose()
