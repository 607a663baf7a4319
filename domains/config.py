"""The validated shape of a domain folder's ``domain.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domains.relations_config import RelationsConfig
from domains.risk_config import RiskConfig

__all__ = [
    "ChunkingConfig",
    "ClinicalSummaryConfig",
    "DomainConfig",
    "EscalationConfig",
    "GenerationConfig",
    "IntentConfig",
    "NerConfig",
    "RetrievalConfig",
]


class RetrievalConfig(BaseModel):
    """Retrieval parameters of a domain (applied by ``pipelines.chat.retrieval``; defaults measured on SciFact,
    see the README's retrieval table)."""

    model_config = ConfigDict(extra="forbid")

    top_k: int = Field(default=4, ge=1, le=50, description="Chunks put in the prompt.")
    mode: Literal["hybrid", "dense", "bm25"] = Field(
        default="hybrid",
        description="hybrid = BM25 and dense rankings fused by reciprocal rank fusion; dense or bm25 = one alone.",
    )
    candidates: int = Field(
        default=50, ge=1, le=1000, description="Chunks each retriever contributes to the fusion."
    )
    rrf_k: float = Field(
        default=60.0,
        gt=0,
        description="Reciprocal rank fusion constant k in 1/(k + rank) (Cormack, Clarke & Buettcher, SIGIR 2009).",
    )
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the dense ranking in the fusion.")
    bm25_weight: float = Field(default=1.0, ge=0, description="Weight of the BM25 ranking in the fusion.")
    mmr_lambda: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Maximal marginal relevance (Carbonell & Goldstein, SIGIR 1998) over the fused candidates: "
        "lambda weighs relevance against novelty (1 = relevance only); None = off.",
    )


class ChunkingConfig(BaseModel):
    """Chunking parameters of a domain (characters)."""

    model_config = ConfigDict(extra="forbid")

    chunk_size: int = Field(default=800, ge=100, le=8000, description="Maximum chunk length, characters.")
    chunk_overlap: int = Field(
        default=120, ge=0, description="Overlap between neighbouring chunks, characters."
    )

    @model_validator(mode="after")
    def _overlap_smaller_than_size(self) -> ChunkingConfig:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})"
            )
        return self


class GenerationConfig(BaseModel):
    """A domain's generation options over the backend's settings (applied by ``pipelines.llm``; a field left
    out keeps the backend's value). Sampling follows the usual meanings (Holtzman et al., "The Curious Case of
    Neural Text Degeneration", ICLR 2020, for ``top_p``); ``num_ctx`` and ``num_predict`` are Ollama's names
    (https://github.com/ollama/ollama/blob/main/docs/modelfile.md#valid-parameters-and-values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(default=None, ge=0, le=2, description="Sampling temperature.")
    top_p: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Nucleus sampling: the smallest token set with this probability mass.",
    )
    num_ctx: int | None = Field(
        default=None,
        ge=256,
        le=1_048_576,
        description="Context window, tokens (Ollama only: llama.cpp and OpenAI-compatible servers fix theirs).",
    )
    num_predict: int | None = Field(
        default=None, ge=1, le=131_072, description="Most new tokens per answer (OpenAI's max_tokens)."
    )


class IntentConfig(BaseModel):
    """A domain's intent classifier, as data: the shipped model folder, the data it is trained from and the
    confidence below which a message's intent is reported as ``unknown`` (applied by ``pipelines.skills.triage.intent``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Path = Field(
        description="Model folder written by ``assistant train intent``, relative to the domain folder."
    )
    training_data: Path = Field(
        description="CSV with a header ``text,category`` (one labelled message per row), relative to the domain folder."
    )
    unknown_threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A top-label probability below this is reported as intent ``unknown`` (the label is kept).",
    )
    multilingual_training_data: Path | None = Field(
        default=None,
        description="JSONL of ``{text, label}`` non-English (e.g. Chinese) messages the model's multilingual head "
        "is trained on (``assistant train intent-multilingual``), relative to the domain folder.",
    )


