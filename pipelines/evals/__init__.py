"""Offline evaluations behind ``assistant eval``: PII detection (``pii``), retrieval (``retrieval``), intents
(``intent``), entities (``ner``), relations (``relations``), HumanEval (``code``). Never imported by the request
path."""

__all__: list[str] = []
