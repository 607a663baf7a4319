"""The encrypted per-session vault."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from privacy import Deidentifier, VaultError, VaultStore, reidentify
from tests.conftest import domain_policy


def test_vault_round_trips_and_is_encrypted_at_rest(tmp_path: Path) -> None:
    store = VaultStore(tmp_path)
    vault = store.open("session-1")
    assert vault.placeholder_for("PERSON", "Zelda Quartermaine") == "<PERSON_1>"
    store.save(vault)
    raw = (tmp_path / "session-1.vault").read_bytes()
    assert b"Zelda" not in raw and b"PERSON" not in raw
    again = VaultStore(tmp_path).open("session-1")
    assert again.placeholder_for("PERSON", "zelda  quartermaine") == "<PERSON_1>"
    assert again.placeholder_for("PERSON", "Marcus Ellingworth") == "<PERSON_2>"


def test_generated_key_file_is_private(tmp_path: Path) -> None:
    VaultStore(tmp_path)
    mode = stat.S_IMODE((tmp_path / "vault.key").stat().st_mode)
    assert mode == 0o600


def test_wrong_key_cannot_open_a_vault(tmp_path: Path) -> None:
    store = VaultStore(tmp_path)
    vault = store.open("s")
    vault.placeholder_for("EMAIL_ADDRESS", "a@example.org")
    store.save(vault)
    other = VaultStore(tmp_path, key="x" * 43 + "=")
    with pytest.raises(VaultError, match="cannot be decrypted"):
        other.open("s")


@pytest.mark.parametrize("bad", ["../etc/passwd", "", "a b", "x" * 65])
def test_invalid_session_ids_are_rejected(tmp_path: Path, bad: str) -> None:
    with pytest.raises(VaultError, match="invalid session id"):
        VaultStore(tmp_path).open(bad)


def test_erase_removes_the_vault(tmp_path: Path) -> None:
    store = VaultStore(tmp_path)
    vault = store.open("s")
    vault.placeholder_for("PERSON", "Zelda Quartermaine")
    store.save(vault)
    store.erase("s")
    assert store.open("s").values == {}


class Clock:
    """A settable clock (seconds since the epoch) for time-to-live tests without sleeping."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _saved_vault(store: VaultStore, session_id: str, name: str = "Zelda Quartermaine") -> None:
    vault = store.open(session_id)
    vault.placeholder_for("PERSON", name)
    store.save(vault)


@pytest.mark.parametrize(
    ("ttl_hours", "idle_hours", "expired"),
    [
        (24.0, 23.9, False),
        (24.0, 24.1, True),
        (0.5, 0.6, True),
        (0.0, 24.0 * 365, False),  # 0 = never expires
    ],
)
def test_a_vault_expires_ttl_hours_after_its_last_save(
    tmp_path: Path, ttl_hours: float, idle_hours: float, expired: bool
) -> None:
    clock = Clock()
    store = VaultStore(tmp_path, ttl_hours=ttl_hours, clock=clock)
    _saved_vault(store, "s")
    clock.now += idle_hours * 3600
    opened = store.open("s")
    assert (opened.values == {}) is expired
    assert (tmp_path / "s.vault").exists() is not expired


def test_saving_restarts_the_time_to_live(tmp_path: Path) -> None:
    clock = Clock()
    store = VaultStore(tmp_path, ttl_hours=24, clock=clock)
    _saved_vault(store, "s")
    for _ in range(3):  # used every 20 hours: 60 hours in all, never idle for 24
        clock.now += 20 * 3600
        vault = store.open("s")
        assert vault.values == {"<PERSON_1>": "Zelda Quartermaine"}
        store.save(vault)


def test_purge_expired_erases_only_the_expired_vaults(tmp_path: Path) -> None:
    clock = Clock()
    store = VaultStore(tmp_path, ttl_hours=24, clock=clock)
    _saved_vault(store, "old-1")
    _saved_vault(store, "old-2")
    clock.now += 23 * 3600
    _saved_vault(store, "recent")
    clock.now += 2 * 3600
    assert store.purge_expired() == ["old-1", "old-2"]
    assert sorted(p.name for p in tmp_path.glob("*.vault")) == ["recent.vault"]
    assert store.purge_expired() == []
    assert (tmp_path / "vault.key").exists()


def test_purge_leaves_vaults_of_another_key_alone(tmp_path: Path) -> None:
    clock = Clock()
    _saved_vault(VaultStore(tmp_path, key=Fernet.generate_key().decode(), clock=clock), "foreign")
    clock.now += 100 * 3600
    assert VaultStore(tmp_path, ttl_hours=1, clock=clock).purge_expired() == []
    assert (tmp_path / "foreign.vault").exists()


def test_negative_time_to_live_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="-1"):
        VaultStore(tmp_path, ttl_hours=-1)


def test_erase_says_whether_there_was_a_vault(tmp_path: Path) -> None:
    store = VaultStore(tmp_path)
    _saved_vault(store, "s")
    assert store.exists("s")
    assert store.erase("s") is True
    assert not store.exists("s") and store.erase("s") is False


def test_reserved_numbers_are_never_handed_out_again_even_after_reopening(tmp_path: Path) -> None:
    store = VaultStore(tmp_path)
    vault = store.open("s")
    vault.reserve(["<PERSON_2>", "<EMAIL_ADDRESS_1>", "not a placeholder"])
    vault.placeholder_for("PHONE_NUMBER", "212-555-0173")
    store.save(vault)
    again = store.open("s")
    assert again.placeholder_for("PERSON", "Marcus Ellingworth") == "<PERSON_3>"
    assert again.placeholder_for("EMAIL_ADDRESS", "m@example.org") == "<EMAIL_ADDRESS_2>"


def test_sessions_never_share_placeholders(tmp_path: Path, deidentifier: Deidentifier) -> None:
    """A value seen in session A gets B's own placeholder in B, and B's vault cannot restore A's."""
    policy = domain_policy("finance")
    store = VaultStore(tmp_path)
    a = store.open("session-a")
    first = deidentifier.pseudonymize(
        "My name is Marcus Ellingworth and my colleague is Zelda Quartermaine.", policy, a
    )
    store.save(a)
    assert first.text == "My name is <PERSON_1> and my colleague is <PERSON_2>."
    b = store.open("session-b")
    assert b.values == {}
    second = deidentifier.pseudonymize("Zelda Quartermaine here, call me on 212-555-0173.", policy, b)
    store.save(b)
    assert second.text == "<PERSON_1> here, call me on <PHONE_NUMBER_1>."
    reopened_b = store.open("session-b")
    restored_with_b = reidentify(first.text, reopened_b)
    assert "Marcus Ellingworth" not in restored_with_b and "<PERSON_2>" in restored_with_b
    assert reidentify("<PHONE_NUMBER_1>", store.open("session-a")) == "<PHONE_NUMBER_1>"
    assert "Marcus" not in json.dumps(reopened_b.values)
