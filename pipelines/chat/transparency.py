"""What the product tells a user about its privacy handling: what was masked in a message, what an ingested
document contained (counts, never values) and the active domain's PII policy in plain English."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.core.domains import DomainRegistry
from privacy import OPERATOR_MEANINGS, SINK_MEANINGS, SINKS, entity_label, placeholder_spans, summarize_counts

__all__ = [
    "PolicyView",
    "entity_label",
    "masked_caption",
    "placeholder_spans",
    "policy_view",
    "report_rows",
    "summarize_counts",
]

#: Words of the chat caption under a user message.
MASKED_PREFIX = "Masked before the model saw it: "


def masked_caption(masked: Mapping[str, int]) -> str:
    """``{"PERSON": 1, "CREDIT_CARD": 1}`` -> ``"Masked before the model saw it: 1 person, 1 card number"``;
    ``""`` when nothing was masked."""
    summary = summarize_counts(masked)
    return MASKED_PREFIX + summary if summary else ""


def report_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of a small table of an ingestion report: ``{"found": label, "type": entity, "count": n}`` per
    entity type, most frequent first (empty for a report without findings)."""
    entities: Mapping[str, int] = report.get("entities", {}) or {}
    return [
        {"found": entity_label(entity, count), "type": entity, "count": count}
        for entity, count in sorted(entities.items(), key=lambda item: (-item[1], item[0]))
    ]


@dataclass(frozen=True)
class PolicyView:
    """A PII policy explained for the privacy panel.

    Attributes:
        name: The domain, or ``union`` before a domain is chosen.
        note: One sentence on which policy applies.
        rows: :meth:`privacy.PiiPolicy.describe` rows: ``{entity, score_threshold, prompt, memory, index,
            logs, display}``.
        operators: Meaning of each operator the rows use, in order of first use.
        sinks: Meaning of each sink (the rows' column names), in column order.
    """

    name: str
    note: str
    rows: list[dict[str, Any]]
    operators: dict[str, str]
    sinks: dict[str, str]


def policy_view(domains: DomainRegistry, domain: str) -> PolicyView:
    """Explain the policy in force for ``domain``; ``auto`` (or "") = the union policy applied before routing
    (:attr:`pipelines.core.domains.DomainRegistry.routing_policy`).

    Raises:
        AssistantError: Unknown domain.
    """
    if domain in ("", "auto"):
        policy = domains.routing_policy
        note = (
            "Before a question is routed, every domain's policy applies at once: each type any domain "
            "lists, at its lowest threshold, with the strictest treatment any domain gives it."
        )
    else:
        policy = domains.policy(domain)
        note = f"The {domains.domain(domain).title} policy (domains/{domain}/domain.yaml, privacy:)."
    rows = policy.describe()
    used = dict.fromkeys(str(row[sink]) for row in rows for sink in SINKS)
    return PolicyView(
        name=policy.name,
        note=note,
        rows=rows,
        operators={op: OPERATOR_MEANINGS.get(op, op) for op in used},
        sinks={sink: SINK_MEANINGS[sink] for sink in SINKS},
    )
