"""Routing accuracy of the product's learned router, and of the similarity router it replaced, on public
questions none of the routing questions come from (BANKING77 *test*, MedQuAD's withheld-answer questions; the
training rows come from BANKING77 train and MedQuAD's answered questions).

Question sets (from ../shared/datasets, read at run time, not shipped):
- finance: BANKING77 test queries (Casanueva et al. 2020, CC BY 4.0), a seeded sample;
- code: CodeXGLUE WebQueryTest queries (Huang et al. 2021), a seeded sample;
- medical: MedQuAD consumer questions whose answers were withheld (Ben Abacha & Demner-Fushman 2019, CC BY 4.0),
  a seeded sample.
Baseline in the same run: a keyword router (a domain wins by counting its words from a short hand-written list;
ties go to finance), the kind of rule a first version would use. Writes results/routing_accuracy.{json,md}.

Run: ``.venv/bin/python benchmarks/routing_accuracy.py [--per-domain 300]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
import time
from pathlib import Path

from domains import load_domains, out_of_domain_questions, routing_questions
from ingest import Embedder
from ingest.multilingual import MultilingualEncoder
from pipelines.chat.routing import Router
from pipelines.evals.similarity_router import SimilarityRouter

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
OUT = Path(__file__).resolve().parent / "results"
KEYWORDS = {
    "finance": "card bank account transfer payment fee money refund charge atm balance loan pin cash top exchange",
    "code": "python code function error java javascript list string file class install git api sql array",
    "medical": "symptoms treatment disease pain doctor drug medicine cancer diabetes blood infection syndrome",
}


def load_questions(per_domain: int, seed: int = 13) -> dict[str, list[str]]:
    rng = random.Random(seed)
    with (DATA / "banking77" / "test.csv").open(newline="") as handle:
        finance = [row["text"] for row in csv.DictReader(handle)]
    code = [row["doc"] for row in json.loads((DATA / "cosqa" / "webquery-test-unlabelled.json").read_text())]
    with gzip.open(DATA / "medquad" / "medquad_questions_no_answer.jsonl.gz", "rt") as handle:
        medical = [json.loads(line)["question"] for line in handle]
    return {
        name: rng.sample(items, per_domain)
        for name, items in {"finance": finance, "code": code, "medical": medical}.items()
    }


def keyword_route(question: str) -> str:
    words = re.findall(r"[a-z]+", question.lower())
    scores = {d: sum(w in set(k.split()) for w in words) for d, k in KEYWORDS.items()}
    return max(scores, key=lambda d: (scores[d], d == "finance"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-domain", type=int, default=300)
    args = parser.parse_args()
    questions = load_questions(args.per_domain)
    domains = load_domains()
    router = Router(
        MultilingualEncoder(),
        {n: routing_questions(c) for n, c in domains.items()},
        out_of_domain_questions(),
    )
    similarity = SimilarityRouter(Embedder(), domains)
    result: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for method, route in (
        ("learned router (product; unsure counts as wrong)", lambda q: router.route(q).domain or ""),
        ("similarity router (before issue 24)", lambda q: similarity.route(q).domain),
        ("keyword baseline", keyword_route),
    ):
        per = {d: sum(route(q) == d for q in qs) / len(qs) for d, qs in questions.items()}
        per["macro"] = sum(per.values()) / len(per)
        result[method] = per
    seconds = time.perf_counter() - started
    OUT.mkdir(exist_ok=True)
    payload = {"per_domain": args.per_domain, "accuracy": result, "seconds": round(seconds, 1)}
    (OUT / "routing_accuracy.json").write_text(json.dumps(payload, indent=2))
    lines = ["| router | finance | code | medical | macro |", "|---|---|---|---|---|"]
    for method, per in result.items():
        lines.append(
            f"| {method} | "
            + " | ".join(f"{per[k]:.3f}" for k in ("finance", "code", "medical", "macro"))
            + " |"
        )
    lines.append(
        f"\n{args.per_domain} questions per domain (seeded samples); see the module docstring for sources."
    )
    (OUT / "routing_accuracy.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
