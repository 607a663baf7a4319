"""Splitting <think> reasoning from answers, also when tags are cut across stream chunks."""

from __future__ import annotations

import pytest

from pipelines.llm.reasoning import LineBuffer, ThinkSplitter, split_reasoning


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


@pytest.mark.parametrize(
    ("chunks", "released", "rest"),
    [
        (
            ["The caller is Zel", "da Quartermaine.\nNext"],
            ["", "The caller is Zelda Quartermaine.\n"],
            "Next",
        ),
        (["one\ntwo\nthr", "ee"], ["one\ntwo\n", ""], "three"),
        (["no line break yet"], [""], "no line break yet"),
        # a line longer than max_chars (20) goes out up to its last sentence end, else its last space
        (["First sentence. Second one goes on"], ["First sentence. "], "Second one goes on"),
        (["averyveryverylong wordwithoutend"], ["averyveryverylong "], "wordwithoutend"),
    ],
)
def test_line_buffer_releases_whole_lines(chunks: list[str], released: list[str], rest: str) -> None:
    buffer = LineBuffer(max_chars=20)
    assert [buffer.feed(chunk) for chunk in chunks] == released
    assert buffer.flush() == rest
    assert buffer.flush() == ""
