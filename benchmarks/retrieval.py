"""nDCG@10, recall@100 and MRR@10 of BM25 alone, dense alone and the product's hybrid retrieval, on SciFact (BEIR
test) and MedQuAD x TREC LiveQA, side by side (``assistant eval retrieval`` on each; method and metric
definitions in ``pipelines/evals/retrieval.py``). Writes results/retrieval.{json,md}.

Reference points (SciFact test, measured on this machine with the same data, ../shared/datasets/scifact_beir/
SOURCE.md): BM25 with rank_bm25 and lower-case word tokens 0.652; all-MiniLM-L6-v2 on whole abstracts 0.6451
(MTEB publishes 64.51); Anserini BM25 0.665-0.679 (published).

Run: ``.venv/bin/python benchmarks/retrieval.py [--data-dir DIR]`` (builds and caches the indexes under
DIR/eval/retrieval: about an hour for SciFact on 2 cores the first time, minutes afterwards).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipelines import load_settings
from pipelines.evals.retrieval import MODES, evaluate_retrieval, load_beir
from pipelines.services import Services

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ("scifact_beir", "medquad_liveqa")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--domain", default="medical")
    args = parser.parse_args()
    services = Services(load_settings(data_dir=args.data_dir))
    config = services.domains.domain(args.domain)
    results = []
    for name in DATASETS:
        data = load_beir(args.shared / name)
        results.append(
            evaluate_retrieval(data, config, services.embedder, args.data_dir / "eval" / "retrieval")
        )
        print(json.dumps(results[-1]), flush=True)
    out = ROOT / "benchmarks" / "results"
    (out / "retrieval.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Retrieval: BM25, dense and hybrid (benchmarks/retrieval.py)",
        "",
        f"Domain settings: {args.domain} ({json.dumps(config.retrieval.model_dump())}); 2 cores.",
        "",
        "| dataset | queries | chunks | system | nDCG@10 | recall@100 | MRR@10 | ms/query |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for mode in MODES:
            row = result[mode]
            lines.append(
                f"| {result['dataset']} | {result['queries']} | {result['chunks']} | {mode} | {row['ndcg@10']:.4f} "
                f"| {row['recall@100']:.4f} | {row['mrr@10']:.4f} | {row['ms_per_query']:.0f} |"
            )
    lines += [
        "",
        "Index build (first run, cached afterwards): "
        + ", ".join(f"{r['dataset']} {r['index_build_seconds']:.0f} s" for r in results)
        + ". SciFact's was built while three other test suites ran on the same 2 cores.",
        "",
    ]
    (out / "retrieval.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
