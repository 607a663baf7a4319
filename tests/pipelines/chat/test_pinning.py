"""Pinned documents: retrieval limited to chosen documents (real Chroma, real embedder), name/sha256 resolution,
and ``assistant ask --document`` through Typer's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import cli
from pipelines.chat.pinning import resolve_documents
from pipelines.core.errors import AssistantError
from pipelines.documents.ingestion import IngestReport
from pipelines.services import Services
from tests.cli_runner import ServicesRunner

FEES = "# Fees\n\nThe foreign transaction fee on debit card purchases abroad is 2.75% of the amount.\n"
DISPUTES = (
    "# Disputes\n\nA card payment can be disputed within 13 months. The foreign transaction fee is refunded "
    "when a disputed payment abroad is refunded.\n\n## Timings\n\nMost disputes are decided within 45 days.\n"
)
ASTHMA = "# Asthma\n\nAsthma is a long-term disease of the airways that causes wheezing and breathlessness.\n"


@pytest.fixture
def indexed(services: Services, tmp_path: Path) -> dict[str, IngestReport]:
    reports = {}
    for domain, name, text in (
        ("finance", "fees.md", FEES),
        ("finance", "disputes.md", DISPUTES),
        ("medical", "asthma.md", ASTHMA),
    ):
        path = tmp_path / name
        path.write_text(text)
        reports[name] = services.ingestion.ingest_path(domain, path)
    return reports


def test_pinned_filter_returns_only_chunks_of_the_pinned_document(
    services: Services, indexed: dict[str, IngestReport]
) -> None:
    query = "What is the foreign transaction fee abroad?"
    unpinned = services.retriever.retrieve("finance", query, 4)
    assert unpinned[0].source == "fees.md"  # the pin below must override the better match
    pinned = services.retriever.retrieve("finance", query, 4, documents=[indexed["disputes.md"].sha256])
    assert pinned and {hit.source for hit in pinned} == {"disputes.md"}
    assert {hit.metadata["document_sha256"] for hit in pinned} == {indexed["disputes.md"].sha256}


def test_chat_answers_only_from_pinned_documents(
    services: Services, indexed: dict[str, IngestReport]
) -> None:
    result = services.chat.ask(
        "What is the foreign transaction fee?", domain="finance", documents=[indexed["disputes.md"].sha256]
    )
    assert result.sources and {s.source for s in result.sources} == {"disputes.md"}


@pytest.mark.parametrize(
    ("references", "domain", "expected_domain", "names"),
    [
        (["fees.md"], "finance", "finance", ["fees.md"]),
        (["fees.md"], "auto", "finance", ["fees.md"]),
        (["asthma.md"], "auto", "medical", ["asthma.md"]),
        (["fees.md", "disputes.md", "fees.md"], "auto", "finance", ["fees.md", "disputes.md"]),
    ],
)
def test_names_resolve_to_documents_and_their_domain(
    services: Services,
    indexed: dict[str, IngestReport],
    references: list[str],
    domain: str,
    expected_domain: str,
    names: list[str],
) -> None:
    pinned = resolve_documents(services.store, services.domains, references, domain)
    assert pinned.domain == expected_domain and pinned.names == names
    assert pinned.sha256 == [indexed[name].sha256 for name in names]


def test_sha256_prefix_of_eight_digits_resolves(services: Services, indexed: dict[str, IngestReport]) -> None:
    sha = indexed["disputes.md"].sha256
    assert resolve_documents(services.store, services.domains, [sha[:8].upper()], "finance").sha256 == [sha]


@pytest.mark.parametrize(
    ("references", "domain", "message"),
    [
        (["nope.md"], "finance", "unknown document 'nope.md' in domain 'finance'"),
        (["asthma.md"], "finance", "unknown document 'asthma.md' in domain 'finance'"),
        (["fees.md", "asthma.md"], "auto", "different domains (finance, medical)"),
        ([], "auto", "no document given"),
    ],
)
def test_unresolvable_pins_are_errors_naming_the_value(
    services: Services, indexed: dict[str, IngestReport], references: list[str], domain: str, message: str
) -> None:
    with pytest.raises(AssistantError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_documents(services.store, services.domains, references, domain)


def test_a_short_sha256_prefix_is_not_accepted(services: Services, indexed: dict[str, IngestReport]) -> None:
    with pytest.raises(AssistantError, match="at least 8 hex digits"):
        resolve_documents(services.store, services.domains, [indexed["fees.md"].sha256[:7]], "finance")


@pytest.fixture
def runner_services(services: Services) -> Iterator[Services]:
    """The test's services (shared loaded models, tmp data dir), which the CLI runs below use."""
    yield services


def test_cli_ask_with_document_retrieves_only_from_it(
    runner_services: Services, indexed: dict[str, IngestReport]
) -> None:
    done = ServicesRunner(runner_services).invoke(
        cli.app, ["ask", "What is the foreign transaction fee?", "--document", "disputes.md", "--json"]
    )
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["domain"] == "finance"
    assert out["sources"] and {s["source"] for s in out["sources"]} == {"disputes.md"}


def test_cli_ask_with_an_unknown_document_exits_with_1(
    runner_services: Services, indexed: dict[str, IngestReport]
) -> None:
    done = ServicesRunner(runner_services).invoke(
        cli.app, ["ask", "What is the fee?", "--domain", "finance", "--document", "missing.md", "--json"]
    )
    assert done.exit_code == 1
    assert done.stderr.startswith("error: unknown document 'missing.md'") and done.stderr.count("\n") == 1
    assert done.stdout == ""
    assert runner_services.memory.sessions() == []
