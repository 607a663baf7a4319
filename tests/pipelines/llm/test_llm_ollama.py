"""The Ollama backend: probing, request building and error mapping (against FakeOllamaServer, a stand-in),
and a live test that runs only when a real Ollama server is reachable."""

from __future__ import annotations

import socket

import pytest

from pipelines.core.errors import BackendError
from pipelines.core.settings import OllamaSettings, load_settings
from pipelines.llm.backends import resolve_backend
from pipelines.llm.ollama import build_ollama_chat, map_ollama_error, probe_ollama
from pipelines.services import Services
from tests.pipelines.llm.fake_ollama import FakeOllamaServer


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_unreachable_host_says_to_start_ollama() -> None:
    status = probe_ollama(OllamaSettings(hosts=[_closed_port_url()], probe_timeout_s=0.5))
    assert status.host is None
    assert "not reachable" in status.reason and "ollama serve" in status.reason


def test_missing_model_says_what_to_pull() -> None:
    with FakeOllamaServer(models=["llama3.2:1b"], reply_chunks=[]) as fake:
        status = probe_ollama(OllamaSettings(hosts=[fake.url], model="deepseek-r1:7b"))
    assert status.host is None
    assert "ollama pull deepseek-r1:7b" in status.reason


def test_first_usable_host_wins() -> None:
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=[]) as fake:
        status = probe_ollama(OllamaSettings(hosts=[_closed_port_url(), fake.url]))
    assert status.host == fake.url


def test_explicit_ollama_backend_raises_when_unusable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir=tmp_path)
    settings.ollama.hosts = [_closed_port_url()]
    settings.ollama.probe_timeout_s = 0.5
    with pytest.raises(BackendError, match="ollama serve"):
        resolve_backend(settings, "ollama")


def test_chat_request_carries_model_messages_and_options_and_splits_think() -> None:
    chunks = ["<think>The user asks", " about fees.</think>", "The fee is ", "2.75% [1]."]
    settings = OllamaSettings(model="deepseek-r1:7b", temperature=0.3, num_ctx=4096)
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=chunks) as fake:
        chat = build_ollama_chat(settings, fake.url)
        text = "".join(str(c.content) for c in chat.stream([("system", "ctx"), ("human", "What fee?")]))
        (request,) = fake.chat_requests
    assert request["model"] == "deepseek-r1:7b"
    assert request["stream"] is True
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert request["options"]["temperature"] == 0.3 and request["options"]["num_ctx"] == 4096
    assert request["think"] is True
    assert "2.75% [1]." in text


def test_model_missing_during_chat_maps_to_pull_advice() -> None:
    with FakeOllamaServer(models=["other"], reply_chunks=[]) as fake:
        chat = build_ollama_chat(OllamaSettings(model="deepseek-r1:7b"), fake.url)
        with pytest.raises(Exception) as caught:
            list(chat.stream([("human", "hi")]))
    mapped = map_ollama_error(caught.value, fake.url, "deepseek-r1:7b")
    assert "ollama pull deepseek-r1:7b" in str(mapped)


def test_pipeline_over_the_ollama_backend_streams_splits_reasoning_and_persists_no_think(
    services: Services,
) -> None:
    chunks = ["<think>Reason about <PERSON_1>.</think>", "Hello <PERSON_1>, ", "the fee is 2.75%."]
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=chunks) as fake:
        services.settings.ollama.hosts = [fake.url]
        result = services.chat.ask(
            "I am Zelda Quartermaine, what is the fee?", backend="ollama", domain="finance"
        )
        sent = fake.chat_requests[0]
    assert result.backend == "ollama" and result.model == "deepseek-r1:7b"
    assert result.answer == "Hello Zelda Quartermaine, the fee is 2.75%."
    assert result.reasoning == "Reason about <PERSON_1>."
    assert "Quartermaine" not in str(sent)
    stored = services.memory.turns(result.session_id)[0]
    assert "Reason" not in stored.answer and "Quartermaine" not in stored.answer + stored.question


def _live_ollama() -> str | None:
    status = probe_ollama(OllamaSettings(probe_timeout_s=1.0))
    return status.host


@pytest.mark.live_ollama
@pytest.mark.skipif(
    _live_ollama() is None,
    reason="no Ollama server is reachable at 127.0.0.1:11434 with "
    "deepseek-r1:7b (none exists in CI: no Ollama binary or Docker engine on this machine)",
)
def test_live_ollama_answers() -> None:
    settings = OllamaSettings()
    chat = build_ollama_chat(settings, _live_ollama() or "")
    text = "".join(str(c.content) for c in chat.stream([("human", "Reply with the single word: yes")]))
    assert text.strip()
