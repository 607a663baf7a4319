"""Splitting <think> reasoning from answers, also when tags are cut across stream chunks."""

from __future__ import annotations

import pytest

from pipelines.reasoning import ThinkSplitter, split_reasoning


@pytest.mark.parametrize(
    ("chunks", "answer", "reasoning"),
    [
        (["<think>plan it</think>The answer."], "The answer.", "plan it"),
        (["<thi", "nk>a", "b</th", "ink>", "C", "D"], "CD", "ab"),
        (["No reasoning at all."], "No reasoning at all.", ""),
        (["<think>unfinished"], "", "unfinished"),
        (["x < y and <thinking> is not a tag"], "x < y and <thinking> is not a tag", ""),
    ],
)
def test_stream_splitting(chunks: list[str], answer: str, reasoning: str) -> None:
    splitter = ThinkSplitter()
    pieces = [p for chunk in chunks for p in splitter.feed(chunk)] + list(splitter.flush())
    assert "".join(p.text for p in pieces if p.kind == "answer") == answer
    assert "".join(p.text for p in pieces if p.kind == "reasoning") == reasoning


def test_split_reasoning_on_complete_text() -> None:
    assert split_reasoning("<think> hmm </think>\n\nYes [1].") == ("Yes [1].", "hmm")
