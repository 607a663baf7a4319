"""A data dir made by main at f27ba0d (before the feature subpackages; ``tests/fixtures/datadir_f27ba0d``, built
by ``tests/fixtures/build_datadir_f27ba0d.py`` with that checkout) opens with nothing lost, and its conversation
continues with the same placeholders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.core.settings import load_settings
from pipelines.services import Models, Services
from pipelines.skills.medical.dp_stats import budget_status
from tests.conftest import CANARY_CARD, CANARY_NAME

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "datadir_f27ba0d"


@pytest.fixture
def upgraded(tmp_path: Path, models: Models) -> Services:
    """A copy of the old data dir opened by today's code (the llama.cpp backend, as it was built)."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    settings = load_settings(data_dir=data)
    settings.llm.backend = "llamacpp"
    settings.llamacpp.max_tokens = 24
    settings.ingest.index_samples_on_start = False
    # the fixture's vaults were encrypted when it was built: with the default 24-hour time to live they would be
    # erased as expired once the fixture is a day old (vault expiry has its own tests)
    settings.privacy.vault_ttl_hours = 0
    return Services(settings, models)


def test_every_file_of_the_old_data_dir_is_still_there(upgraded: Services) -> None:
    data = upgraded.settings.data_dir
    upgraded.memory.sessions()  # open every store
    upgraded.feedback.records()
    upgraded.records.ledger()
    before = {p.relative_to(FIXTURE) for p in FIXTURE.rglob("*") if p.is_file()}
    after = {p.relative_to(data) for p in data.rglob("*") if p.is_file()}
    renamed = {Path("memory.sqlite")}
    assert before - renamed <= after
    assert not (data / "memory.sqlite").exists() and (data / "memory.sqlite3").is_file()


def test_the_old_conversation_is_listed_restored_and_continues_with_the_same_placeholders(
    upgraded: Services,
) -> None:
    sessions = {info.id: info.turns for info in upgraded.memory.sessions()}
    assert sessions == {"legacy-chat": 2}
    shown = upgraded.conversations.transcript("legacy-chat", upgraded.domains)
    assert CANARY_NAME in shown[0].question and "•••• 6467" in shown[0].question  # finance masks cards
    result = upgraded.chat.ask(
        f"Thanks, this is {CANARY_NAME} again, card {CANARY_CARD}. Any ATM fee?",
        session_id="legacy-chat",
        domain="finance",
    )
    assert "<PERSON_1>" in result.redacted_question and "<CREDIT_CARD_1>" in result.redacted_question
    assert [t.position for t in upgraded.memory.turns("legacy-chat")] == [0, 1, 2]
    assert not result.vault_expired


def test_the_old_documents_feedback_records_and_budget_are_kept(upgraded: Services) -> None:
    assert [d.name for d in upgraded.catalog.documents("finance")] == ["fees.md"]
    assert [d.name for d in upgraded.catalog.documents("medical")] == ["note.txt"]
    hits = upgraded.retriever.retrieve("finance", "how long to raise a dispute", 2)
    assert any("13 months" in hit.text for hit in hits)
    [feedback] = upgraded.feedback.records()
    assert (feedback.session_id, feedback.status) == ("legacy-assist", "accepted")
    assert CANARY_NAME not in feedback.message and "<PERSON_1>" in feedback.message
    status = budget_status(upgraded.records, upgraded.settings.dp.total_epsilon)
    assert (status.queries, status.spent) == (1, pytest.approx(0.1))
    sha = upgraded.catalog.documents("medical")[0].sha256
    assert ("CHEMICAL", "metformin") in upgraded.records.terms_of("medical", sha)
