"""Domain skills, each a subpackage a domain turns on with its ``domain.yaml`` blocks: ``triage`` (intent and risk
of messages), ``agent_assist`` (reply drafts for customer-service agents, their feedback), ``medical`` (entities,
relations, clinical notes, DP statistics), ``code`` (code tasks run in a sandbox). Skills never import each
other; they plug into the core flows through :mod:`pipelines.chat.signals` and :mod:`pipelines.documents.hooks`."""

__all__: list[str] = []
