"""Follow-up rewriting (pipelines.chat.rewrite): sanitation, the concat path, the real llama.cpp model's contract,
and the chat-model path against FakeOllamaServer (a STAND-IN for an Ollama server: it replays scripted text,
it proves nothing about a real model)."""

from __future__ import annotations

import pytest

from pipelines.chat.rewrite import choose_method, rewrite_query, sanitize_rewrite, standalone_query
from pipelines.core.settings import OllamaSettings
from pipelines.llm.backends import Backend
from pipelines.llm.ollama import build_ollama_chat
from pipelines.llm.prompts import HistoryTurn
from pipelines.services import Services
from tests.conftest import CANARY_NAME
from tests.pipelines.llm.fake_ollama import FakeOllamaServer

HISTORY = [HistoryTurn("Can <PERSON_1> dispute a card payment?", "Yes, within 13 months [1].")]
FOLLOW_UP = "How long does it take for <PERSON_1>?"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "How long does a card dispute take for <PERSON_1>?",
            "How long does a card dispute take for <PERSON_1>?",
        ),
        (
            "<think>They mean the dispute.</think>\nHow long does a card dispute take for <PERSON_1>?",
            "How long does a card dispute take for <PERSON_1>?",
        ),
        (
            'Standalone query: "How long does a <PERSON_1> card dispute take?"',
            "How long does a <PERSON_1> card dispute take?",
        ),
        ("**Search query:** `<PERSON_1> card dispute duration`", "<PERSON_1> card dispute duration"),
        (
            "<PERSON_1> card dispute duration\nExplanation: I resolved 'it'.",
            "<PERSON_1> card dispute duration",
        ),
    ],
)
def test_sanitation_keeps_only_the_query(output: str, expected: str) -> None:
    assert sanitize_rewrite(output, FOLLOW_UP, HISTORY, 300) == (expected, "")


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("", "empty output"),
        ("<think>still thinking about <PERSON_1>", "unfinished <think> block"),
        ("<think>x</think>  \n ", "empty output"),
        (
            "How long does a card dispute take " + "really " * 60 + "for <PERSON_1>?",
            "longer than 300 characters",
        ),
        ("How long does a card dispute take?", "placeholder lost: <PERSON_1>"),
        ("How long does <PERSON_2>'s dispute take for <PERSON_1>?", "placeholder invented: <PERSON_2>"),
        ("How long does <PERSON>'s dispute take for <PERSON_1>?", "placeholder invented: <PERSON>"),
    ],
)
def test_sanitation_rejects_bad_rewrites_with_a_reason(output: str, reason: str) -> None:
    assert sanitize_rewrite(output, FOLLOW_UP, HISTORY, 300) == (None, reason)


def test_a_placeholder_from_the_history_may_be_brought_in() -> None:
    query, _ = sanitize_rewrite("Card dispute time for <PERSON_1>", "How long does it take?", HISTORY, 300)
    assert query == "Card dispute time for <PERSON_1>"


@pytest.mark.parametrize(
    ("setting", "backend", "method"),
    [
        ("auto", "ollama", "llm"),
        ("auto", "llamacpp", "concat"),
        ("llm", "llamacpp", "llm"),
        ("concat", "ollama", "concat"),
        ("off", "ollama", "off"),
    ],
)
def test_auto_means_llm_for_ollama_and_concat_for_llamacpp(setting: str, backend: str, method: str) -> None:
    assert choose_method(setting, backend) == method


def test_unknown_setting_is_named() -> None:
    with pytest.raises(ValueError, match="'smart'"):
        choose_method("smart", "ollama")


@pytest.mark.parametrize(
    ("setting", "history", "query", "method"),
    [
        ("concat", HISTORY, f"{HISTORY[0].question} {FOLLOW_UP}", "concat"),
        ("concat", [], FOLLOW_UP, "none"),
        ("off", HISTORY, FOLLOW_UP, "off"),
        ("llm", HISTORY, f"{HISTORY[0].question} {FOLLOW_UP}", "llm-fallback"),  # no model given
    ],
)
def test_rewrite_without_a_model_is_deterministic(
    setting: str, history: list[HistoryTurn], query: str, method: str
) -> None:
    result = rewrite_query(FOLLOW_UP, history, None, setting)
    assert (result.query, result.method) == (query, method)


