"""Ingest → ask end to end with every real component: Presidio + spaCy, all-MiniLM-L6-v2, Chroma in a temp
dir and the Gemma 3 270M model in llama.cpp. Includes the privacy canary."""

from __future__ import annotations

import json

import pytest

from pipelines.services import Services
from tests.conftest import (
    CANARY_CARD,
    CANARY_EMAIL,
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_VALUES,
    scan_tree_for,
)

POLICY = (
    "# Card disputes\n\n"
    "A card dispute must be raised within 13 months of the transaction date. "
    "Disputes are usually resolved within 45 days.\n\n"
    f"Escalations are handled by {CANARY_NAME}, phone {CANARY_PHONE}, email {CANARY_EMAIL}. "
    f"Test card {CANARY_CARD} is blocked.\n\n"
    "# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"
).encode()


def test_ingest_then_ask_answers_with_the_right_domain_and_sources(services: Services) -> None:
    services.ingestion.ingest_bytes("finance", "dispute-policy.md", POLICY)
    result = services.chat.ask("How long do I have to raise a card dispute?")
    assert result.domain == "finance"
    assert result.backend == "llamacpp" and result.model.endswith(".gguf")
    assert result.answer.strip()
    assert result.sources and result.sources[0].source == "dispute-policy.md"
    assert "13 months" in result.sources[0].text
    assert set(result.timings_ms) >= {"route", "deidentify", "retrieve", "generate", "total", "first_token"}


def test_canary_raw_pii_never_reaches_prompt_store_memory_logs_or_json(services: Services) -> None:
    services.ingestion.ingest_bytes("finance", "dispute-policy.md", POLICY)
    pipeline = services.chat
    question = (
        f"Hi, I am {CANARY_NAME}, phone {CANARY_PHONE}, email {CANARY_EMAIL}. "
        f"My card {CANARY_CARD} was charged twice. How long do I have to dispute it?"
    )
    result = pipeline.ask(question)
    follow_up = pipeline.ask(f"And can {CANARY_NAME} get the fee back?", session_id=result.session_id)

    for value in CANARY_VALUES:
        assert value not in result.prompt, value
        assert value not in follow_up.prompt, value
    payload = result.to_json_dict()
    payload.pop("answer")
    assert not [v for v in CANARY_VALUES if v in json.dumps(payload, ensure_ascii=False)]
    assert scan_tree_for(services.settings.data_dir, CANARY_VALUES) == []
    assert "<PERSON_1>" in result.redacted_question and "<CREDIT_CARD_1>" in result.redacted_question


def test_same_name_keeps_its_placeholder_across_turns_and_sessions_are_isolated(services: Services) -> None:
    pipeline = services.chat
    first = pipeline.ask(f"My name is {CANARY_NAME}. What is the foreign transaction fee?", domain="finance")
    pipeline.ask("Thanks. Is there an ATM fee as well?", session_id=first.session_id, domain="finance")
    third = pipeline.ask(
        f"Can {CANARY_NAME} dispute a payment?", session_id=first.session_id, domain="finance"
    )
    assert "<PERSON_1>" in first.redacted_question and "<PERSON_1>" in third.redacted_question

    other = pipeline.ask("My name is Marcus Ellingworth. What is the fee?", domain="finance")
    assert other.session_id != first.session_id
    assert services.vaults.open(other.session_id).values == {"<PERSON_1>": "Marcus Ellingworth"}
    assert len(services.memory.turns(first.session_id)) == 3
    assert len(services.memory.turns(other.session_id)) == 1
    shown = services.conversations.transcript(first.session_id, services.domains)
    assert CANARY_NAME in shown[0].question
    assert CANARY_NAME not in services.memory.turns(first.session_id)[0].question


def test_prompt_carries_eight_turns_of_history(services: Services) -> None:
    pipeline = services.chat
    session = None
    for i in range(9):
        session = pipeline.ask(
            f"Question number {i}: what is the fee?", session_id=session, domain="finance"
        ).session_id
    last = pipeline.ask("And the ATM fee?", session_id=session, domain="finance")
    for i in range(1, 9):
        assert f"Question number {i}:" in last.prompt
    assert "Question number 0:" not in last.prompt
    assert last.retrieval_query.startswith("Question number 8")


@pytest.mark.slow
def test_a_long_history_is_trimmed_to_the_llamacpp_context_window(services: Services) -> None:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    chat = services.llamacpp_backend().chat_model
    long_turns = []
    for i in range(40):
        long_turns += [HumanMessage(content=f"old question {i} " + "word " * 120), AIMessage(content="ok")]
    messages = [SystemMessage(content="Answer briefly."), *long_turns, HumanMessage(content="What is 2+2?")]
    text = "".join(str(c.content) for c in chat.stream(messages))
    assert isinstance(text, str)
    assert "old question 0 " not in chat.last_prompt and "old question 39 " in chat.last_prompt
    assert chat.last_prompt.rstrip().endswith("Question: What is 2+2?\nAnswer:")


def test_sources_are_exactly_the_distinct_passages_the_model_saw(services: Services) -> None:
    repeated = "# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"
    services.ingestion.ingest_bytes("finance", "fees-a.md", repeated.encode())
    services.ingestion.ingest_bytes("finance", "fees-b.md", (repeated + "\n").encode())
    services.settings.llamacpp.context_chars = 100
    result = services.chat.ask("What is the foreign transaction fee?", domain="finance")
    texts = [s.text for s in result.sources]
    assert len(texts) == len(set(texts)) == 1
    assert "Passage [1]:" in result.prompt and "Passage [2]:" not in result.prompt
