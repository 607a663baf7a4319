"""skills.medical"""

__all__: list[str] = []
