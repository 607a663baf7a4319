"""Canary: the query-vector cache (``Embedder.embed_query``) and a turn's spaCy analyses hold no raw personal
value: the chat turn hands the router and the retriever de-identified text, and the analyses end with the turn."""

from __future__ import annotations

from pipelines.services import Services
from privacy.deidentify import _ANALYSES
from tests.conftest import CANARY_CARD, CANARY_NAME


def test_a_turn_leaves_no_raw_value_in_the_query_cache(services: Services) -> None:
    embedder = services.embedder
    embedder._queries.clear()
    stream = services.chat.stream(f"I am {CANARY_NAME}, card {CANARY_CARD}: how do I dispute a card payment?")
    event = next(stream)  # de-identification, routing and retrieval are done by the meta event
    stream.close()
    assert event.kind == "meta"
    cached = " ".join(embedder._queries)
    assert embedder._queries and "Quartermaine" not in cached and "Zelda" not in cached
    assert CANARY_CARD not in cached and CANARY_CARD.replace(" ", "") not in cached
    assert _ANALYSES.get() is None
