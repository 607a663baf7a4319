"""The scale benchmark's document sets: files built from the shared public datasets to a size in chunks.

Tiers are nominal chunk counts (1k, 10k, 100k). A tier's character budget is ``chunks x 450``: the product's
splitter (800 characters, 120 overlap, paragraph and sentence boundaries) cut SciFact's 7.8 M characters into
18,037 chunks, about 430 characters each. Each system reports the chunks it actually made.

Composition (by characters): medical 70% (SciFact abstracts, the documents the test queries judge first, then
the rest of SciFact alternating with MedQuAD answers), finance 15% (the bank FAQ's answers under their
questions), code 15% (CoSQA's Python functions, HumanEval's prompts and solutions). When a source runs out it is
used again, lightly varied so no file repeats: a title gets "(edition N)", a text's sentences are rotated by N,
a function's name gets the suffix ``_vN``. All sources fit about 65k chunks once, so the 100k tier (45 M
characters, 12,351 files) reuses about a third of its text this way: medical text is 91% original, but the small
finance and code sources are used about 12 and 25 times (their variation is light: the same sentences rotated,
the same functions renamed). Datasets and licences: ``../shared/datasets/*/SOURCE.md`` (SciFact CC BY-NC 2.0,
MedQuAD CC BY 4.0, bank FAQ CC0, CoSQA MIT, HumanEval MIT).

Files: one SciFact abstract per file (``scifact_<doc id>.txt``: retrieval quality is scored by document id), five
MedQuAD answers, twenty FAQ answers or ten functions per file.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CHARS_PER_CHUNK", "Corpus", "Question", "build_corpus", "scifact_judgements"]

CHARS_PER_CHUNK = 450
SHARES = {"medical": 0.70, "finance": 0.15, "code": 0.15}


@dataclass(frozen=True)
class Question:
    """A benchmark question: its text, the domain it belongs to and, for SciFact, the judged documents."""

    text: str
    domain: str
    relevant: dict[str, int] = field(default_factory=dict)


@dataclass
class Corpus:
    """A built tier: ``files`` as (domain, path), the characters written, and the questions drawn from it."""

    root: Path
    files: list[tuple[str, Path]]
    chars: int
    questions: list[Question]

    def scifact_in_corpus(self) -> set[str]:
        """Document ids of the SciFact abstracts this tier holds."""
        return {p.stem.removeprefix("scifact_") for d, p in self.files if p.stem.startswith("scifact_")}


def scifact_judgements(shared: Path) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """SciFact's BEIR test queries and judgements: ``({query id: text}, {query id: {doc id: grade}})``."""
    queries = {}
    for line in (shared / "scifact_beir" / "queries.jsonl").read_text().splitlines():
        row = json.loads(line)
        queries[str(row["_id"])] = row["text"]
    qrels: dict[str, dict[str, int]] = {}
    rows = (shared / "scifact_beir" / "qrels" / "test.tsv").read_text().splitlines()[1:]
    for line in rows:
        query, doc, grade = line.split("\t")
        qrels.setdefault(query, {})[doc] = int(grade)
    return {q: queries[q] for q in qrels}, qrels


def _vary(text: str, edition: int) -> str:
    """Rotate ``text``'s sentences by ``edition`` (edition 0: unchanged)."""
    if edition == 0:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    cut = edition % len(sentences)
    return " ".join(sentences[cut:] + sentences[:cut])


def _medical(shared: Path, first: list[str]) -> Iterator[tuple[str, str]]:
    """(file name, text) of SciFact (``first`` doc ids first) alternating with MedQuAD groups, over editions."""
    with gzip.open(shared / "scifact_beir" / "corpus.jsonl.gz", "rt") as handle:
        scifact = {str(row["_id"]): row for row in map(json.loads, handle)}
    order = first + [doc for doc in scifact if doc not in set(first)]
    with gzip.open(shared / "medquad" / "medquad_qa.jsonl.gz", "rt") as handle:
        medquad = [row for row in map(json.loads, handle) if row.get("answer")]
    groups = [medquad[i : i + 5] for i in range(0, len(medquad), 5)]
    edition = 0
    while True:
        tag = f" (edition {edition})" if edition else ""
        for number, doc in enumerate(order):
            row = scifact[doc]
            if edition == 0:  # judged by id only in its first edition
                yield f"scifact_{doc}.txt", f"{row['title']}\n\n{row['text']}"
            else:
                yield f"scifact-e{edition}-{doc}.txt", f"{row['title']}{tag}\n\n{_vary(row['text'], edition)}"
            if number < len(groups) and number >= len(first):
                group = groups[number]
                body = "\n\n".join(f"## {r['question']}{tag}\n\n{_vary(r['answer'], edition)}" for r in group)
                yield f"medquad-e{edition}-{number:05d}.txt", body
        for number in range(len(order), len(groups)):
            group = groups[number]
            body = "\n\n".join(f"## {r['question']}{tag}\n\n{_vary(r['answer'], edition)}" for r in group)
            yield f"medquad-e{edition}-{number:05d}.txt", body
        edition += 1


