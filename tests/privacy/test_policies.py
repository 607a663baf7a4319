"""Policies as data: validation, the operator of each sink, the union before routing, and the operators'
effect on real text (real Presidio + spaCy)."""

from __future__ import annotations

import re

import pytest

from privacy import (
    Deidentifier,
    PiiPolicy,
    PrivacyError,
    Vault,
    mask_last4,
    reidentify,
    salted_hash,
    session_date_offset,
    shift_date,
)
from tests.conftest import domain_policy

CARD = "4539 1488 0343 6467"


def _policy(**entities: dict[str, object]) -> PiiPolicy:
    return PiiPolicy.from_mapping("test", {"score_threshold": 0.4, "entities": entities})


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"entities": {}}, "entities"),
        ({"entities": {"PERSON": {"index": "pseudonymize"}}}, "not allowed in sink 'index'"),
        ({"entities": {"PERSON": {"logs": "keep"}}}, "not allowed in sink 'logs'"),
        ({"entities": {"PERSON": {"display": "hash"}}}, "not allowed in sink 'display'"),
        ({"entities": {"PERSON": {"prompt": "date_shift"}}}, "DATE_TIME only"),
        ({"entities": {"PERSON": {"prompt": "scramble"}}}, "scramble"),
        ({"entities": {"PERSON": {"score_threshold": 1.5}}}, "score_threshold"),
        ({"entities": {"PERSON": {}}, "colour": "blue"}, "colour"),
    ],
)
def test_invalid_policies_are_rejected_naming_the_problem(raw: dict[str, object], problem: str) -> None:
    with pytest.raises(PrivacyError, match=re.escape(problem)):
        PiiPolicy.from_mapping("bad", raw)


def test_every_shipped_domain_policy_is_valid_and_keeps_dates_and_organisations_in_finance() -> None:
    finance = domain_policy("finance")
    assert {"PERSON", "CREDIT_CARD", "IBAN_CODE", "EMAIL_ADDRESS"} <= set(finance.message_entities)
    assert "DATE_TIME" not in finance.entities and "ORGANIZATION" not in finance.entities
    assert finance.operator("CREDIT_CARD", "display") == "mask_last4"
    assert finance.operator("PERSON", "index") == "redact"
    assert finance.operator("PERSON", "logs") == "hash"
    for name in ("code", "medical"):
        assert domain_policy(name).entities


def test_an_entity_the_policy_does_not_list_is_kept() -> None:
    policy = _policy(PERSON={})
    assert policy.operator("LOCATION", "prompt") == "keep"
    assert policy.entities_for("prompt") == ("PERSON",)


def test_union_takes_every_entity_its_lowest_threshold_and_the_strictest_operator() -> None:
    a = _policy(PERSON={"index": "keep", "score_threshold": 0.7}, CREDIT_CARD={"display": "mask_last4"})
    b = _policy(PERSON={"score_threshold": 0.5}, LOCATION={})
    union = PiiPolicy.union([a, b])
    assert set(union.entities) == {"PERSON", "CREDIT_CARD", "LOCATION"}
    assert union.threshold("PERSON") == 0.5
    assert union.operator("PERSON", "index") == "redact"  # b redacts: stricter than a's keep
    assert union.operator("CREDIT_CARD", "display") == "mask_last4"


@pytest.mark.parametrize(
    ("sink", "operator", "expected"),
    [
        ("prompt", "pseudonymize", "Card <CREDIT_CARD_1> was declined."),
        ("prompt", "redact", "Card <CREDIT_CARD> was declined."),
        ("memory", "redact", "Card <CREDIT_CARD> was declined."),
        ("index", "redact", "Card <CREDIT_CARD> was declined."),
        ("logs", "drop", "Card <CREDIT_CARD> was declined."),
        ("prompt", "keep", f"Card {CARD} was declined."),
    ],
)
def test_each_sink_applies_its_operator(
    deidentifier: Deidentifier, sink: str, operator: str, expected: str
) -> None:
    policy = _policy(CREDIT_CARD={sink: operator})
    result = deidentifier.deidentify(f"Card {CARD} was declined.", policy, sink, Vault("s"))  # type: ignore[arg-type]
    assert result.text == expected


