"""skills.agent_assist"""

__all__: list[str] = []
