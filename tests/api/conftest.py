"""A real uvicorn server on a free port, over fresh services with local auth (API keys), per test module."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from api import create_app
from pipelines.core.settings import load_settings
from pipelines.services import Models, Services


@dataclass
class Server:
    """A running API server: its base URL, services, and two users' keys (an agent and a clinician)."""

    url: str
    services: Services
    alice_key: str  # agent: finance
    bob_key: str  # agent: finance
    carol_key: str  # clinician: medical
    admin_key: str  # admin: knowledge bases, no chat

    def client(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=300)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(services: Services, local_auth: bool) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Start uvicorn for ``services`` in a thread; returns the server, its thread and the base URL."""
    accounts = services.accounts if local_auth else None
    app = create_app(services, accounts, services.session_label_secret)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Iterator[Server]:
    data: Path = tmp_path_factory.mktemp("api") / "data"
    settings = load_settings(data_dir=data)
    settings.llm.backend = "llamacpp"
    settings.llamacpp.max_tokens = 24
    settings.ingest.index_samples_on_start = False
    settings.auth.mode = "local"
    services = Services(settings, models)
    accounts = services.accounts
    accounts.add_user("admin", "admin", "a long admin password")
    keys = {"admin": accounts.create_key("admin", "admin-key").key}
    for name, role in (("alice", "agent"), ("bob", "agent"), ("carol", "clinician")):
        accounts.add_user(name, role, f"{name} has a long password")
        keys[name] = accounts.create_key(name, f"{name}-key").key
    running, thread, url = start(services, local_auth=True)
    yield Server(url, services, keys["alice"], keys["bob"], keys["carol"], keys["admin"])
    running.should_exit = True
    thread.join(timeout=30)
