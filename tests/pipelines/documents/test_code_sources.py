"""Code chunks' symbol and line range through the real ingestion (real Presidio, embedder, Chroma in tmp_path),
retrieval, the chat prompt's context and the ``ask --json`` sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.chat.pipeline import number_passages
from pipelines.llm.prompts import build_messages
from pipelines.services import Services

BACKOFF_PY = '''\
"""Backoff helpers for flaky network calls."""
import random


class RetryPolicy:
    """How long to wait between attempts."""

    base_seconds = 0.5

    def next_delay(self, attempt):
        """Exponential backoff: base * 2**attempt seconds, plus up to one second of random jitter."""
        return self.base_seconds * 2**attempt + random.random()


def parse_port(text):
    """Read a TCP port number from a config string and check that it lies between 1 and 65535."""
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(text)
    return port
'''


@pytest.fixture
def backoff_indexed(services: Services, tmp_path: Path) -> Path:
    path = tmp_path / "backoff.py"
    path.write_text(BACKOFF_PY)
    report = services.ingestion.ingest_path("code", path)
    assert report.chunks_added == report.chunks == 3  # module docstring + imports, the class, the function
    return path


@pytest.mark.parametrize(
    ("query", "symbol", "lines", "location"),
    [
        (
            "exponential backoff delay with random jitter between retry attempts",
            "RetryPolicy",
            (5, 12),
            "RetryPolicy, lines 5-12",
        ),
        (
            "read a TCP port number from a config string",
            "parse_port",
            (15, 20),
            "parse_port, lines 15-20",
        ),
    ],
)
def test_retrieved_code_chunk_carries_symbol_and_lines(
    services: Services,
    backoff_indexed: Path,
    query: str,
    symbol: str,
    lines: tuple[int, int],
    location: str,
) -> None:
    top = services.retriever.retrieve("code", query, 3)[0]
    assert top.source == "backoff.py"
    assert (top.symbol, top.lines, top.metadata["location"]) == (symbol, lines, location)
    assert (top.metadata["start_line"], top.metadata["end_line"]) == lines
    source_lines = BACKOFF_PY.split("\n")[lines[0] - 1 : lines[1]]
    assert top.text == "\n".join(source_lines).strip()


def test_module_level_chunk_has_an_empty_symbol(services: Services, backoff_indexed: Path) -> None:
    stored = services.store._collection("code").get(include=["metadatas"])
    by_index = {m["chunk_index"]: m for m in stored["metadatas"]}
    assert [(by_index[i]["symbol"], by_index[i]["location"]) for i in sorted(by_index)] == [
        ("", "lines 1-2"),
        ("RetryPolicy", "RetryPolicy, lines 5-12"),
        ("parse_port", "parse_port, lines 15-20"),
    ]


def test_prose_chunks_get_no_code_metadata(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Backoff\n\nWait longer after each failed attempt.\n")
    services.ingestion.ingest_path("code", path)
    (metadata,) = services.store._collection("code").get(include=["metadatas"])["metadatas"]
    assert metadata["location"] == "section: Backoff"
    assert not {"symbol", "start_line", "end_line"} & set(metadata)


def test_ask_sources_show_the_symbol_and_lines(services: Services, backoff_indexed: Path) -> None:
    result = services.chat.ask("How is the port number in a config string checked?", domain="code")
    sources = result.to_json_dict()["sources"]
    port = next(s for s in sources if s["symbol"] == "parse_port")
    assert (port["location"], port["start_line"], port["end_line"]) == ("parse_port, lines 15-20", 15, 20)


def test_chat_prompt_context_names_the_symbol_and_lines(services: Services, backoff_indexed: Path) -> None:
    hits = services.retriever.retrieve("code", "read a TCP port number from a config string", 3)
    passages, sources = number_passages(
        services.backend("llamacpp"), hits, services.settings.llamacpp.context_chars
    )
    (system, _question) = build_messages("Answer from the passages.", passages, [], "How is the port read?")
    assert "(backoff.py, parse_port, lines 15-20)" in str(system.content)
    assert [(s.symbol, s.start_line, s.end_line) for s in sources][0] == ("parse_port", 15, 20)
