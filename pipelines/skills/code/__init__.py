"""skills.code"""

__all__: list[str] = []
