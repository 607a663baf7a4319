"""The OpenAI-compatible endpoint through the official ``openai`` SDK and LangChain's ``ChatOpenAI``, against a
real uvicorn server and the embedded llama.cpp model."""

from __future__ import annotations

import httpx
import openai
import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from tests.api.conftest import Server
from tests.conftest import CANARY_CARD, CANARY_NAME, scan_tree_for


def _sdk(server: Server, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=300)


def test_models_list_the_roles_domains(server: Server) -> None:
    ids = [m.id for m in _sdk(server, server.alice_key).models.list()]
    assert ids == ["assistant", "assistant-finance"]
    clinician = [m.id for m in _sdk(server, server.carol_key).models.list()]
    assert clinician == ["assistant", "assistant-medical"]


def test_a_completion_through_the_sdk_keeps_the_session_and_its_placeholders(server: Server) -> None:
    client = _sdk(server, server.alice_key)
    first = client.chat.completions.create(
        model="assistant",
        messages=[
            {"role": "user", "content": f"My name is {CANARY_NAME}, card {CANARY_CARD}. What is a fee?"}
        ],
        extra_headers={"X-Session-Id": "alice-s1"},
    )
    assert first.object == "chat.completion" and first.choices[0].message.role == "assistant"
    extras = first.model_extra["assistant"]  # type: ignore[index]
    session = extras["session_id"]  # the caller's own session for the label "alice-s1"
    assert extras["domain"] == "finance" and session.startswith("u") and len(session) == 32
    assert extras["backend"] == "llamacpp" and extras["host"] == ""  # the embedded model has no host
    assert extras["masked"].get("PERSON") == 1 and extras["masked"].get("CREDIT_CARD") == 1
    assert first.usage is not None and first.usage.total_tokens > 0
    second = client.chat.completions.create(
        model="assistant-finance",
        messages=[{"role": "user", "content": f"And can {CANARY_NAME} close the account?"}],
        extra_headers={"X-Session-Id": "alice-s1"},
    )
    assert second.model_extra["assistant"]["session_id"] == session  # type: ignore[index]
    turns = server.services.memory.turns(session)
    assert len(turns) == 2
    stored = " ".join(t.question + t.answer for t in turns)
    assert CANARY_NAME not in stored and "Quartermaine" not in stored and "6467" not in stored
    assert (
        "<PERSON_1>" in turns[0].question and "<PERSON_1>" in turns[1].question
    )  # one placeholder throughout


def test_streaming_through_the_sdk_ends_with_usage_and_done(server: Server) -> None:
    stream = _sdk(server, server.alice_key).chat.completions.create(
        model="assistant",
        messages=[{"role": "user", "content": "How long do I have to dispute a card payment?"}],
        stream=True,
        stream_options={"include_usage": True},
        user="alice's customer 17",
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert any(c.choices and c.choices[0].finish_reason == "stop" for c in chunks)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert isinstance(text, str)
    # the client's label named the session: hashed, never stored as such
    ids = [s["session_id"] for s in server.client(server.alice_key).get("/api/sessions").json()["sessions"]]
    assert any(i.startswith("u") and len(i) == 32 for i in ids) and not any("customer" in i for i in ids)
    assert scan_tree_for(server.services.settings.data_dir, ("alice's customer 17",)) == []


def test_raw_sse_has_done_marker(server: Server) -> None:
    with server.client(server.alice_key) as client:
        body = {
            "model": "assistant",
            "stream": True,
            "messages": [{"role": "user", "content": "What is a fee?"}],
        }
        with client.stream("POST", "/v1/chat/completions", json=body) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith("data: ") for line in lines)


def test_langchain_chat_openai_works_unchanged(server: Server) -> None:
    chat = ChatOpenAI(
        model="assistant", base_url=f"{server.url}/v1", api_key=server.alice_key, max_retries=0, timeout=300
    )
    reply = chat.invoke([HumanMessage("What is an overdraft fee?")])
    assert isinstance(reply.content, str)
    streamed = list(chat.stream([HumanMessage("What is an overdraft fee?")]))
    assert streamed


@pytest.mark.parametrize(
    ("model", "status", "kind"),
    [("gpt-4o", 404, "not_found_error"), ("assistant-medical", 403, "permission_error")],
)
def test_unknown_or_forbidden_models_are_openai_shaped_errors(
    server: Server, model: str, status: int, kind: str
) -> None:
    with server.client(server.alice_key) as client:
        response = client.post(
            "/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "hi"}]}
        )
    assert response.status_code == status
    error = response.json()["error"]
    assert (
        error["type"] == kind
        and model in error["message"]
        and set(error) == {"message", "type", "param", "code"}
    )


