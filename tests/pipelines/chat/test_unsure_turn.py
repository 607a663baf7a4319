"""A chat turn the router is unsure about: the first question asks for a domain, a follow-up keeps the session's."""

from __future__ import annotations

import pytest

from pipelines.chat.routing import UnsureRouteError
from pipelines.services import Services
from tests.conftest import CANARY_NAME, scan_tree_for

OFF_TOPIC = f"I am {CANARY_NAME}. What is a good recipe for banana bread?"


def test_an_unsure_first_question_asks_for_a_domain_and_stores_nothing(services: Services) -> None:
    with pytest.raises(UnsureRouteError) as raised:
        services.chat.ask(OFF_TOPIC)
    decision = raised.value.decision
    assert decision.domain is None and decision.out_of_domain > max(decision.scores.values())
    assert CANARY_NAME not in str(raised.value)  # the message names the probabilities, never the text
    assert services.conversations.sessions() == []
    assert scan_tree_for(services.settings.data_dir, (CANARY_NAME,)) == []


def test_a_pinned_domain_answers_the_same_question(services: Services) -> None:
    result = services.chat.ask(OFF_TOPIC, domain="finance")
    assert result.domain == "finance" and not result.route_followed


def test_an_unsure_follow_up_continues_the_sessions_domain(services: Services) -> None:
    first = services.chat.ask("How do I block my debit card?")
    assert first.domain == "finance" and not first.route_followed
    follow_up = services.chat.ask(OFF_TOPIC, session_id=first.session_id)
    assert follow_up.domain == "finance" and follow_up.route_followed
    assert follow_up.to_json_dict()["route_followed"] is True
