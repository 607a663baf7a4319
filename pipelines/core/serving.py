"""One long-running server per data dir: the web app or ``assistant serve``, never both.

Chroma's embedded store keeps its vector index in the memory of the process that opened it; two servers on one
data dir would each answer from their own copy and miss the other's writes. A server therefore holds an
exclusive lock on ``<data_dir>/server.lock`` (``flock``, released when the process exits, even by ``kill -9``)
for its lifetime; a second server on the same data dir stops at once with a message naming the first. Short
commands (``ingest``, ``ask``) do not take it.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import socket
import threading
from pathlib import Path

from pipelines.core.errors import AssistantError

__all__ = ["check_bind", "claim_server", "is_loopback"]

_HELD: dict[Path, int] = {}
_LOCK = threading.Lock()


def claim_server(data_dir: Path, who: str) -> None:
    """Hold the data dir's server lock for the rest of this process (again in the same process: no-op).

    Args:
        data_dir: The data dir (exists).
        who: What is serving, for the message a second server gets ("the web app", "assistant serve").

    Raises:
        AssistantError: Another process holds the lock (the message names it and what to do).
    """
    path = (data_dir / "server.lock").resolve()
    with _LOCK:
        if path in _HELD:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise AssistantError(
                f"the data dir {data_dir} is already served by {holder}: stop it first, or use another "
                "--data-dir (two servers on one data dir would not see each other's documents)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{who} (pid {os.getpid()})".encode(), 0)
        _HELD[path] = fd


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback address (127.0.0.0/8, ::1); "localhost" is.
    An empty host (Streamlit's default: every interface) is not."""
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def check_bind(host: str, auth_mode: str, setting: str = "ASSISTANT_AUTH__MODE=local") -> None:
    """Refuse to serve without sign-in on anything but loopback (the web app and ``assistant serve`` alike).

    Args:
        host: The interface the server listens on ("" = every interface).
        auth_mode: The ``auth.mode`` setting.
        setting: What the message tells the user to set.

    Raises:
        AssistantError: ``auth_mode`` is ``none`` and ``host`` is not loopback (the message says what to set), or
            the mode is not available.
    """
    if auth_mode == "oidc":
        raise AssistantError("auth.mode 'oidc' is not available in this version; use 'local' (accounts)")
    if auth_mode == "none" and not is_loopback(host):
        raise AssistantError(
            f"refusing to listen on {host or 'every interface'} without sign-in: with auth.mode 'none' only "
            f"loopback addresses (127.0.0.1, ::1, localhost) are allowed; set {setting}, create an admin with "
            "`assistant users add NAME --role admin` (and API keys with `assistant keys create`)"
        )
