"""A pool of model servers (Ollama hosts, OpenAI-compatible servers) with cached health and failover.

- **Hosts** come from a backend's settings (:class:`pipelines.core.settings.ModelServerSettings`): each with its
  model, weight and key. A host is named in results, logs and errors by :func:`public_url` (no credentials).
- **Health** is probed by the server kind (Ollama: ``GET /api/version`` and the model in ``GET /api/tags``;
  OpenAI-compatible: ``GET /v1/models``) and cached: a healthy host is probed again after ``health_ttl_s`` in a
  background thread (its last state is used meanwhile), so choosing a backend costs no network round trip per
  turn. Hosts never probed are probed together before their first use, and the wait ends as soon as one
  answers; ``auto`` never waits for a host it already knows to be down (it is probed in the background).
- **Selection** takes the healthy host with the fewest requests in flight per unit of weight; ties go to the one
  that has served the fewest requests per weight (a weighted round robin when requests come one at a time).
- **Circuit breaker**: a request that fails on a host (connection refused or reset, a timeout, a 5xx, a
  missing model or rejected key) takes the host out at once; it is probed again after ``retry_after_s`` and
  comes back after a successful probe.
- **Retry only before the first token**: a request that fails before anything was streamed goes to another
  healthy host; once a token was shown a failure ends the answer with a :class:`BackendError` (no second answer
  is ever appended to a partial one).
- When no host can answer, one :class:`BackendError` names every host and why.
- **Metrics** (:mod:`pipelines.core.metrics`): ``assistant_host_up`` and ``assistant_host_requests_in_flight``
  by backend and host name, set where health and load change.

Unlike Open WebUI's ``random.choice`` over ``OLLAMA_BASE_URLS`` (no health check, no failover), a dead host costs
one failed connection attempt, after which it is skipped until a probe finds it back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from pipelines.core import metrics
from pipelines.core.errors import BackendError
from pipelines.core.settings import HostSettings, ModelServerSettings
from pipelines.llm.limits import GenerationOptions, StreamLimits, timed_stream

__all__ = [
    "Failure",
    "HostPool",
    "HostPools",
    "PoolHost",
    "PooledChatModel",
    "ServerKind",
    "pool_hosts",
    "public_url",
]

logger = logging.getLogger(__name__)


def public_url(url: str) -> str:
    """``url`` without credentials, query or fragment, and without a trailing slash: how a host is named.

    ``https://user:secret@gpu1:8000/v1/?key=x`` -> ``https://gpu1:8000/v1``.
    """
    parts = urlsplit(url.strip())
    netloc = parts.hostname or ""
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class PoolHost:
    """One host of a pool as the client sees it.

    Attributes:
        url: The base URL as configured (may carry credentials: never shown).
        name: :func:`public_url` of it: how results, logs and errors name the host.
        model: The model asked for on this host.
        weight: Relative capacity (> 0).
        api_key: Bearer key, or None.
    """

    url: str = field(repr=False)
    name: str
    model: str
    weight: float = 1.0
    api_key: str | None = field(default=None, repr=False)


def pool_hosts(settings: ModelServerSettings) -> list[PoolHost]:
    """The hosts of a backend's settings: plain URLs and ``{url, models, weight, api_key}`` objects (dicts too).

    A host's model is the backend's ``model`` when its ``models`` list is empty or contains it, else the first
    of its ``models``; its key is its own ``api_key``, else the backend's.
    """
    hosts = []
    default_key = settings.api_key.get_secret_value() if settings.api_key else None
    for entry in settings.hosts:
        host = (
            entry
            if isinstance(entry, HostSettings)
            else HostSettings.model_validate({"url": entry} if isinstance(entry, str) else entry)
        )
        model = settings.model if not host.models or settings.model in host.models else host.models[0]
        key = host.api_key.get_secret_value() if host.api_key else default_key
        url = host.url.strip().rstrip("/")
        hosts.append(PoolHost(url, public_url(url), model, host.weight, key))
    return hosts


@dataclass(frozen=True)
class Failure:
    """How a request's exception counts: ``host_down`` takes the host out (and allows a retry elsewhere before
    the first token); ``reason`` says what happened and what to do (no secrets, no message text)."""

    host_down: bool
    reason: str


#: Probes one host: ``(host, timeout_s) -> None`` when it can answer with its model, else the reason.
Probe = Callable[[PoolHost, float], str | None]


@dataclass(frozen=True)
class ServerKind:
    """What a pool needs to know about a kind of server.

    Attributes:
        name: The backend's name (ollama|openai).
        label: How errors name it ("Ollama", "OpenAI-compatible server").
        probe: The health probe (:data:`Probe`).
        build: ``(host, options, limits) -> chat model`` streaming from that host.
        classify: ``(exception, host) -> Failure`` for an exception raised while chatting.
    """

    name: str
    label: str
    probe: Probe
    build: Callable[[PoolHost, GenerationOptions, StreamLimits], BaseChatModel]
    classify: Callable[[Exception, PoolHost], Failure]


@dataclass
class _Health:
    up: bool | None = None  # None: never probed
    reason: str = "not probed yet"
    checked_at: float = float("-inf")
    in_flight: int = 0
    served: int = 0
    probing: bool = False


class HostPool:
    """The hosts of one backend, their cached health and their load (thread-safe; one per settings)."""

    def __init__(
        self,
        kind: ServerKind,
        settings: ModelServerSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Args:
        kind: The kind of server (probe, client, error classification).
        settings: The backend's settings: hosts, model, keys, probe timeout, health TTL, retry delay, limits.
        clock: Monotonic seconds (tests may pass a fake clock).
        """
        self.kind = kind
        self.hosts = pool_hosts(settings)
        self.probe_timeout_s = settings.probe_timeout_s
        self.health_ttl_s = settings.health_ttl_s
        self.retry_after_s = settings.retry_after_s
        self.limits = StreamLimits.of(settings)
        self.clock = clock
        self._health = {host.url: _Health() for host in self.hosts}
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, GenerationOptions], BaseChatModel] = {}

    # --- health ------------------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        """Each host's ``{"host", "up", "reason", "in_flight", "served"}`` (``up`` None: never probed)."""
        with self._lock:
            return [
                {
                    "host": host.name,
                    "up": self._health[host.url].up,
                    "reason": self._health[host.url].reason,
                    "in_flight": self._health[host.url].in_flight,
                    "served": self._health[host.url].served,
                }
                for host in self.hosts
            ]

    def available(self, wait: bool = False) -> bool:
        """Whether some host can answer now. Hosts never probed are probed first (waiting until one answers
        or all have failed); hosts whose state is older than its TTL are probed in the background, the known
        state used meanwhile, unless no host is healthy and ``wait`` is set (an explicitly chosen backend:
        a restarted host is found at once)."""
        return bool(self._candidates(set(), wait))

    def _probe(self, host: PoolHost) -> bool:
        """Probe ``host`` and record the outcome; whether it is up."""
        try:
            reason = self.kind.probe(host, self.probe_timeout_s)
        except Exception as exc:  # a probe must never break a turn
            reason = f"probe failed ({type(exc).__name__})"
        with self._lock:
            health = self._health[host.url]
            health.up, health.reason = reason is None, reason or "ok"
            health.checked_at, health.probing = self.clock(), False
            metrics.set_host(self.kind.name, host.name, up=reason is None)
        if reason is not None:
            logger.info("pool %s host=%s down reason=%s", self.kind.name, host.name, reason)
        return reason is None

    def _due(self, host: PoolHost, now: float) -> bool:
        health = self._health[host.url]
        if health.probing:
            return False
        if health.up is None:
            return True
        age = now - health.checked_at
        return age >= (self.health_ttl_s if health.up else self.retry_after_s)

    def _refresh(self, exclude: set[str], block: bool) -> None:
        """Probe the hosts that are due (not in ``exclude``), all at once: when ``block``, wait until one is
        up or all have answered (the others finish in the background), else do not wait."""
        with self._lock:
            now = self.clock()
            due = [h for h in self.hosts if h.url not in exclude and self._due(h, now)]
            for host in due:
                self._health[host.url].probing = True
        if not due:
            return
        probes = ThreadPoolExecutor(max_workers=len(due), thread_name_prefix="pool-probe")
        running = [probes.submit(self._probe, host) for host in due]
        probes.shutdown(wait=False)
        if block:
            for probe in as_completed(running):
                if probe.result():
                    return

    def _candidates(self, exclude: set[str], wait: bool) -> list[PoolHost]:
        """The healthy hosts not in ``exclude`` after refreshing what is due (see :meth:`available`)."""

        def healthy() -> list[PoolHost]:
            with self._lock:
                return [h for h in self.hosts if h.url not in exclude and self._health[h.url].up]

        found = healthy()
        with self._lock:
            unknown = any(self._health[h.url].up is None for h in self.hosts if h.url not in exclude)
        self._refresh(exclude, block=not found and (wait or unknown))
        return found or healthy()

    # --- requests ----------------------------------------------------------------------------------------

    def acquire(self, exclude: set[str] | None = None) -> PoolHost:
        """Take the healthy host (not in ``exclude``) with the fewest requests in flight per weight and count
        a request on it; pair with :meth:`release`.

        Raises:
            BackendError: No host can answer: the message names every host and why.
        """
        exclude = exclude or set()
        candidates = self._candidates(exclude, wait=True)
        with self._lock:
            candidates = [h for h in candidates if self._health[h.url].up]
            if candidates:
                host = min(
                    candidates,
                    key=lambda h: (
                        self._health[h.url].in_flight / h.weight,
                        self._health[h.url].served / h.weight,
                    ),
                )
                self._health[host.url].in_flight += 1
                self._health[host.url].served += 1
                metrics.set_host(self.kind.name, host.name, in_flight=self._health[host.url].in_flight)
                return host
        raise self.down_error()

    def down_error(self) -> BackendError:
        """The error when no host can answer: every host and why (or that none is configured)."""
        with self._lock:
            reasons = [f"{h.name}: {self._health[h.url].reason}" for h in self.hosts]
        if not reasons:
            return BackendError(
                f"no {self.kind.label} is configured; set ASSISTANT_{self.kind.name.upper()}__HOSTS"
            )
        return BackendError(f"no {self.kind.label} host can answer ({'; '.join(reasons)})")

    def release(self, host: PoolHost, failure: Failure | None = None) -> None:
        """End a request counted by :meth:`acquire`; a ``failure`` with ``host_down`` takes the host out."""
        with self._lock:
            health = self._health[host.url]
            health.in_flight = max(0, health.in_flight - 1)
            if failure is not None and failure.host_down:
                health.up, health.reason, health.checked_at = False, failure.reason, self.clock()
            down = failure is not None and failure.host_down
            metrics.set_host(
                self.kind.name, host.name, up=False if down else None, in_flight=health.in_flight
            )
        if failure is not None and failure.host_down:
            logger.warning("pool %s host=%s taken out reason=%s", self.kind.name, host.name, failure.reason)

    def client(self, host: PoolHost, options: GenerationOptions) -> BaseChatModel:
        """The (cached) chat model streaming from ``host`` with ``options`` (one HTTP client per pair, so
        connections are reused)."""
        key = (host.url, options)
        with self._lock:
            chat = self._clients.get(key)
        if chat is None:
            chat = self.kind.build(host, options, self.limits)
            with self._lock:
                if len(self._clients) > 64:
                    self._clients.clear()
                chat = self._clients.setdefault(key, chat)
        return chat

    def stream(
        self, messages: list[BaseMessage], options: GenerationOptions, stop: list[str] | None = None
    ) -> Iterator[tuple[PoolHost, AIMessageChunk]]:
        """Stream ``messages`` from a healthy host as ``(host, chunk)``, failing over before the first chunk.

        Raises:
            BackendError: No host could answer (every host and why), a request error (what to do), or the
                answer broke off after its first chunk (never retried: no second answer after a partial one).
        """
        tried: set[str] = set()
        while True:
            host = self.acquire(tried)
            tried.add(host.url)
            chat = self.client(host, options)
            started = False
            chunks = timed_stream(lambda c=chat: c.stream(messages, stop=stop), self.limits)  # type: ignore[misc]
            try:
                for chunk in chunks:
                    started = True
                    yield host, chunk  # type: ignore[misc]
            except GeneratorExit:  # the consumer stopped: close the HTTP response now
                chunks.close()
                self.release(host)
                raise
            except Exception as exc:
                failure = self.kind.classify(exc, host)
                self.release(host, failure)
                if started:
                    raise BackendError(
                        f"the answer from {self.kind.label} {host.name} broke off ({failure.reason}); "
                        "it was not retried elsewhere: ask again"
                    ) from exc
                if not failure.host_down:
                    raise BackendError(f"{self.kind.label} {host.name}: {failure.reason}") from exc
                logger.info(
                    "pool %s retry after host=%s failed before the first token", self.kind.name, host.name
                )
                continue
            self.release(host)
            return


