"""FakeOllamaServer: a STAND-IN for an Ollama server, for tests only.

No Ollama binary exists in CI, so request building and error mapping are tested against this small HTTP server
that speaks the documented endpoints we use (GET /api/version, GET /api/tags, POST /api/chat with NDJSON streaming; see
https://github.com/ollama/ollama/blob/main/docs/api.md). It is not Ollama and proves nothing about a real model.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOllamaServer:
    """Serves /api/tags with ``models`` and streams ``reply_chunks`` from /api/chat; records chat requests."""

    def __init__(self, models: list[str], reply_chunks: list[str]) -> None:
        self.models = models
        self.reply_chunks = reply_chunks
        self.chat_requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/api/version":
                    self._json(200, {"version": "0.12.0"})
                elif self.path == "/api/tags":
                    self._json(
                        200,
                        {
                            "models": [
                                {
                                    "name": m,
                                    "model": m,
                                    "modified_at": "2026-01-01T00:00:00Z",
                                    "size": 1,
                                    "digest": "x",
                                    "details": {
                                        "format": "gguf",
                                        "family": "qwen2",
                                        "parameter_size": "7B",
                                        "quantization_level": "Q4_K_M",
                                    },
                                }
                                for m in server.models
                            ]
                        },
                    )
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                if self.path != "/api/chat":
                    self._json(404, {"error": "not found"})
                    return
                server.chat_requests.append(body)
                if body.get("model") not in server.models:
                    self._json(404, {"error": f"model '{body.get('model')}' not found"})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for chunk in server.reply_chunks:
                    line = {
                        "model": body["model"],
                        "created_at": "2026-01-01T00:00:00Z",
                        "message": {"role": "assistant", "content": chunk},
                        "done": False,
                    }
                    self.wfile.write((json.dumps(line) + "\n").encode())
                    self.wfile.flush()
                final = {
                    "model": body["model"],
                    "created_at": "2026-01-01T00:00:00Z",
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "total_duration": 1,
                    "eval_count": len(server.reply_chunks),
                }
                self.wfile.write((json.dumps(final) + "\n").encode())

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOllamaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
