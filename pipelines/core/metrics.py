"""The product's Prometheus metrics (prometheus-client), on a registry of our own (:data:`REGISTRY`).

Every name starts with ``assistant_``. Labels carry only names the configuration or the code defines (a route
template, a backend, a host's base URL without credentials, a domain, an entity type, a risk category, a
status): never a user, a session, a document name or any text. :func:`label` enforces it for values that come
from configuration: anything that is not a short identifier becomes ``other``.

| metric | type | labels | recorded by |
|---|---|---|---|
| ``assistant_http_requests_total`` | counter | endpoint, method, status | the API's middleware |
| ``assistant_http_request_seconds`` | histogram | endpoint | the API's middleware |
| ``assistant_generation_first_token_seconds`` | histogram | backend, host | each generation (from its start) |
| ``assistant_generation_seconds`` | histogram | backend, host | each generation (its generation step) |
| ``assistant_output_tokens_total`` | counter | backend | each generation (tokens the backend reported) |
| ``assistant_output_chars_total`` | counter | backend | each generation (characters of the answer) |
| ``assistant_host_up`` | gauge (1/0) | backend, host | the host pool (probes, failures) |
| ``assistant_host_requests_in_flight`` | gauge | backend, host | the host pool |
| ``assistant_generation_queue_depth`` | gauge | - | the API's generation gate (places in use) |
| ``assistant_documents_ingested_total`` | counter | domain, status | ingestion (indexed/updated/held/duplicate) |
| ``assistant_chunks_ingested_total`` | counter | domain | ingestion (chunks indexed) |
| ``assistant_masked_values_total`` | counter | entity | turns, agent assist, code tasks, ``/api/deidentify`` |
| ``assistant_risk_escalations_total`` | counter | category | the chat turn (escalating risk, by category) |

A generation is a chat turn, an agent-assist suggestion or a code task.

Exposed by the API at ``GET /metrics`` (:func:`exposition`) and, for the Streamlit app, on ``metrics.port``
(:func:`serve`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

__all__ = [
    "REGISTRY",
    "exposition",
    "label",
    "observe_generation",
    "observe_http",
    "observe_ingestion",
    "set_host",
    "set_queue_depth",
    "serve",
]

#: The registry of the product's metrics (not prometheus-client's global one: no process/platform collectors).
REGISTRY = CollectorRegistry(auto_describe=True)

#: Seconds buckets of a generation (a small CPU model takes seconds, a remote GPU fractions of one).
_GENERATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)

HTTP_REQUESTS = Counter(
    "assistant_http_requests_total",
    "API requests by route template, method and status code.",
    ["endpoint", "method", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "assistant_http_request_seconds",
    "API request time in seconds (until the response started; a stream's body is not included).",
    ["endpoint"],
    registry=REGISTRY,
)
FIRST_TOKEN_SECONDS = Histogram(
    "assistant_generation_first_token_seconds",
    "Seconds from the start of a chat turn to the first token of the answer.",
    ["backend", "host"],
    buckets=_GENERATION_BUCKETS,
    registry=REGISTRY,
)
GENERATION_SECONDS = Histogram(
    "assistant_generation_seconds",
    "Seconds of a chat turn's generation step (first request to last token).",
    ["backend", "host"],
    buckets=_GENERATION_BUCKETS,
    registry=REGISTRY,
)
OUTPUT_TOKENS = Counter(
    "assistant_output_tokens_total",
    "Tokens generated (reasoning included), as the backend reported them (Ollama's eval_count, an OpenAI "
    "server's usage, the embedded model's sampled tokens).",
    ["backend"],
    registry=REGISTRY,
)
OUTPUT_CHARS = Counter(
    "assistant_output_chars_total",
    "Characters of the answers generated (the model's de-identified answer).",
    ["backend"],
    registry=REGISTRY,
)
HOST_UP = Gauge(
    "assistant_host_up",
    "1 when the model server answered its last probe or request, 0 when it is taken out.",
    ["backend", "host"],
    registry=REGISTRY,
)
HOST_IN_FLIGHT = Gauge(
    "assistant_host_requests_in_flight",
    "Requests streaming from a model server now.",
    ["backend", "host"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "assistant_generation_queue_depth",
    "Places of the API's generation gate in use (generating or waiting).",
    registry=REGISTRY,
)
DOCUMENTS = Counter(
    "assistant_documents_ingested_total",
    "Documents ingested by domain and outcome (indexed, updated, held, duplicate).",
    ["domain", "status"],
    registry=REGISTRY,
)
CHUNKS = Counter(
    "assistant_chunks_ingested_total",
    "Chunks written to the index by domain.",
    ["domain"],
    registry=REGISTRY,
)
MASKED = Counter(
    "assistant_masked_values_total",
    "Personal values de-identified in chat questions, by entity type (counts only).",
    ["entity"],
    registry=REGISTRY,
)
ESCALATIONS = Counter(
    "assistant_risk_escalations_total",
    "Chat turns whose risk escalated, by risk category.",
    ["category"],
    registry=REGISTRY,
)

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_.:/-]{0,63}")
_ENDPOINT = re.compile(r"/|(/([A-Za-z][A-Za-z0-9_.-]*|\{[A-Za-z_][A-Za-z0-9_:]*\}))+")
_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9.:\[\]_-]+(/[A-Za-z0-9._/-]*)?")


def label(value: str) -> str:
    """``value`` when it is a short identifier (a letter, then up to 63 of ``A-Za-z0-9_.:/-``), else
    ``"other"``: what the configuration names (entity types, categories, domains) passes; sentences, e-mail
    addresses, phone numbers and cards never do (spaces, ``@``, ``+``, digits first). A single word would:
    callers pass only names the configuration or the code defines."""
    return value if _IDENTIFIER.fullmatch(value) else "other"


def _host(value: str) -> str:
    """A host label: a base URL without credentials (``scheme://host:port/path``), ``local`` for ``""`` (the
    embedded model), else ``other``."""
    if not value:
        return "local"
    return value if len(value) <= 200 and _HOST.fullmatch(value) else "other"


def observe_http(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one API request: ``endpoint`` is the route template (``/api/sessions/{session_id}``, never the
    raw path), or ``unmatched`` (also for anything that is not a template: a segment starting with a digit, a
    space, ``@``...); ``seconds`` until the response started."""
    endpoint = endpoint if len(endpoint) <= 100 and _ENDPOINT.fullmatch(endpoint) else "unmatched"
    HTTP_REQUESTS.labels(endpoint, label(method.upper()), str(int(status))).inc()
    HTTP_SECONDS.labels(endpoint).observe(max(0.0, seconds))


