"""skills.triage"""

__all__: list[str] = []
