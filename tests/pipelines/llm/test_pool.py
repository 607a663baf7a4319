"""The host pool's rules without servers (scripted probes, a fake clock, scripted chat models), the settings of
several hosts, the time limits of a stream, the options sent to Ollama (FakeOllamaServer, a stand-in) and the
reasoning field of OpenAI-compatible streams. The same pool against real processes: test_pool_servers.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import ValidationError

from domains.config import GenerationConfig
from pipelines.core.errors import BackendError
from pipelines.core.settings import OllamaSettings, OpenAISettings, Settings, load_settings
from pipelines.llm.backends import Backend, answered_by, resolve_backend
from pipelines.llm.generation import chat_parts
from pipelines.llm.limits import GenerationOptions, StreamLimits, StreamTimeout, timed_stream
from pipelines.llm.ollama import build_ollama_chat
from pipelines.llm.openai_server import ReasoningChatOpenAI, openai_kind
from pipelines.llm.pool import (
    Failure,
    HostPool,
    HostPools,
    PooledChatModel,
    ServerKind,
    pool_hosts,
    public_url,
)
from pipelines.services import Services
from tests.pipelines.llm.fake_ollama import FakeOllamaServer
from tests.pipelines.llm.servers import BlackHole


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Broken(Exception):
    """A scripted connection failure (counts as the host being down)."""


def scripted_kind(
    down: set[str], replies: dict[str, list[str]] | None = None, probes: list[str] | None = None
) -> ServerKind:
    """A server kind whose probe says ``down`` hosts are not reachable and whose chat model replies with
    ``replies[host]`` (default: the host's name), failing with :class:`Broken` after the first chunk when the
    host is in ``down`` by then."""
    replies = replies or {}
    probes = probes if probes is not None else []

    def probe(host: Any, timeout_s: float) -> str | None:
        probes.append(host.name)
        return "not reachable (ConnectError)" if host.url in down else None

    class Scripted(BaseChatModel):
        host_url: str

        @property
        def _llm_type(self) -> str:
            return "scripted"

        def _stream(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
        ) -> Iterator[Any]:
            if self.host_url in down:
                raise Broken("connection refused")
            for index, word in enumerate(replies.get(self.host_url, [self.host_url])):
                if index:
                    time.sleep(0.1)  # the test kills the host while the first word is shown
                if index and self.host_url in down:
                    raise Broken("connection reset")
                yield ChatGenerationChunk(message=AIMessageChunk(content=word))

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            return generate_from_stream(self._stream(messages))

    def build(host: Any, options: GenerationOptions, limits: StreamLimits) -> Any:
        return Scripted(host_url=host.url)

    def classify(exc: Exception, host: Any) -> Failure:
        return Failure(isinstance(exc, Broken | StreamTimeout), f"{type(exc).__name__}: {exc}")

    return ServerKind("ollama", "Ollama", probe, build, classify)


def settings_of(*urls: Any, **extra: Any) -> OllamaSettings:
    return OllamaSettings(hosts=list(urls), probe_timeout_s=0.2, **extra)


def settle(pool: HostPool) -> None:
    """Probe every host and wait for all outcomes (the first probe returns when one host is up)."""
    pool.available()
    deadline = time.monotonic() + 5
    while any(s["up"] is None for s in pool.status()) and time.monotonic() < deadline:
        time.sleep(0.01)


def stream_text(pool: HostPool) -> tuple[str, str]:
    chat = PooledChatModel(pool=pool)
    text = "".join(str(c.content) for c in chat.stream([HumanMessage("hi")]))
    return text, chat.last_host


def test_public_url_drops_credentials_query_and_trailing_slash() -> None:
    assert public_url("https://user:s3cret@gpu1:8000/v1/?key=abc#x") == "https://gpu1:8000/v1"
    assert public_url("http://127.0.0.1:11434/") == "http://127.0.0.1:11434"


def test_hosts_from_the_environment_json_urls_and_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "ASSISTANT_OPENAI__HOSTS",
        '["http://a:8000/v1", {"url": "http://b:8000/v1", "models": ["qwen"], "weight": 3, "api_key": "kb"}]',
    )
    monkeypatch.setenv("ASSISTANT_OPENAI__MODEL", "r1")
    monkeypatch.setenv("ASSISTANT_OPENAI__API_KEY", "ka")
    settings = Settings()
    hosts = pool_hosts(settings.openai)
    assert [(h.name, h.model, h.weight, h.api_key) for h in hosts] == [
        ("http://a:8000/v1", "r1", 1.0, "ka"),
        ("http://b:8000/v1", "qwen", 3.0, "kb"),
    ]
    assert "kb" not in repr(settings) and "ka" not in repr(settings) and "kb" not in repr(hosts)


def test_selection_fewest_in_flight_per_weight_and_round_robin() -> None:
    pool = HostPool(scripted_kind(set()), settings_of("http://a", {"url": "http://b", "weight": 2}))
    settle(pool)
    first = pool.acquire()
    second = pool.acquire()
    third = pool.acquire()  # a: 1 in flight of weight 1; b: 1 of weight 2 -> b again
    assert (first.name, second.name, third.name) == ("http://a", "http://b", "http://b")
    for host in (first, second, third):
        pool.release(host)
    served = [stream_text(pool)[1] for _ in range(6)]
    assert served.count("http://b") == 4 and served.count("http://a") == 2  # weighted round robin


def test_health_is_cached_for_the_ttl_then_probed_in_the_background() -> None:
    clock, probes = Clock(), []
    pool = HostPool(scripted_kind(set(), probes=probes), settings_of("http://a", health_ttl_s=30), clock)
    for _ in range(5):
        assert pool.available()
    assert probes == ["http://a"]  # probed once, before its first use
    clock.now += 31
    assert pool.available()  # the known state is used while the background probe runs
    deadline = time.monotonic() + 5
    while len(probes) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert probes == ["http://a", "http://a"]


def test_failure_takes_a_host_out_and_a_probe_lets_it_back() -> None:
    clock, down = Clock(), {"http://a"}
    kind = scripted_kind(down)
    pool = HostPool(kind, settings_of("http://a", "http://b", retry_after_s=5), clock)
    down.clear()  # both healthy when probed
    settle(pool)
    down.add("http://a")  # a dies
    assert {stream_text(pool)[1] for _ in range(3)} == {"http://b"}  # a failed once, before its first token
    assert [s["up"] for s in pool.status()] == [False, True]
    down.clear()  # a is back, but stays out until a probe after retry_after_s
    assert {stream_text(pool)[1] for _ in range(2)} == {"http://b"}
    clock.now += 6
    pool.available()  # starts the background probe of a
    deadline = time.monotonic() + 5
    while not pool.status()[0]["up"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "http://a" in {stream_text(pool)[1] for _ in range(2)}


def test_no_second_answer_after_the_first_token() -> None:
    down: set[str] = set()
    kind = scripted_kind(down, replies={"http://a": ["one", "two", "three"]})
    pool = HostPool(kind, settings_of("http://a", "http://b"))
    chat = PooledChatModel(pool=pool)
    shown = []
    with pytest.raises(BackendError, match=r"http://a broke off .*not retried"):
        for chunk in chat.stream([HumanMessage("hi")]):
            shown.append(str(chunk.content))
            down.add("http://a")
    assert shown == ["one"]


def test_all_hosts_down_is_one_error_naming_each_host_and_why() -> None:
    pool = HostPool(scripted_kind({"http://a", "http://u:p@b:1"}), settings_of("http://a", "http://u:p@b:1/"))
    with pytest.raises(BackendError) as caught:
        pool.acquire()
    message = str(caught.value)
    assert message.startswith("no Ollama host can answer")
    assert "http://a: not reachable" in message and "http://b:1: not reachable" in message
    assert "u:p" not in message


def test_unconfigured_openai_is_skipped_by_auto_and_explicit_openai_says_what_to_set(tmp_path: Any) -> None:
    settings = load_settings(data_dir=tmp_path)
    settings.ollama.hosts = []
    llama = Backend("llamacpp", "gemma", GenericFakeChatModel(messages=iter([])))
    assert resolve_backend(settings, "auto", lambda: llama).name == "llamacpp"
    with pytest.raises(BackendError, match="ASSISTANT_OPENAI__HOSTS"):
        resolve_backend(settings, "openai", lambda: llama)


def test_auto_probes_once_per_ttl_not_per_turn(tmp_path: Any) -> None:
    settings = load_settings(data_dir=tmp_path)
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=["ok"]) as fake:
        settings.ollama.hosts = [fake.url]
        pools = HostPools()
        backends = [resolve_backend(settings, "auto", pools=pools) for _ in range(5)]
        assert {b.name for b in backends} == {"ollama"}
        assert len({id(b.chat_model.pool) for b in backends}) == 1  # one pool: its health is cached
        assert [h["served"] for h in backends[0].chat_model.pool.status()] == [0]
        text = "".join(c for c, _ in chat_parts(backends[0], [HumanMessage("hi")]))
    assert text == "ok" and answered_by(backends[0]) == (fake.url, "deepseek-r1:7b")


def test_timed_stream_limits_first_token_gaps_and_total() -> None:
    def slow(first: float, gap: float, n: int = 3) -> Iterator[int]:
        time.sleep(first)
        for i in range(n):
            if i:
                time.sleep(gap)
            yield i

    fast = StreamLimits(first_token_s=1, between_tokens_s=1, total_s=5)
    assert list(timed_stream(lambda: slow(0, 0), fast)) == [0, 1, 2]
    with pytest.raises(StreamTimeout, match="no first token within 0.2 s"):
        list(timed_stream(lambda: slow(1, 0), StreamLimits(first_token_s=0.2)))
    with pytest.raises(StreamTimeout, match="no next token within 0.2 s"):
        list(timed_stream(lambda: slow(0, 1), StreamLimits(between_tokens_s=0.2)))
    with pytest.raises(StreamTimeout, match="longer than 0.5 s"):
        list(timed_stream(lambda: slow(0, 0.3, 5), StreamLimits(between_tokens_s=1, total_s=0.5)))


def test_closing_a_timed_stream_closes_its_source() -> None:
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            for i in range(1000):
                time.sleep(0.01)
                yield i
        finally:
            closed.set()

    stream = timed_stream(source, StreamLimits())
    assert next(stream) == 0
    stream.close()
    assert closed.wait(2)


def test_options_and_keep_alive_reach_ollama_domain_over_settings() -> None:
    settings = OllamaSettings(temperature=0.3, num_ctx=4096, keep_alive="10m", top_p=0.8)
    domain = GenerationOptions(**GenerationConfig(num_predict=5, temperature=0.6).model_dump())
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=["ok"]) as fake:
        chat = build_ollama_chat(settings, fake.url, domain)
        list(chat.stream([HumanMessage("hi")]))
        (request,) = fake.chat_requests
    assert request["keep_alive"] == "10m"
    options = request["options"]
    assert (options["temperature"], options["top_p"], options["num_ctx"], options["num_predict"]) == (
        0.6,
        0.8,
        4096,
        5,
    )


def test_domain_generation_block_is_validated() -> None:
    assert GenerationConfig(top_p=0.9).num_ctx is None
    with pytest.raises(ValidationError):
        GenerationConfig(top_p=1.5)
    with pytest.raises(ValidationError):
        GenerationConfig.model_validate({"max_tokens": 5})  # unknown keys are rejected


def test_openai_reasoning_content_is_kept() -> None:
    chat = ReasoningChatOpenAI(model="r1", base_url="http://127.0.0.1:1/v1", api_key="x")  # type: ignore[arg-type]
    for field in ("reasoning_content", "reasoning"):
        chunk = {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "", field: "Hmm."}}]}
        generation = chat._convert_chunk_to_generation_chunk(chunk, AIMessageChunk, {})
        assert generation is not None
        assert generation.message.additional_kwargs["reasoning_content"] == "Hmm."


def test_probe_of_a_silent_host_costs_the_probe_timeout_once_per_ttl() -> None:
    with BlackHole() as hole:
        settings = OpenAISettings(hosts=[f"{hole.url}/v1"], model="m", probe_timeout_s=0.3, retry_after_s=60)
        pool = HostPool(openai_kind(), settings)
        started = time.monotonic()
        assert not pool.available()
        first = time.monotonic() - started
        started = time.monotonic()
        assert not pool.available()  # cached: taken out until retry_after_s
        again = time.monotonic() - started
    assert 0.25 < first < 2 and again < 0.05
    assert "not reachable (ReadTimeout)" in pool.status()[0]["reason"]


def test_a_domains_generation_block_reaches_the_model_and_the_host_is_reported(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    finance = services.domains.domain("finance")
    block = GenerationConfig(num_predict=7, temperature=0.5, num_ctx=2048)
    monkeypatch.setitem(
        services.domains._configs, "finance", finance.model_copy(update={"generation": block})
    )
    with FakeOllamaServer(models=["deepseek-r1:7b"], reply_chunks=["The fee is 2.75%."]) as fake:
        services.settings.ollama.hosts = [fake.url]
        result = services.chat.ask("What is the foreign transaction fee?", backend="ollama", domain="finance")
        options = fake.chat_requests[-1]["options"]
    assert (options["num_predict"], options["temperature"], options["num_ctx"]) == (7, 0.5, 2048)
    assert result.to_json_dict()["host"] == fake.url and result.backend == "ollama"


def test_host_up_and_in_flight_gauges_follow_the_pool() -> None:
    from pipelines.core.metrics import REGISTRY

    def gauge(name: str, host: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"backend": "ollama", "host": host})

    down: set[str] = set()
    pool = HostPool(
        scripted_kind(down, {"http://m-b": ["one", "two"]}), settings_of("http://m-a", "http://m-b")
    )
    settle(pool)
    assert gauge("assistant_host_up", "http://m-a") == gauge("assistant_host_up", "http://m-b") == 1
    down.add("http://m-a")
    stream = PooledChatModel(pool=pool).stream([HumanMessage("hi")])
    next(stream)  # a failed before its first token; b is streaming
    assert gauge("assistant_host_up", "http://m-a") == 0
    assert gauge("assistant_host_requests_in_flight", "http://m-b") == 1
    stream.close()
    assert gauge("assistant_host_requests_in_flight", "http://m-b") == 0
    assert gauge("assistant_host_requests_in_flight", "http://m-a") == 0
