"""``assistant serve``: check the bind address against the auth mode, then run uvicorn."""

from __future__ import annotations

import ipaddress
import socket

from fastapi import FastAPI

__all__ = ["check_bind", "is_loopback", "run"]


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback address (127.0.0.0/8, ::1); "localhost" is."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def check_bind(host: str, auth_mode: str) -> None:
    """Refuse to serve without sign-in on anything but loopback.

    Raises:
        ValueError: ``auth_mode`` is ``none`` and ``host`` is not loopback (the message says what to set), or the
            mode is not available.
    """
    if auth_mode == "oidc":
        raise ValueError("auth.mode 'oidc' is not available in this version; use 'local' (API keys)")
    if auth_mode == "none" and not is_loopback(host):
        raise ValueError(
            f"refusing to listen on {host} without sign-in: with auth.mode 'none' only loopback addresses "
            "(127.0.0.1, ::1, localhost) are allowed; set ASSISTANT_AUTH__MODE=local, create an admin with "
            "`assistant users add NAME --role admin` and a key with `assistant keys create`"
        )


def run(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` with uvicorn until interrupted (no access log: paths may carry session ids)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