def test_the_sdk_raises_its_own_errors(server: Server) -> None:
    with pytest.raises(openai.AuthenticationError):
        _sdk(server, "ak_00000000_" + "x" * 43).models.list()
    with pytest.raises(openai.NotFoundError):
        _sdk(server, server.alice_key).chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "hi"}]
        )


def test_a_body_that_does_not_fit_is_422_without_its_values(server: Server) -> None:
    with server.client(server.alice_key) as client:
        response = client.post("/v1/chat/completions", json={"model": "assistant", "messages": CANARY_NAME})
    assert response.status_code == 422
    assert CANARY_NAME not in response.text and "messages" in response.json()["error"]["message"]


def test_no_user_message_is_400(server: Server) -> None:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.alice_key}"}) as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": "assistant", "messages": [{"role": "system", "content": "x"}]},
        )
    assert response.status_code == 400 and "user message" in response.json()["error"]["message"]


def test_each_open_webui_chat_is_its_own_session(server: Server) -> None:
    """Open WebUI (with ENABLE_FORWARD_USER_INFO_HEADERS=True) sends its chat id in X-OpenWebUI-Chat-Id and the
    whole message list: one server session per chat, never shared between two users with the same chat id."""

    def ask(key: str, chat: str) -> str:
        answer = _sdk(server, key).chat.completions.create(
            model="assistant",
            messages=[{"role": "user", "content": "What is a fee?"}],
            extra_headers={"X-OpenWebUI-Chat-Id": chat},
            user="someone@example.org",  # Open WebUI's user field must not merge its chats
        )
        return str(answer.model_extra["assistant"]["session_id"])  # type: ignore[index]

    first = ask(server.alice_key, "3f1c0b6e-chat-a")
    assert ask(server.alice_key, "3f1c0b6e-chat-a") == first
    assert ask(server.alice_key, "3f1c0b6e-chat-b") != first
    assert ask(server.bob_key, "3f1c0b6e-chat-a") != first
    assert len(server.services.memory.turns(first)) == 2


def test_an_escalating_question_opens_the_content_with_the_notice(server: Server) -> None:
    """Found by a newcomer's trial: /v1 dropped the emergency and fraud notices the web app shows as a banner;
    an OpenAI client (Open WebUI) shows only the content."""
    from domains import load_domains

    notice = load_domains()["finance"].escalation.notices["fraud"]  # type: ignore[union-attr]
    question = "Someone stole my card and is using it right now, help"
    client = _sdk(server, server.alice_key)
    answer = client.chat.completions.create(
        model="assistant-finance", messages=[{"role": "user", "content": question}]
    )
    content = answer.choices[0].message.content or ""
    assert content.startswith(f"⚠️ {notice}\n\n")
    extras = answer.model_extra["assistant"]  # type: ignore[index]
    assert extras["escalation"] == notice and "fraud" in extras["risk"]["categories"]
    stream = client.chat.completions.create(
        model="assistant-finance", messages=[{"role": "user", "content": question}], stream=True
    )
    parts = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert "".join(parts).startswith(f"⚠️ {notice}\n\n")
    calm = client.chat.completions.create(
        model="assistant-finance", messages=[{"role": "user", "content": "What is a fee?"}]
    )
    assert not (calm.choices[0].message.content or "").startswith("⚠️")


def test_streams_the_client_abandons_give_the_model_back(server: Server) -> None:
    """Found by a break-it trial: a few streams closed by their clients mid-answer left the model's lock held
    (their generators were never closed) and every chat request after them hung. Each abandoned stream must
    stop its generation and give its place back, so the next request is answered."""
    body = {
        "model": "assistant",
        "stream": True,
        "messages": [{"role": "user", "content": "Explain the late payment fee in detail"}],
    }
    with server.client(server.alice_key) as client:
        for _ in range(6):  # more than the generation gate's places (1 + api.generation_queue)
            with client.stream("POST", "/v1/chat/completions", json=body) as response:
                assert response.status_code == 200
                for number, _line in enumerate(response.iter_lines()):
                    if number >= 3:
                        break  # leaving the block closes the connection mid-answer
        answered = client.post("/api/ask", json={"question": "What is a fee?"}, timeout=180)
    assert answered.status_code == 200, answered.text
