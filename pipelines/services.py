"""The composition root: builds every component of one data dir from the settings, lazily and once, and wires
the skills into the core flows. Only the delivery adapters (``app``, ``cli``) use it; nothing below imports it.

Nothing is built at import time; each component is created on first use and cached on the instance
(``functools.cached_property`` is locked per instance on Python 3.11, so concurrent first use builds once).

The heavy models (the sentence embedder, the Presidio analyzer with its spaCy pipeline, the llama.cpp model)
live in a :class:`Models` cache that several :class:`Services` may share: the app keeps one per process, a test
session one for all its data dirs. They hold no per-data-dir state (the operator secret, the vault key and the
stores belong to :class:`Services`).

Skills plug into the core flows through two protocols, wired here from each domain's ``domain.yaml`` blocks:

- message analyzers (:class:`pipelines.chat.signals.MessageAnalyzer`): ``intent:`` adds
  :class:`~pipelines.skills.triage.analyzers.IntentAnalyzer`, ``risk:`` adds :class:`~pipelines.skills.triage.analyzers.RiskAnalyzer`;
- indexing hooks (:class:`pipelines.documents.hooks.IndexingHook`): ``ner:`` adds
  :class:`~pipelines.skills.medical.records_hook.MedicalRecordsHook`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from domains import load_domains
from pipelines.core.domains import DomainRegistry
from pipelines.core.errors import AssistantError
from pipelines.core.logs import PiiLogFilter, configure_logging, logger
from pipelines.core.settings import EmbeddingSettings, LlamaCppSettings, Settings
from privacy import VaultStore, load_or_create_secret

# Everything else is imported where it is first built (below): the models' libraries (torch, transformers,
# sentence-transformers, spaCy through Presidio, llama.cpp), the vector store (chromadb) and the LangChain chat
# layer take seconds to import, and a command that needs none of them (``assistant sessions list``,
# ``assistant documents``) must not wait for them (issue 21; ``tests/cli/test_cli_startup.py``).
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ingest import Embedder, ReviewStorage, VectorStore
    from ingest.multilingual import MultilingualEncoder
    from pipelines.accounts import AccountStore
    from pipelines.chat.pipeline import ChatPipeline
    from pipelines.chat.retrieval import Retriever
    from pipelines.chat.routing import Router
    from pipelines.chat.signals import MessageAnalyzer
    from pipelines.conversation.memory import MemoryStore
    from pipelines.conversation.sessions import Conversations
    from pipelines.conversation.vault_sql import VaultStorage
    from pipelines.core.deidentification import DomainDeidentifier
    from pipelines.documents.catalog import Catalog
    from pipelines.documents.hooks import IndexingHook
    from pipelines.documents.ingestion import Ingestion
    from pipelines.documents.review import Review
    from pipelines.llm.backends import Backend
    from pipelines.llm.llamacpp import LoadedLlama
    from pipelines.llm.pool import HostPools
    from pipelines.skills.agent_assist.assist import AgentAssist
    from pipelines.skills.agent_assist.feedback import FeedbackStore
    from pipelines.skills.code.tasks import CodeTaskPipeline
    from pipelines.skills.medical.clinical import ClinicalNotes
    from pipelines.skills.medical.entities import MedicalEntityRecognizer
    from pipelines.skills.medical.records import RecordStore
    from pipelines.skills.triage.intent import IntentClassifier
    from pipelines.skills.triage.messages import MessageTriage
    from pipelines.skills.triage.risk import RiskDetector
    from pipelines.skills.triage.risk_model import RiskModel
    from privacy import Analyzer, Deidentifier

__all__ = ["Models", "Services", "prepare_data_dir"]

K = TypeVar("K")
V = TypeVar("V")


class _KeyedCache:
    """Values built once per key, thread-safe (a lock per cache; building happens under it)."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            if key not in self._values:
                self._values[key] = build()
            return self._values[key]  # type: ignore[no-any-return]


