"""The chat turn (``pipeline``) and its steps: routing (``routing``), follow-up rewriting (``rewrite``), hybrid
retrieval (``retrieval``), numbered sources (``sources``), citation checks (``citations``), pinned documents
(``pinning``), message signals and the analyzer protocol (``signals``), what users are told about privacy
(``transparency``)."""

__all__: list[str] = []
