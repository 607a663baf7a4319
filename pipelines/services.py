"""The composition root: builds the shared, stateless services from the settings, lazily and once.

Nothing is built at import time; each service is created on first use and cached on the instance
(``functools.cached_property`` is locked per instance on Python 3.11, so concurrent first use builds once).
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from domains import CodeModesConfig, DomainConfig, load_code_modes, load_domains
from ingest import Embedder, VectorStore
from pipelines.chat.routing import Router
from pipelines.conversation.memory import MemoryStore
from pipelines.core.errors import AssistantError
from pipelines.core.logs import PiiLogFilter, configure_logging, logger
from pipelines.core.settings import Settings
from pipelines.llm.backends import Backend, build_llamacpp_backend, resolve_backend
from pipelines.skills.agent_assist.feedback import FeedbackStore
from pipelines.skills.medical.entities import MedicalEntityRecognizer
from pipelines.skills.medical.records import RecordStore
from pipelines.skills.triage.intent import IntentClassifier
from pipelines.skills.triage.risk import RiskDetector, build_risk_detector
from privacy import (
    Deidentifier,
    PiiPolicy,
    Redaction,
    Vault,
    VaultStore,
    build_analyzer,
    load_or_create_secret,
)

__all__ = ["Services"]


class Services:
    """Everything a pipeline needs, built from one :class:`Settings` (share one instance per process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        pii_filter = PiiLogFilter(self._scrub_log_text)
        self.log_path = configure_logging(settings.data_dir, settings.log_level, pii_filter)
        self._llamacpp: Backend | None = None
        self._llamacpp_lock = threading.Lock()
        self._risk_detectors: dict[str, RiskDetector | None] = {}
        self._risk_lock = threading.Lock()
        self._intent_classifiers: dict[str, IntentClassifier | None] = {}
        self._intent_lock = threading.Lock()
        self._entity_recognizers: dict[str, MedicalEntityRecognizer | None] = {}
        self._entity_lock = threading.Lock()
        if erased := self.vaults.purge_expired():
            logger.info(
                "vaults expired erased=%d ttl_hours=%g", len(erased), settings.privacy.vault_ttl_hours
            )

    def _scrub_log_text(self, text: str) -> str:
        """A log message with the ``logs`` operator (hash or drop) of :attr:`routing_policy` applied to every
        finding; every domain's keep_terms and the model names are kept (the URL recognizer reads
        "q4_k_m.gguf" as a web address)."""
        models = [self.settings.ollama.model, self._llamacpp.model_name if self._llamacpp else ""]
        if self.settings.llamacpp.model_path is not None:
            models.append(self.settings.llamacpp.model_path.name)
        keep = (*self.routing_keep_terms, *(m for m in models if m))
        return self.deidentifier.deidentify(text, self.routing_policy, "logs", None, keep).text

    @cached_property
    def domains(self) -> dict[str, DomainConfig]:
        """Loaded and validated domain configs by name."""
        domains = load_domains(self.settings.domains_dir)
        for config in domains.values():
            self._policy(config)  # fail early on an invalid policy
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
        """The PII policy of ``domain`` (its ``privacy:`` block).

        Raises:
            AssistantError: Unknown domain.
            PrivacyError: The block is not a valid policy.
        """
        return self._policy(self.domain(domain))

    @staticmethod
    def _policy(config: DomainConfig) -> PiiPolicy:
        return PiiPolicy.from_mapping(config.name, config.privacy)

    @cached_property
    def routing_policy(self) -> PiiPolicy:
        """The policy applied before a domain is known: every domain's entities, each with the strictest
        operator any domain gives it per sink (:meth:`privacy.PiiPolicy.union`)."""
        return PiiPolicy.union(self.policy(name) for name in self.domains)

    @cached_property
    def routing_keep_terms(self) -> tuple[str, ...]:
        """Every domain's keep_terms, used before a domain is known."""
        return tuple(sorted({term for config in self.domains.values() for term in config.keep_terms}))

    def message_policy(self, domain: str | None = None) -> tuple[PiiPolicy, tuple[str, ...]]:
        """``(policy, keep_terms)`` for a user message: ``domain``'s, or, before a domain is known (None), the
        union of every domain's (:attr:`routing_policy`, :attr:`routing_keep_terms`)."""
        if domain is None:
            return self.routing_policy, self.routing_keep_terms
        return self.policy(domain), self.domain(domain).keep_terms

    def pseudonymize(
        self, text: str, vault: Vault, domain: str | None = None, extra_keep: tuple[str, ...] = ()
    ) -> Redaction:
        """De-identify a user message for the prompt sink with :meth:`message_policy` (``extra_keep``: more
        terms never treated as PII in this call)."""
        policy, keep_terms = self.message_policy(domain)
        return self.deidentifier.deidentify(text, policy, "prompt", vault, (*keep_terms, *extra_keep))

    def deidentify_message(
        self, text: str, vault: Vault, domain: str | None = None
    ) -> tuple[Redaction, Redaction]:
        """De-identify a user message once for both the prompt and the memory sink.

        Returns:
            ``(for the prompt, for memory)``: the policy may give the two sinks different operators.
        """
        policy, keep_terms = self.message_policy(domain)
        findings = self.deidentifier.find_for(text, policy, ("prompt", "memory"), keep_terms, vault)
        return (
            self.deidentifier.deidentify(text, policy, "prompt", vault, keep_terms, findings),
            self.deidentifier.deidentify(text, policy, "memory", vault, keep_terms, findings),
        )

    def scrub(self, text: str, vault: Vault, domain: str | None = None) -> Redaction:
        """De-identify model output (reasoning) with :meth:`message_policy`, without adding to the vault: see
        :meth:`privacy.Deidentifier.scrub`."""
        policy, keep_terms = self.message_policy(domain)
        return self.deidentifier.scrub(text, policy, vault, keep_terms)

    def code_modes(self, domain: str) -> CodeModesConfig | None:
        """The code task modes of ``domain`` (its ``modes.yaml``), or None when it has none.

        Raises:
            AssistantError: Unknown domain.
            DomainError: The file does not validate.
        """
        return load_code_modes(self.domain(domain))

    def risk_detector(self, domain: str) -> RiskDetector | None:
        """The risk detector of ``domain`` (built once from its ``risk:`` rules), or None when it has none.

        Raises:
            AssistantError: Unknown domain.
        """
        config = self.domain(domain)
        with self._risk_lock:
            if domain not in self._risk_detectors:
                self._risk_detectors[domain] = build_risk_detector(config.risk) if config.risk else None
            return self._risk_detectors[domain]

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
        """Presidio-based de-identifier, with the secret of the hash and date-shift operators (settings, else
        ``<data_dir>/vault/operators.secret``, generated once with mode 0600)."""
        configured = self.settings.privacy.operator_secret
        secret = (
            configured.encode("utf-8")
            if configured
            else load_or_create_secret(self.settings.data_dir / "vault" / "operators.secret")
        )
        return Deidentifier(build_analyzer(self.settings.privacy.spacy_model), secret)

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
    def feedback(self) -> FeedbackStore:
        """Agents' feedback on suggested replies in ``<data_dir>/feedback.sqlite3`` (stored de-identified)."""
        return FeedbackStore(self.settings.data_dir / "feedback.sqlite3")

    @cached_property
    def records(self) -> RecordStore:
        """Per-record medical terms and the DP budget ledger in ``<data_dir>/records.sqlite3``."""
        return RecordStore(self.settings.data_dir / "records.sqlite3")

    @cached_property
    def router(self) -> Router:
        """Embedding-similarity router over the domains."""
        return Router(
            self.embedder, self.domains, self.settings.routing.top_n, self.settings.routing.temperature
        )

    def intent_classifier(self, domain: str) -> IntentClassifier | None:
        """The domain's intent model (its ``intent:`` block), loaded once; None when the domain has none.

        Raises:
            AssistantError: Unknown domain.
            IntentError: The configured model folder is missing or malformed.
        """
        config = self.domain(domain)
        with self._intent_lock:
            if domain not in self._intent_classifiers:
                intent = config.intent
                self._intent_classifiers[domain] = (
                    None
                    if intent is None
                    else IntentClassifier.load(config.resolve(intent.model), intent.unknown_threshold)
                )
            return self._intent_classifiers[domain]

    def entity_recognizer(self, domain: str) -> MedicalEntityRecognizer | None:
        """The domain's entity model (its ``ner:`` block), loaded once; None when the domain has none.

        Raises:
            AssistantError: Unknown domain.
            NerError: The configured model folder is missing or malformed.
        """
        config = self.domain(domain)
        with self._entity_lock:
            if domain not in self._entity_recognizers:
                ner = config.ner
                self._entity_recognizers[domain] = (
                    None if ner is None else MedicalEntityRecognizer(config.resolve(ner.model))
                )
            return self._entity_recognizers[domain]

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
