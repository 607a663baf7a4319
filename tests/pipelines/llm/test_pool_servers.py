"""The host pool against real processes: two llama-cpp-python OpenAI-compatible servers (``llama_cpp.server``
with the bundled Gemma 3 270M, the ``openai`` backend) and two Ollama stand-ins (``tests/fixtures/ollama_standin.py``,
a fixed echo following Ollama's documented API: no Ollama binary exists here; the ``ollama`` backend).

The same tests run for both: requests spread over both hosts; a killed host is left out of the next requests
and rejoins after a probe once restarted; a stream already started on a host that dies ends with a clear error
(no second answer from the other host); a stream the consumer stops closes its HTTP response (the server sees
the client go). Plus the time limits (stand-in), ``ask --json``'s backend and host (llama.cpp servers), and the
pool's chat model through LangChain's standard chat-model tests (test_pool_standard.py).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage

from pipelines.core.errors import BackendError
from pipelines.core.settings import Settings, load_settings
from pipelines.llm.backends import Backend, answered_by, resolve_backend
from pipelines.llm.generation import chat_parts
from pipelines.llm.limits import GenerationOptions
from pipelines.llm.llamacpp import default_gguf_path
from pipelines.llm.openai_server import build_openai_chat
from pipelines.llm.pool import HostPools
from pipelines.services import Services
from tests.pipelines.llm.servers import (
    LLAMA_ALIAS,
    STANDIN_MODEL,
    ServerProcess,
    llama_server,
    ollama_standin,
)

pytestmark = pytest.mark.slow

LONG = " ".join(f"w{i}" for i in range(60))  # the stand-in echoes it: a long stream


@dataclass
class Cluster:
    """Two servers of one kind and the settings that point a backend at them."""

    kind: str  # ollama|openai
    servers: list[ServerProcess]
    data_dir: Path

    def ensure_up(self) -> None:
        for server in self.servers:
            if not server.running:
                server.start()

    def settings(self, **extra: Any) -> Settings:
        settings = load_settings(data_dir=self.data_dir)
        section = settings.ollama if self.kind == "ollama" else settings.openai
        section.hosts = [s.url for s in self.servers]
        section.model = STANDIN_MODEL if self.kind == "ollama" else LLAMA_ALIAS
        section.retry_after_s = 0.2
        section.probe_timeout_s = 1.0
        section.num_predict = 8
        section.temperature = 0.0
        for key, value in extra.items():
            setattr(section, key, value)
        return settings

    def backend(self, settings: Settings, pools: HostPools) -> Backend:
        return resolve_backend(settings, self.kind, pools=pools)

    def question(self, long: bool = False) -> list[HumanMessage]:
        if self.kind == "ollama":
            return [HumanMessage(LONG if long else "the sky is blue")]
        return [
            HumanMessage("Write a long story about a lighthouse." if long else "The capital of France is")
        ]

    def standin_stats(self, server: ServerProcess) -> dict[str, Any]:
        return dict(httpx.get(f"{server.root}/standin/stats", timeout=5).json())

    def configure(self, **delays: float) -> None:
        for server in self.servers:
            httpx.post(f"{server.root}/standin/config", json=delays, timeout=5)


@pytest.fixture(scope="module", params=["openai", "ollama"])
def cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    kind = str(request.param)
    if kind == "openai":
        gguf = default_gguf_path()
        servers = [llama_server(gguf), llama_server(gguf)]
    else:
        servers = [ollama_standin(), ollama_standin()]
    found = Cluster(kind, servers, tmp_path_factory.mktemp(kind) / "data")
    try:
        found.ensure_up()
        yield found
    finally:
        for server in servers:
            server.kill()


@pytest.fixture
def up(cluster: Cluster) -> Cluster:
    """The cluster with both servers running (a test before may have killed one)."""
    cluster.ensure_up()
    if cluster.kind == "ollama":
        cluster.configure(first_token_delay=0, token_delay=0)
    return cluster


def probed(cluster: Cluster, settings: Settings) -> HostPools:
    """Pools whose hosts have all been probed (the first probe returns as soon as one host is up)."""
    pools = HostPools()
    deadline = time.monotonic() + 10
    while (
        any(s["up"] is None for s in cluster_status(cluster, settings, pools)) and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    return pools


def answer(cluster: Cluster, settings: Settings, pools: HostPools, long: bool = False) -> tuple[str, str]:
    """One turn's generation: ``(text, host that answered)``."""
    backend = cluster.backend(settings, pools)
    text = "".join(content for content, _ in chat_parts(backend, cluster.question(long)))
    return text, answered_by(backend)[0]


