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
    """Failed sign-ins per user name inside a sliding window; over the limit the name is locked for a while.

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
            remaining = self._locked_until.get(key, 0.0) - self._clock()
            if remaining <= 0:
                self._locked_until.pop(key, None)
                return 0.0
            return remaining

    def failed(self, name: str) -> None:
        """Count a failed sign-in of ``name`` (known or not: the same either way)."""
        key = name.strip().lower()
        now = self._clock()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window_s] + [now]
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout_s
                recent = []
            self._failures[key] = recent

    def succeeded(self, name: str) -> None:
        """Forget the failures of ``name``."""
        with self._lock:
            self._failures.pop(name.strip().lower(), None)
