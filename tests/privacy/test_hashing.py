"""Salted hashes for logs (HMAC-SHA256, secret salt) and the hash/drop operators."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from privacy import Finding, PrivacyError, hash_findings, load_or_create_salt, salted_hash

SALT = b"s" * 32


@pytest.mark.parametrize(
    ("entity", "a", "b", "same"),
    [
        ("PERSON", "Zelda Quartermaine", "Zelda Quartermaine", True),
        ("PERSON", "Zelda Quartermaine", "zelda  quartermaine", True),
        ("CREDIT_CARD", "4539 1488 0343 6467", "4539-1488-0343-6467", True),
        ("PERSON", "Zelda Quartermaine", "Marcus Ellingworth", False),
        ("PHONE_NUMBER", "212-555-0173", "212-555-0174", False),
    ],
)
def test_the_same_value_hashes_the_same_and_others_differ(entity: str, a: str, b: str, same: bool) -> None:
    first, second = salted_hash(entity, a, SALT), salted_hash(entity, b, SALT)
    assert re.fullmatch(rf"<{entity}#[0-9a-f]{{8}}>", first)
    assert (first == second) is same


def test_another_salt_gives_another_hash() -> None:
    assert salted_hash("PERSON", "Zelda", SALT) != salted_hash("PERSON", "Zelda", b"t" * 32)


def test_a_short_salt_is_rejected() -> None:
    with pytest.raises(PrivacyError, match="at least 16 bytes, got 5"):
        salted_hash("PERSON", "Zelda", b"short")


@pytest.mark.parametrize(
    ("operators", "default", "expected"),
    [
        ({}, "hash", "call {person} on {phone}"),
        ({"PHONE_NUMBER": "drop"}, "hash", "call {person} on <PHONE_NUMBER>"),
        ({"PERSON": "hash"}, "drop", "call {person} on <PHONE_NUMBER>"),
        ({}, "drop", "call <PERSON> on <PHONE_NUMBER>"),
    ],
)
def test_operators_hash_or_drop_per_entity_type(
    operators: dict[str, str], default: str, expected: str
) -> None:
    text = "call Zelda Quartermaine on 212-555-0173"
    findings = [Finding("PERSON", 5, 23, 0.85, "x"), Finding("PHONE_NUMBER", 27, 39, 0.75, "y")]
    person = salted_hash("PERSON", "Zelda Quartermaine", SALT)
    phone = salted_hash("PHONE_NUMBER", "212-555-0173", SALT)
    assert hash_findings(text, findings, SALT, operators, default) == expected.format(
        person=person, phone=phone
    )


def test_an_unknown_operator_is_rejected() -> None:
    with pytest.raises(PrivacyError, match="'mask' for PERSON"):
        hash_findings("x", [], SALT, {"PERSON": "mask"})


def test_the_generated_salt_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "vault" / "log.salt"
    salt = load_or_create_salt(path)
    assert len(salt) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_salt(path) == salt
    assert [p.name for p in path.parent.iterdir()] == ["log.salt"]  # no temporary file left behind
