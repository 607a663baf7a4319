"""The encrypted per-session vault."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from privacy import VaultError, VaultStore


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
