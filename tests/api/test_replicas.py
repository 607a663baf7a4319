"""Two API replicas (separate ``assistant serve`` processes, each with its own data dir) over one real Chroma
server and one real PostgreSQL (issue 20): a conversation started on one continues on the other with the same
placeholders; a document uploaded through one is listed, retrieved and deleted through the other, and the delete
leaves no chunk, vector, lexical row or catalog entry anywhere; a replica killed with SIGKILL in the middle of an
ingestion leaves no half-indexed document, and uploading again completes it; no planted value reaches the
Chroma server's files, a dump of the database or any log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from pipelines.core.settings import load_settings
from pipelines.services import Models, Services
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE, CANARY_VALUES
from tests.fixtures.servers import (
    ChromaServer,
    PostgresCluster,
    ServerUnavailable,
    free_port,
    start_chroma,
    start_postgres,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT = Path(sys.executable).with_name("assistant")
#: A word that occurs only in the test's documents (what retrieval must find, and must not find after a delete).
MARKER = "Quillfeather"


@dataclass
class Replica:
    """One ``assistant serve`` process: its base URL, data dir and process."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=300)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@dataclass
class Deployment:
    """The shared engines, the environment every replica gets, and the users' keys."""

    postgres: PostgresCluster
    database_url: str
    chroma: ChromaServer
    env: dict[str, str]
    keys: dict[str, str]
    root: Path

    def replica(self, name: str, **extra: str) -> Replica:
        """Start a replica with its own data dir and wait until ``/healthz`` answers."""
        data_dir = self.root / name
        port = free_port()
        log = open(self.root / f"{name}.out", "ab")  # noqa: SIM115 - the process's lifetime
        process = subprocess.Popen(
            [str(ASSISTANT), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**self.env, "ASSISTANT_DATA_DIR": str(data_dir), **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(
                    f"replica {name} exited: {(self.root / f'{name}.out').read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return Replica(url, data_dir, process)
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        process.kill()
        raise AssertionError(f"replica {name} did not answer /healthz in 300 s")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("replicas")
    try:
        postgres = start_postgres()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        chroma = start_chroma(root / "chroma-server")
    except ServerUnavailable as exc:
        postgres.stop()
        pytest.skip(str(exc))
    try:
        database_url = postgres.new_database()
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")},
            "ASSISTANT_STORE__MODE": "http",
            "ASSISTANT_STORE__CHROMA_HOST": "127.0.0.1",
            "ASSISTANT_STORE__CHROMA_PORT": str(chroma.port),
            "ASSISTANT_DATABASE__URL": database_url,
            "ASSISTANT_AUTH__MODE": "local",
            "ASSISTANT_AUTH__SECRET": os.urandom(24).hex(),  # what every replica shares
            "ASSISTANT_PRIVACY__VAULT_KEY": Fernet.generate_key().decode(),
            "ASSISTANT_PRIVACY__OPERATOR_SECRET": os.urandom(24).hex(),
            "ASSISTANT_LLM__BACKEND": "llamacpp",
            "ASSISTANT_LLAMACPP__MAX_TOKENS": "12",
            "ASSISTANT_INGEST__INDEX_SAMPLES_ON_START": "false",
            "ANONYMIZED_TELEMETRY": "False",
        }
        # users and keys, made once in the shared database (as `assistant users add` / `keys create` would)
        settings = load_settings(data_dir=root / "admin")
        settings.store.mode = "http"
        settings.store.chroma_port = chroma.port
        settings.database.url = SecretStr(database_url)
        settings.auth.mode = "local"
        settings.auth.secret = SecretStr(env["ASSISTANT_AUTH__SECRET"])
        settings.privacy.vault_key = env["ASSISTANT_PRIVACY__VAULT_KEY"]
        settings.privacy.operator_secret = env["ASSISTANT_PRIVACY__OPERATOR_SECRET"]
        services = Services(settings, models)
        accounts = services.accounts
        accounts.add_user("admin", "admin", "a long admin password")
        accounts.add_user("alice", "agent", "alice has a long password")
        keys = {
            "admin": accounts.create_key("admin", "admin-key").key,
            "alice": accounts.create_key("alice", "a").key,
        }
        yield Deployment(postgres, database_url, chroma, env, keys, root)
    finally:
        chroma.stop()
        postgres.stop()


@pytest.fixture(scope="module")
def replicas(deployment: Deployment) -> Iterator[tuple[Replica, Replica]]:
    first, second = deployment.replica("one"), deployment.replica("two")
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def _document(paragraphs: int, words: str = "") -> bytes:
    lines = ["# Travel card fees", ""]
    for number in range(paragraphs):
        lines += [
            f"## Section {number}",
            "",
            f"The {MARKER} travel card charges no fee for purchases abroad in section {number} {words}. "
            "Cash withdrawals abroad cost 2 pounds each, and the daily withdrawal limit is 500 pounds.",
            "",
        ]
    return "\n".join(lines).encode()


def _documents(replica: Replica, key: str) -> list[dict[str, object]]:
    with replica.client(key) as client:
        listed = client.get("/api/documents", params={"domain": "finance"})
    assert listed.status_code == 200, listed.text
    return list(listed.json()["documents"])


def test_a_conversation_continues_on_the_other_replica_with_the_same_placeholders(
    replicas: tuple[Replica, Replica], deployment: Deployment
) -> None:
    first, second = replicas
    key = deployment.keys["alice"]
    question = f"My name is {CANARY_NAME} and my card is {CANARY_CARD}. What is the card fee?"
    with first.client(key) as client:
        asked = client.post(
            "/api/ask", json={"question": question, "session_id": "travel", "domain": "finance"}
        )
    assert asked.status_code == 200, asked.text
    placeholders = [word for word in asked.json()["redacted_question"].split() if word.startswith("<")]
    assert placeholders, asked.json()["redacted_question"]
    with second.client(key) as client:
        again = client.post(
            "/api/ask",
            json={
                "question": f"Is {CANARY_NAME} on card {CANARY_CARD} charged abroad?",
                "session_id": "travel",
            },
        )
        assert again.status_code == 200, again.text
        listed = client.get("/api/sessions")
    assert again.json()["session_id"] == asked.json()["session_id"]
    # the same values get the same placeholders on the other replica: the vault is shared
    for placeholder in placeholders:
        assert placeholder.strip(".,?") in again.json()["redacted_question"], again.json()[
            "redacted_question"
        ]
    assert listed.status_code == 200, listed.text
    turns = {item["session_id"]: item["turns"] for item in listed.json()["sessions"]}
    assert turns[asked.json()["session_id"]] == 2  # one turn written by each replica, in one conversation


def test_a_document_uploaded_on_one_replica_is_listed_retrieved_and_deleted_on_the_other(
    replicas: tuple[Replica, Replica], deployment: Deployment
) -> None:
    first, second = replicas
    admin, alice = deployment.keys["admin"], deployment.keys["alice"]
    with first.client(admin) as client:
        uploaded = client.post(
            "/api/documents",
            data={"domain": "finance"},
            files={"file": ("quill.md", _document(3, f"call {CANARY_NAME} on {CANARY_PHONE}"))},
        )
    assert uploaded.status_code == 200, uploaded.text
    sha = str(uploaded.json()["sha256"])
    assert [d["sha256"] for d in _documents(second, alice)].count(sha) == 1
    with second.client(alice) as client:
        asked = client.post(
            "/api/ask", json={"question": f"What does the {MARKER} travel card charge?", "domain": "finance"}
        )
    assert asked.status_code == 200, asked.text
    assert "quill.md" in {source["source"] for source in asked.json()["sources"]}

    with second.client(admin) as client:
        deleted = client.delete(f"/api/documents/finance/{sha}")
    assert deleted.status_code == 200, deleted.text
    assert sha not in {d["sha256"] for d in _documents(first, alice)}
    assert sha not in {d["sha256"] for d in _documents(second, alice)}
    # nothing anywhere: no vector on the Chroma server, no lexical row or catalog entry in the database
    import chromadb
    import sqlalchemy

    client = chromadb.HttpClient(host="127.0.0.1", port=deployment.chroma.port)
    collection = client.get_collection("domain_finance")
    assert collection.get(where={"document_sha256": sha}, include=[])["ids"] == []
    engine = sqlalchemy.create_engine(deployment.database_url)
    try:
        with engine.connect() as connection:
            for table in sqlalchemy.inspect(connection).get_table_names():
                rows = connection.execute(sqlalchemy.text(f'SELECT * FROM "{table}"')).fetchall()
                assert not any(sha in str(row) for row in rows), table
    finally:
        engine.dispose()


def test_a_replica_killed_mid_ingestion_leaves_no_half_document_and_the_upload_completes_again(
    deployment: Deployment, replicas: tuple[Replica, Replica]
) -> None:
    _first, second = replicas
    admin, alice = deployment.keys["admin"], deployment.keys["alice"]
    # small writes (a long store stage to kill it in) and a rate limit that lets the test poll the job closely
    victim = deployment.replica(
        "victim", ASSISTANT_INGEST__STORE_BATCH_SIZE="2", ASSISTANT_API__RATE_LIMIT_PER_MINUTE="100000"
    )
    body = _document(160, "interrupted")
    try:
        with victim.client(admin) as client:
            submitted = client.post(
                "/api/documents",
                data={"domain": "finance", "async": "true"},
                files={"file": ("interrupted.md", body)},
            )
            assert submitted.status_code == 202, submitted.text
            job = submitted.json()["job_id"]
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                polled = client.get(f"/api/jobs/{job}")
                assert polled.status_code == 200, polled.text
                state = polled.json()
                if state["stage"] == "store" or state["status"] in {"done", "failed"}:
                    break
                time.sleep(0.02)
        assert state["status"] == "running" and state["stage"] == "store", state
        os.kill(victim.process.pid, signal.SIGKILL)
        victim.process.wait(timeout=30)
    finally:
        victim.stop()
    assert "interrupted.md" not in {d["name"] for d in _documents(second, alice)}
    with second.client(alice) as client:
        asked = client.post(
            "/api/ask",
            json={"question": f"{MARKER} travel card interrupted section fee", "domain": "finance"},
        )
    assert asked.status_code == 200, asked.text
    assert "interrupted.md" not in {source["source"] for source in asked.json()["sources"]}

    with second.client(admin) as client:
        again = client.post(
            "/api/documents", data={"domain": "finance"}, files={"file": ("interrupted.md", body)}
        )
    assert again.status_code == 200, again.text
    listed = [d for d in _documents(second, alice) if d["name"] == "interrupted.md"]
    assert len(listed) == 1 and listed[0]["chunks"] == again.json()["chunks"]
    import chromadb

    collection = chromadb.HttpClient(host="127.0.0.1", port=deployment.chroma.port).get_collection(
        "domain_finance"
    )
    stored = collection.get(where={"document_sha256": again.json()["sha256"]}, include=[])["ids"]
    assert len(stored) == again.json()["chunks"]  # the killed write's vectors were cleaned up, none doubled


def test_no_planted_value_reaches_the_chroma_files_the_database_or_a_log(
    replicas: tuple[Replica, Replica], deployment: Deployment
) -> None:
    first, _second = replicas
    with first.client(deployment.keys["alice"]) as client:
        asked = client.post(
            "/api/ask",
            json={"question": f"I am {CANARY_NAME}, phone {CANARY_PHONE}, card {CANARY_CARD}. Fees?"},
        )
    assert asked.status_code == 200, asked.text
    with first.client(deployment.keys["admin"]) as client:
        uploaded = client.post(
            "/api/documents",
            data={"domain": "finance"},
            files={"file": ("contact.md", f"# Contact\n\nCall {CANARY_NAME} on {CANARY_PHONE}.\n".encode())},
        )
    assert uploaded.status_code == 200, uploaded.text
    places: dict[str, str] = {"pg_dump": deployment.postgres.dump(deployment.database_url)}
    for folder in (deployment.chroma.path, deployment.root / "one", deployment.root / "two"):
        for path in folder.rglob("*"):
            if path.is_file():
                places[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    for path in deployment.root.glob("*.out"):
        places[str(path)] = path.read_text(errors="replace")
    leaks = {
        place: value
        for place, text in places.items()
        for value in CANARY_VALUES
        if value.lower() in text.lower()
    }
    assert leaks == {}