def _finance(shared: Path) -> Iterator[tuple[str, str]]:
    """(file name, text) of bank FAQ groups of twenty, over editions."""
    with (shared / "bank_faq" / "BankFAQs.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    edition = 0
    while True:
        tag = f" (edition {edition})" if edition else ""
        for start in range(0, len(rows), 20):
            body = "\n\n".join(
                f"Q: {r['Question']}{tag}\nA: {_vary(r['Answer'], edition)}" for r in rows[start : start + 20]
            )
            yield f"bank-faq-e{edition}-{start // 20:04d}.txt", body
        edition += 1


def _code(shared: Path) -> Iterator[tuple[str, str]]:
    """(file name, text) of ten Python functions per file (CoSQA, HumanEval), over editions."""
    functions = [row["code"] for row in json.loads((shared / "cosqa" / "cosqa-dev.json").read_text())]
    with gzip.open(shared / "humaneval" / "HumanEval.jsonl.gz", "rt") as handle:
        functions += [row["prompt"] + row["canonical_solution"] for row in map(json.loads, handle)]
    edition = 0
    while True:
        for start in range(0, len(functions), 10):
            part = functions[start : start + 10]
            if edition:
                part = [re.sub(r"\bdef (\w+)", rf"def \1_v{edition}", f, count=1) for f in part]
            yield f"functions_e{edition}_{start // 10:03d}.py", "\n\n\n".join(part) + "\n"
        edition += 1


def build_corpus(shared: Path, root: Path, chunks: int, questions: int = 100) -> Corpus:
    """Write a tier of about ``chunks`` chunks under ``root/<domain>/`` (reused when ``root`` is complete).

    Args:
        shared: ``../shared/datasets``.
        root: The tier's folder.
        chunks: Nominal chunk count; the budget is ``chunks x CHARS_PER_CHUNK`` characters.
        questions: How many questions to draw: 40% SciFact test queries whose judged abstracts are all in the
            tier (fewer when the tier holds fewer), the rest MedQuAD, bank FAQ and CoSQA questions in equal parts.

    Returns:
        The corpus with its files in write order and the questions.
    """
    queries, qrels = scifact_judgements(shared)
    first = list(dict.fromkeys(doc for q in qrels.values() for doc in q))
    budget = chunks * CHARS_PER_CHUNK
    sources = {"medical": _medical(shared, first), "finance": _finance(shared), "code": _code(shared)}
    files: list[tuple[str, Path]] = []
    written = {domain: 0 for domain in SHARES}
    marker = root / "complete.json"
    done = json.loads(marker.read_text()) if marker.is_file() else None
    for domain, share in SHARES.items():
        (root / domain).mkdir(parents=True, exist_ok=True)
        for name, text in sources[domain]:
            if written[domain] >= budget * share:
                break
            path = root / domain / name
            if done is None:
                path.write_text(text, encoding="utf-8")
            files.append((domain, path))
            written[domain] += len(text)
    if done is None:
        marker.write_text(json.dumps({"chars": sum(written.values()), "files": len(files)}))
    corpus = Corpus(root, files, sum(written.values()), [])
    held = corpus.scifact_in_corpus()
    judged = [Question(queries[q], "medical", qrels[q]) for q in qrels if set(qrels[q]) <= held][
        : int(questions * 0.4)
    ]
    others = _other_questions(shared, (questions - len(judged)) // 3 + 1)
    corpus.questions = (judged + others)[:questions]
    return corpus


def _other_questions(shared: Path, each: int) -> list[Question]:
    """``each`` MedQuAD, bank FAQ and CoSQA questions (interleaved)."""
    with gzip.open(shared / "medquad" / "medquad_qa.jsonl.gz", "rt") as handle:
        medical = [Question(row["question"], "medical") for row in map(json.loads, handle)][::97][:each]
    with (shared / "bank_faq" / "BankFAQs.csv").open(newline="", encoding="utf-8") as handle:
        finance = [Question(row["Question"], "finance") for row in csv.DictReader(handle)][::13][:each]
    code = [
        Question(row["doc"], "code") for row in json.loads((shared / "cosqa" / "cosqa-dev.json").read_text())
    ][::5][:each]
    return [q for trio in zip(medical, finance, code, strict=False) for q in trio]
