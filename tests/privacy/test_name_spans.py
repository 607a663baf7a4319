"""A self-introduction is not part of the name (found by a helper's trial of agent assist, issue 21): spaCy's
PERSON span of "Hi, I'm Zelda Quartermaine" is "I'm Zelda Quartermaine", so the vault held "I'm" as a name part
and the model's later "I'm sorry" came back as "<PERSON_1> sorry" ("I'm Zelda Quartermaine sorry" on display)."""

from __future__ import annotations

import pytest

from pipelines.services import Services

INTRODUCTIONS = [
    "Hi, I'm Zelda Quartermaine. Someone called me about my card.",
    "Hello, I\u2019m Zelda Quartermaine and someone called me about my card.",
    "Hi, I am Zelda Quartermaine. Someone called me about my card.",
    "Hi, this is Zelda Quartermaine. Someone called me about my card.",
]


@pytest.mark.parametrize("message", INTRODUCTIONS)
def test_the_name_is_the_name_without_the_introduction(services: Services, message: str) -> None:
    vault, _ = services.conversations.open_vault("intro")
    redaction, _ = services.deidentification.deidentify_message(message, vault, "finance")
    assert "Zelda" not in redaction.text and "Quartermaine" not in redaction.text, redaction.text
    assert sorted(v for k, v in vault.values.items() if k.startswith("<PERSON")) == ["Zelda Quartermaine"]
    later = services.deidentification.scrub(
        "I'm sorry to hear about this call, I am here to help.", vault, "finance"
    )
    assert later.text == "I'm sorry to hear about this call, I am here to help."
