"""Offline training behind ``assistant train``: the intent ensemble (``intent``) and the CRF entity model
(``ner``, reading BC5CDR-style corpora with ``ner_corpus``). Never imported by the request path."""

__all__: list[str] = []
