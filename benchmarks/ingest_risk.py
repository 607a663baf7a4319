"""Ingestion risk scores (privacy.report) of reference documents versus records about people, to choose
``ingest.hold_risk_threshold``.

Groups, each scored exactly as ingestion does (``pipelines.documents.ingestion.Ingestion.deidentify_document``: file name and text
de-identified for the index sink with the domain's policy, then ``privacy.build_report``):
- reference: every shipped sample corpus file (``domains/*/corpus``), with its own domain's policy;
- nursing notes: PhysioNet deid gold-standard nursing notes (Neamatullah et al. 2008, GPL 2.0; real PHI replaced
  by surrogates), a seeded sample, medical policy: records about a patient;
- synthetic letters: presidio_synth (Microsoft presidio-research synthetic sentences, MIT), consecutive groups of
  10 sentences as one document, finance policy: text dense with personal data.
Writes results/ingest_risk.{json,md}: per group the risk distribution and the share of documents a threshold
would hold.

Run: ``.venv/bin/python benchmarks/ingest_risk.py [--notes 300] [--letters 100]``
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from domains import sample_corpus_files
from ingest import load_bytes, load_document
from pipelines.core.settings import load_settings
from pipelines.services import Services

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
OUT = Path(__file__).resolve().parent / "results"
THRESHOLDS = (0.5, 1.0, 2.0, 3.0, 5.0)
_RECORD = re.compile(r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n(.*?)\|\|\|\|END_OF_RECORD", re.DOTALL)
_LIMIT = {"max_bytes": 25 * 2**20, "max_chars": 2_000_000}


def reference(services: Services) -> list[float]:
    risks = []
    for domain in services.domains:
        for path in sample_corpus_files(services.domains.domain(domain)):
            document = load_document(path, **_LIMIT)
            risks.append(services.ingestion.deidentify_document(domain, document)[1].risk)
    return risks


def nursing_notes(services: Services, count: int, seed: int = 13) -> list[float]:
    text = (DATA / "physionet_deid" / "id.text").read_text(encoding="latin-1")
    notes = [m.group(3) for m in _RECORD.finditer(text) if m.group(3).strip()]
    picked = random.Random(seed).sample(notes, min(count, len(notes)))
    return [
        services.ingestion.deidentify_document("medical", load_bytes(f"note{i}.txt", n.encode(), **_LIMIT))[
            1
        ].risk
        for i, n in enumerate(picked)
    ]


def synthetic_letters(services: Services, count: int) -> list[float]:
    records = json.loads((DATA / "presidio_synth" / "synth_dataset_v2.json").read_text(encoding="utf-8"))
    risks = []
    for i in range(count):
        body = "\n".join(r["full_text"] for r in records[i * 10 : (i + 1) * 10])
        if body.strip():
            document = load_bytes(f"letter{i}.txt", body.encode(), **_LIMIT)
            risks.append(services.ingestion.deidentify_document("finance", document)[1].risk)
    return risks


def summary(risks: list[float]) -> dict[str, float | int]:
    ordered = sorted(risks)
    row: dict[str, float | int] = {
        "documents": len(ordered),
        "min": ordered[0],
        "median": statistics.median(ordered),
        "p90": ordered[int(0.9 * (len(ordered) - 1))],
        "max": ordered[-1],
    }
    for threshold in THRESHOLDS:
        row[f"held_above_{threshold:g}"] = round(sum(r > threshold for r in ordered) / len(ordered), 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--letters", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        services = Services(load_settings(data_dir=Path(data_dir)))
        started = time.perf_counter()
        groups = {
            "reference (shipped corpora)": summary(reference(services)),
            "nursing notes (PhysioNet deid)": summary(nursing_notes(services, args.notes)),
            "synthetic letters (presidio_synth x10)": summary(synthetic_letters(services, args.letters)),
        }
        seconds = time.perf_counter() - started
    OUT.mkdir(exist_ok=True)
    payload = {"groups": groups, "thresholds": THRESHOLDS, "seconds": round(seconds, 1)}
    (OUT / "ingest_risk.json").write_text(json.dumps(payload, indent=2))
    header = ["group", "docs", "min", "median", "p90", "max"] + [f"held >{t:g}" for t in THRESHOLDS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in groups.items():
        cells = [name, str(row["documents"])] + [f"{row[k]:.2f}" for k in ("min", "median", "p90", "max")]
        cells += [f"{row[f'held_above_{t:g}']:.0%}" for t in THRESHOLDS]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(
        "\nrisk = sensitivity-weighted PII findings per 1,000 characters (privacy/report.py); "
        "'held >t' = share of documents a hold threshold t would hold. Sources: module docstring."
    )
    (OUT / "ingest_risk.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
