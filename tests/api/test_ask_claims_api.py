"""The REST API returns an answer's figures found in no source (issue 21 item 2): ``unsupported`` in ``/api/ask``
and in the ``assistant`` extras of ``/v1/chat/completions`` (streamed and not); an invented phone number is a
marker in the content, never the number.

A real uvicorn server over real retrieval, de-identification and memory; the model is FakeOllamaServer (a STAND-IN
for an Ollama server replaying scripted chunks, so the answer is known: it proves nothing about a real model).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from pipelines.core.settings import load_settings
from pipelines.services import Models, Services
from tests.api.conftest import start
from tests.pipelines.llm.fake_ollama import FakeOllamaServer

LIMITS = (
    "## Limits\n\n"
    "- Online and in the app: up to £25,000 per day for international payments.\n"
    "- Emergency replacement card abroad: 25 pounds (free for Premier).\n"
    "- Call 0800 123 4567 to report a lost card, 24 hours a day.\n"
)
REPLY = [
    "The daily limit online is £50,001. An emergency card abroad costs $10. ",
    "Call 0800 5",
    "55 0199 or 0800 123 4567.",
]
INVENTED = "0800 555 0199"
EXPECTED = [("amount", "£50,001"), ("amount", "$10"), ("phone", "[unverified phone number]")]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Iterator[str]:
    """A server whose chat model is the stand-in, with ``limits.md`` in finance."""
    settings = load_settings(data_dir=tmp_path_factory.mktemp("claims-api") / "data")
    settings.llm.backend = "ollama"
    settings.ingest.index_samples_on_start = False
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=REPLY) as fake:
        settings.ollama.hosts = [fake.url]
        services = Services(settings, models)
        services.ingestion.ingest_bytes("finance", "limits.md", LIMITS.encode())
        running, thread, base = start(services, local_auth=False)
        yield base
        running.should_exit = True
        thread.join(timeout=30)


def _claims(payload: dict[str, object]) -> list[tuple[str, str]]:
    claims = payload["unsupported"]
    assert isinstance(claims, list)
    assert all(c["reason"] for c in claims)
    return [(c["kind"], c["text"]) for c in claims]


def test_api_ask_returns_the_unsupported_claims(url: str) -> None:
    with httpx.Client(base_url=url, timeout=300) as client:
        response = client.post(
            "/api/ask", json={"question": "How much can I send abroad a day?", "domain": "finance"}
        )
    assert response.status_code == 200, response.text
    assert INVENTED not in response.text
    payload = response.json()
    assert _claims(payload) == EXPECTED
    assert "[unverified phone number]" in payload["answer"] and "0800 123 4567" in payload["answer"]


def test_openai_completion_carries_them_in_the_extras(url: str) -> None:
    body = {"model": "assistant-finance", "messages": [{"role": "user", "content": "Daily limit abroad?"}]}
    with httpx.Client(base_url=url, timeout=300) as client:
        response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert INVENTED not in response.text
    payload = response.json()
    assert _claims(payload["assistant"]) == EXPECTED
    assert "[unverified phone number]" in payload["choices"][0]["message"]["content"]


def test_openai_stream_never_sends_the_invented_number(url: str) -> None:
    body = {
        "model": "assistant-finance",
        "stream": True,
        "messages": [{"role": "user", "content": "Daily limit abroad?"}],
    }
    with httpx.Client(base_url=url, timeout=300) as client:
        response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    events = [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: {")
    ]
    content = "".join(e["choices"][0]["delta"].get("content", "") for e in events if e.get("choices"))
    assert INVENTED not in response.text and "555" not in content
    assert "[unverified phone number]" in content
    assert _claims(events[-1]["assistant"]) == EXPECTED
