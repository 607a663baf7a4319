"""Follow-up rewriting: does the right section come back for a follow-up question?

Data: ``benchmarks/data/followup_rewrite.jsonl`` (hand-written (first question, follow-up, answering file and
section) triples over the shipped sample corpora; ``benchmarks/data/followup_rewrite.md`` says how they were
made). Each triple is one two-turn conversation: the first question is the history (its answer left empty, so
every method sees the same history), the follow-up is retrieved for with each query method:

- raw: the follow-up alone;
- concat: ``pipelines.chat.rewrite.standalone_query`` (the fallback);
- llm (llama.cpp): ``pipelines.chat.rewrite.rewrite_query`` forced to ``llm`` with the embedded Gemma 3 270M base
  model (few-shot completion prompt); a rejected rewrite falls back to concat and counts as it retrieves;
- llm (Ollama): the same with the configured Ollama model, when one is reachable (else skipped and said so).

Questions are de-identified first, as in the product. Retrieval is the product's ``pipelines.chat.retrieval.Retriever.retrieve``
over the domain's index. A hit at k: a chunk of the labelled file whose location is the labelled section (or,
for code files without sections, any chunk of the file) is among the top k. Writes
``results/followup_rewrite.{json,md}``.

Run: ``.venv/bin/python benchmarks/followup_rewrite.py [--data-dir DIR]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest import RetrievedChunk
from pipelines.chat.rewrite import rewrite_query, standalone_query
from pipelines.core.settings import load_settings
from pipelines.llm.backends import Backend, resolve_backend
from pipelines.llm.ollama import probe_ollama
from pipelines.llm.prompts import HistoryTurn
from pipelines.services import Services
from privacy import Vault

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "followup_rewrite.jsonl"
OUT = HERE / "results"
KS = (1, 3, 4, 5)


def is_hit(chunk: RetrievedChunk, item: dict[str, Any]) -> bool:
    """Whether ``chunk`` answers ``item``: its file, and its section when the item names one."""
    if chunk.source != item["file"]:
        return False
    section = item.get("section")
    return section is None or str(chunk.metadata.get("location", "")).startswith(f"section: {section}")


def first_hit_rank(hits: list[RetrievedChunk], item: dict[str, Any]) -> int | None:
    """1-based rank of the first answering chunk, or None."""
    return next((rank for rank, chunk in enumerate(hits, start=1) if is_hit(chunk, item)), None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse an indexed data dir")
    args = parser.parse_args()
    items = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-rewrite-")) / "data"
    services = Services(load_settings(data_dir=data_dir))
    services.ingestion.index_sample_corpora()

    conversations = []
    for item in items:
        vault = Vault(session_id="bench")
        first = services.deidentification.pseudonymize(item["first"], vault, item["domain"]).text
        follow = services.deidentification.pseudonymize(item["follow_up"], vault, item["domain"]).text
        conversations.append((item, [HistoryTurn(first, "")], follow))

    Method = Callable[[list[HistoryTurn], str], tuple[str, str]]
    methods: dict[str, Method] = {
        "raw follow-up": lambda history, q: (q, "raw"),
        "concat (fallback)": lambda history, q: (standalone_query(q, history), "concat"),
    }
    llamacpp = services.llamacpp_backend()
    methods["llm: llama.cpp Gemma 3 270M"] = _llm(llamacpp, services)
    status = probe_ollama(services.settings.ollama)
    skipped = None
    if status.host is None:
        skipped = f"Ollama not reachable: skipped ({status.reason})"
        print(skipped)
    else:
        ollama = resolve_backend(services.settings, "ollama")
        methods[f"llm: Ollama {ollama.model_name}"] = _llm(ollama, services)

    results: dict[str, Any] = {}
    examples: dict[str, list[dict[str, Any]]] = {}
    for name, method in methods.items():
        ranks: list[int | None] = []
        per_domain: dict[str, list[int | None]] = {}
        used: dict[str, int] = {}
        seconds: list[float] = []
        rows = []
        for item, history, follow in conversations:
            started = time.perf_counter()
            query, how = method(history, follow)
            seconds.append(time.perf_counter() - started)
            used[how] = used.get(how, 0) + 1
            hits = services.retriever.retrieve(item["domain"], query, max(KS))
            rank = first_hit_rank(hits, item)
            ranks.append(rank)
            per_domain.setdefault(item["domain"], []).append(rank)
            rows.append({"id": item["id"], "query": query, "method": how, "rank": rank})
        results[name] = {
            **{f"hit@{k}": _rate(ranks, k) for k in KS},
            "per_domain_hit@4": {d: _rate(r, 4) for d, r in per_domain.items()},
            "methods_used": used,
            "median_query_ms": round(statistics.median(seconds) * 1000.0, 1),
        }
        examples[name] = rows
        print(name, json.dumps(results[name]))

    payload = {
        "triples": len(items),
        "domains": {d: sum(i["domain"] == d for i in items) for d in sorted({i["domain"] for i in items})},
        "results": results,
        "ollama": skipped or f"Ollama at {status.host}",
        "queries": examples,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "followup_rewrite.json").write_text(json.dumps(payload, indent=2))
    lines = [
        "| query | hit@1 | hit@3 | hit@4 | hit@5 | finance@4 | code@4 | medical@4 | rewrites used | median ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        used = ", ".join(f"{k} {v}" for k, v in sorted(r["methods_used"].items()))
        lines.append(
            f"| {name} | "
            + " | ".join(f"{r[f'hit@{k}']:.3f}" for k in KS)
            + " | "
            + " | ".join(f"{r['per_domain_hit@4'].get(d, 0.0):.3f}" for d in ("finance", "code", "medical"))
            + f" | {used} | {r['median_query_ms']:.0f} |"
        )
    lines.append(
        f"\n{len(items)} two-turn conversations ({', '.join(f'{d} {n}' for d, n in payload['domains'].items())}); "
        "hit@k = the labelled file and section among the top k retrieved chunks (the product retrieves 4). "
        "`llm-fallback` = the model's rewrite was rejected (sanitation) and the concat query was used."
    )
    if skipped:
        lines.append(f"\n{skipped}.")
    (OUT / "followup_rewrite.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _llm(backend: Backend, services: Services) -> Callable[[list[HistoryTurn], str], tuple[str, str]]:
    settings = services.settings.retrieval

    def run(history: list[HistoryTurn], question: str) -> tuple[str, str]:
        result = rewrite_query(
            question,
            history,
            backend,
            "llm",
            settings.rewrite_max_chars,
            settings.rewrite_history_turns,
            scrub=lambda text: services.deidentification.scrub(text, Vault(session_id="bench")).text,
        )
        return result.query, result.method

    return run


def _rate(ranks: list[int | None], k: int) -> float:
    return round(sum(r is not None and r <= k for r in ranks) / len(ranks), 3) if ranks else 0.0


if __name__ == "__main__":
    main()