class Models:
    """The heavy models, loaded on first use and shared by every :class:`Services` given this instance.

    Keyed by the settings that shape them, so two data dirs with the same model settings share one copy:
    the embedder by device and batch size, the analyzer by spaCy pipeline, the llama.cpp model by file, context
    size and threads (each backend wrapper then applies its own token limit and sampling settings).
    """

    _shared: ClassVar[Models | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._cache = _KeyedCache()

    @classmethod
    def shared(cls) -> Models:
        """The process-wide instance: what the app and the command line use, so that every data dir a process
        opens shares one copy of each model."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def embedder(self, settings: EmbeddingSettings) -> Embedder:
        """The all-MiniLM-L6-v2 embedder (:class:`ingest.Embedder`)."""
        from ingest import Embedder

        backend = settings.backend
        if backend == "auto":
            raise ValueError("resolve embedding.backend 'auto' first (Services.embedding_backend)")
        key = ("embedder", settings.batch_size, settings.device, backend, settings.onnx_cache_dir)
        return self._cache.get(
            key, lambda: Embedder(settings.batch_size, settings.device, backend, settings.onnx_cache_dir)
        )

    def multilingual_encoder(self) -> MultilingualEncoder:
        """The multilingual sentence encoder (:class:`ingest.multilingual.MultilingualEncoder`): the router's,
        the Chinese intent model's and the learned risk layer's."""
        from ingest.multilingual import MultilingualEncoder

        return self._cache.get(("multilingual",), MultilingualEncoder)

    def router(
        self,
        questions: dict[str, tuple[str, ...]],
        out_of_domain: tuple[str, ...],
        floor: float,
        regularization: float,
        english: Embedder,
    ) -> Router:
        """The learned router (:class:`pipelines.chat.routing.Router`) fitted on these questions, shared by every
        data dir with the same training data and settings (fitting encodes every question: seconds)."""
        from pipelines.chat.routing import Router

        key = ("router", tuple(questions.items()), out_of_domain, floor, regularization, id(english))
        encoder = self.multilingual_encoder()  # outside the cache's lock, which is not re-entrant
        return self._cache.get(
            key, lambda: Router(encoder, questions, out_of_domain, floor, regularization, english=english)
        )

    def analyzer(self, spacy_model: str) -> Analyzer:
        """The Presidio analyzer with this product's recognizers (:func:`privacy.build_analyzer`)."""
        from privacy import build_analyzer

        return self._cache.get(("analyzer", spacy_model), lambda: build_analyzer(spacy_model))

    def llama(self, settings: LlamaCppSettings) -> LoadedLlama:
        """The loaded GGUF model (:func:`pipelines.llm.llamacpp.load_llama`).

        Raises:
            BackendError: llama-cpp-python is missing or the model cannot be loaded.
        """
        from pipelines.llm.llamacpp import load_llama

        key = ("llama", str(settings.model_path), settings.n_ctx, settings.n_threads)
        return self._cache.get(key, lambda: load_llama(settings))


def prepare_data_dir(path: Path) -> None:
    """Create the data dir (mode 0700) or check an existing one: a folder the process can write to, closed to
    other users (group and other permissions are removed when this user owns it).

    Raises:
        AssistantError: The path is a file, cannot be created, or is not writable (named, with what to do).
    """
    if path.exists() and not path.is_dir():
        raise AssistantError(f"the data dir {path} is a file, not a folder; choose another with --data-dir")
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise AssistantError(
            f"the data dir {path} is not writable ({exc.strerror or type(exc).__name__}): the assistant keeps "
            "its stores and its log there; choose another with --data-dir"
        ) from None
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        path.chmod(0o700)


class Services:
    """Every component of one data dir, built from one :class:`Settings` (share one instance per process and
    data dir)."""

    def __init__(self, settings: Settings, models: Models | None = None) -> None:
        """Create the data dir and its log file; erase the vaults whose time has run out.

        Args:
            settings: The settings tree (the data dir, every component's settings).
            models: The heavy models to share with other instances (None: a private cache;
                :meth:`Models.shared` is the process-wide one).
        """
        self.settings = settings
        self.models = models or Models()
        prepare_data_dir(settings.data_dir)
        self._llamacpp: Backend | None = None
        self._llamacpp_lock = threading.Lock()
        self._per_domain = _KeyedCache()
        pii_filter = PiiLogFilter(self._scrub_log_text)
        self.log_path = configure_logging(
            settings.data_dir, settings.log_level, pii_filter, settings.logs.format
        )
        if erased := self.vaults.purge_expired():
            logger.info(
                "vaults expired erased=%d ttl_hours=%g", len(erased), settings.privacy.vault_ttl_hours
            )

    @cached_property
    def pools(self) -> HostPools:
        """Host pools of the pooled backends (ollama, openai): health cached across turns."""
        from pipelines.llm.pool import HostPools

        return HostPools()

    def _scrub_log_text(self, text: str) -> str:
        """A log message with the routing policy's ``logs`` operator applied; the model names are kept (the
        URL recognizer reads "q4_k_m.gguf" as a web address)."""
        models = [self.settings.ollama.model, self._llamacpp.model_name if self._llamacpp else ""]
        if self.settings.llamacpp.model_path is not None:
            models.append(self.settings.llamacpp.model_path.name)
        return self.deidentification.scrub_log_text(text, [m for m in models if m])

    # --- domains and privacy -----------------------------------------------------------------------------

    @cached_property
    def domains(self) -> DomainRegistry:
        """The loaded and validated domains (a mapping by name; policies validated at load)."""
        return DomainRegistry(load_domains(self.settings.domains_dir))

    @cached_property
    def deidentifier(self) -> Deidentifier:
        """Presidio-based de-identifier, with the secret of the hash and date-shift operators (settings, else
        ``<data_dir>/vault/operators.secret``, generated once with mode 0600)."""
        from privacy import Deidentifier

        configured = self.settings.privacy.operator_secret
        secret = (
            configured.encode("utf-8")
            if configured
            else load_or_create_secret(self.settings.data_dir / "vault" / "operators.secret")
        )
        return Deidentifier(self.models.analyzer(self.settings.privacy.spacy_model), secret)

    @cached_property
    def deidentification(self) -> DomainDeidentifier:
        """The de-identifier under each domain's policy (messages, model output, documents, log lines)."""
        from pipelines.core.deidentification import DomainDeidentifier

        return DomainDeidentifier(self.deidentifier, self.domains)

    # --- stores ------------------------------------------------------------------------------------------

    @cached_property
    def embedder(self) -> Embedder:
        """The all-MiniLM-L6-v2 embedder, run by :attr:`embedding_backend`."""
        settings = self.settings.embedding.model_copy(update={"backend": self.embedding_backend})
        return self.models.embedder(settings)

    @cached_property
    def embedding_backend(self) -> str:
        """The embedding backend of this data dir: ``embedding.backend``, or for ``auto`` the one its collections
        were built with (onnx-int8 when there are none). Decided when the store opens, before any collection
        is created, and recorded with every collection the store creates."""
        return str(self.store.embedding)

    def _embedding_for(self, store: VectorStore) -> str:
        """:attr:`embedding_backend` from the settings and the store's records; a configured backend other than
        a recorded one is logged (the vectors differ slightly: re-index for exact ones)."""
        from ingest.embeddings import BACKENDS

        recorded = store.recorded_embeddings()
        wanted: str = self.settings.embedding.backend
        if wanted == "auto":
            kinds = set(recorded.values())
            wanted = kinds.pop() if len(kinds) == 1 else ("torch" if kinds else "onnx-int8")
            if wanted not in BACKENDS:  # a record this release does not know: the float model
                wanted = "torch"
        for domain, backend in sorted(recorded.items()):
            if backend != wanted:
                logger.warning(
                    "embedding backend %s searches collection %s built with %s: re-index it for exact vectors",
                    wanted,
                    domain,
                    backend,
                )
        return wanted

    @cached_property
    def store(self) -> VectorStore:
        """The document store: Chroma under ``<data_dir>/chroma`` with its BM25 file (``store.mode: embedded``),
        or a Chroma server with the BM25 index in the ``database.url`` database (``store.mode: http``), so that
        every replica sees the same vectors and the same lexical rows.

        Raises:
            AssistantError: ``store.mode`` is http without ``database.url`` (a BM25 file per replica would
                diverge).
            ingest.StoreError: The Chroma server cannot be reached (host:port named, header values never shown).
        """
        from ingest import VectorStore
        from ingest.store import ChromaServer
        from pipelines.documents.lexical_sql import SqlLexicalIndex

        settings = self.settings
        folder = settings.data_dir / "chroma"
        if settings.store.mode == "embedded":
            store = VectorStore(folder, settings.ingest.store_batch_size)
            store.embedding = self._embedding_for(store)
            return store
        if self.sql_database is None:
            raise AssistantError(
                "store.mode is http but database.url is not set: the BM25 index must live in the database every "
                "replica shares; set ASSISTANT_DATABASE__URL (e.g. postgresql+psycopg://…) or use store.mode embedded"
            )
        server = ChromaServer(
            settings.store.chroma_host,
            settings.store.chroma_port,
            settings.store.chroma_ssl,
            {name: value.get_secret_value() for name, value in settings.store.chroma_headers.items()},
        )
        lexical = SqlLexicalIndex(self.sql_database)
        store = VectorStore(folder, settings.ingest.store_batch_size, server=server, lexical=lexical)
        store.embedding = self._embedding_for(store)
        return store

    @cached_property
    def vaults(self) -> VaultStorage:
        """Encrypted session vaults, erased ``vault_ttl_hours`` after last use: files under ``<data_dir>/vault``,
        or rows of the ``database.url`` database (so a conversation continues on any replica). In the database
        the key is ``privacy.vault_key`` or an existing ``<data_dir>/vault/vault.key`` that every replica shares;
        none is generated there.

        Raises:
            privacy.VaultError: Database mode without a key, or a key other than the one the database was
                started with.
        """
        from pipelines.conversation.vault_sql import SqlVaultStore

        privacy = self.settings.privacy
        if self.sql_database is not None:
            return SqlVaultStore(
                self.sql_database,
                privacy.vault_key,
                privacy.vault_ttl_hours,
                key_file=self.settings.data_dir / "vault" / "vault.key",
            )
        return VaultStore(self.settings.data_dir / "vault", privacy.vault_key, privacy.vault_ttl_hours)

    @cached_property
    def sql_database(self) -> Engine | None:
        """The engine of ``database.url`` shared by the SQL stores (memory, feedback, records, accounts), or
        None without it (each store is then a SQLite file of the data dir). SQLite files of these stores left in
        the data dir are not read then: a warning names them (copy them first with
        :func:`pipelines.core.sql.copy_store`).

        Raises:
            pipelines.core.errors.DatabaseError: The database cannot be reached (the password is never shown).
        """
        from pipelines.core.sql import database_engine, describe_url

        url = self.settings.database.url
        if url is None:
            return None
        engine = database_engine(url.get_secret_value())
        names = ("memory.sqlite3", "memory.sqlite", "feedback.sqlite3", "records.sqlite3", "accounts.sqlite3")
        left = [name for name in names if (self.settings.data_dir / name).is_file()]
        if left:
            logger.warning(
                "database.url is set (%s): the SQLite stores in the data dir are not used: %s",
                describe_url(engine.url),
                ", ".join(left),
            )
        return engine

    @cached_property
    def memory(self) -> MemoryStore:
        """Sessions and turns in ``<data_dir>/memory.sqlite3`` (a data dir made before this layout has it as
        ``memory.sqlite``, renamed on first open), or in the ``database.url`` database."""
        from pipelines.conversation.memory import MemoryStore

        if self.sql_database is not None:
            return MemoryStore(self.sql_database)
        return MemoryStore(self.settings.data_dir / "memory.sqlite3", legacy_names=("memory.sqlite",))

    @cached_property
    def feedback(self) -> FeedbackStore:
        """Agents' feedback on suggested replies in ``<data_dir>/feedback.sqlite3`` or the ``database.url``
        database (stored de-identified)."""
        from pipelines.skills.agent_assist.feedback import FeedbackStore

        return FeedbackStore(self.sql_database or self.settings.data_dir / "feedback.sqlite3")

    @cached_property
    def records(self) -> RecordStore:
        """Per-record medical terms and the DP budget ledger in ``<data_dir>/records.sqlite3`` or the
        ``database.url`` database."""
        from pipelines.skills.medical.records import RecordStore

        return RecordStore(self.sql_database or self.settings.data_dir / "records.sqlite3")

    @cached_property
    def review_queue(self) -> ReviewStorage:
        """Documents held for review: files under ``<data_dir>/review``, or rows of the ``database.url`` database
        (so an administrator on any replica sees what an upload on another held)."""
        from ingest import ReviewQueue
        from pipelines.documents.review_sql import SqlReviewQueue

        if self.sql_database is not None:
            return SqlReviewQueue(self.sql_database)
        return ReviewQueue(self.settings.data_dir / "review")

    @cached_property
    def _accounts_secret(self) -> bytes:
        """``auth.secret``, else 32 random bytes of the data dir (``<data_dir>/vault/accounts.secret``, mode
        0600): the root of the API keys' HMAC key and of the session-label key (separate keys derived by HMAC).
        Replicas over one database must share it (the setting, or the secrets folder)."""
        configured = self.settings.auth.secret
        if configured is not None and configured.get_secret_value():
            value = configured.get_secret_value().strip()
            try:  # the hex content of an accounts.secret file stands for the same bytes (assistant migrate)
                return bytes.fromhex(value)
            except ValueError:
                return value.encode("utf-8")
        return load_or_create_secret(self.settings.data_dir / "vault" / "accounts.secret")

    @cached_property
    def accounts(self) -> AccountStore:
        """Users, API keys and session owners (``<data_dir>/accounts.sqlite3`` or the ``database.url``
        database; replicas over one database must share the keys' HMAC secret, see ``_accounts_secret``)."""
        from pipelines.accounts import AccountStore

        key = hmac.new(self._accounts_secret, b"api keys", hashlib.sha256).digest()
        return AccountStore(self.sql_database or self.settings.data_dir / "accounts.sqlite3", key)

    @cached_property
    def session_label_secret(self) -> bytes:
        """Key of the HMAC that turns a client's session label (OpenAI's ``user`` field) into a session id."""
        return hmac.new(self._accounts_secret, b"session labels", hashlib.sha256).digest()

    @cached_property
    def conversations(self) -> Conversations:
        """Sessions with their turns and vaults."""
        from pipelines.conversation.sessions import Conversations

        return Conversations(self.memory, self.vaults)

    # --- skills per domain (wired from domain.yaml) --------------------------------------------------------

    def intent_classifier(self, domain: str) -> IntentClassifier | None:
        """The domain's intent model (its ``intent:`` block), loaded once; None when the domain has none.

        Raises:
            AssistantError: Unknown domain.
            IntentError: The configured model folder is missing or malformed.
        """
        from pipelines.skills.triage.intent import IntentClassifier

        config = self.domains.domain(domain)

        def load() -> IntentClassifier | None:
            intent = config.intent
            if intent is None:
                return None
            embedding = self.settings.embedding
            # the intent encoders do not touch the stores: auto means the faster one
            backend = "torch" if embedding.backend == "torch" else "onnx-int8"
            return IntentClassifier.load(
                config.resolve(intent.model),
                intent.unknown_threshold,
                backend,
                embedding.onnx_cache_dir,
                self.models.multilingual_encoder(),
            )

        return self._per_domain.get(("intent", domain), load)

    def risk_detector(self, domain: str) -> RiskDetector | None:
        """The risk detector of ``domain`` (built once from its ``risk:`` rules), or None when it has none.

        Raises:
            AssistantError: Unknown domain.
        """
        from pipelines.skills.triage.risk import build_risk_detector

        config = self.domains.domain(domain)
        return self._per_domain.get(
            ("risk", domain), lambda: build_risk_detector(config.risk) if config.risk else None
        )

    def entity_recognizer(self, domain: str) -> MedicalEntityRecognizer | None:
        """The domain's entity model (its ``ner:`` block), loaded once; None when the domain has none.

        Raises:
            AssistantError: Unknown domain.
            NerError: The configured model folder is missing or malformed.
        """
        from pipelines.skills.medical.entities import MedicalEntityRecognizer

        config = self.domains.domain(domain)
        return self._per_domain.get(
            ("ner", domain),
            lambda: None if config.ner is None else MedicalEntityRecognizer(config.resolve(config.ner.model)),
        )

    def risk_model(self, domain: str) -> RiskModel | None:
        """The learned risk layer of ``domain`` (``model:`` in its risk rules), loaded once; None without one.

        Raises:
            AssistantError: Unknown domain.
            RiskModelError: The model folder is missing or malformed.
        """
        from pipelines.skills.triage.risk_model import RiskModel

        config = self.domains.domain(domain)

        def load() -> RiskModel | None:
            if config.risk is None or config.risk.model is None:
                return None
            return RiskModel.load(
                config.resolve(config.risk.model),
                self.models.multilingual_encoder(),
                list(config.risk.categories),
            )

        return self._per_domain.get(("risk_model", domain), load)

    def analyzers(self, domain: str) -> list[MessageAnalyzer]:
        """The message analyzers of ``domain`` in order: intent (``intent:``), then risk (``risk:``).

        Raises:
            AssistantError: Unknown domain.
            IntentError: The configured intent model cannot be loaded.
        """
        from pipelines.skills.triage.analyzers import IntentAnalyzer, RiskAnalyzer

        found: list[MessageAnalyzer] = []
        if (classifier := self.intent_classifier(domain)) is not None:
            found.append(IntentAnalyzer(classifier))
        risk = self.domains.domain(domain).risk
        if (detector := self.risk_detector(domain)) is not None and risk is not None:
            found.append(
                RiskAnalyzer(
                    detector,
                    self.risk_model(domain),
                    intent_floor=risk.intent_floor,
                    rule_floor=risk.rule_floor,
                    intent_agreement=risk.intent_agreement,
                )
            )
        return found

    def indexing_hooks(self, domain: str) -> list[IndexingHook]:
        """The indexing hooks of ``domain``: the medical records hook when it has an entity model (``ner:``).

        Raises:
            AssistantError: Unknown domain.
            NerError: The configured entity model cannot be loaded.
        """
        from pipelines.skills.medical.records_hook import MedicalRecordsHook

        recognizer = self.entity_recognizer(domain)  # outside the cache's lock, which is not re-entrant
        records = self.records
        # one set per domain: a hook keeps what it prepared for the document indexed next
        return list(
            self._per_domain.get(
                ("indexing_hooks", domain),
                lambda: [] if recognizer is None else [MedicalRecordsHook(recognizer, records)],
            )
        )

    # --- backends ----------------------------------------------------------------------------------------

    def llamacpp_backend(self) -> Backend:
        """The in-process llama.cpp backend (the shared model with this data dir's generation settings)."""
        from pipelines.llm.llamacpp import build_llamacpp_backend

        with self._llamacpp_lock:
            if self._llamacpp is None:
                settings = self.settings.llamacpp
                self._llamacpp = build_llamacpp_backend(settings, self.models.llama(settings))
            return self._llamacpp

    def backend(self, requested: str | None = None) -> Backend:
        """Resolve the chat backend (``requested`` or the settings' choice) over this data dir's host pools;
        see :func:`resolve_backend`."""
        from pipelines.llm.backends import resolve_backend

        return resolve_backend(
            self.settings, requested or self.settings.llm.backend, self.llamacpp_backend, self.pools
        )

    # --- flows -------------------------------------------------------------------------------------------

    @cached_property
    def router(self) -> Router:
        """The learned router over the domains (:mod:`pipelines.chat.routing`), fitted on their routing
        questions and the out-of-domain ones of the domains folder.

        Raises:
            DomainError: A routing questions file is missing or invalid.
        """
        from domains import out_of_domain_questions, routing_questions

        routing = self.settings.routing
        questions = {name: routing_questions(self.domains.domain(name)) for name in self.domains}
        outside = out_of_domain_questions(self.settings.domains_dir)
        return self.models.router(questions, outside, routing.floor, routing.regularization, self.embedder)

    @cached_property
    def retriever(self) -> Retriever:
        """Hybrid retrieval over the domains' collections."""
        from pipelines.chat.retrieval import Retriever

        return Retriever(self.store, self.embedder, self.domains)

    @cached_property
    def chat(self) -> ChatPipeline:
        """The chat turn."""
        from pipelines.chat.pipeline import ChatPipeline

        return ChatPipeline(
            self.domains,
            self.deidentification,
            self.conversations,
            self.router,
            self.retriever,
            self.backend,
            self.analyzers,
            self.settings,
        )

    @cached_property
    def triage(self) -> MessageTriage:
        """Intent and risk of standalone messages, de-identified first (``assistant intent|risk``, the API)."""
        from pipelines.skills.triage.messages import MessageTriage

        return MessageTriage(
            self.domains, self.deidentification, self.intent_classifier, self.risk_detector, self.analyzers
        )

    @cached_property
    def assist(self) -> AgentAssist:
        """Agent assist: analysis and reply drafts for customer-service agents, and their feedback."""
        from pipelines.skills.agent_assist.assist import AgentAssist

        return AgentAssist(
            self.domains,
            self.deidentification,
            self.conversations,
            self.retriever,
            self.backend,
            self.analyzers,
            self.feedback,
            self.settings,
        )

    def code_tasks(self, domain: str = "code", max_tokens: int | None = None) -> CodeTaskPipeline:
        """The code tasks of ``domain`` (its ``modes.yaml``); ``max_tokens`` caps every mode's (quick runs)."""
        from pipelines.skills.code.tasks import CodeTaskPipeline

        return CodeTaskPipeline(
            self.domains,
            self.deidentification,
            self.conversations,
            self.backend,
            self.settings,
            domain,
            max_tokens,
        )

    @cached_property
    def clinical(self) -> ClinicalNotes:
        """The clinical record view and the medical text commands."""
        from pipelines.skills.medical.clinical import ClinicalNotes

        return ClinicalNotes(
            self.domains, self.deidentification, self.entity_recognizer, self.settings.ingest
        )

    @cached_property
    def ingestion(self) -> Ingestion:
        """Document ingestion into the domains' collections."""
        from pipelines.documents.ingestion import Ingestion

        return Ingestion(
            self.domains,
            self.deidentification,
            self.store,
            lambda: self.embedder,
            self.review_queue,
            self.indexing_hooks,
            self.settings.ingest,
            self.settings.data_dir / "samples",
        )

    @cached_property
    def review(self) -> Review:
        """The review queue's flow (release, reject)."""
        from pipelines.documents.review import Review

        return Review(self.ingestion, self.review_queue)

    @cached_property
    def catalog(self) -> Catalog:
        """The indexed documents (list, find, delete with a receipt)."""
        from pipelines.documents.catalog import Catalog

        return Catalog(self.store, self.domains, self.indexing_hooks)

    def status(self) -> dict[str, Any]:
        """Counts per domain collection, for status displays."""
        return {name: self.store.count(name) for name in self.domains}
