"""Reasoning canary: a model whose <think> text echoes the user's value and invents others. The model is
FakeOllamaServer (a stand-in for an Ollama server); everything else is real (Presidio + spaCy, Chroma,
SQLite, the vault, the log file)."""

from __future__ import annotations

import json

from pipelines.services import Services
from tests.conftest import CANARY_NAME, CANARY_VALUES, scan_tree_for
from tests.pipelines.llm.fake_ollama import FakeOllamaServer

INVENTED = ("Marcus Ellingworth", "Ellingworth", "415-555-0142", "m.ellingworth@example.com")
# reasoning cut mid-name and mid-number across stream chunks, as a model streams it
CHUNKS = [
    "<think>The caller is ",
    f"{CANARY_NAME}; maybe Marcus Ell",
    "ingworth at 415-555-",
    "0142 can help.\nOr write to m.ellingworth@example.com",
    " for <PERSON_1>.</think>",
    "Hello <PERSON_1>, the fee is 2.75%.",
]


def test_canary_reasoning_is_scrubbed_before_it_is_shown_returned_or_logged(services: Services) -> None:
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=CHUNKS) as fake:
        services.settings.ollama.hosts = [fake.url]
        events = list(
            services.chat.stream(f"I am {CANARY_NAME}, what is the fee?", domain="finance", backend="ollama")
        )
    result = events[-1].data
    assert result is not None
    shown = "".join(e.text for e in events if e.kind == "reasoning")
    assert shown.strip() == result.reasoning
    assert result.reasoning == (
        # invented identifiers become the figure check's markers as they stream (issue 21), names are scrubbed
        "The caller is <PERSON_1>; maybe <PERSON> at [unverified phone number] can help.\n"
        "Or write to [unverified email address] for <PERSON_1>."
    )
    assert result.answer == f"Hello {CANARY_NAME}, the fee is 2.75%."
    payload = result.to_json_dict()
    payload.pop("answer")
    leaked = [v for v in (*CANARY_VALUES, *INVENTED) if v in json.dumps(payload, ensure_ascii=False)]
    assert leaked == []
    assert scan_tree_for(services.settings.data_dir, (*CANARY_VALUES, *INVENTED)) == []
    assert services.vaults.open(result.session_id).values == {"<PERSON_1>": CANARY_NAME}


ANSWER_CHUNKS = [
    "Hello <PERSON_1>. Please call Marcus Ellingworth on 415-555-",
    "0142 or write to m.ellingworth@example.com; the fee is 2.75%.",
]


def test_canary_values_the_model_invents_in_its_answer_are_not_stored(services: Services) -> None:
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=ANSWER_CHUNKS) as fake:
        services.settings.ollama.hosts = [fake.url]
        events = list(
            services.chat.stream(f"I am {CANARY_NAME}, what is the fee?", domain="finance", backend="ollama")
        )
    result = events[-1].data
    assert result is not None
    assert result.answer_redacted.startswith(
        "Hello <PERSON_1>. Please call <PERSON> on [unverified phone number] or write to [unverified email address]"
    )
    assert result.answer.startswith(f"Hello {CANARY_NAME}.")
    stored = services.memory.history(result.session_id, 5)
    assert stored and all(v not in json.dumps([t.answer for t in stored]) for v in INVENTED)
    assert scan_tree_for(services.settings.data_dir, (*CANARY_VALUES, *INVENTED)) == []
