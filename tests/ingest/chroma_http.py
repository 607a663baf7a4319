"""Helpers of the Chroma-server store tests (``tests/ingest/test_store_http.py``): hand-made documents with small
fixed vectors (storage is what is tested, not embeddings), a token-checking reverse proxy in front of the Chroma
server, and the writer a test kills with SIGKILL (``python -m tests.ingest.chroma_http write …``)."""

from __future__ import annotations

import argparse
import hashlib
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from ingest import Chunk, VectorStore, owner_metadata
from ingest.lexical import LexicalIndex
from ingest.store import ChromaServer

#: Dimension of the test vectors.
DIM = 8
TOPICS = ["transfers", "cards", "loans", "savings", "mortgages", "fraud", "fees", "statements"]


def vector(number: int) -> list[float]:
    """A unit-ish vector that differs per ``number`` (cosine neighbours are close numbers)."""
    return [1.0, *(((number * (i + 3)) % 17) / 17.0 for i in range(DIM - 1))]


def document(
    name: str, chunks: int, owner: str | None = None
) -> tuple[str, list[Chunk], list[list[float]], list[dict[str, Any]]]:
    """A document of ``chunks`` distinct chunks: its sha256, chunks, vectors and metadata (``owner`` None:
    shared)."""
    sha = hashlib.sha256(f"{name}:{chunks}:{owner}".encode()).hexdigest()
    built, vectors, metadatas = [], [], []
    for index in range(chunks):
        topic = TOPICS[index % len(TOPICS)]
        text = f"{name} section {index} on {topic}: the limit number {index * 7} applies to {topic} case {index}."
        built.append(Chunk(f"{sha[:16]}-{index}", text, index, f"section {index}"))
        vectors.append(vector(index))
        metadatas.append(
            {
                "document_sha256": sha,
                "source": f"{name}.md",
                "ingested_at": f"2026-12-06T12:00:{index % 60:02d}Z",
                "kind": "markdown",
                **owner_metadata(owner),
            }
        )
    return sha, built, vectors, metadatas


def add(
    store: VectorStore, domain: str, doc: tuple[str, list[Chunk], list[list[float]], list[dict[str, Any]]]
) -> int:
    """Write a :func:`document` to ``store``; returns the new chunk count."""
    _, chunks, vectors, metadatas = doc
    return store.add_chunks(domain, chunks, vectors, metadatas)


class TokenProxy:
    """A reverse proxy on 127.0.0.1 in front of a Chroma server that forwards only requests carrying
    ``Authorization: Bearer <token>`` (others get 401), as a deployment would put in front of ``chroma run``.
    ``accepted`` and ``refused`` count the requests."""

    def __init__(self, upstream_port: int, token: str) -> None:
        self.upstream = f"http://127.0.0.1:{upstream_port}"
        self.token = token
        self.accepted = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != f"Bearer {proxy.token}":
                    with proxy._lock:
                        proxy.refused += 1
                    self._answer(401, b'{"error":"Unauthorized","message":"missing or wrong token"}', {})
                    return
                with proxy._lock:
                    proxy.accepted += 1
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower()
                    not in ("host", "authorization", "connection", "content-length", "accept-encoding")
                }
                upstream = proxy._client.request(
                    self.command, proxy.upstream + self.path, content=body, headers=headers
                )
                kept = {
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower()
                    not in ("content-length", "transfer-encoding", "connection", "content-encoding")
                }
                self._answer(upstream.status_code, upstream.content, kept)

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if not any(k.lower() == "content-type" for k in headers):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the upstream connections."""
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


def _write(args: argparse.Namespace) -> None:
    """Write one large document through a store on the server, printing ``batch <written> <total>`` after each
    batch (the test kills this process after the first)."""
    store = VectorStore(
        Path(args.local),
        batch_size=args.batch,
        server=ChromaServer("127.0.0.1", args.port),
        lexical=LexicalIndex(Path(args.lexical)),
    )

    def progress(written: int, total: int) -> None:
        print(f"batch {written} {total}", flush=True)

    _, chunks, vectors, metadatas = document(args.name, args.chunks)
    store.add_chunks(args.domain, chunks, vectors, metadatas, progress=progress)
    print("done", flush=True)


def main(argv: list[str]) -> None:
    """``write --port P --local DIR --lexical FILE --domain D --name N --chunks C --batch B``."""
    parser = argparse.ArgumentParser(prog="chroma_http")
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write")
    write.add_argument("--port", type=int, required=True)
    write.add_argument("--local", required=True)
    write.add_argument("--lexical", required=True)
    write.add_argument("--domain", required=True)
    write.add_argument("--name", required=True)
    write.add_argument("--chunks", type=int, required=True)
    write.add_argument("--batch", type=int, required=True)
    args = parser.parse_args(argv)
    _write(args)


if __name__ == "__main__":
    main(sys.argv[1:])
