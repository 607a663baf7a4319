"""Hybrid retrieval (BM25 + dense, RRF, MMR) on a real Chroma store in tmp_path with the real embedder, and
the retrieval metrics on hand-computed examples."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from domains import RetrievalConfig
from ingest import Chunk, Embedder, LoadedDocument, RetrievedChunk, Section, VectorStore, chunk_id
from ingest.lexical import lexical_tokens
from ingest.store import lexical_text
from pipelines.chat.retrieval import hybrid_search, maximal_marginal_relevance, reciprocal_rank_fusion
from pipelines.documents.ingestion import document_title
from pipelines.evals.retrieval import mrr_at_k, ndcg_at_k, recall_at_k
from pipelines.services import Services
from tests.conftest import CANARY_CARD, CANARY_EMAIL, CANARY_NAME, CANARY_PHONE, CANARY_VALUES

PASSAGES = {
    "cards": [
        "If your card is lost or stolen, freeze it in the app and call us to block it.",
        "A replacement card arrives within five working days.",
    ],
    "transfers": [
        "International payments by SWIFT take one to four working days and cost 15 pounds.",
        "Error code E-4471 means the beneficiary IBAN failed its checksum.",
    ],
    "chinese": ["如果您的银行卡丢失或被盗，请立即在手机银行中冻结。"],
}


def _hit(chunk: str, score: float = 0.0) -> RetrievedChunk:
    return RetrievedChunk(chunk, chunk, score, {})


@pytest.fixture
def store(tmp_path: Path, embedder: Embedder) -> VectorStore:
    built = VectorStore(tmp_path / "chroma")
    for document, texts in PASSAGES.items():
        chunks = [Chunk(chunk_id(document, i, t), t, i, f"part {i + 1}") for i, t in enumerate(texts)]
        built.add_chunks(
            "finance",
            chunks,
            embedder.embed(texts),
            [
                {"source": f"{document}.md", "document_sha256": document, "chunk_index": c.index}
                for c in chunks
            ],
        )
    return built


def test_add_chunks_writes_the_bm25_index_too(store: VectorStore) -> None:
    assert store.lexical.count("finance") == store.count("finance") == 5


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_mode_finds_the_swift_passage(store: VectorStore, embedder: Embedder, mode: str) -> None:
    config = RetrievalConfig.model_validate({"mode": mode})
    hits = hybrid_search(store, embedder, "finance", "How long does a SWIFT payment take?", 2, config)
    assert "SWIFT" in hits[0].text


def test_an_exact_code_only_bm25_knows_is_found_by_hybrid(store: VectorStore, embedder: Embedder) -> None:
    hits = hybrid_search(store, embedder, "finance", "what does E-4471 mean", 1, RetrievalConfig())
    assert "E-4471" in hits[0].text


def test_a_chinese_query_retrieves_the_chinese_passage_through_bm25(
    store: VectorStore, embedder: Embedder
) -> None:
    hits = hybrid_search(store, embedder, "finance", "银行卡被盗怎么办", 3, RetrievalConfig(mode="bm25"))
    assert hits and hits[0].source == "chinese.md"
    hybrid = hybrid_search(store, embedder, "finance", "银行卡被盗怎么办", 1, RetrievalConfig())
    assert hybrid[0].source == "chinese.md"


def test_pinned_documents_limit_both_retrievers(store: VectorStore, embedder: Embedder) -> None:
    hits = hybrid_search(
        store, embedder, "finance", "stolen card SWIFT", 5, RetrievalConfig(), documents=["transfers"]
    )
    assert hits and {h.metadata["document_sha256"] for h in hits} == {"transfers"}


def test_a_store_written_before_the_bm25_index_is_backfilled(store: VectorStore, tmp_path: Path) -> None:
    store.lexical.delete("finance", list(store.lexical.ids("finance")))
    reopened = VectorStore(tmp_path / "chroma")
    hits = reopened.search_lexical("finance", "SWIFT", 3)
    assert hits and "SWIFT" in hits[0].text
    assert reopened.lexical.count("finance") == 5


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([[_hit("a"), _hit("b")], [_hit("b"), _hit("c")]], [1.0, 1.0], k=60)
    assert [h.chunk_id for h in fused] == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1].score == pytest.approx(1 / 61)
    weighted = reciprocal_rank_fusion([[_hit("a")], [_hit("c")]], [1.0, 2.0], k=60)
    assert [h.chunk_id for h in weighted] == ["c", "a"]
    with pytest.raises(ValueError, match="2 rankings but 1 weights"):
        reciprocal_rank_fusion([[], []], [1.0])


def test_mmr_skips_a_near_duplicate() -> None:
    query = [1.0, 0.0]
    same = [math.cos(0.1), math.sin(0.1)]
    other = [math.cos(0.6), -math.sin(0.6)]
    assert maximal_marginal_relevance(query, [same, same, other], 2, 1.0) == [0, 1]
    assert maximal_marginal_relevance(query, [same, same, other], 2, 0.5) == [0, 2]


def test_ndcg_of_a_known_ranking() -> None:
    # relevant: d1 (rel 1) at rank 2 and d3 (rel 1) at rank 3; ideal puts both at ranks 1 and 2
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(["d0", "d1", "d3"], {"d1": 1, "d3": 1}, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["d1", "d3"], {"d1": 1, "d3": 1}) == pytest.approx(1.0)
    assert ndcg_at_k(["d0", "d1"], {"d1": 1}, k=1) == 0.0


def test_graded_ndcg_uses_linear_gains() -> None:
    # ranking d2 (rel 1) then d1 (rel 2): DCG = 1/1 + 2/log2(3); ideal = 2/1 + 1/log2(3)
    expected = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(["d2", "d1"], {"d1": 2, "d2": 1}) == pytest.approx(expected)


def test_recall_and_mrr() -> None:
    ranking = ["a", "b", "c", "d"]
    assert recall_at_k(ranking, {"b": 1, "z": 1}, 100) == 0.5
    assert recall_at_k(ranking, {"d": 1}, 3) == 0.0
    assert mrr_at_k(ranking, {"c": 1, "d": 1}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(ranking, {"d": 1}, 3) == 0.0


def test_hybrid_scores_are_fractions_of_the_best_possible_fusion(
    store: VectorStore, embedder: Embedder
) -> None:
    hits = hybrid_search(store, embedder, "finance", "SWIFT international payment", 5, RetrievalConfig())
    assert all(0.0 < hit.score <= 1.0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert hits[0].score == pytest.approx(1.0)  # the SWIFT passage is first for both retrievers


def test_bm25_finds_a_later_chunk_by_its_document_title(tmp_path: Path, embedder: Embedder) -> None:
    built = VectorStore(tmp_path / "titled")
    texts = ["Warfarin dosing\n\nStart low.", "Check the INR weekly during the first month."]
    chunks = [Chunk(chunk_id("w", i, t), t, i, "") for i, t in enumerate(texts)]
    meta = [{"source": "w.md", "document_sha256": "w", "title": "Warfarin dosing"} for _ in chunks]
    built.add_chunks("medical", chunks, embedder.embed(texts), meta)
    hits = built.search_lexical("medical", "warfarin INR", 2)
    assert hits[0].text.startswith("Check the INR")  # title words + INR beat the title alone
    assert hits[0].text == texts[1]  # the stored text is the chunk alone


@pytest.mark.parametrize(
    ("text", "metadata", "expected"),
    [
        ("Check the INR.", {"title": "Warfarin"}, "Warfarin\nCheck the INR."),
        ("Warfarin dosing\n\nStart low.", {"title": "Warfarin dosing"}, "Warfarin dosing\n\nStart low."),
        ("Check the INR.", {}, "Check the INR."),
    ],
)
def test_lexical_text_puts_the_title_before_the_chunk_once(text: str, metadata: dict, expected: str) -> None:
    assert lexical_text(text, metadata) == expected


@pytest.mark.parametrize(
    ("name", "kind", "text", "title"),
    [
        ("fees.md", "markdown", "# Card fees\n\nThe fee is 2.75%.", "Card fees"),
        ("loan_terms-2024.txt", "text", "x" * 200 + "\nmore", "loan terms 2024"),
        ("parse.py", "code", "import os\n", "parse"),
    ],
)
def test_document_title_is_a_short_first_line_or_the_file_name(
    name: str, kind: str, text: str, title: str
) -> None:
    document = LoadedDocument(name, "0" * 64, kind, None, (Section(text, ""),), len(text))
    assert document_title(document) == title


def test_canary_the_bm25_index_holds_no_token_of_a_raw_value(services: Services) -> None:
    """The BM25 index stores stemmed, lower-case tokens, which a byte scan for the raw value would miss."""
    text = (
        f"# Complaint\n\nCustomer {CANARY_NAME} ({CANARY_EMAIL}, {CANARY_PHONE}) disputes card {CANARY_CARD}.\n"
        "The foreign transaction fee was charged twice."
    )
    report = services.ingestion.ingest_bytes("finance", f"{CANARY_NAME}.md", text.encode())
    assert report.chunks_added >= 1
    stored = {
        token
        for row in services.store.lexical._db.execute("SELECT tokens FROM bm25_finance")
        for token in row[0].split()
    }
    assert "fee" in stored and "foreign" in stored  # the index is filled
    for value in CANARY_VALUES:
        leaked = set(lexical_tokens(value)) & stored
        assert not leaked, (value, leaked)
    assert not {"zelda", "quartermain", "quartermaine", "0173", "6467"} & stored


def test_hybrid_with_mmr_returns_k_distinct_chunks_led_by_the_best(
    store: VectorStore, embedder: Embedder
) -> None:
    config = RetrievalConfig(mmr_lambda=0.5)
    hits = hybrid_search(store, embedder, "finance", "lost or stolen card", 3, config)
    plain = hybrid_search(store, embedder, "finance", "lost or stolen card", 3, RetrievalConfig())
    assert len(hits) == 3 and len({h.chunk_id for h in hits}) == 3
    assert hits[0].chunk_id == plain[0].chunk_id  # MMR's first pick is the most relevant by cosine
