"""The BM25 index (SQLite FTS5) and its tokeniser, on real SQLite files in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import StoreError
from ingest.lexical import LexicalIndex, lexical_tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cards were stolen", ["card", "were", "stolen"]),
        ("The fee IS waived", ["fee", "waiv"]),
        ("foo_bar", ["foo", "bar"]),
        ("Ｃａｒｄ", ["card"]),  # NFKC: full-width letters
        ("", []),
    ],
)
def test_english_tokens_are_folded_stopped_and_stemmed(text: str, expected: list[str]) -> None:
    assert lexical_tokens(text) == expected


def test_chinese_runs_are_segmented_into_words() -> None:
    tokens = lexical_tokens("我的银行卡被盗了 card")
    assert "银行卡" in tokens and "银行" in tokens
    assert "的" not in tokens and "card" in tokens


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    built = LexicalIndex(tmp_path / "bm25.sqlite3")
    built.upsert(
        "finance",
        ["c1", "c2", "c3"],
        [
            "A lost or stolen card must be blocked in the app at once.",
            "International transfers by SWIFT take one to four working days.",
            "如果您的银行卡丢失或被盗，请立即在手机银行中冻结。",
        ],
        ["docA", "docB", "docC"],
    )
    return built


def test_bm25_ranks_the_matching_chunk_first(index: LexicalIndex) -> None:
    hits = index.search("finance", "how long does a SWIFT transfer take", 3)
    assert hits[0].chunk_id == "c2"
    assert all(hit.score > 0 for hit in hits)


def test_a_chinese_query_retrieves_the_chinese_passage(index: LexicalIndex) -> None:
    hits = index.search("finance", "银行卡被盗怎么办", 3)
    assert [hit.chunk_id for hit in hits] == ["c3"]


def test_a_query_with_no_indexed_term_returns_nothing(index: LexicalIndex) -> None:
    assert index.search("finance", "zebra xylophone", 5) == []
    assert index.search("finance", "the of and", 5) == []  # stop words only


def test_document_filter_limits_hits(index: LexicalIndex) -> None:
    assert index.search("finance", "stolen card transfer", 5, documents=["docB"])[0].chunk_id == "c2"
    assert {h.chunk_id for h in index.search("finance", "stolen card transfer", 5, documents=["docB"])} == {
        "c2"
    }


def test_upsert_replaces_and_delete_removes(index: LexicalIndex, tmp_path: Path) -> None:
    index.upsert("finance", ["c2"], ["Standing orders are set up in the app."], ["docB"])
    assert index.count("finance") == 3
    assert index.search("finance", "SWIFT", 5) == []
    assert index.delete("finance", ["c1", "c2", "missing"]) == 2
    assert index.ids("finance") == {"c3"}
    reopened = LexicalIndex(tmp_path / "bm25.sqlite3")  # persisted
    assert reopened.ids("finance") == {"c3"}


def test_domains_are_separate_tables(index: LexicalIndex) -> None:
    assert index.search("medical", "stolen card", 5) == []
    assert index.count("medical") == 0


def test_bad_domain_name_is_rejected(index: LexicalIndex) -> None:
    with pytest.raises(StoreError, match="invalid domain name"):
        index.search("x; DROP TABLE", "card", 1)


def test_mismatched_lengths_are_rejected(index: LexicalIndex) -> None:
    with pytest.raises(StoreError, match="differ in length"):
        index.upsert("finance", ["a", "b"], ["text"], ["doc"])