class HostPools:
    """The pools of one composition root, one per backend, rebuilt when the backend's settings change (a
    changed host list, model or limit gives a fresh pool with fresh health)."""

    def __init__(self) -> None:
        self._pools: dict[str, tuple[str, HostPool]] = {}
        self._lock = threading.Lock()

    def get(self, kind: ServerKind, settings: ModelServerSettings) -> HostPool:
        """The pool of ``kind`` for ``settings`` (the same object while the settings stay the same)."""
        keys = [h.api_key for h in pool_hosts(settings)]
        fingerprint = f"{settings.model_dump_json()}{settings.hosts!r}{keys!r}"
        with self._lock:
            known = self._pools.get(kind.name)
            if known is None or known[0] != fingerprint:
                known = (fingerprint, HostPool(kind, settings))
                self._pools[kind.name] = known
            return known[1]


class PooledChatModel(BaseChatModel):
    """A LangChain chat model over a :class:`HostPool`: every call goes to a healthy host (see the module
    docstring). One instance per turn: :attr:`last_host` and :attr:`last_model` name the host and model that
    answered its last call."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pool: Any
    options: GenerationOptions = GenerationOptions()
    model_name: str = ""
    last_host: str = ""
    last_model: str = ""

    @property
    def _llm_type(self) -> str:
        return f"pooled-{self.pool.kind.name}"

    def with_options(self, options: GenerationOptions) -> PooledChatModel:
        """A copy whose options are ``options`` over these (None values keep these)."""
        return self.model_copy(update={"options": options.over(self.options)})

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for host, chunk in self.pool.stream(messages, self.options, stop):
            if self.last_host != host.name or self.last_model != host.model:
                self.last_host, self.last_model = host.name, host.model
            message = AIMessageChunk(
                content=chunk.content,
                additional_kwargs=chunk.additional_kwargs,
                response_metadata={**chunk.response_metadata, "host": host.name},
                usage_metadata=chunk.usage_metadata,
            )
            generation = ChatGenerationChunk(message=message)
            if run_manager is not None:
                run_manager.on_llm_new_token(str(message.content), chunk=generation)
            yield generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager))
