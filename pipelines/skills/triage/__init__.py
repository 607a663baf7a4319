"""Triage of a message: its intent (BANKING77 labels; ``intent``, ``intent_linear``) and its risk (rules;
``risk``), offered to the core flows as message analyzers (``analyzers``)."""

__all__: list[str] = []
