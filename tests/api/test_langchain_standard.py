"""LangChain's standard chat-model integration tests (the ``langchain-tests`` package) against ``/v1`` through
``langchain_openai.ChatOpenAI(base_url=...)``, on a real uvicorn server and the embedded llama.cpp model.

What runs: invoke, ainvoke, stream and astream (both output versions), stream events v3, batch and abatch,
conversations (also with repeated and system messages), a message with a name, a stop sequence (accepted and
ignored, like ``temperature`` and ``max_tokens``), usage metadata on invoke and streaming (the server's
estimates), and the model override (``assistant`` → ``assistant-finance``, the other model alice may use).

Disabled through the class's properties (the standard tests skip themselves), because the endpoint does not
offer the feature:

- tool calling, tool choice, tool messages, agent loops, runnables as tools, the unicode tool call
  (``has_tool_calling`` False): the server drives a retrieval turn and never returns ``tool_calls``.
- structured output in every form, few-shot structured examples (``has_structured_output`` False) and JSON mode
  (``supports_json_mode`` False): the answer is free text from the domain's prompt; ``response_format`` is
  ignored.
- image, image-URL, PDF, audio and video inputs, image and PDF tool messages, Anthropic-style inputs (the
  ``supports_*`` properties, False as by default): only text parts of a message are read.
- the VCR-recorded streaming benchmark (``enable_vcr_tests`` False): it needs a recorded cassette of a hosted
  API, while this server is local and its answers are not fixed.
- usage details (audio, reasoning, cache tokens; ``supported_usage_metadata_details`` empty): the server counts
  only prompt and completion tokens, as estimates.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_openai import ChatOpenAI
from langchain_tests.integration_tests import ChatModelIntegrationTests

from tests.api.conftest import Server

pytestmark = pytest.mark.slow


def _fixed(value: Any) -> Any:
    """A read-only property with a constant value (how the standard tests are told what the model offers)."""
    return property(lambda _self: value)


class TestAssistantChatOpenAI(ChatModelIntegrationTests):
    """The standard tests with ``ChatOpenAI`` pointed at this server's ``/v1`` as alice (an agent: finance)."""

    # the async standard tests (ainvoke, astream, abatch) run on AnyIO's pytest plugin
    pytestmark = pytest.mark.anyio
    endpoint: dict[str, Any] = {}  # base_url and api_key, set by the module's server fixture

    chat_model_class = _fixed(ChatOpenAI)

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # an async client per model: ChatOpenAI's shared default one would outlive the event loop of its test
        client = httpx.AsyncClient(timeout=120)
        return {"model": "assistant", "stream_usage": True, "http_async_client": client, **self.endpoint}

    has_tool_calling = _fixed(False)
    has_tool_choice = _fixed(False)
    has_structured_output = _fixed(False)
    supports_json_mode = _fixed(False)
    enable_vcr_tests = _fixed(False)
    supports_model_override = _fixed(True)
    model_override_value = _fixed("assistant-finance")
    supported_usage_metadata_details = _fixed({"invoke": [], "stream": []})


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """The async tests' event loop: asyncio (AnyIO's pytest plugin)."""
    return "asyncio"


@pytest.fixture(scope="module", autouse=True)
def _endpoint(server: Server) -> Iterator[None]:
    TestAssistantChatOpenAI.endpoint = {"base_url": f"{server.url}/v1", "api_key": server.alice_key}
    yield
    TestAssistantChatOpenAI.endpoint = {}