def observe_generation(
    backend: str,
    host: str,
    first_token_s: float | None,
    generation_s: float | None,
    output_chars: int,
    masked: Mapping[str, int],
    escalation_categories: list[str] | None,
    output_tokens: int | None = None,
) -> None:
    """Record one generation (a chat turn, an agent-assist suggestion, a code task).

    Args:
        backend: The backend that generated (ollama|openai|llamacpp).
        host: The host that answered (:func:`pipelines.llm.pool.public_url`), ``""`` for the embedded model.
        first_token_s: Seconds from the turn's start to the first token (None: not measured).
        generation_s: Seconds of the generation step (None: not measured).
        output_chars: Characters of the answer.
        masked: Values de-identified per entity type (``{"PERSON": 2}``).
        escalation_categories: The risk categories when the turn escalated (an empty list counts as
            ``unspecified``), None when it did not.
        output_tokens: Tokens the backend reported generating; None when it reported none.
    """
    backend_label, host_label = label(backend), _host(host)
    if first_token_s is not None:
        FIRST_TOKEN_SECONDS.labels(backend_label, host_label).observe(max(0.0, first_token_s))
    if generation_s is not None:
        GENERATION_SECONDS.labels(backend_label, host_label).observe(max(0.0, generation_s))
    OUTPUT_CHARS.labels(backend_label).inc(max(0, output_chars))
    if output_tokens is not None:
        OUTPUT_TOKENS.labels(backend_label).inc(max(0, output_tokens))
    observe_masked(masked)
    if escalation_categories is not None:
        for category in escalation_categories or ["unspecified"]:
            ESCALATIONS.labels(label(category)).inc()


def observe_masked(masked: Mapping[str, int]) -> None:
    """Count values de-identified per entity type (``{"PERSON": 2}``; counts only, never the values)."""
    for entity, count in masked.items():
        if count > 0:
            MASKED.labels(label(entity)).inc(count)


def observe_ingestion(domain: str, status: str, chunks: int) -> None:
    """Count one ingested document of ``domain`` with its outcome ``status`` and the ``chunks`` it indexed
    (0 when held or a duplicate)."""
    DOCUMENTS.labels(label(domain), label(status)).inc()
    if chunks > 0:
        CHUNKS.labels(label(domain)).inc(chunks)


def set_host(backend: str, host: str, up: bool | None = None, in_flight: int | None = None) -> None:
    """Set a pool host's gauges: ``up`` (None: unchanged) and ``in_flight`` requests (None: unchanged)."""
    backend_label, host_label = label(backend), _host(host)
    if up is not None:
        HOST_UP.labels(backend_label, host_label).set(1 if up else 0)
    if in_flight is not None:
        HOST_IN_FLIGHT.labels(backend_label, host_label).set(max(0, in_flight))


def set_queue_depth(delta: int) -> None:
    """Add ``delta`` (+1 when a place of the generation gate is taken, -1 when given back)."""
    QUEUE_DEPTH.inc(delta)


def exposition() -> tuple[bytes, str]:
    """``(body, content type)`` of every metric in the Prometheus text format."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


_served: dict[tuple[str, int], object] = {}
_serve_lock = threading.Lock()


def serve(port: int, addr: str = "127.0.0.1") -> None:
    """Serve :data:`REGISTRY` at ``http://addr:port/metrics`` in a background thread, once per process and
    address (a second call does nothing).

    Raises:
        OSError: The port cannot be bound.
    """
    with _serve_lock:
        if (addr, port) in _served:
            return
        _served[(addr, port)] = start_http_server(port, addr=addr, registry=REGISTRY)