def test_real_llamacpp_rewrite_keeps_the_contract(llamacpp_backend: Backend) -> None:
    """Gemma 3 270M may or may not rewrite well; either its output passed every check or concat was used."""
    result = rewrite_query(FOLLOW_UP, HISTORY, llamacpp_backend, "llm")
    prompt = getattr(llamacpp_backend.chat_model, "last_prompt", "")
    assert f"Follow-up: {FOLLOW_UP}\nStandalone query:" in prompt
    assert result.method in {"llm", "llm-fallback"}
    if result.method == "llm":
        assert sanitize_rewrite(result.query, FOLLOW_UP, HISTORY, 300) == (result.query, "")
    else:
        assert result.query == standalone_query(FOLLOW_UP, HISTORY) and result.reason


def test_real_llamacpp_rewrite_over_the_length_limit_falls_back(llamacpp_backend: Backend) -> None:
    result = rewrite_query(FOLLOW_UP, HISTORY, llamacpp_backend, "llm", max_chars=20)
    assert result.method == "llm-fallback" or len(result.query) <= 20


@pytest.mark.parametrize(
    ("reply", "method", "query"),
    [
        (
            ["<think>", "it = dispute</think>", "Card dispute duration for <PERSON_1>"],
            "llm",
            "Card dispute duration for <PERSON_1>",
        ),
        (["Query: ", "'card dispute duration'"], "llm-fallback", f"{HISTORY[0].question} {FOLLOW_UP}"),
        (
            ["Dispute duration for <PERSON_1> and <EMAIL_ADDRESS_1>"],
            "llm-fallback",
            f"{HISTORY[0].question} {FOLLOW_UP}",
        ),
    ],
)
def test_chat_model_rewrite_checks_placeholders(reply: list[str], method: str, query: str) -> None:
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=reply) as fake:
        chat = build_ollama_chat(OllamaSettings(), fake.url)
        result = rewrite_query(FOLLOW_UP, HISTORY, Backend("ollama", "deepseek-r1:7b", chat), "auto")
        (request,) = fake.chat_requests
    assert (result.method, result.query) == (method, query)
    assert request["think"] is False and request["options"]["num_predict"] == 96
    assert FOLLOW_UP in request["messages"][-1]["content"]


def test_chat_model_that_writes_a_raw_value_is_scrubbed_and_rejected(services: Services) -> None:
    from privacy import Vault

    vault = Vault(session_id="t")
    with FakeOllamaServer(
        models=["deepseek-r1:7b"], reply_chunks=[f"Dispute time for {CANARY_NAME}"]
    ) as fake:
        chat = build_ollama_chat(OllamaSettings(), fake.url)
        result = rewrite_query(
            "How long does it take?",
            [HistoryTurn("Can I dispute a card payment?", "Yes.")],
            Backend("ollama", "deepseek-r1:7b", chat),
            scrub=lambda text: services.deidentification.scrub(text, vault, "finance").text,
        )
    assert result.method == "llm-fallback" and "invented" in result.reason
    assert CANARY_NAME not in result.query + result.reason


def test_pipeline_records_rewrite_method_query_and_timing(services: Services) -> None:
    reply = ["How long does a card dispute take?"]
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=reply) as fake:
        services.settings.ollama.hosts = [fake.url]
        pipeline = services.chat
        first = pipeline.ask("Can I dispute a card payment?", backend="ollama", domain="finance")
        second = pipeline.ask("How long?", session_id=first.session_id, backend="ollama", domain="finance")
        rewrite_request = fake.chat_requests[1]
    assert first.rewrite == "none" and first.retrieval_query == "Can I dispute a card payment?"
    assert second.rewrite == "llm" and second.retrieval_query == "How long does a card dispute take?"
    assert "Last question: How long?" in rewrite_request["messages"][-1]["content"]
    out = second.to_json_dict()
    assert out["rewrite"] == "llm" and out["retrieval_query"] == second.retrieval_query
    assert "rewrite" in out["timings_ms"]


def test_pipeline_with_llamacpp_uses_concat_by_default(services: Services) -> None:
    pipeline = services.chat
    first = pipeline.ask("Can I dispute a card payment?", domain="finance")
    second = pipeline.ask("How long?", session_id=first.session_id, domain="finance")
    assert second.backend == "llamacpp" and second.rewrite == "concat"
    assert second.retrieval_query == "Can I dispute a card payment? How long?"
