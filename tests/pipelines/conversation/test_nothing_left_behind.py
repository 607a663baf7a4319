"""A turn that fails keeps none of the user's values, and every session that holds values is listed."""

from __future__ import annotations

import socket

import pytest

from pipelines.chat.pipeline import MAX_QUESTION_CHARS
from pipelines.core.errors import AssistantError, BackendError
from pipelines.services import Services
from tests.conftest import CANARY_CARD, CANARY_NAME


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_failed_turn_leaves_no_vault_and_no_turn(services: Services) -> None:
    services.settings.ollama.hosts = [_closed_port_url()]
    services.settings.ollama.probe_timeout_s = 0.5
    with pytest.raises(BackendError):
        services.chat.ask(f"I am {CANARY_NAME}, card {CANARY_CARD}.", session_id="failed", backend="ollama")
    assert not services.vaults.exists("failed")
    assert services.memory.turns("failed") == []
    assert [info.id for info in services.conversations.sessions()] == []


def test_a_vault_without_turns_is_listed_and_erasable(services: Services) -> None:
    services.assist.assist(f"I am {CANARY_NAME} and my card {CANARY_CARD} was stolen", session_id="assist-1")
    assert services.memory.sessions() == []  # agent assist stores no turns
    [listed] = services.conversations.sessions()
    assert (listed.id, listed.turns, listed.title) == ("assist-1", 0, "")
    receipt = services.conversations.erase("assist-1")
    assert receipt.vault_file and receipt.vault_values == 2 and receipt.turns == 0
    assert services.conversations.sessions() == []


def test_an_over_long_question_is_refused_at_once_with_the_limit(services: Services) -> None:
    with pytest.raises(AssistantError, match=f"at most {MAX_QUESTION_CHARS:,} are accepted"):
        services.chat.ask("x " * MAX_QUESTION_CHARS)
    assert not list(services.vaults.directory.glob("*.vault"))