def test_requests_spread_over_both_hosts(up: Cluster) -> None:
    settings = up.settings()
    pools = probed(up, settings)
    hosts = [answer(up, settings, pools)[1] for _ in range(4)]
    assert sorted(hosts) == sorted([s.url for s in up.servers] * 2)


def test_killed_host_is_left_out_then_rejoins_after_a_probe(up: Cluster) -> None:
    settings = up.settings()
    pools = probed(up, settings)
    first, second = up.servers
    assert {answer(up, settings, pools)[1] for _ in range(2)} == {first.url, second.url}
    first.kill()
    after_kill = [answer(up, settings, pools) for _ in range(3)]  # no error: a refused connection is retried
    assert {host for _, host in after_kill} == {second.url}
    status = {s["host"]: s for s in cluster_status(up, settings, pools)}
    assert status[first.url]["up"] is False and "not reachable" in status[first.url]["reason"]
    first.start()
    deadline, hosts = time.monotonic() + 20, set()
    while first.url not in hosts and time.monotonic() < deadline:
        time.sleep(0.25)  # past retry_after_s: the next turn starts a probe, the one after may use it
        hosts.add(answer(up, settings, pools)[1])
    assert first.url in hosts


def cluster_status(cluster: Cluster, settings: Settings, pools: HostPools) -> list[dict[str, Any]]:
    pool: Any = cluster.backend(settings, pools).chat_model
    return list(pool.pool.status())


def long_stream(
    up: Cluster, settings: Settings, pools: HostPools, chunks: int
) -> tuple[Backend, Generator[tuple[str, str], None, None], ServerProcess]:
    """Start a long answer (slow on the stand-in) and read ``chunks`` parts: the backend, the rest of its
    parts and the server that answers."""
    if up.kind == "ollama":
        up.configure(token_delay=0.1)
    backend = up.backend(settings, pools).with_options(GenerationOptions(num_predict=400))
    parts = chat_parts(backend, up.question(long=True))
    for _ in range(chunks):
        next(parts)
    host = answered_by(backend)[0]
    return backend, parts, next(s for s in up.servers if s.url == host)


def test_stream_on_a_host_that_dies_ends_with_a_clear_error_and_no_second_answer(up: Cluster) -> None:
    settings, pools = up.settings(), HostPools()
    backend, parts, victim = long_stream(up, settings, pools, chunks=1)
    host = victim.url
    victim.kill()
    with pytest.raises(BackendError) as caught:
        for _part in parts:
            pass
    message = str(caught.value)
    assert f"{host} broke off" in message and "not retried" in message
    assert answered_by(backend)[0] == host  # nothing came from the other host
    other = next(s for s in up.servers if s is not victim)
    assert answer(up, settings, pools)[1] == other.url  # the dead host is out


def test_a_stopped_stream_closes_its_connection(up: Cluster) -> None:
    _backend, parts, server = long_stream(up, up.settings(), HostPools(), chunks=2)
    before = up.standin_stats(server)["disconnected"] if up.kind == "ollama" else 0
    parts.close()  # the user cancels / the client disconnects

    def stopped() -> bool:
        if up.kind == "ollama":
            return bool(up.standin_stats(server)["disconnected"] == before + 1)
        return "Disconnected from client" in server.log()  # llama_cpp.server cancels the generation

    deadline = time.monotonic() + 10
    while not stopped() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stopped()


