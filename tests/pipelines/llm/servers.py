"""Model servers as child processes for the pool tests and the pool benchmark: two real llama-cpp-python
OpenAI-compatible servers (``python -m llama_cpp.server``, the bundled Gemma 3 270M GGUF) or two Ollama
stand-ins (``tests/fixtures/ollama_standin.py``, a fixed echo: no Ollama binary exists here), on free local
ports, each of which can be killed (SIGKILL: the host dies mid-stream) and started again on the same port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
STANDIN = ROOT / "tests" / "fixtures" / "ollama_standin.py"
#: The model name the llama.cpp servers list (``--model_alias``) and the stand-ins serve.
LLAMA_ALIAS = "gemma-3-270m"
STANDIN_MODEL = "deepseek-r1:7b"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """One server process on a fixed port: :meth:`start`, :meth:`kill`, :meth:`start` again."""

    def __init__(self, argv: list[str], port: int, ready_path: str, base_url: str) -> None:
        """Args:
        argv: The command (without the port).
        port: Its port (kept across restarts).
        ready_path: A GET path that answers 200 once the server can serve.
        base_url: What a client is configured with (``http://127.0.0.1:P`` or ``.../v1``).
        """
        self.argv, self.port, self.ready_path, self.url = argv, port, ready_path, base_url
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.gettempdir()) / f"model-server-{port}.log"

    def log(self) -> str:
        """What the process has written to stdout and stderr since its last start."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def root(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        """Start the process and wait until ``ready_path`` answers 200.

        Raises:
            RuntimeError: It exited or did not get ready in ``timeout_s``.
        """
        self.log_path.unlink(missing_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*self.argv, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # its log lines are read while it runs
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[:3]} exited with {self.process.returncode}")
            try:
                if httpx.get(self.root + self.ready_path, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.argv[:3]} did not get ready in {timeout_s} s")

    def kill(self) -> None:
        """SIGKILL the process (its connections drop at once) and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None


def llama_server(gguf: Path, n_ctx: int = 512) -> ServerProcess:
    """A llama-cpp-python OpenAI-compatible server over ``gguf`` (1 thread, ``n_ctx`` tokens; the alpaca chat
    format, since the bundled Gemma 3 270M base model has no chat template of its own)."""
    argv = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", LLAMA_ALIAS,
        "--n_ctx", str(n_ctx), "--n_threads", "1", "--n_threads_batch", "1", "--chat_format", "alpaca",
        "--host", "127.0.0.1",
    ]  # fmt: skip
    port = free_port()
    return ServerProcess(argv, port, "/v1/models", f"http://127.0.0.1:{port}/v1")


def ollama_standin(model: str = STANDIN_MODEL) -> ServerProcess:
    """An Ollama stand-in (a fixed echo) serving ``model``."""
    port = free_port()
    argv = [sys.executable, str(STANDIN), "--model", model]
    return ServerProcess(argv, port, "/api/version", f"http://127.0.0.1:{port}")


class BlackHole:
    """A TCP port that accepts connections (the kernel's backlog) and never answers: a stand-in for a host that
    drops packets (this sandbox answers or refuses unroutable addresses such as 10.255.255.1 at once), so a
    probe or a request to it waits for its full timeout."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> BlackHole:
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.close()
