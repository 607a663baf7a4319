"""Password sign-in: the lockout after repeated failures (pipelines/accounts/throttle.py) and enabling again."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.accounts import AccountStore, AuthError
from pipelines.accounts.throttle import SignInThrottle


def test_five_failures_lock_a_name_for_a_while_whatever_its_case() -> None:
    now = [1000.0]
    throttle = SignInThrottle(max_failures=5, window_s=900, lockout_s=300, clock=lambda: now[0])
    for _ in range(4):
        throttle.failed("Ana ")
    assert throttle.wait_seconds("ana") == 0
    throttle.failed("ANA")
    assert throttle.wait_seconds("ana") == 300
    now[0] += 299
    assert 0 < throttle.wait_seconds(" Ana") <= 1
    now[0] += 2
    assert throttle.wait_seconds("ana") == 0
    throttle.failed("ana")  # the count started again after the lockout
    assert throttle.wait_seconds("ana") == 0


def test_failures_outside_the_window_do_not_add_up() -> None:
    now = [0.0]
    throttle = SignInThrottle(max_failures=3, window_s=60, lockout_s=300, clock=lambda: now[0])
    for _ in range(10):
        throttle.failed("bob")
        now[0] += 31  # at most two failures inside any 60 s window
    assert throttle.wait_seconds("bob") == 0


def test_the_store_locks_a_name_and_a_success_resets_the_count(tmp_path: Path) -> None:
    accounts = AccountStore(tmp_path / "accounts.sqlite3", b"k" * 32)
    accounts.add_user("ana", "agent", "a long enough password")
    for _ in range(4):
        with pytest.raises(AuthError, match="wrong user name or password"):
            accounts.sign_in("ana", "wrong password")
    assert accounts.sign_in("ana", "a long enough password").name == "ana"  # resets the count
    for _ in range(5):
        with pytest.raises(AuthError, match="wrong user name or password"):
            accounts.sign_in("ana", "wrong password")
    with pytest.raises(AuthError, match="too many failed sign-ins"):
        accounts.sign_in("ana", "a long enough password")
    for _ in range(5):  # unknown names lock the same way: the lockout tells nothing about who exists
        with pytest.raises(AuthError, match="wrong user name or password"):
            accounts.sign_in("Ghost", "anything at all")
    with pytest.raises(AuthError, match="too many failed sign-ins"):
        accounts.sign_in("ghost", "anything at all")
    accounts.disable("ana")
    assert accounts.enable("ana").disabled is False
