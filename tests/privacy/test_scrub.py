"""Scrubbing model output (reasoning) with real Presidio: the user's own values become their session
placeholders, anything else found is redacted for good, and the vault is never changed."""

from __future__ import annotations

import pytest

from privacy import Deidentifier, Vault
from tests.conftest import CANARY_NAME, CANARY_PHONE, domain_policy

FINANCE = domain_policy("finance")


@pytest.fixture
def vault() -> Vault:
    """A session vault holding the user's own name and phone number."""
    session = Vault("s")
    session.placeholder_for("PERSON", CANARY_NAME)
    session.placeholder_for("PHONE_NUMBER", CANARY_PHONE)
    return session


@pytest.mark.parametrize(
    ("reasoning", "expected"),
    [
        # values the model invents or recalls: redacted, not added to the vault
        (
            "Maybe I should mention that Marcus Ellingworth handles disputes at 415-555-0142.",
            "Maybe I should mention that <PERSON> handles disputes at <PHONE_NUMBER>.",
        ),
        ("Write to m.ellingworth@example.com about it.", "Write to <EMAIL_ADDRESS> about it."),
        # the user's own values, echoed raw: their session placeholders
        (
            f"So {CANARY_NAME} wants a call back on {CANARY_PHONE}.",
            "So <PERSON_1> wants a call back on <PHONE_NUMBER_1>.",
        ),
        ("Quartermaine asked about fees.", "<PERSON_1> asked about fees."),
        # placeholders and ordinary text stay as they are
        (
            "The user <PERSON_1> asks about <CREDIT_CARD_1>; the fee is 2.75% [1].",
            "The user <PERSON_1> asks about <CREDIT_CARD_1>; the fee is 2.75% [1].",
        ),
        ("Disputes must be raised within 13 months.\n", "Disputes must be raised within 13 months.\n"),
        ("", ""),
    ],
)
def test_scrub_redacts_new_values_and_maps_the_users_own(
    deidentifier: Deidentifier, vault: Vault, reasoning: str, expected: str
) -> None:
    before = dict(vault.values)
    assert deidentifier.scrub(reasoning, FINANCE, vault).text == expected
    assert vault.values == before
