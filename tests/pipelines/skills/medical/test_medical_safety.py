"""Medical safety: emergency symptoms get the fixed urgent-care notice before any answer, and the system prompt
keeps answers informational, cited and disclaimed. Checked with fixed phrases, never with model output."""

from __future__ import annotations

import pytest

from domains import load_domains
from pipelines.chat.signals import detect_signals
from pipelines.services import Services
from tests.pipelines.llm.fake_ollama import FakeOllamaServer

MEDICAL = load_domains()["medical"]
assert MEDICAL.escalation is not None
NOTICES = MEDICAL.escalation.notices
DEFAULT = MEDICAL.escalation.notice
LEAFLET = (
    b"# Heart attack\n\nThe most common heart attack symptom is chest pain or discomfort. Call 911 at once.\n\n"
    b"# Stroke\n\nSigns of stroke include face drooping, arm weakness and speech difficulty.\n"
)


@pytest.mark.parametrize(
    ("message", "notice"),
    [
        ("I have crushing chest pain that is spreading to my left arm", NOTICES["heart_attack"]),
        ("my dad has a tight chest and is sweating", NOTICES["heart_attack"]),
        ("the pain is radiating to my jaw", NOTICES["heart_attack"]),
        ("My mother's face is drooping on one side and her speech is slurred", NOTICES["stroke"]),
        ("sudden numbness in my left leg and sudden confusion", NOTICES["stroke"]),
        ("I cut my hand and it won't stop bleeding", NOTICES["severe_bleeding"]),
        ("he is vomiting blood", NOTICES["severe_bleeding"]),
        ("I can't breathe properly and my lips are blue", DEFAULT),
        ("my throat is swelling after a bee sting", DEFAULT),
        ("my toddler swallowed bleach", DEFAULT),
        ("I want to end my life", NOTICES["self_harm"]),
        ("I'm not suicidal, I just feel low", NOTICES["self_harm"]),  # never dropped by negation
        ("我胸口痛，喘不过气", NOTICES["heart_attack"]),
        ("我胸口很痛", NOTICES["heart_attack"]),
        ("my chest is really tight", NOTICES["heart_attack"]),
        ("his face drooped", NOTICES["stroke"]),
        ("No chest pain since yesterday, but my left arm is numb and weak", NOTICES["stroke"]),
        ("他流血不止", NOTICES["severe_bleeding"]),
        ("the bleeding won't stop", NOTICES["severe_bleeding"]),
        ("I took a whole bottle of pills", DEFAULT),
    ],
)
def test_emergency_phrases_get_the_urgent_notice(services: Services, message: str, notice: str) -> None:
    signals = detect_signals(services.domains.domain("medical"), services.analyzers("medical"), message)
    assert signals.escalate and signals.notice == notice
    assert "emergency number" in signals.notice
    assert signals.prompt_addendum == MEDICAL.escalation.prompt


@pytest.mark.parametrize(
    "message",
    [
        "I have had no chest pain since starting the tablets",
        "Can a heart attack happen without chest pain?",
        "How is high blood cholesterol treated?",
        "What foods help with iron-deficiency anemia?",
        "He denies chest pain",
        "I deny chest pain",
        "不胸痛",
        "I took my pills this morning",
    ],
)
def test_non_emergencies_get_no_notice(services: Services, message: str) -> None:
    signals = detect_signals(services.domains.domain("medical"), services.analyzers("medical"), message)
    assert not signals.escalate and signals.notice == "" and signals.prompt_addendum == ""


def test_the_system_prompt_keeps_answers_informational_cited_and_urgent() -> None:
    prompt = MEDICAL.system_prompt
    assert "Cite the passages" in prompt and "[1]" in prompt
    assert "Do not diagnose" in prompt and "doses" in prompt
    assert "call emergency services immediately" in prompt
    assert MEDICAL.disclaimer.startswith("This is general health information, not medical advice")


def test_an_emergency_turn_shows_the_notice_and_the_disclaimer_whatever_the_model_writes(
    services: Services,
) -> None:
    services.ingestion.ingest_bytes("medical", "heart.md", LEAFLET)
    result = services.chat.ask("I have chest pain and feel faint", domain="medical")
    assert result.signals.notice == NOTICES["heart_attack"]
    assert result.disclaimer == MEDICAL.disclaimer
    payload = result.to_json_dict()
    assert payload["escalation"] == NOTICES["heart_attack"] and payload["disclaimer"] == MEDICAL.disclaimer


def test_the_emergency_addendum_reaches_a_chat_models_system_message(services: Services) -> None:
    # FakeOllamaServer is a STAND-IN for an Ollama server (none exists here); it records the request sent.
    services.ingestion.ingest_bytes("medical", "heart.md", LEAFLET)
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=["Call now."]) as fake:
        services.settings.ollama.hosts = [fake.url]
        pipeline = services.chat
        pipeline.ask("My husband's face is drooping and he can't speak", backend="ollama", domain="medical")
        pipeline.ask("How is high blood pressure treated?", backend="ollama", domain="medical")
        urgent, calm = (request["messages"][0] for request in fake.chat_requests)
    assert MEDICAL.escalation.prompt in urgent["content"] and MEDICAL.system_prompt in urgent["content"]
    assert MEDICAL.escalation.prompt not in calm["content"]
