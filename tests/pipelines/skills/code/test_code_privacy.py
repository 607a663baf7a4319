"""Names in code are masked only in comments and strings (real Presidio + spaCy); patterns everywhere."""

from __future__ import annotations

import pytest

from pipelines.services import Services
from pipelines.skills.code.deidentify import deidentify_code, prose_spans, scrub_code
from privacy import Vault


@pytest.mark.parametrize(
    ("code", "language", "prose"),
    [
        ("x = 1  # note\n", "python", ["# note"]),
        ('def f():\n    """Doc."""\n    return "a" + \'b\'\n', "python", ['"""Doc."""', '"a"', "'b'"]),
        ('def f(x):\n    """unterminated', "python", ['def f(x):\n    """unterminated']),
        ('int a = 1; // c\n/* block\n */ char* s = "q\\"x";', "cpp", ["// c", "/* block\n */", '"q\\"x"']),
        ("anything at all", "cobol", ["anything at all"]),
    ],
)
def test_prose_spans_are_the_comments_and_strings(code: str, language: str, prose: list[str]) -> None:
    assert [code[start:end] for start, end in prose_spans(code, language)] == prose


CODE = (
    "def clamp(x, lo, hi):\n"
    '    """Clamp x. Maintained by Zelda Quartermaine, zelda.q@example.org."""\n'
    "    token = 'ghp_R8x2Lq9ZtV4mN7kP1sW3yB6cD0fG5hJ8aE2u'\n"
    "    return max(lo, min(x, hi))\n"
)


def test_identifiers_stay_names_in_prose_and_patterns_anywhere_are_masked(services: Services) -> None:
    prompt, memory = deidentify_code(services.deidentification, CODE, Vault(session_id="t"), "code", "python")
    assert prompt.text.startswith("def clamp(x, lo, hi):\n")
    assert "Maintained by <PERSON_1>, <EMAIL_ADDRESS_1>." in prompt.text
    assert "token = '<SECRET>'" in prompt.text
    assert "Quartermaine" not in memory.text and "ghp_" not in memory.text
    # the chat path (no code awareness) reads the signature as names: the reason for this module
    chat, _ = services.deidentification.deidentify_message(CODE, Vault(session_id="u"), "code")
    assert not chat.text.startswith("def clamp(x, lo, hi)")


def test_scrubbing_generated_code_keeps_identifiers_and_masks_secrets(services: Services) -> None:
    answer = "def test_clamp():\n    assert clamp(5, lo=0, hi=3) == 3\n    key = 'AKIAZ3MHJX7Q2TRW5KPL'\n"
    scrubbed = scrub_code(services.deidentification, answer, Vault(session_id="v"), "code").text
    assert "assert clamp(5, lo=0, hi=3) == 3" in scrubbed and "AKIAZ3MHJX7Q2TRW5KPL" not in scrubbed
