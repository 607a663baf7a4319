"""The composition root: builds the shared, stateless services from the settings, lazily and once.

Nothing is built at import time; each service is created on first use and cached on the instance
(``functools.cached_property`` is locked per instance on Python 3.11, so concurrent first use builds once).
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from domains import DomainConfig, load_domains
from ingest import Embedder, VectorStore
from pipelines.errors import AssistantError
from pipelines.llm import Backend, build_llamacpp_backend, resolve_backend
from pipelines.logs import PiiLogFilter, configure_logging, logger
from pipelines.memory import MemoryStore
from pipelines.routing import Router
from pipelines.settings import Settings
from privacy import (
    Deidentifier,
    Finding,
    PiiPolicy,
    Redaction,
    Vault,
    VaultStore,
    build_analyzer,
    load_or_create_salt,
    load_policy,
    policy_names,
)

__all__ = ["Services"]


class Services:
    """Everything a pipeline needs, built from one :class:`Settings` (share one instance per process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        salt = settings.privacy.log_salt
        log_filter = PiiLogFilter(
            self._find_for_logs,
            salt.encode() if salt else load_or_create_salt(settings.data_dir / "vault" / "log.salt"),
            self.log_operators(),
        )
        self.log_path = configure_logging(settings.data_dir, settings.log_level, log_filter)
        self._llamacpp: Backend | None = None
        self._llamacpp_lock = threading.Lock()
        if erased := self.vaults.purge_expired():
            logger.info(
                "vaults expired erased=%d ttl_hours=%g", len(erased), settings.privacy.vault_ttl_hours
            )

    @staticmethod
    def log_operators() -> dict[str, str]:
        """What the log filter does per entity type: "hash" for every message entity of every PII policy (a
        superset of :attr:`routing_policy`'s, known without loading the domains). To be replaced by the
        policies' own per-sink operators."""
        return {e: "hash" for name in policy_names() for e in load_policy(name).message_entities}

    def _find_for_logs(self, text: str) -> list[Finding]:
        """PII findings in a log message: :attr:`routing_policy` entities; every domain's keep_terms and the
        model names kept (the URL recognizer reads "q4_k_m.gguf" as a web address)."""
        policy = self.routing_policy
        models = [self.settings.ollama.model, self._llamacpp.model_name if self._llamacpp else ""]
        if self.settings.llamacpp.model_path is not None:
            models.append(self.settings.llamacpp.model_path.name)
        keep = (*self.routing_keep_terms, *(m for m in models if m))
        return self.deidentifier.find(text, policy.message_entities, policy.score_threshold, keep)

    @cached_property
    def domains(self) -> dict[str, DomainConfig]:
        """Loaded and validated domain configs by name."""
        domains = load_domains(self.settings.domains_dir)
        for config in domains.values():
            load_policy(config.pii_policy)  # fail early on a policy name that does not exist
        return domains

    def domain(self, name: str) -> DomainConfig:
        """Return the domain called ``name``.

        Raises:
            AssistantError: Unknown domain (the message lists the known ones).
        """
        try:
            return self.domains[name]
        except KeyError:
            raise AssistantError(f"unknown domain {name!r}; known: {', '.join(self.domains)}") from None

    def policy(self, domain: str) -> PiiPolicy:
        """The PII policy of ``domain``."""
        return load_policy(self.domain(domain).pii_policy)

    @cached_property
    def routing_policy(self) -> PiiPolicy:
        """The policy applied before a domain is known: the union of every domain's message entities."""
        policies = [self.policy(name) for name in self.domains]
        entities = tuple(sorted({e for p in policies for e in p.message_entities}))
        return PiiPolicy(
            name="union",
            score_threshold=min(p.score_threshold for p in policies),
            message_entities=entities,
            document_entities=tuple(sorted({e for p in policies for e in p.document_entities})),
        )

    @cached_property
    def routing_keep_terms(self) -> tuple[str, ...]:
        """Every domain's keep_terms, used before a domain is known."""
        return tuple(sorted({term for config in self.domains.values() for term in config.keep_terms}))

    def pseudonymize(self, text: str, vault: Vault, domain: str | None = None) -> Redaction:
        """De-identify a user message with ``domain``'s policy and keep_terms, or, before a domain is known
        (None), with the union of every domain's (:attr:`routing_policy`, :attr:`routing_keep_terms`)."""
        if domain is None:
            return self.deidentifier.pseudonymize(text, self.routing_policy, vault, self.routing_keep_terms)
        return self.deidentifier.pseudonymize(
            text, self.policy(domain), vault, self.domain(domain).keep_terms
        )

    def scrub(self, text: str, vault: Vault, domain: str | None = None) -> Redaction:
        """De-identify model output (reasoning) like :meth:`pseudonymize` picks policies, without adding to the
        vault: see :meth:`privacy.Deidentifier.scrub`."""
        if domain is None:
            return self.deidentifier.scrub(text, self.routing_policy, vault, self.routing_keep_terms)
        return self.deidentifier.scrub(text, self.policy(domain), vault, self.domain(domain).keep_terms)

    @cached_property
    def embedder(self) -> Embedder:
        """The all-MiniLM-L6-v2 embedder."""
        return Embedder(self.settings.embedding.batch_size, self.settings.embedding.device)

    @cached_property
    def store(self) -> VectorStore:
        """The Chroma store under ``<data_dir>/chroma``."""
        return VectorStore(self.settings.data_dir / "chroma")

    @cached_property
    def deidentifier(self) -> Deidentifier:
        """Presidio-based de-identifier."""
        return Deidentifier(build_analyzer(self.settings.privacy.spacy_model))

    @cached_property
    def vaults(self) -> VaultStore:
        """Encrypted session vaults under ``<data_dir>/vault``, erased ``vault_ttl_hours`` after last use."""
        privacy = self.settings.privacy
        return VaultStore(self.settings.data_dir / "vault", privacy.vault_key, privacy.vault_ttl_hours)

    @cached_property
    def memory(self) -> MemoryStore:
        """Sessions and turns in ``<data_dir>/memory.sqlite``."""
        return MemoryStore(self.settings.data_dir / "memory.sqlite")

    @cached_property
    def router(self) -> Router:
        """Embedding-similarity router over the domains."""
        return Router(
            self.embedder, self.domains, self.settings.routing.top_n, self.settings.routing.temperature
        )

    def llamacpp_backend(self) -> Backend:
        """The in-process llama.cpp backend, loaded once."""
        with self._llamacpp_lock:
            if self._llamacpp is None:
                self._llamacpp = build_llamacpp_backend(self.settings.llamacpp)
            return self._llamacpp

    def backend(self, requested: str | None = None) -> Backend:
        """Resolve the chat backend (``requested`` or the settings' choice); see :func:`resolve_backend`."""
        return resolve_backend(self.settings, requested or self.settings.llm.backend, self.llamacpp_backend)

    def status(self) -> dict[str, Any]:
        """Counts per domain collection, for status displays."""
        return {name: self.store.count(name) for name in self.domains}
