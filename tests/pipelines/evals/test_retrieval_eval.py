"""``assistant eval retrieval`` on a tiny BEIR-layout folder (real embedder, real Chroma and BM25 index)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipelines.core.errors import AssistantError
from pipelines.evals.retrieval import load_beir
from tests.cli_runner import run

CORPUS = [
    {"_id": "d1", "title": "Aspirin", "text": "Aspirin lowers the risk of a second heart attack."},
    {"_id": "d2", "title": "Asthma", "text": "Inhaled corticosteroids reduce asthma attacks in children."},
    {"_id": "d3", "title": "Vitamin D", "text": "Vitamin D supplements do not prevent fractures in adults."},
    {"_id": "d4", "title": "Statins", "text": "Statins reduce LDL cholesterol and cardiovascular events."},
]
QUERIES = [
    {"_id": "q1", "text": "Does aspirin prevent another myocardial infarction?"},
    {"_id": "q2", "text": "steroid inhalers and childhood asthma"},
    {"_id": "q3", "text": "unjudged query"},
]


def _write(folder: Path, gz: bool) -> Path:
    (folder / "qrels").mkdir(parents=True)
    lines = "".join(json.dumps(row) + "\n" for row in CORPUS)
    if gz:
        with gzip.open(folder / "corpus.jsonl.gz", "wt") as handle:
            handle.write(lines)
    else:
        (folder / "corpus.jsonl").write_text(lines)
    (folder / "queries.jsonl").write_text("".join(json.dumps(row) + "\n" for row in QUERIES))
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq2\td4\t0\n"
    )
    return folder


def test_load_beir_keeps_judged_queries_and_positive_grades(tmp_path: Path) -> None:
    data = load_beir(_write(tmp_path / "tiny", gz=True))
    assert set(data.queries) == {"q1", "q2"}
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}}
    assert data.corpus["d3"] == ("Vitamin D", CORPUS[2]["text"])


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p, "not a folder"),
        (lambda p: (p.mkdir(), p)[1], "missing"),
    ],
)
def test_load_beir_names_what_is_wrong(tmp_path: Path, setup: object, message: str) -> None:
    folder = tmp_path / "bad"
    setup(folder)  # type: ignore[operator]
    with pytest.raises(AssistantError, match=message):
        load_beir(folder)


def test_eval_retrieval_prints_the_three_systems_and_caches_the_index(tmp_path: Path) -> None:
    folder = _write(tmp_path / "tiny", gz=False)
    data_dir = tmp_path / "data"
    first = run("eval", "retrieval", "--dataset", str(folder), "--json", data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["queries"] == 2 and result["documents"] == 4 and result["index_cached"] is False
    for system in ("bm25", "dense", "hybrid"):
        assert set(result[system]) >= {"ndcg@10", "recall@100", "mrr@10"}
        assert result[system]["recall@100"] == 1.0  # four documents: every one is in the top 100
        assert 0.0 < result[system]["ndcg@10"] <= 1.0
    assert result["dense"]["mrr@10"] == 1.0  # both queries are paraphrases of one abstract each
    second = run("eval", "retrieval", "--dataset", str(folder), data_dir=data_dir)
    assert second.returncode == 0, second.stderr
    assert "(cached)" in second.stdout
    assert [line.split()[0] for line in second.stdout.splitlines()[2:5]] == ["bm25", "dense", "hybrid"]


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\tone\n", "score 'one' is not a number"),
        ("queries.jsonl", '{"text": "no id"}\n', "line 1 is not a JSON object with an _id"),
        ("corpus.jsonl", "5\n", "line 1 is not a JSON object with an _id"),
        ("corpus.jsonl", "[1, 2]\n", "line 1 is not a JSON object with an _id"),
    ],
)
def test_malformed_beir_files_are_named_with_their_line(
    tmp_path: Path, file: str, content: str, message: str
) -> None:
    folder = _write(tmp_path / "tiny", gz=False)
    (folder / file).write_text(content)
    with pytest.raises(AssistantError, match=message):
        load_beir(folder)


def test_decimal_grades_are_read_and_a_limit_below_one_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path / "tiny", gz=False)
    (folder / "qrels" / "test.tsv").write_text("q1\td1\t1.0\nq2\td2\t2\n")  # no header
    assert load_beir(folder).qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}}
    assert list(load_beir(folder, limit=1).queries) == ["q1"]
    with pytest.raises(AssistantError, match="--limit must be at least 1"):
        load_beir(folder, limit=0)


def test_index_batches_never_cut_a_document() -> None:
    """Found by the shared-stores benchmark: 512-chunk batches cut documents in two, and ``add_chunks`` took the
    part written by the earlier call for a killed write's leftovers and deleted it (15 chunks written, 10 kept)."""
    from pipelines.evals.retrieval import document_batches

    sizes = [3, 1, 5, 2, 2, 7, 1]
    metadatas = [{"document_sha256": f"d{n}"} for n, size in enumerate(sizes) for _ in range(size)]
    batches = document_batches(metadatas, 4)
    assert batches == [(0, 4), (4, 9), (9, 13), (13, 20), (20, 21)]
    assert [index for start, end in batches for index in range(start, end)] == list(range(len(metadatas)))
    for start, _end in batches:
        assert start == 0 or metadatas[start - 1]["document_sha256"] != metadatas[start]["document_sha256"]
    assert document_batches([], 4) == []
