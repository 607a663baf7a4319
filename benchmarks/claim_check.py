"""Figure check (issue 21 item 2): precision and recall of the unsupported-figure flags on labelled answers.

Data: ``benchmarks/data/claim_check_dev.jsonl`` (development: used while writing and tuning the check) and
``benchmarks/data/claim_check_heldout.jsonl`` (held out: committed before the check existed, never used to
tune it); how they were made and what a label means: ``benchmarks/data/claim_check.md``.

Each answer is checked as the chat turn checks it: the support is the answer's passages (read from the corpus:
a heading and its text up to the next heading of the same or a higher level) and its question
(:class:`pipelines.chat.claims.ClaimSupport`), the flags are :func:`pipelines.chat.claims.check_claims`. A flag
is right when its span overlaps a labelled unsupported figure; a label is found when a flag overlaps it.
Precision = right flags / flags, recall = found labels / labels, overall and per kind (precision by the flag's
kind, recall by the label's). Also: whether every labelled identifier is gone from the displayed answer when the
answer is streamed in 3-character pieces through :class:`pipelines.chat.claims.IdentifierMasker`.

Methods compared:
- ``figure check`` (the product's).
- ``today's main``: no flags at all (only cited sentences were checked, and these answers cite nothing).
- ``digit tokens``: the citation check's number rule applied to every sentence: each digit token
  (``\\d+(?:[.,]\\d+)*``, commas dropped) that does not occur in the passages or the question is flagged.

Writes ``benchmarks/results/claim_check.{json,md}``.

Run: ``.venv/bin/python benchmarks/claim_check.py`` (a few seconds)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from pipelines.chat.claims import MARKERS, ClaimSupport, IdentifierMasker, check_claims

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
OUT = ROOT / "benchmarks" / "results"
SETS = {"dev": DATA / "claim_check_dev.jsonl", "heldout": DATA / "claim_check_heldout.jsonl"}
#: The commit that added the held-out set, before pipelines/chat/claims.py existed.
HELDOUT_COMMIT = "0f2bc8d"
#: The first run on the held-out set (commit 4d4c858), before one fix found on the dev set (dev-072: a phone number
#: with a 6-digit group, "07700 900123", was read as two numbers and shown): kept so the effect of that change
#: on the held-out set is on record.
FIRST_HELDOUT_RUN = {
    "commit": "4d4c858",
    "flags": 61,
    "precision": 0.967,
    "recall": 0.966,
    "identifiers_not_shown": "5 of 6",
}

_HEADING = re.compile(r"^(#+)\s+(.*)$")


def passage(file: str, section: str) -> str:
    """The text of ``section`` (a markdown heading) of ``domains/<file>``: the heading line and what follows up to
    the next heading of the same or a higher level (first occurrence).

    Raises:
        KeyError: No such heading in the file.
    """
    lines = (ROOT / "domains" / file).read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        match = _HEADING.match(line)
        if match and match.group(2).strip() == section:
            level = len(match.group(1))
            out = [line]
            for following in lines[i + 1 :]:
                nxt = _HEADING.match(following)
                if nxt and len(nxt.group(1)) <= level:
                    break
                out.append(following)
            return "\n".join(out)
    raise KeyError(f"{file}: no heading {section!r}")


def load(path: Path) -> list[dict[str, Any]]:
    """The labelled answers of one set, each with ``texts`` (its passages' text)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["texts"] = [passage(p["file"], p["section"]) for p in row["passages"]]
    return rows


def label_spans(row: dict[str, Any]) -> list[tuple[int, int, str, str]]:
    """``(start, end, kind, text)`` of each label at its first occurrence in the answer."""
    spans = []
    for label in row["unsupported"]:
        start = row["answer"].index(label["text"])
        spans.append((start, start + len(label["text"]), label["kind"], label["text"]))
    return spans


def product_flags(row: dict[str, Any]) -> list[tuple[int, int, str, str]]:
    """The figure check's flags: ``(start, end, kind, reason)``."""
    support = ClaimSupport.from_texts([*row["texts"], row["question"]])
    return [(c.start, c.end, c.kind, c.reason) for c in check_claims(row["answer"], support)]


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def digit_flags(row: dict[str, Any]) -> list[tuple[int, int, str, str]]:
    """The baseline: every digit token not found among the support's digit tokens."""
    known = {t.replace(",", "") for text in [*row["texts"], row["question"]] for t in _DIGITS.findall(text)}
    return [
        (m.start(), m.end(), "number", "digits not in the passages")
        for m in _DIGITS.finditer(row["answer"])
        if m.group().replace(",", "") not in known
    ]


def masked_ok(row: dict[str, Any]) -> tuple[int, int]:
    """``(labelled identifiers, of them absent from the streamed display)``."""
    support = ClaimSupport.from_texts([*row["texts"], row["question"]])
    masker = IdentifierMasker(support)
    answer = row["answer"]
    shown = "".join(masker.feed(answer[i : i + 3]) for i in range(0, len(answer), 3)) + masker.flush()
    labelled = [lab for lab in row["unsupported"] if lab["kind"] in MARKERS]
    return len(labelled), sum(lab["text"] not in shown for lab in labelled)


def score(rows: list[dict[str, Any]], method: Any) -> dict[str, Any]:
    """Precision and recall of ``method``'s flags on ``rows``, overall and per kind, with the errors."""
    flags_by_kind: Counter[str] = Counter()
    right_by_kind: Counter[str] = Counter()
    labels_by_kind: Counter[str] = Counter()
    found_by_kind: Counter[str] = Counter()
    false_flags, misses = [], []
    for row in rows:
        labels = label_spans(row)
        flags = method(row)
        for start, end, kind, reason in flags:
            flags_by_kind[kind] += 1
            if any(start < le and ls < end for ls, le, _, _ in labels):
                right_by_kind[kind] += 1
            else:
                false_flags.append(f"{row['id']}: {row['answer'][start:end]!r} ({kind}: {reason})")
        for ls, le, kind, text in labels:
            labels_by_kind[kind] += 1
            if any(start < le and ls < end for start, end, _, _ in flags):
                found_by_kind[kind] += 1
            else:
                misses.append(f"{row['id']}: {text!r} ({kind})")

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 3) if b else None

    kinds = sorted(set(flags_by_kind) | set(labels_by_kind))
    n_flags, right = sum(flags_by_kind.values()), sum(right_by_kind.values())
    n_labels, found = sum(labels_by_kind.values()), sum(found_by_kind.values())
    return {
        "answers": len(rows),
        "labels": n_labels,
        "flags": n_flags,
        "precision": ratio(right, n_flags),
        "recall": ratio(found, n_labels),
        "per_kind": {
            kind: {
                "labels": labels_by_kind[kind],
                "flags": flags_by_kind[kind],
                "precision": ratio(right_by_kind[kind], flags_by_kind[kind]),
                "recall": ratio(found_by_kind[kind], labels_by_kind[kind]),
            }
            for kind in kinds
        },
        "false_flags": false_flags,
        "misses": misses,
    }


