"""Canary: the query-vector caches (``Embedder.embed_query``, ``MultilingualEncoder``'s single texts) and a turn's
spaCy analyses hold no raw personal value: the chat turn hands the router, the intent and risk models and the
retriever de-identified text, and the analyses end with the turn."""

from __future__ import annotations

from pipelines.services import Services
from privacy.deidentify import _ANALYSES
from tests.conftest import CANARY_CARD, CANARY_NAME


def test_a_turn_leaves_no_raw_value_in_the_query_cache(services: Services) -> None:
    embedder = services.embedder
    embedder._queries.clear()
    multilingual = services.models.multilingual_encoder()
    multilingual.forget()
    stream = services.chat.stream(f"I am {CANARY_NAME}, card {CANARY_CARD}: how do I dispute a card payment?")
    event = next(stream)  # de-identification, routing and retrieval are done by the meta event
    stream.close()
    assert event.kind == "meta"
    cached = " ".join(embedder._queries)
    assert embedder._queries and "Quartermaine" not in cached and "Zelda" not in cached
    assert CANARY_CARD not in cached and CANARY_CARD.replace(" ", "") not in cached
    assert _ANALYSES.get() is None
    kept = " ".join(multilingual._recent)
    assert multilingual._recent and "Quartermaine" not in kept and "Zelda" not in kept
    assert CANARY_CARD not in kept and CANARY_CARD.replace(" ", "") not in kept
