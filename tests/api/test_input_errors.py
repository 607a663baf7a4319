"""The same mistake gets the same status on every endpoint (api/checks.py): an unknown domain or backend and a
text over its limit are 400, a known domain the role may not use 403, a body off the schema 422; ``/v1`` takes
OpenAI's sampling options (accepted, ignored) and keeps 404 for an unknown model."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Server
from tests.conftest import CANARY_NAME

LONG = "x" * 20_001


def _post(server: Server, key: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with server.client(key) as client:
        response = client.post(path, json=body)
    return response.status_code, response.json()


def _chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": "assistant", "messages": [{"role": "user", "content": content}], **extra}


#: The endpoints that take a domain, and the field of their text.
WITH_A_DOMAIN = [
    ("/api/ask", "question"),
    ("/api/deidentify", "text"),
    ("/api/intent", "text"),
    ("/api/risk", "text"),
]


@pytest.mark.parametrize(("path", "field"), WITH_A_DOMAIN)
def test_an_unknown_domain_is_400_for_every_role(server: Server, path: str, field: str) -> None:
    for key in (server.alice_key, server.carol_key):  # limited roles too: unknown comes before forbidden
        status, answer = _post(server, key, path, {field: "my card is lost", "domain": "astrology"})
        assert status == 400, answer
        assert answer["error"]["message"].startswith("unknown domain; known: ")


@pytest.mark.parametrize(("path", "field"), WITH_A_DOMAIN)
def test_a_known_domain_the_role_may_not_use_is_403(server: Server, path: str, field: str) -> None:
    status, answer = _post(server, server.alice_key, path, {field: "my chest hurts", "domain": "medical"})
    assert status == 403 and answer["error"]["type"] == "permission_error", answer
    assert answer["error"]["message"] == "the role 'agent' may not use the domain 'medical'"


def test_an_unknown_backend_is_400_not_503(server: Server) -> None:
    status, answer = _post(server, server.alice_key, "/api/ask", {"question": "Fees?", "backend": "gpt-4"})
    assert status == 400 and answer["error"]["type"] == "invalid_request_error"
    assert answer["error"]["message"] == "unknown backend; use auto, ollama, openai, llamacpp"


@pytest.mark.parametrize(
    ("path", "body", "what"),
    [
        ("/api/ask", {"question": LONG}, "question"),
        ("/api/route", {"question": LONG}, "question"),
        ("/api/intent", {"text": LONG}, "message"),
        ("/api/risk", {"text": LONG}, "message"),
        ("/api/assist", {"message": LONG}, "customer message"),
        ("/api/deidentify", {"text": "x" * 200_001}, "text"),
        ("/v1/chat/completions", _chat(LONG), "question"),
    ],
)
def test_a_text_over_its_limit_is_400_with_the_length_and_the_limit(
    server: Server, path: str, body: dict[str, Any], what: str
) -> None:
    status, answer = _post(server, server.alice_key, path, body)
    limit = "200,000" if path == "/api/deidentify" else "20,000"
    assert status == 400, answer
    assert answer["error"]["message"].startswith(f"the {what} has ")
    assert answer["error"]["message"].endswith(f"at most {limit} are accepted")


def test_a_long_question_claims_no_session(server: Server) -> None:
    before = len(server.services.accounts.sessions_of("bob"))
    status, _ = _post(server, server.bob_key, "/api/ask", {"question": LONG, "session_id": "long-one"})
    assert status == 400 and len(server.services.accounts.sessions_of("bob")) == before


def test_openai_sampling_options_are_accepted_and_checked(server: Server) -> None:
    options = {"max_tokens": 8, "max_completion_tokens": 8, "temperature": 0.2, "top_p": 0.9, "seed": 1}
    status, answer = _post(
        server, server.alice_key, "/v1/chat/completions", _chat("What is a fee?", **options)
    )
    assert status == 200 and answer["object"] == "chat.completion", answer
    status, answer = _post(server, server.alice_key, "/v1/chat/completions", _chat("Fees?", temperature=3))
    assert status == 422 and "temperature" in answer["error"]["message"]
    assert set(answer["error"]) == {"message", "type", "param", "code"}
    with server.client(server.alice_key) as client:
        described = client.get("/openapi.json").json()["components"]["schemas"]["ChatCompletionRequest"]
    assert "ignored" in described["properties"]["max_tokens"]["description"]


def test_v1_keeps_openais_404_for_an_unknown_model_and_403_for_a_forbidden_one(server: Server) -> None:
    status, answer = _post(
        server, server.alice_key, "/v1/chat/completions", {**_chat("hi"), "model": "assistant-x"}
    )
    assert status == 404 and answer["error"]["type"] == "not_found_error"
    status, answer = _post(
        server, server.alice_key, "/v1/chat/completions", {**_chat("hi"), "model": "assistant-medical"}
    )
    assert status == 403 and answer["error"]["type"] == "permission_error"


def test_errors_never_echo_the_input(server: Server) -> None:
    for path, body in (
        ("/api/ask", {"question": f"{CANARY_NAME} " * 3000}),
        ("/api/ask", {"question": "hi", "domain": CANARY_NAME}),
        ("/api/ask", {"question": "hi", "backend": CANARY_NAME}),
    ):
        status, answer = _post(server, server.alice_key, path, body)
        assert status == 400 and "Zelda" not in answer["error"]["message"]
