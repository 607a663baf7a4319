"""ScriptedOllama: a STAND-IN for an Ollama server whose "model" output is a fixed script, for tests only.

It is not a model: it replays ``script`` (a list of token strings) through Ollama's documented streaming chat API
(https://github.com/ollama/ollama/blob/main/docs/api.md: ``GET /api/version``, ``GET /api/tags``, ``POST
/api/chat`` as NDJSON lines, the last one with ``done: true``, ``done_reason`` and ``eval_count``), one token
per line every ``delay_s`` seconds, as a server generating at that speed would. When the script is played to its
end, the last line says ``done_reason: "length"`` if ``cut_at_limit`` (the script stands for a generation that
the token limit cut), else ``"stop"``. It counts the tokens it wrote before the client closed the connection
(``sent``, ``disconnected``), which is what an early stop saves on a real server: Ollama cancels a request whose
connection closes.

What is tested with it is the assistant's handling of such output, not a model.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedOllama:
    """Serves ``models`` and streams ``script`` from ``/api/chat`` (see the module docstring)."""

    def __init__(
        self,
        script: list[str],
        models: tuple[str, ...] = ("deepseek-r1:7b",),
        delay_s: float = 0.002,
        cut_at_limit: bool = True,
    ) -> None:
        self.script = script
        self.models = list(models)
        self.delay_s = delay_s
        self.cut_at_limit = cut_at_limit
        self.sent = 0
        self.disconnected = False
        self.finished = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/api/version":
                    self._json({"version": "0.12.0"})
                else:
                    self._json(
                        {
                            "models": [
                                {
                                    "name": m,
                                    "model": m,
                                    "modified_at": "2026-01-01T00:00:00Z",
                                    "size": 1,
                                    "digest": "x",
                                    "details": {"format": "gguf", "family": "qwen2"},
                                }
                                for m in server.models
                            ]
                        }
                    )

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                try:
                    for token in server.script:
                        line = {
                            "model": body.get("model"),
                            "created_at": "2026-01-01T00:00:00Z",
                            "message": {"role": "assistant", "content": token},
                            "done": False,
                        }
                        self.wfile.write((json.dumps(line) + "\n").encode())
                        self.wfile.flush()
                        server.sent += 1
                        time.sleep(server.delay_s)
                    final = {
                        "model": body.get("model"),
                        "created_at": "2026-01-01T00:00:00Z",
                        "message": {"role": "assistant", "content": ""},
                        "done": True,
                        "done_reason": "length" if server.cut_at_limit else "stop",
                        "eval_count": len(server.script),
                    }
                    self.wfile.write((json.dumps(final) + "\n").encode())
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    server.disconnected = True
                finally:
                    server.finished.set()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedOllama:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def tokens(text: str) -> list[str]:
    """``text`` as token-like pieces (each run of whitespace with the word after it), joined back = ``text``."""
    import re

    return re.findall(r"\s*\S+|\s+$", text)
