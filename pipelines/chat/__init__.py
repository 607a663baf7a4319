"""chat"""

__all__: list[str] = []
