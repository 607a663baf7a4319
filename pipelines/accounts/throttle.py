"""Slowing down password guessing: after a few failed sign-ins a user name is refused for a while.

The policy follows OWASP's Authentication Cheat Sheet ("Protect against automated attacks": account lockout
after a small number of failed attempts, for a limited time, so that a lockout cannot be used to deny service
for long). Counts live in the memory of the process that checks passwords (the web app); a restart forgets
them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["SignInThrottle"]


class SignInThrottle:
    """Failed sign-ins per user name inside a sliding window; at the limit the name is locked for a while: at
    most ``max_failures`` passwords are checked per name per window, also when they arrive at once.

    Args:
        max_failures: Failures within ``window_s`` that lock the name (default 5).
        window_s: The window, in seconds (default 900).
        lockout_s: How long the name stays locked, in seconds (default 300).
        clock: Seconds (monotonic); for tests.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 900.0,
        lockout_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, name: str) -> float:
        """Seconds until ``name`` may try again (0 when it may now)."""
        key = name.strip().lower()
        with self._lock:
            return self._wait(key, self._clock())

    def attempt(self, name: str) -> float:
        """Reserve a sign-in attempt of ``name`` (known or not: the same either way) before its password is
        checked: it counts as a failure until :meth:`succeeded` says otherwise, so parallel guesses cannot all
        be checked before the first failure is counted. Returns 0 when the attempt may go ahead, else the
        seconds until the name may try again (the attempt that reaches the limit locks the name)."""
        key = name.strip().lower()
        now = self._clock()
        with self._lock:
            wait = self._wait(key, now)
            if wait > 0:
                return wait
            recent = [t for t in self._failures.get(key, []) if now - t < self.window_s]
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout_s
                self._failures[key] = []
                return self.lockout_s
            self._failures[key] = [*recent, now]
            return 0.0

    def _wait(self, key: str, now: float) -> float:
        remaining = self._locked_until.get(key, 0.0) - now
        if remaining <= 0:
            self._locked_until.pop(key, None)
            return 0.0
        return remaining

    def succeeded(self, name: str) -> None:
        """Forget the failures of ``name`` (its password was right)."""
        with self._lock:
            self._failures.pop(name.strip().lower(), None)