METHODS = {
    "figure check": product_flags,
    "today's main": lambda row: [],
    "digit tokens": digit_flags,
}


def main() -> None:
    """Score each method on each set and write the results."""
    results: dict[str, Any] = {
        "heldout_commit": HELDOUT_COMMIT,
        "first_heldout_run": FIRST_HELDOUT_RUN,
        "sets": {},
    }
    for name, path in SETS.items():
        rows = load(path)
        identifiers = [masked_ok(row) for row in rows]
        results["sets"][name] = {
            "methods": {method: score(rows, run) for method, run in METHODS.items()},
            "identifiers_labelled": sum(a for a, _ in identifiers),
            "identifiers_not_shown": sum(b for _, b in identifiers),
        }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "claim_check.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (OUT / "claim_check.md").write_text(report(results), encoding="utf-8")
    for name, data in results["sets"].items():
        for method, s in data["methods"].items():
            print(
                f"{name:8} {method:14} precision {s['precision']} recall {s['recall']} ({s['flags']} flags)"
            )


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def report(results: dict[str, Any]) -> str:
    """The markdown report."""
    lines = [
        "# Figure check (issue 21 item 2)",
        "",
        "Unsupported-figure flags of `pipelines/chat/claims.py` on hand-labelled answers over the sample corpora",
        "(`benchmarks/data/claim_check.md`). The held-out set was committed in "
        f"{results['heldout_commit']}, before the check existed, and was not used to tune it.",
        "Command: `.venv/bin/python benchmarks/claim_check.py`.",
        "",
        "| set | method | answers | labels | flags | precision | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, data in results["sets"].items():
        for method, s in data["methods"].items():
            lines.append(
                f"| {name} | {method} | {s['answers']} | {s['labels']} | {s['flags']} | "
                f"{_fmt(s['precision'])} | {_fmt(s['recall'])} |"
            )
    first = results["first_heldout_run"]
    lines += [
        "",
        f"First run on the held-out set (commit {first['commit']}): {first['flags']} flags, precision "
        f"{first['precision']:.3f}, recall {first['recall']:.3f}, identifiers not shown {first['identifiers_not_shown']}; "
        "then one fix found on the dev set (a phone number with a 6-digit group, `07700 900123`, was two numbers "
        "and was shown), which gives the table above.",
    ]
    for name, data in results["sets"].items():
        s = data["methods"]["figure check"]
        lines += [
            "",
            f"## {name}: the figure check by kind",
            "",
            "| kind | labels | flags | precision | recall |",
            "|---|---|---|---|---|",
        ]
        for kind, k in s["per_kind"].items():
            lines.append(
                f"| {kind} | {k['labels']} | {k['flags']} | {_fmt(k['precision'])} | {_fmt(k['recall'])} |"
            )
        lines += [
            "",
            f"Identifiers (phone, card, e-mail) labelled: {data['identifiers_labelled']}; absent from the "
            f"displayed answer after streaming through the masker: {data['identifiers_not_shown']}.",
            "",
            "False flags:",
            "",
            *([f"- {f}" for f in s["false_flags"]] or ["- none"]),
            "",
            "Missed:",
            "",
            *([f"- {m}" for m in s["misses"]] or ["- none"]),
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