def test_hash_operator_is_stable_across_records_and_secret_dependent(deidentifier: Deidentifier) -> None:
    policy = _policy(EMAIL_ADDRESS={"logs": "hash"})
    first = deidentifier.deidentify("from ana.lima@example.org", policy, "logs").text
    second = deidentifier.deidentify("reply to ANA.LIMA@example.org now", policy, "logs").text
    token = re.search(r"<EMAIL_ADDRESS#[0-9a-f]{8}>", first)
    assert token is not None and token.group() in second
    assert "ana.lima" not in first.lower()
    assert salted_hash("EMAIL_ADDRESS", "ana.lima@example.org", b"other") != token.group()


def test_display_restores_or_masks_per_entity(deidentifier: Deidentifier) -> None:
    policy = domain_policy("finance")
    vault = Vault("s")
    prompt = deidentifier.pseudonymize(f"I am Ana Lima, card {CARD}.", policy, vault).text
    assert CARD not in prompt and "Ana Lima" not in prompt
    shown = reidentify(prompt, vault, policy)
    assert "Ana Lima" in shown and CARD not in shown and "\u2022\u2022\u2022\u2022 6467" in shown
    assert mask_last4(CARD) == "\u2022\u2022\u2022\u2022 6467"


def test_display_redact_leaves_the_placeholder() -> None:
    policy = _policy(PERSON={"display": "redact"})
    vault = Vault("s")
    placeholder = vault.placeholder_for("PERSON", "Ana Lima")
    assert reidentify(f"Hello {placeholder}", vault, policy) == f"Hello {placeholder}"


@pytest.mark.parametrize(
    ("date", "days", "shifted"),
    [
        ("2021-03-04", 10, "2021-03-14"),
        ("3/4/2021", -4, "2/28/2021"),
        ("12/30/21", 5, "1/4/22"),
        ("3/4", 1, "3/5"),
        ("March 4, 2021", 30, "April 3, 2021"),
        ("4 March 2021", 1, "March 5, 2021"),
        ("Feb 28", 1, "February 29"),
        ("13 months", 5, None),
        ("yesterday", 5, None),
        ("2/30/2021", 1, None),
        ("2021", 1, None),
    ],
)
def test_shift_date_keeps_the_form_and_refuses_non_dates(date: str, days: int, shifted: str | None) -> None:
    assert shift_date(date, days) == shifted


def test_date_shift_is_consistent_within_a_session_and_keeps_intervals(deidentifier: Deidentifier) -> None:
    policy = _policy(DATE_TIME={"prompt": "date_shift"})
    vault = Vault("visit-1")
    first = deidentifier.deidentify("Admitted on 2021-03-04.", policy, "prompt", vault).text
    second = deidentifier.deidentify("Discharged on 2021-03-14.", policy, "prompt", vault).text
    offset = session_date_offset("visit-1", deidentifier._secret)
    assert 30 <= abs(offset) <= 365
    assert first == f"Admitted on {shift_date('2021-03-04', offset)}."
    assert second == f"Discharged on {shift_date('2021-03-14', offset)}."
    assert "2021-03-04" not in first
    offsets = {session_date_offset(f"visit-{n}", deidentifier._secret) for n in range(20)}
    assert len(offsets) > 10 and 0 not in offsets  # per session, never zero


def test_pseudonymize_without_a_vault_is_an_error(deidentifier: Deidentifier) -> None:
    with pytest.raises(PrivacyError, match="needs a session vault"):
        deidentifier.deidentify(f"card {CARD}", _policy(CREDIT_CARD={}), "prompt")