def test_options_reach_the_host(up: Cluster) -> None:
    if up.kind != "ollama":
        pytest.skip("the request body is seen by the stand-in only")
    settings, pools = up.settings(keep_alive="10m", top_p=0.9), HostPools()
    backend = up.backend(settings, pools).with_options(GenerationOptions(num_predict=3, temperature=0.7))
    text = "".join(c for c, _ in chat_parts(backend, [HumanMessage("one two three four five")]))
    assert text == "echo: one two"
    host = next(s for s in up.servers if s.url == answered_by(backend)[0])
    request = up.standin_stats(host)["last_request"]
    assert request["keep_alive"] == "10m" and request["think"] is True
    assert {k: request["options"][k] for k in ("num_predict", "temperature", "top_p", "num_ctx")} == {
        "num_predict": 3,
        "temperature": 0.7,
        "top_p": 0.9,
        "num_ctx": 8192,
    }


def test_the_host_reports_output_tokens(up: Cluster) -> None:
    """Ollama's ``eval_count`` and an OpenAI server's streamed ``usage`` (``stream_options.include_usage``) reach
    :attr:`ChatParts.output_tokens` (the output-tokens metric and ``/v1``'s usage)."""
    backend = up.backend(up.settings(), HostPools()).with_options(GenerationOptions(num_predict=3))
    if up.kind == "openai":  # the request asks for the usage chunk (vLLM and llama-server send it)
        pooled = backend.chat_model
        host = pooled.pool.hosts[0]
        chat = build_openai_chat(host, pooled.options, pooled.pool.limits)
        assert chat._should_stream_usage()  # ChatOpenAI then sends stream_options.include_usage
    parts = chat_parts(backend, [HumanMessage("one two three four five")])
    text = "".join(content for content, _ in parts)
    assert text
    if (
        up.kind == "openai"
    ):  # llama-cpp-python's server ignores stream_options: nothing is reported, nothing made up
        assert parts.output_tokens is None
    else:
        assert parts.output_tokens is not None and 1 <= parts.output_tokens <= 3, parts.output_tokens


def test_reasoning_arrives_apart(up: Cluster) -> None:
    if up.kind != "ollama":
        pytest.skip("the llama.cpp server's base model does not reason")
    backend = up.backend(up.settings(), HostPools())
    parts = list(chat_parts(backend, [HumanMessage("hi")]))
    assert ("", "Considering the question.") in parts


def test_first_token_limit_fails_over_then_names_every_host(up: Cluster) -> None:
    if up.kind != "ollama":
        pytest.skip("delays are set on the stand-in")
    up.configure(first_token_delay=2)
    settings, pools = up.settings(first_token_timeout_s=0.4), HostPools()
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        answer(up, settings, pools)
    assert time.monotonic() - started < 3  # two hosts tried, 0.4 s each (not the stand-in's 2 s)
    message = str(caught.value)
    for server in up.servers:
        assert f"{server.url}: no first token within 0.4 s" in message
    assert "FIRST_TOKEN_TIMEOUT_S" in message


def test_between_tokens_limit_ends_the_answer(up: Cluster) -> None:
    if up.kind != "ollama":
        pytest.skip("delays are set on the stand-in")
    up.configure(token_delay=1.5)
    with pytest.raises(BackendError, match=r"broke off \(no next token within 0.3 s"):
        answer(up, up.settings(between_tokens_timeout_s=0.3), HostPools())


def test_ask_json_reports_backend_and_host(up: Cluster, services: Services) -> None:
    if up.kind != "openai":
        pytest.skip("one pass through the chat turn is enough")
    section = up.settings().openai
    saved = services.settings.openai
    services.settings.openai = section
    try:
        result = services.chat.ask("What is the foreign transaction fee?", backend="openai", domain="finance")
    finally:
        services.settings.openai = saved
    shown = result.to_json_dict()
    assert shown["backend"] == "openai" and shown["host"] in {s.url for s in up.servers}
    assert shown["model"] == LLAMA_ALIAS
