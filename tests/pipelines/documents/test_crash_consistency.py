"""A document appears whole or not at all, even when the process dies while writing it; ingesting it again
writes it whole. First with a write that dies after a few batches in this process, then with ``kill -9`` at
random moments of a real multi-batch ingestion."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from chromadb.api.models.Collection import Collection

from pipelines.core.settings import load_settings
from pipelines.services import Models, Services
from tests.cli_runner import ASSISTANT, BASE_ENV

TOPICS = ["transfers", "cards", "loans", "savings", "mortgages", "fraud", "fees", "statements", "branches"]


def _document(sections: int) -> str:
    """A Markdown handbook whose sections differ (distinct chunks), about 800 characters each."""
    parts = []
    for number in range(sections):
        topic = TOPICS[number % len(TOPICS)]
        body = " ".join(
            f"Rule {number}.{line}: for {topic}, the limit number {number * 7 + line} applies to case {line}."
            for line in range(9)
        )
        parts.append(f"# Section {number} on {topic}\n\n{body}\n")
    return "\n".join(parts)


class Killed(BaseException):
    """Stands for the process dying: nothing in the store catches it, no rollback runs."""


def _consistent(services: Services, domain: str, expected: int) -> int:
    """Check the visible state: the document is listed whole (``expected`` chunks, as many BM25 rows) or not
    at all, and no search shows a chunk of an unlisted document. Returns the chunks listed."""
    listed = services.catalog.documents(domain)
    assert len(listed) <= 1
    chunks = listed[0].chunks if listed else 0
    assert chunks in (0, expected), f"a partial document is visible: {chunks} of {expected} chunks"
    assert services.store.lexical.count(domain) == chunks
    hits = services.retriever.retrieve(domain, "limit number for transfers and cards", 10)
    assert bool(hits) == bool(listed), "a search shows chunks of a document that is not listed"
    return chunks


def test_a_write_that_dies_after_some_batches_is_hidden_then_cleaned_and_redone(
    tmp_path: Path, models: Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    settings.ingest.index_samples_on_start = False
    settings.ingest.store_batch_size = 3
    services = Services(settings, models)
    text = _document(12).encode()
    calls = {"n": 0}
    real_upsert = Collection.upsert

    def dying_upsert(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise Killed()
        return real_upsert(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", dying_upsert)
    with pytest.raises(Killed):
        services.ingestion.ingest_bytes("finance", "handbook.md", text)
    monkeypatch.setattr(Collection, "upsert", real_upsert)
    assert services.store.count("finance") == 6  # two batches of vectors were written before the "death"

    restarted = Services(settings, models)  # a new process would see this
    assert _consistent(restarted, "finance", expected=0) == 0  # nothing of it is visible
    assert restarted.store.count("finance") == 0  # the leftovers were cleaned up
    report = restarted.ingestion.ingest_bytes("finance", "handbook.md", text)
    assert report.status == "indexed" and report.chunks_added == report.chunks
    assert _consistent(restarted, "finance", report.chunks) == report.chunks


@pytest.mark.slow
def test_kill_9_at_random_moments_of_a_multi_batch_ingestion(tmp_path: Path, models: Models) -> None:
    """The real thing: ``assistant ingest`` killed with SIGKILL at a random moment after its first batch of
    vectors is written (seeded), three times; after each, the data dir is consistent; then the file is
    ingested whole."""
    source = tmp_path / "handbook.md"
    source.write_text(_document(200), encoding="utf-8")
    data = tmp_path / "data"
    env = {**os.environ, **BASE_ENV, "ASSISTANT_INGEST__STORE_BATCH_SIZE": "2"}
    rng = random.Random(17)
    settings = load_settings(data_dir=data)
    settings.ingest.index_samples_on_start = False
    expected = _expected_chunks(settings, models, source)
    kills = 0
    for _ in range(3):
        process = subprocess.Popen(
            [ASSISTANT, "--data-dir", str(data), "ingest", "--domain", "finance", str(source)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert process.stderr is not None
        for line in process.stderr:  # wait for the first batch of vectors
            if line.rstrip().endswith(": store"):
                break
        time.sleep(rng.uniform(0.0, 0.3))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        _consistent(Services(settings, models), "finance", expected)
    assert kills >= 2, "the ingestion finished before it could be killed: make the document larger"
    done = subprocess.run(
        [ASSISTANT, "--data-dir", str(data), "ingest", "--domain", "finance", str(source), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] in ("indexed", "duplicate")
    services = Services(settings, models)
    assert _consistent(services, "finance", expected) == expected
    assert services.store.lexical.pending() == []


def _expected_chunks(settings, models: Models, source: Path) -> int:  # type: ignore[no-untyped-def]
    """How many chunks the file makes (de-identified and chunked as ingestion does, nothing written)."""
    from ingest import load_document, split_document

    services = Services(settings, models)
    config = services.domains.domain("finance")
    safe, _ = services.ingestion.deidentify_document(
        "finance", load_document(source, max_bytes=2**26, max_chars=10**7)
    )
    return len(
        split_document(safe, list(safe.sections), config.chunking.chunk_size, config.chunking.chunk_overlap)
    )
