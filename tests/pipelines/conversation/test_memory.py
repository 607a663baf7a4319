"""SQLite memory: persistence across restarts, history window, follow-up rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.chat.rewrite import standalone_query
from pipelines.conversation.memory import MemoryStore
from pipelines.core.errors import SessionError
from pipelines.llm.prompts import HistoryTurn


def test_turns_survive_a_restart_and_sessions_are_listed(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "memory.sqlite")
    for i in range(10):
        store.add_turn(
            "s1", f"question {i}", f"answer {i}", "finance", 0.9, [{"source": "a.md"}], "llamacpp", "m"
        )
    store.add_turn("s2", "other", "x", "code", 0.5, [], "llamacpp", "m")
    reopened = MemoryStore(tmp_path / "memory.sqlite")
    history = reopened.history("s1", last=8)
    assert [t.question for t in history] == [f"question {i}" for i in range(2, 10)]
    assert {s.id: s.turns for s in reopened.sessions()} == {"s1": 10, "s2": 1}
    assert reopened.turns("s2")[0].sources == []


def test_invalid_session_id_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="invalid session id"):
        MemoryStore(tmp_path / "m.sqlite").check_id("../../x")


HISTORY = [HistoryTurn("How do I dispute a card payment?", "Raise it within 13 months [1].")]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("and how long does that take?", "How do I dispute a card payment? and how long does that take?"),
        ("What about fees?", "How do I dispute a card payment? What about fees?"),
        (
            "What is the foreign transaction fee on debit card purchases abroad?",
            "What is the foreign transaction fee on debit card purchases abroad?",
        ),
    ],
)
def test_follow_ups_become_standalone_queries(question: str, expected: str) -> None:
    assert standalone_query(question, HISTORY) == expected


def test_first_question_is_unchanged() -> None:
    assert standalone_query("and then?", []) == "and then?"


def test_a_rating_replaces_the_earlier_one_and_goes_with_its_session(tmp_path: Path) -> None:
    memory = MemoryStore(tmp_path / "memory.sqlite3")
    memory.add_turn("s1", "What is the fee?", "2.75% [1].", "finance", 0.9, [], "llamacpp", "m")
    memory.rate("s1", 0, "down", "wrong for <PERSON_1>")
    memory.rate("s1", 0, "up")
    assert [(r.position, r.rating, r.comment) for r in memory.ratings("s1")] == [(0, "up", "")]
    for bad in (("s1", 1, "up"), ("s2", 0, "up"), ("s1", 0, "meh")):
        with pytest.raises(SessionError):
            memory.rate(*bad)
    assert memory.delete_session("s1") == 1
    assert memory.ratings("s1") == []
