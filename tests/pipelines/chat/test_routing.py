"""Embedding-similarity routing over the shipped domains."""

from __future__ import annotations

import pytest

from domains import load_domains
from ingest import Embedder
from pipelines.chat.routing import Router


@pytest.fixture(scope="module")
def router(embedder: Embedder) -> Router:
    return Router(embedder, load_domains())


@pytest.mark.parametrize(
    ("question", "domain"),
    [
        ("I lost my debit card, how do I block it?", "finance"),
        ("Why was I charged a fee for paying in euros abroad?", "finance"),
        ("How long does an international transfer take?", "finance"),
        ("How do I read a CSV file with a header row in Python?", "code"),
        ("What does functools.lru_cache do?", "code"),
        ("My Go function returns an error, how should I retry it?", "code"),
        ("What are the symptoms of a heart attack?", "medical"),
        ("How is type 2 diabetes treated?", "medical"),
        ("Is a migraine different from a normal headache?", "medical"),
    ],
)
def test_questions_route_to_their_domain(router: Router, question: str, domain: str) -> None:
    decision = router.route(question)
    assert decision.domain == domain, decision.scores
    assert 0.0 < decision.confidence <= 1.0
    assert set(decision.scores) == {"finance", "code", "medical"}


def test_pinned_domain_wins_with_full_confidence(router: Router) -> None:
    decision = router.route("What are the symptoms of a heart attack?", pinned="code")
    assert decision.domain == "code" and decision.confidence == 1.0 and decision.pinned
