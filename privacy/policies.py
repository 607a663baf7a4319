"""PII policies: which entity types are removed from messages and documents, and at which score."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml
from pydantic import BaseModel, ConfigDict, Field

from privacy.errors import UnknownPolicyError

__all__ = ["PiiPolicy", "load_policy", "policy_names"]


class PiiPolicy(BaseModel):
    """One named policy (data in ``privacy/policies.yaml``).

    Attributes:
        name: Policy name referenced by a domain config.
        score_threshold: Minimum Presidio score (0..1) for a finding to count.
        message_entities: Presidio entity types pseudonymized in user messages.
        document_entities: Presidio entity types redacted irreversibly in ingested documents.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    score_threshold: float = Field(ge=0.0, le=1.0)
    message_entities: tuple[str, ...]
    document_entities: tuple[str, ...]


@cache
def _policies() -> dict[str, PiiPolicy]:
    raw = yaml.safe_load(files("privacy").joinpath("policies.yaml").read_text(encoding="utf-8"))
    return {name: PiiPolicy(name=name, **body) for name, body in raw.items()}


def policy_names() -> list[str]:
    """Return the names of all defined policies, sorted."""
    return sorted(_policies())


def load_policy(name: str) -> PiiPolicy:
    """Return the policy called ``name``.

    Raises:
        UnknownPolicyError: No policy has that name.
    """
    try:
        return _policies()[name]
    except KeyError:
        raise UnknownPolicyError(
            f"unknown PII policy {name!r}; defined policies: {', '.join(policy_names())}"
        ) from None
