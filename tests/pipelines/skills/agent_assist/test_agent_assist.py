"""Agent assist: the finance agent-assist config, and the pipeline end to end on the shipped finance handbook
with every real component (Presidio + spaCy, all-MiniLM-L6-v2, Chroma and BM25 in a temp dir, the intent
model, the risk detector and Gemma 3 270M in llama.cpp), including the privacy canary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from domains import DomainError, load_agent_assist, load_domains
from pipelines.core.errors import AssistantError
from pipelines.services import Services
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE, CANARY_VALUES, scan_tree_for

ROOT = Path(__file__).resolve().parents[4]
FINANCE = ROOT / "domains" / "finance"
# The 77 BANKING77 intents as the shipped intent model lists them (the dataset itself lives outside the repo).
BANKING77_LABELS = set(json.loads((FINANCE / "intent/model/seed0/intent_model.json").read_text())["labels"])
_FINANCE_RISK = load_domains()["finance"].risk
RISK_CATEGORIES = set(_FINANCE_RISK.categories) if _FINANCE_RISK is not None else set()
FRAUD_MESSAGE = (
    f"Hi, this is {CANARY_NAME}. My card {CANARY_CARD} was stolen last night and someone has used it to buy "
    f"things I never bought, this is fraud. Please call me on {CANARY_PHONE}."
)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def test_the_finance_config_keys_are_banking77_intents_or_risk_categories() -> None:
    config = load_agent_assist(load_domains()["finance"])
    assert config is not None
    assert {"fraud", "scam", "vulnerable_customer", "self_harm"} <= RISK_CATEGORIES
    assert set(config.required_wording) <= BANKING77_LABELS | RISK_CATEGORIES
    assert set(config.escalation_advice) <= RISK_CATEGORIES


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("lost_or_stolen_card", "we have blocked your card"),
        ("compromised_card", "we have blocked your card"),
        ("fraud", "we have blocked your card"),
        ("scam", '"safe account"'),
        ("vulnerable_customer", "financial support team"),
        ("self_harm", "samaritans"),
    ],
)
def test_the_finance_config_requires_the_wording_the_bank_needs(key: str, words: str) -> None:
    config = load_agent_assist(load_domains()["finance"])
    assert config is not None
    (sentence,) = config.wording_for([key])
    assert words in sentence.casefold()


def test_wording_for_keeps_key_order_and_gives_a_shared_sentence_once() -> None:
    config = load_agent_assist(load_domains()["finance"])
    assert config is not None
    sentences = config.wording_for(["lost_or_stolen_card", "scam", "compromised_card", "no_such_key"])
    assert sentences == [
        " ".join(config.required_wording["lost_or_stolen_card"].split()),
        " ".join(config.required_wording["scam"].split()),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- not a mapping\n", "not a YAML mapping"),
        ("required_wording: {fraud: x}\n", "instructions"),
        ("instructions: be kind\npassages: 0\n", "passages"),
        ("instructions: be kind\ntone: warm\n", "tone"),
        ("instructions: be kind\nrequest: Reply please\n", "must contain {message}"),
    ],
    ids=["a-list", "no-instructions", "zero-passages", "unknown-key", "request-without-message"],
)
def test_an_invalid_agent_assist_file_is_an_error_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    folder = tmp_path / "finance"
    shutil.copytree(FINANCE, folder, ignore=shutil.ignore_patterns("corpus"))
    (folder / "agent_assist.yaml").write_text(content, encoding="utf-8")
    domain = load_domains(tmp_path)["finance"]
    with pytest.raises(DomainError, match=message) as caught:
        load_agent_assist(domain)
    assert str(folder / "agent_assist.yaml") in str(caught.value)


def test_a_domain_without_agent_assist_file_is_an_error_naming_it(services: Services) -> None:
    name = next(n for n, d in services.domains.items() if load_agent_assist(d) is None)
    with pytest.raises(AssistantError, match=f"domain {name!r} has no agent_assist.yaml"):
        services.assist.config(name)


@pytest.mark.parametrize("message", ["", "   \n"])
def test_an_empty_message_is_an_error(services: Services, message: str) -> None:
    with pytest.raises(AssistantError, match="the customer message is empty"):
        services.assist.assist(message)


@pytest.fixture
def finance_services(services: Services) -> Services:
    """Services with the shipped finance handbook chapters on cards and fraud indexed."""
    for name in ("01-lost-stolen-cards-and-blocking.md", "07-fraud-and-scam-warnings.md"):
        services.ingestion.ingest_path("finance", FINANCE / "corpus" / name, review=False)
    return services


@pytest.mark.slow
def test_a_fraud_message_gets_flags_cited_passages_and_a_draft_with_the_required_wording(
    finance_services: Services,
) -> None:
    services = finance_services
    events = list(services.assist.stream(FRAUD_MESSAGE))
    kinds = [e.kind for e in events]
    assert kinds[0] == "meta" and kinds[-1] == "done" and set(kinds[1:-1]) == {"answer"}
    result = events[-1].data
    assert result is not None

    assert "<PERSON_1>" in result.message and "<CREDIT_CARD_1>" in result.message
    assert CANARY_NAME in result.message_display and "•••• 6467" in result.message_display
    assert result.intent is not None and 0.0 <= result.intent.confidence <= 1.0
    assert result.risk is not None and "fraud" in result.risk.categories
    assert result.escalation_advice

    assert result.sources and [s.number for s in result.sources] == list(range(1, len(result.sources) + 1))
    assert {s.source for s in result.sources} <= {
        "01-lost-stolen-cards-and-blocking.md",
        "07-fraud-and-scam-warnings.md",
    }
    assert all(s.location and s.text for s in result.sources)

    config = services.assist.config()
    fraud = " ".join(config.required_wording["fraud"].split())
    assert fraud in result.required_wording
    for sentence in result.required_wording:
        assert _normal(sentence) in _normal(result.draft)
        assert _normal(sentence) in _normal(result.draft_redacted)
    streamed = "".join(e.text for e in events if e.kind == "answer")
    assert _normal(fraud) in _normal(streamed)
    assert result.backend == "llamacpp"


@pytest.mark.slow
def test_canary_raw_pii_never_reaches_the_prompt_the_json_or_the_data_dir(finance_services: Services) -> None:
    result = finance_services.assist.assist(FRAUD_MESSAGE)
    for value in CANARY_VALUES:
        assert value not in result.prompt, value
    assert not [v for v in CANARY_VALUES if v in json.dumps(result.to_json_dict(), ensure_ascii=False)]
    assert scan_tree_for(finance_services.settings.data_dir, CANARY_VALUES) == []


@pytest.mark.slow
def test_a_picked_conversation_gives_its_last_message_and_keeps_its_placeholders(
    finance_services: Services,
) -> None:
    services = finance_services
    chat = services.chat.ask(f"My name is {CANARY_NAME}. My card was stolen, what do I do?", domain="finance")
    message = services.conversations.last_message(chat.session_id)
    assert message == f"My name is {CANARY_NAME}. My card was stolen, what do I do?"
    result = services.assist.assist(message, session_id=chat.session_id)
    assert result.session_id == chat.session_id
    assert result.message == services.memory.turns(chat.session_id)[-1].question
    assert "<PERSON_1>" in result.message


def test_a_conversation_without_messages_is_an_error(services: Services) -> None:
    with pytest.raises(AssistantError, match="session 'nothing-here' has no messages"):
        services.conversations.last_message("nothing-here")
