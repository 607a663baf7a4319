"""Password sign-in: the lockout after repeated failures (pipelines/accounts/throttle.py) and enabling again."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.accounts import AccountStore, AuthError
from pipelines.accounts.throttle import SignInThrottle


def test_five_failures_lock_a_name_for_a_while_whatever_its_case() -> None:
    now = [1000.0]
    throttle = SignInThrottle(max_failures=5, window_s=900, lockout_s=300, clock=lambda: now[0])
    for _ in range(5):
        assert throttle.attempt("Ana ") == 0  # five passwords are checked (each counts until it succeeds)
    assert throttle.attempt("ANA") == 300  # the sixth is not: the name is locked
    now[0] += 299
    assert 0 < throttle.wait_seconds(" Ana") <= 1 and throttle.attempt("ana") > 0
    now[0] += 2
    assert throttle.wait_seconds("ana") == 0
    assert throttle.attempt("ana") == 0  # the count started again after the lockout


def test_failures_outside_the_window_do_not_add_up() -> None:
    now = [0.0]
    throttle = SignInThrottle(max_failures=3, window_s=60, lockout_s=300, clock=lambda: now[0])
    for _ in range(10):
        assert throttle.attempt("bob") == 0
        now[0] += 31  # at most two failures inside any 60 s window


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


def test_parallel_guesses_get_no_more_password_checks(tmp_path: Path) -> None:
    """Found by a break-it trial: 20 sign-ins at once were all checked (the failure was counted after the
    ~0.2 s hash check), so the lockout did not limit guessing."""
    from concurrent.futures import ThreadPoolExecutor

    accounts = AccountStore(tmp_path / "accounts.sqlite3", b"k" * 32)
    accounts.add_user("ana", "agent", "a long enough password")
    guesses = [f"guess number {i}" for i in range(19)] + ["a long enough password"]

    def sign_in(password: str) -> str:
        try:
            return accounts.sign_in("ana", password).name
        except AuthError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(sign_in, guesses))
    checked = [o for o in outcomes if o == "wrong user name or password" or o == "ana"]
    assert len(checked) <= 5
    assert sum("too many failed sign-ins" in o for o in outcomes) >= 15
