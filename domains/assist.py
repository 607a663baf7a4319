"""The validated shape of a domain folder's optional ``agent_assist.yaml``: how suggested replies to
customers are drafted for customer-service agents (tone, required wording, escalation advice)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domains.config import DomainConfig
from domains.loading import load_yaml_model

__all__ = ["AGENT_ASSIST_FILE", "AgentAssistConfig", "load_agent_assist"]

#: File name of the agent-assist configuration inside a domain folder.
AGENT_ASSIST_FILE = "agent_assist.yaml"


class AgentAssistConfig(BaseModel):
    """How the agent-assist view drafts a reply in one domain.

    Attributes:
        instructions: The system prompt of the reply draft (tone, what to do and not to do); a chat model gets
            it together with the detected intent, the risk flags, the numbered passages and the wording it must
            include.
        required_wording: Sentences a reply must contain, keyed by intent label or risk category
            (e.g. ``lost_or_stolen_card``, ``scam``). They open every suggested reply (agent assist puts them
            first and removes a copy the model wrote).
        escalation_advice: What the agent should do, keyed by risk category; shown next to the risk flags.
        default_escalation: Shown when the risk assessment says to escalate and no flagged category has advice.
        request: The user turn of the draft prompt, with ``{message}`` standing for the de-identified
            customer message (a base model without a chat template sees only this and the passages).
        passages: Policy passages retrieved and shown with citations (also the draft's context).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    instructions: str = Field(min_length=1, description="System prompt of the reply draft (tone and rules).")
    required_wording: dict[str, str] = Field(
        default_factory=dict, description="Intent label or risk category -> sentence the reply must contain."
    )
    escalation_advice: dict[str, str] = Field(
        default_factory=dict, description="Risk category -> what the agent should do."
    )
    default_escalation: str = Field(
        default="Escalate this conversation to a team leader before replying.",
        description="Advice when escalation is needed and no flagged category has its own.",
    )
    request: str = Field(
        default="A customer wrote: {message}\nWrite our reply to the customer.",
        description="The user turn of the draft prompt; {message} is the de-identified customer message.",
    )
    passages: int = Field(default=4, ge=1, le=20, description="Policy passages retrieved and cited.")

    @field_validator("request")
    @classmethod
    def _request_has_the_message(cls, value: str) -> str:
        if "{message}" not in value:
            raise ValueError(f"request {value!r} must contain {{message}}")
        return value

    def wording_for(self, keys: list[str]) -> list[str]:
        """The required sentences for ``keys`` (intent label and risk categories), in key order, each once.

        Args:
            keys: Intent labels and risk categories, most important first.

        Returns:
            The distinct sentences configured for any of ``keys`` (empty when none is configured).
        """
        found: dict[str, None] = {}
        for key in keys:
            text = self.required_wording.get(key)
            if text:
                found.setdefault(" ".join(text.split()))
        return list(found)


def load_agent_assist(domain: DomainConfig) -> AgentAssistConfig | None:
    """Load ``<domain folder>/agent_assist.yaml``.

    Args:
        domain: A loaded domain (its ``folder`` is read).

    Returns:
        The validated configuration, or None when the domain has no such file.

    Raises:
        DomainError: The file is not a YAML mapping or does not validate (the message names the file).
    """
    if domain.folder is None:
        return None
    path: Path = domain.folder / AGENT_ASSIST_FILE
    if not path.is_file():
        return None
    return load_yaml_model(path, AgentAssistConfig, "agent-assist config")
