"""LangChain's standard chat-model integration tests (``langchain-tests``) against the ``openai`` backend's chat
model itself: :class:`pipelines.llm.pool.PooledChatModel` over a pool of two real llama-cpp-python
OpenAI-compatible servers (``llama_cpp.server``, the bundled Gemma 3 270M, 1 thread each).

What runs: invoke, ainvoke, stream and astream (both output versions), stream events v3, batch and abatch,
conversations (also with repeated and system messages), a message with a name, a stop sequence, and the
no-overrides check of the test class.

Disabled through the class's properties (the standard tests skip themselves), because the backend does not
offer the feature:

- tool calling, tool choice, tool messages, agent loops, runnables as tools, the unicode tool call
  (``has_tool_calling`` False): the assistant's turns never bind tools; the pooled model has no ``bind_tools``.
- structured output in every form and few-shot structured examples (``has_structured_output`` False), JSON
  mode (``supports_json_mode`` False): answers are free text; a 270M base model cannot be held to a schema.
- image, image-URL, PDF, audio and video inputs, image and PDF tool messages, Anthropic-style inputs (the
  ``supports_*`` properties, False as by default): prompts are text only.
- usage metadata on invoke and streaming (``returns_usage_metadata`` False): the pool asks for usage in streams
  (``stream_options.include_usage``), but llama-cpp-python's server ignores it, so these servers report none.
- model override (``supports_model_override`` False): the model is fixed per host by the settings.
- the VCR-recorded streaming benchmark (``enable_vcr_tests`` False): it needs a recorded cassette of a hosted
  API, while these servers are local.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from pipelines.core.settings import OpenAISettings
from pipelines.llm.llamacpp import default_gguf_path
from pipelines.llm.openai_server import openai_kind, openai_options
from pipelines.llm.pool import HostPool, PooledChatModel
from tests.pipelines.llm.servers import LLAMA_ALIAS, llama_server

pytestmark = pytest.mark.slow


def _fixed(value: Any) -> Any:
    """A read-only property with a constant value (how the standard tests are told what the model offers)."""
    return property(lambda _self: value)


class TestPooledChatModel(ChatModelIntegrationTests):
    """The standard tests with the pooled ``openai`` chat model over two llama.cpp servers."""

    pytestmark = pytest.mark.anyio
    pool: dict[str, Any] = {}  # the pool, set by the module's servers fixture

    chat_model_class = _fixed(PooledChatModel)

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return dict(self.pool)

    has_tool_calling = _fixed(False)
    has_tool_choice = _fixed(False)
    has_structured_output = _fixed(False)
    supports_json_mode = _fixed(False)
    enable_vcr_tests = _fixed(False)
    returns_usage_metadata = _fixed(False)
    supports_model_override = _fixed(False)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """The async tests' event loop: asyncio (AnyIO's pytest plugin)."""
    return "asyncio"


@pytest.fixture(scope="module", autouse=True)
def _servers() -> Iterator[None]:
    gguf = default_gguf_path()
    servers = [llama_server(gguf), llama_server(gguf)]
    try:
        for server in servers:
            server.start()
        settings = OpenAISettings(
            hosts=[s.url for s in servers], model=LLAMA_ALIAS, num_predict=16, temperature=0.0
        )
        pool = HostPool(openai_kind(), settings)
        TestPooledChatModel.pool = {"pool": pool, "options": openai_options(settings)}
        yield
    finally:
        TestPooledChatModel.pool = {}
        for server in servers:
            server.kill()
