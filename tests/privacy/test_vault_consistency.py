"""Placeholders stay consistent over many calls of one session, with the vault written to disk and read back
between calls, before anything is re-identified.

This is the case LLM Guard's reversible vault gets wrong (protectai/llm-guard: its Vault lives in memory, and
running Anonymize several times before Deanonymize breaks the mapping): here 50 messages with overlapping
values are pseudonymized one after the other, each with the vault re-opened from its encrypted file, and
only then is everything restored.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy import Deidentifier, Vault, VaultStore, reidentify
from privacy.vault import normalise_value
from tests.conftest import domain_policy

# Made-up values (the cards pass Luhn, the IBAN its checksum).
VALUES = {
    "PERSON": ["Zelda Quartermaine", "Marcus Ellingworth", "Priya Venkataraman", "Oswin Thackeray"],
    "PHONE_NUMBER": ["212-555-0173", "(415) 555-0142", "646-555-0199"],
    "EMAIL_ADDRESS": ["zelda.quartermaine@example.org", "m.ellingworth@example.com"],
    "CREDIT_CARD": ["4539 1488 0343 6467", "5555 5555 5555 4444"],
    "IBAN_CODE": ["GB82 WEST 1234 5698 7654 32"],
}
TEMPLATES = [
    "Hello, this is {PERSON}. Please call me on {PHONE_NUMBER}.",
    "My card {CREDIT_CARD} was charged twice; my email is {EMAIL_ADDRESS}.",
    "Can {PERSON} move money from {IBAN_CODE} to card {CREDIT_CARD}?",
    "{PERSON} asked whether {PHONE_NUMBER} is still on file for {EMAIL_ADDRESS}.",
    "I spoke to {PERSON} yesterday about the fee on card {CREDIT_CARD}.",
]
MESSAGES = 50


def _message(i: int) -> tuple[str, list[tuple[str, str]]]:
    """The i-th message and the (type, value) pairs planted in it; values rotate at different strides so
    that messages share values in changing combinations."""
    template = TEMPLATES[i % len(TEMPLATES)]
    planted: list[tuple[str, str]] = []
    fields = {}
    for stride, entity in enumerate(VALUES, start=1):
        options = VALUES[entity]
        fields[entity] = options[(i * stride + i // len(TEMPLATES)) % len(options)]
        if "{" + entity + "}" in template:
            planted.append((entity, fields[entity]))
    return template.format(**fields), planted


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, deidentifier: Deidentifier
) -> tuple[VaultStore, list[str], list[str], list[list[tuple[str, str]]]]:
    """Pseudonymize every message with the vault re-opened from disk (a new store each time) and saved."""
    directory: Path = tmp_path_factory.mktemp("vault")
    policy = domain_policy("finance")
    originals, redacted, planted = [], [], []
    for i in range(MESSAGES):
        text, values = _message(i)
        store = VaultStore(directory)
        vault = store.open("long-session")
        redacted.append(deidentifier.pseudonymize(text, policy, vault).text)
        store.save(vault)
        originals.append(text)
        planted.append(values)
    return VaultStore(directory), originals, redacted, planted


def test_every_planted_value_was_replaced_in_every_message(run) -> None:  # type: ignore[no-untyped-def]
    _, _, redacted, planted = run
    leaks = [(i, value) for i, values in enumerate(planted) for _, value in values if value in redacted[i]]
    assert leaks == []


def test_each_value_has_exactly_one_placeholder(run) -> None:  # type: ignore[no-untyped-def]
    store, _, _, planted = run
    vault = store.open("long-session")
    used = {pair for values in planted for pair in values}
    for entity, value in sorted(used):
        keys = [
            p
            for p, v in vault.values.items()
            if p.startswith(f"<{entity}_") and normalise_value(entity, v) == normalise_value(entity, value)
        ]
        assert len(keys) == 1, (value, keys)
    assert len(vault.values) == len(used)


def test_all_messages_restore_exactly_after_all_pseudonymization(run) -> None:  # type: ignore[no-untyped-def]
    store, originals, redacted, _ = run
    vault = store.open("long-session")
    assert [reidentify(text, vault) for text in redacted] == originals


def test_a_value_gets_the_same_placeholder_in_every_message(run) -> None:  # type: ignore[no-untyped-def]
    store, _, redacted, planted = run
    vault = store.open("long-session")
    for i, values in enumerate(planted):
        for entity, value in values:
            placeholder = vault.lookup(entity, value)
            assert placeholder is not None and placeholder in redacted[i], (i, value, redacted[i])


@pytest.mark.parametrize(
    ("later", "expected", "restored"),
    [
        # spaCy tags "Can Zelda Quartermaine" as one PERSON: the common word goes back out of the span
        ("Can Zelda Quartermaine pay?", "Can <PERSON_1> pay?", "Can Zelda Quartermaine pay?"),
        ("Dear Zelda Quartermaine, thanks.", "Dear <PERSON_1>, thanks.", "Dear Zelda Quartermaine, thanks."),
        # another person who shares the first name is a new value, not Zelda Quartermaine
        (
            "Yesterday Zelda Smith called me.",
            "Yesterday <PERSON_2> called me.",
            "Yesterday Zelda Smith called me.",
        ),
    ],
)
def test_a_placeholder_stands_only_for_its_own_value(
    deidentifier: Deidentifier, later: str, expected: str, restored: str
) -> None:
    policy = domain_policy("finance")
    vault = Vault("s")
    deidentifier.pseudonymize("My name is Zelda Quartermaine.", policy, vault)
    result = deidentifier.pseudonymize(later, policy, vault)
    assert result.text == expected
    assert reidentify(result.text, vault) == restored
