"""llm"""

__all__: list[str] = []
