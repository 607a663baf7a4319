"""Conversations: sessions and their de-identified turns in SQLite (``memory``) and the sessions joined with
their vaults of personal values: opening, showing, erasing (``sessions``)."""

__all__: list[str] = []
