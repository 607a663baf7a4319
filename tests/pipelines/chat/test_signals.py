"""Intent, risk and escalation of chat turns: the notice and prompt addendum are data, checked with fixed
phrases (never with model output); the stored signals are de-identified."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from domains import load_domains
from pipelines.chat.signals import detect_signals, escalation_notice, signals_line
from pipelines.conversation.memory import MemoryStore
from pipelines.services import Services
from pipelines.skills.triage.risk import RiskAssessment
from tests.conftest import CANARY_NAME, CANARY_VALUES, scan_tree_for
from tests.pipelines.llm.fake_ollama import FakeOllamaServer

FINANCE = load_domains()["finance"]
assert FINANCE.escalation is not None
NOTICES = FINANCE.escalation.notices
HANDBOOK = (
    b"# Lost and stolen cards\n\nReport a lost or stolen card at once: call 0800 123 4567 (option 1, 24 hours). "
    b"Freeze the card in the app first.\n\n# Fees\n\nThe foreign transaction fee is 2.75%.\n"
)


def _risk(categories: list[str], escalate: bool) -> RiskAssessment:
    return RiskAssessment(categories, [], "high" if escalate else "low", escalate)


@pytest.mark.parametrize(
    ("categories", "escalate", "expected"),
    [
        (["fraud"], True, NOTICES["fraud"]),
        (["fraud", "self_harm"], True, NOTICES["self_harm"]),  # file order sets the priority
        (["scam", "fraud"], True, NOTICES["scam"]),
        (["money_laundering"], True, FINANCE.escalation.notice),  # no own notice: the default
        (["complaint"], False, ""),
        ([], False, ""),
    ],
)
def test_escalation_notice_follows_the_domain_data(
    categories: list[str], escalate: bool, expected: str
) -> None:
    assert escalation_notice(FINANCE, _risk(categories, escalate)) == expected


def test_a_domain_without_an_escalation_block_gets_no_notice() -> None:
    code = load_domains()["code"]
    assert escalation_notice(code, _risk(["fraud"], True)) == ""


def test_stolen_card_message_gets_intent_risk_and_the_fraud_notice(services: Services) -> None:
    signals = detect_signals(
        services.domains.domain("finance"),
        services.analyzers("finance"),
        "My card was stolen and someone is using it right now",
    )
    assert signals.intent is not None and signals.intent.intent in {"lost_or_stolen_card", "compromised_card"}
    assert signals.risk is not None and "fraud" in signals.risk.categories and signals.escalate
    assert signals.notice == NOTICES["fraud"]
    assert signals.prompt_addendum == FINANCE.escalation.prompt
    line = signals_line(signals)
    assert line.startswith(f"intent {signals.intent.intent} ") and "risk fraud" in line and "escalate" in line
    assert signals_line(signals.to_json_dict()) == line


def test_benign_question_gets_an_intent_and_no_escalation(services: Services) -> None:
    signals = detect_signals(
        services.domains.domain("finance"),
        services.analyzers("finance"),
        "What is the exchange rate for euros?",
    )
    assert signals.intent is not None and signals.intent.intent == "exchange_rate"
    assert signals.risk is not None and signals.risk.categories == [] and not signals.escalate
    assert signals.notice == "" and signals.prompt_addendum == ""
    assert signals_line(signals).endswith("no risk")


def test_a_domain_without_intent_or_risk_data_gets_none(services: Services) -> None:
    signals = detect_signals(
        services.domains.domain("code"), services.analyzers("code"), "How do I parse JSON in Python?"
    )
    assert signals.intent is None and signals.risk is None and signals.notice == ""
    assert signals.to_json_dict() == {"intent": None, "risk": None, "escalation": None}
    assert signals_line(signals) == ""


def test_escalating_turn_shows_the_notice_and_stores_deidentified_signals(services: Services) -> None:
    services.ingestion.ingest_bytes("finance", "cards.md", HANDBOOK)
    pipeline = services.chat
    question = f"I am {CANARY_NAME}. My card was stolen and someone is using it, what do I do?"
    result = pipeline.ask(question, domain="finance")
    assert result.signals.notice == NOTICES["fraud"]
    payload = result.to_json_dict()
    assert payload["escalation"] == NOTICES["fraud"] and "fraud" in payload["risk"]["categories"]
    assert payload["intent"]["intent"] == "compromised_card"

    [turn] = services.conversations.transcript(result.session_id, services.domains)
    assert turn.signals is not None and turn.signals["escalation"] == NOTICES["fraud"]
    assert CANARY_NAME not in json.dumps(turn.signals)
    assert scan_tree_for(services.settings.data_dir, CANARY_VALUES) == []

    calm = pipeline.ask(
        "What is the foreign transaction fee?", session_id=result.session_id, domain="finance"
    )
    assert calm.signals.notice == "" and calm.to_json_dict()["escalation"] is None


def test_the_escalation_addendum_reaches_a_chat_models_system_message(services: Services) -> None:
    # FakeOllamaServer is a STAND-IN for an Ollama server (none exists here); it records the request sent.
    services.ingestion.ingest_bytes("finance", "cards.md", HANDBOOK)
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=["Call us now."]) as fake:
        services.settings.ollama.hosts = [fake.url]
        pipeline = services.chat
        pipeline.ask("Someone stole my card and is using it right now", backend="ollama", domain="finance")
        pipeline.ask("What is the foreign transaction fee?", backend="ollama", domain="finance")
        urgent, calm = (request["messages"][0] for request in fake.chat_requests)
    assert urgent["role"] == "system" and FINANCE.escalation.prompt in urgent["content"]
    assert calm["role"] == "system" and FINANCE.escalation.prompt not in calm["content"]


def test_memory_adds_the_signals_column_to_a_database_from_an_earlier_version(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE sessions (id VARCHAR(64) PRIMARY KEY, title TEXT, created_at VARCHAR(40), "
            "updated_at VARCHAR(40));"
            "CREATE TABLE turns (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id VARCHAR(64) REFERENCES "
            "sessions(id), position INTEGER, question TEXT, answer TEXT, domain VARCHAR(64), route_confidence "
            "FLOAT, sources_json TEXT, backend VARCHAR(32), model VARCHAR(128), created_at VARCHAR(40));"
            "INSERT INTO sessions VALUES ('old', 'q', '2026-01-01', '2026-01-01');"
            "INSERT INTO turns (session_id, position, question, answer, domain, route_confidence, sources_json, "
            "backend, model, created_at) VALUES ('old', 0, 'q', 'a', 'finance', 0.9, '[]', 'llamacpp', 'm', "
            "'2026-01-01');"
        )
    store = MemoryStore(path)
    [old] = store.turns("old")
    assert old.signals is None
    store.add_turn("old", "q2", "a2", "finance", 0.8, [], "llamacpp", "m", {"intent": None, "risk": None})
    assert store.turns("old")[-1].signals == {"intent": None, "risk": None}
