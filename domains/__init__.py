"""Domains as data: one folder per domain with a validated ``domain.yaml`` and a sample corpus."""

from domains.assist import AGENT_ASSIST_FILE, AgentAssistConfig, load_agent_assist
from domains.code_modes import CODE_MODES_FILE, CodeModeConfig, CodeModesConfig, load_code_modes
from domains.config import (
    ChunkingConfig,
    ClinicalSummaryConfig,
    DomainConfig,
    EscalationConfig,
    IntentConfig,
    NerConfig,
    RetrievalConfig,
)
from domains.loading import DomainError, default_domains_dir, load_domains, sample_corpus_files
from domains.relations_config import RelationCues, RelationsConfig, RelationTypeConfig
from domains.risk_config import RiskConfig
from domains.routing_data import (
    OUT_OF_DOMAIN_FILE,
    out_of_domain_questions,
    read_questions,
    routing_questions,
)

__all__ = [
    "AGENT_ASSIST_FILE",
    "AgentAssistConfig",
    "CODE_MODES_FILE",
    "ChunkingConfig",
    "ClinicalSummaryConfig",
    "CodeModeConfig",
    "CodeModesConfig",
    "DomainConfig",
    "DomainError",
    "EscalationConfig",
    "IntentConfig",
    "NerConfig",
    "OUT_OF_DOMAIN_FILE",
    "RelationCues",
    "RelationTypeConfig",
    "RelationsConfig",
    "RetrievalConfig",
    "RiskConfig",
    "default_domains_dir",
    "load_agent_assist",
    "load_code_modes",
    "load_domains",
    "out_of_domain_questions",
    "read_questions",
    "routing_questions",
    "sample_corpus_files",
]
