"""The completion-style llama.cpp chat model: paragraph cut-off, empty answers, prompt fitting."""

from __future__ import annotations

import pytest

from pipelines.llm.llamacpp import _cut_at_paragraph_end


@pytest.mark.parametrize(
    ("emitted", "text", "expected"),
    [
        ("", "The fee", ("The fee", False)),
        ("The fee", " is 2.75%.\n\nQuestion", (" is 2.75%.", True)),
        ("", "\n\n", ("\n\n", False)),
        ("\n\n", "Answer text", ("Answer text", False)),
        ("Done.\n", "\nMore", ("", True)),
    ],
)
def test_generation_stops_at_the_first_blank_line_after_content(
    emitted: str, text: str, expected: tuple[str, bool]
) -> None:
    assert _cut_at_paragraph_end(emitted, text) == expected


def test_completion_prompt_lays_out_example_history_passages_and_question() -> None:
    from pipelines.llm.prompts import (
        COMPLETION_EXAMPLE,
        HistoryTurn,
        Passage,
        build_messages,
        render_completion_prompt,
    )

    messages = build_messages(
        "You are a bank assistant.",
        [
            Passage(1, "fees.md", "section: Fees", "The fee is\n 2.75%."),
            Passage(2, "b.md", "page 1", "Other."),
        ],
        [HistoryTurn("What about ATMs?", "ATM fees are 1.50 [1].")],
        "What is the fee?",
    )
    prompt = render_completion_prompt(messages)
    assert prompt.startswith(COMPLETION_EXAMPLE)
    assert "You are a bank assistant." not in prompt
    assert "Question: What about ATMs?\nAnswer: ATM fees are 1.50 [1]." in prompt
    assert prompt.endswith(
        "Passage [1]: The fee is 2.75%.\nPassage [2]: Other.\nQuestion: What is the fee?\nAnswer:"
    )
