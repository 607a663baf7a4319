"""``privacy.operators.load_or_create_secret``: one secret per file, even when processes (replicas sharing a
folder, the app and the API starting together) race to create it."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from privacy.errors import PrivacyError
from privacy.operators import load_or_create_secret


def _load(path: str) -> bytes:
    return load_or_create_secret(Path(path))


def test_created_once_with_owner_only_mode_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "vault" / "operators.secret"
    first = load_or_create_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["operators.secret"]  # no temporary file left


def test_racing_processes_all_get_the_same_secret(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "accounts.secret"
    with multiprocessing.get_context("fork").Pool(6) as pool:
        secrets = pool.map(_load, [str(path)] * 24)
    assert len(set(secrets)) == 1 and len(secrets[0]) == 32
    assert secrets[0] == load_or_create_secret(path)
    assert [p.name for p in path.parent.iterdir()] == ["accounts.secret"]


@pytest.mark.parametrize(("content", "message"), [("not hex", "not hex"), ("", "empty")])
def test_a_damaged_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "operators.secret"
    path.write_text(content, encoding="ascii")
    with pytest.raises(PrivacyError, match=message):
        load_or_create_secret(path)
