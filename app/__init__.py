"""Streamlit UI (wiring only): the chat page, the documents page and shared cached services."""

__all__: list[str] = []