class NerConfig(BaseModel):
    """A domain's entity recognizer, as data: the shipped model folder and the labelled data it is trained
    from (applied by ``pipelines.skills.medical.entities``; trained by ``assistant train ner``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Path = Field(
        description="Model folder written by ``assistant train ner``, relative to the domain folder."
    )
    training_data: tuple[Path, ...] = Field(
        min_length=1,
        description="IOB2 files (``token<TAB>tag`` lines, blank line between sentences), relative to the domain folder.",
    )
    lexicon_data: Path | None = Field(
        default=None,
        description="Extra gazetteer (``phrase<TAB>type`` lines) used as a feature, relative to the domain folder.",
    )


class ClinicalSummaryConfig(BaseModel):
    """Prompts of the clinical record view's summary (applied by ``pipelines.skills.medical.clinical``): the model sees the
    de-identified note in place of ``{note}`` and nothing else of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str = Field(min_length=1, description="System prompt of the summary.")
    request: str = Field(min_length=1, description="The user message; must contain ``{note}``.")

    @model_validator(mode="after")
    def _has_note(self) -> ClinicalSummaryConfig:
        if "{note}" not in self.request:
            raise ValueError("clinical_summary.request must contain {note}")
        return self


class EscalationConfig(BaseModel):
    """What a turn does when the message's risk escalates (applied by ``pipelines.chat.signals``): instructions added
    to the system prompt and a fixed notice shown to the user before the answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = Field(min_length=1, description="Added to the system prompt when the risk escalates.")
    notice: str = Field(min_length=1, description="Shown before the answer when the risk escalates.")
    notices: dict[str, str] = Field(
        default_factory=dict,
        description="Per risk category, a notice that replaces ``notice``; the first (in file order) whose "
        "category was found wins.",
    )


class DomainConfig(BaseModel):
    """One domain: data only. Adding a folder with a valid ``domain.yaml`` adds a domain.

    Attributes:
        name: Identifier; equals the folder name.
        title: Human title.
        description: What the domain answers.
        routing_examples: Example questions the router learns the domain from (>= 5).
        routing_questions: A JSONL file in the folder of more labelled questions for the router, one
            ``{"text", "lang"}`` per line (read by :func:`domains.routing_data.routing_questions`); None = only
            ``routing_examples``.
        system_prompt: Instructions for the model.
        retrieval: Retrieval parameters.
        chunking: Chunking parameters.
        privacy: The domain's PII policy as data (entity types, score thresholds, operator per sink); its
            shape is validated by the privacy package (``privacy.policies``), which this package does not import.
        disclaimer: Shown under every answer of the domain.
        keep_terms: Terms never treated as PII (against over-redaction of names the domain must convey).
        risk: The domain's risk rules: ``risk: risk.yaml`` in ``domain.yaml`` names a file in the folder, which
            the loader (``domains.loading``) reads (an inline mapping works too); None = no risk detection for the domain.
        intent: The domain's intent classifier (None = the domain has none).
        escalation: What a turn does when the message's risk escalates (None = nothing).
        ner: The domain's entity recognizer (None = the domain has none).
        clinical_summary: Prompts of the clinical record view's summary (None = no summary).
        relations: The domain's relation extraction rules: ``relations: relations.yaml`` names a file in the
            folder, read by the loader like ``risk`` (None = no relation extraction).
        generation: Sampling and length options over the backend's settings (None = the backend's).
        folder: The domain folder (set by the loader).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    routing_examples: tuple[str, ...] = Field(min_length=5)
    routing_questions: Path | None = None
    system_prompt: str = Field(min_length=1)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    chunking: ChunkingConfig = Field(default_factory=ChunkingConfig)
    privacy: dict[str, Any] = Field(min_length=1)
    disclaimer: str = ""
    keep_terms: tuple[str, ...] = Field(
        default=(),
        description="Terms never treated as PII in this domain: organisation, product and service names, "
        "published helplines (a finding inside one of them is kept).",
    )
    risk: RiskConfig | None = None
    intent: IntentConfig | None = None
    escalation: EscalationConfig | None = None
    ner: NerConfig | None = None
    clinical_summary: ClinicalSummaryConfig | None = None
    relations: RelationsConfig | None = None
    generation: GenerationConfig | None = None
    folder: Path | None = None

    def resolve(self, path: Path) -> Path:
        """``path`` relative to the domain folder (absolute paths are returned as they are)."""
        if path.is_absolute() or self.folder is None:
            return path
        return self.folder / path

    @property
    def corpus_dir(self) -> Path | None:
        """The shipped sample corpus folder, if present."""
        if self.folder is None:
            return None
        path = self.folder / "corpus"
        return path if path.is_dir() else None
