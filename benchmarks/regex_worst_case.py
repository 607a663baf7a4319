"""Worst-case inputs for the de-identifier's regular expressions and for the whole de-identifier.

Part 1, every pattern: each module-level pattern of the ``privacy`` package and every pattern of the analyzer's
Presidio pattern recognizers, run as the code runs it (``finditer``, or ``match`` at the start for the patterns
the code only anchors at a position), on adversarial texts of 4,000 and 8,000 characters. A pattern that
backtracks super-linearly shows a time ratio near 4 (or worse) when the input doubles. Budget: 0.25 s at 8,000
characters, and a ratio below 3 unless under 10 ms.

Part 2, the patterns fixed for issue 17 against their former forms (the baseline, in the same run, on shorter
inputs: the former ones are hopeless at 8,000).

Part 3, end to end: ``Deidentifier.find_for`` (spaCy NER + every recognizer, three sinks) with the finance,
medical and code policies on the same adversarial texts at 5,000 and 10,000 characters. Budget: 1 ms per
character (an analysis window of 100,000 characters then takes under 100 s) and a ratio below 2.6.

Writes ``results/regex_worst_case.{json,md}``. Run: ``.venv/bin/python benchmarks/regex_worst_case.py``
(about 4 minutes on 2 cores). Exits 1 when anything is over budget.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"
PATTERN_SIZES = (4_000, 8_000)
PATTERN_BUDGET_S = 0.25
MAX_RATIO = 3.0
END_TO_END_SIZES = (5_000, 10_000)
END_TO_END_BUDGET_S_PER_CHAR = 1e-3
END_TO_END_MAX_RATIO = 2.6

#: Adversarial text makers: length in characters -> text.
INPUTS: dict[str, Callable[[int], str]] = {
    "letters": lambda n: "a" * n,
    "Letters": lambda n: "Ab" * (n // 2),
    "upper": lambda n: "A" * n,
    "digits": lambda n: "7" * n,
    "spaces": lambda n: "a" + " " * n + "!",
    "tabs": lambda n: "A" + "\t" * n + "RN",
    "words": lambda n: "ab " * (n // 3),
    "Cap words": lambda n: "Ab " * (n // 3),
    "letters+RN": lambda n: "a" * n + " RN",
    "letters+(son)": lambda n: "b" * n + " (son)",
    "dots": lambda n: "a." * (n // 2),
    "word.": lambda n: "ab." * (n // 3),
    "hyphens": lambda n: "a-" * (n // 2),
    "digit-hyphens": lambda n: "1-" * (n // 2),
    "apostrophes": lambda n: "a'" * (n // 2),
    "digit groups": lambda n: "1 " * (n // 2),
    "colons": lambda n: "a:" * (n // 2),
    "commas": lambda n: "a," * (n // 2),
    "newlines": lambda n: "a\n" * (n // 2),
    "at signs": lambda n: "a@" * (n // 2),
    "password=": lambda n: "password = " + "a" * n,
    "mixed": lambda n: "Ab1-" * (n // 4),
}

#: Patterns the code runs only with ``match``/``fullmatch`` at one position (a word, or the end of a finding).
ANCHORED = {
    "privacy.addresses._SEPARATOR",
    "privacy.addresses._STREET_SUFFIX",
    "privacy.addresses._STREET_WORD",
    "privacy.deidentify._EPONYM",
    "privacy.phi._LIST_MORE",
    "privacy.phi._SIGNED",
    "privacy.secret_recognizers._PEM_BODY",
}

#: Former forms of the patterns fixed for issue 17 (git show f27ba0d:privacy/...), the baseline of part 2.
FORMER = {
    "privacy.phi._BEFORE_CREDENTIAL": (
        r"(?P<name>(?:\b[A-Za-z]\.\s?)?(?:[A-Za-z][A-Za-z'\u2019-]+\s+){0,2}[A-Za-z][A-Za-z'\u2019-]+),?\s+"
        r"(?:RN|RRT|NP|MD|LICSW|MSW|CCRN|LPN)\b",
        re.IGNORECASE,
        "letters",
    ),
    "privacy.phi._BEFORE_RELATIVE": (
        r"(?P<name>(?:[A-Za-z][A-Za-z'\u2019-]*[ \t]+){0,2}[A-Za-z][A-Za-z'\u2019-]*)[ \t]*\(\s*"
        r"(?:pt's\s+|his\s+|her\s+)?(?:sons?|daughters?|wife)\s*\)",
        re.IGNORECASE,
        "letters",
    ),
    "privacy.phi._SIGNED": (
        r"^[ \t]*(?P<name>[A-Za-z][A-Za-z'\u2019. \t-]*?)[ \t]*,?[ \t]*(?:RN|MD)\.?[ \t]*$",
        re.IGNORECASE,
        "spaces",
    ),
    "privacy.phi._FACILITY": (
        r"(?P<name>(?:[A-Za-z][A-Za-z'\u2019]*(?:-[A-Za-z][A-Za-z'\u2019]*)*\.?[ \t]+){1,3})(?:hospital|clinic)\b",
        re.IGNORECASE,
        "hyphens",
    ),
    "privacy.secret_recognizers._KEYWORD": (r"\w*(password|secret|pwd)\w*", re.IGNORECASE, "letters"),
}
FORMER_SIZES = (400, 800)


def patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every compiled module-level pattern of ``privacy`` and every Presidio recognizer pattern of the analyzer."""
    import privacy
    from privacy import build_analyzer

    found: dict[str, re.Pattern[str]] = {}
    for module_info in pkgutil.iter_modules(privacy.__path__, "privacy."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found[f"{module_info.name}.{name}"] = value
    for recognizer in build_analyzer().registry.recognizers:
        for pattern in getattr(recognizer, "patterns", []) or []:
            flags = getattr(recognizer, "global_regex_flags", re.DOTALL | re.MULTILINE | re.IGNORECASE)
            found[f"{recognizer.name}.{pattern.name}"] = re.compile(pattern.regex, flags or 0)
    return sorted(found.items())


def timed_pattern(pattern: re.Pattern[str], text: str, anchored: bool) -> float:
    """Seconds to run ``pattern`` over ``text`` the way the code runs it."""
    started = time.perf_counter()
    if anchored:
        pattern.match(text)
    else:
        for _ in pattern.finditer(text):
            pass
    return time.perf_counter() - started


def worst_of(measure: Callable[[str], float], sizes: tuple[int, int], hopeless_s: float) -> dict:
    """The input with the longest time at the larger size, with both times and their ratio."""
    worst = {"input": "", "small_s": 0.0, "large_s": 0.0, "ratio": 0.0}
    for label, make in INPUTS.items():
        small = measure(make(sizes[0]))
        large = float("inf") if small > hopeless_s else measure(make(sizes[1]))
        if large >= worst["large_s"]:
            ratio = large / small if small > 1e-4 else 1.0
            worst = {"input": label, "small_s": small, "large_s": large, "ratio": ratio}
    return worst


def _rounded(row: dict) -> dict:
    return {
        k: (None if v == float("inf") else round(v, 4)) if isinstance(v, float) else v for k, v in row.items()
    }


def part_patterns() -> list[dict]:
    rows = []
    for name, pattern in patterns():
        anchored = name in ANCHORED
        worst = worst_of(
            lambda text, p=pattern, a=anchored: timed_pattern(p, text, a), PATTERN_SIZES, PATTERN_BUDGET_S * 4
        )
        ok = worst["large_s"] <= PATTERN_BUDGET_S and (worst["large_s"] < 0.01 or worst["ratio"] < MAX_RATIO)
        rows.append(
            _rounded({"pattern": name, "run_as": "match" if anchored else "finditer", **worst, "ok": ok})
        )
        if not ok:
            print(f"OVER BUDGET {rows[-1]}", flush=True)
    return rows


def part_former(current: dict[str, re.Pattern[str]]) -> list[dict]:
    rows = []
    for name, (regex, flags, label) in FORMER.items():
        make = INPUTS[label]
        row: dict = {"pattern": name, "input": label}
        for tag, pattern in (("former", re.compile(regex, flags)), ("now", current[name])):
            anchored = name in ANCHORED
            small, large = (timed_pattern(pattern, make(n), anchored) for n in FORMER_SIZES)
            row[f"{tag}_s"] = large
            row[f"{tag}_ratio"] = large / small if small > 1e-4 else 1.0
        row["speedup"] = row["former_s"] / max(row["now_s"], 1e-6)
        rows.append(_rounded(row))
    return rows


def part_end_to_end() -> list[dict]:
    from domains import load_domains
    from privacy import Deidentifier, PiiPolicy, build_analyzer

    domains = load_domains()
    deidentifier = Deidentifier(build_analyzer(), b"k" * 32)
    rows = []
    for domain in ("finance", "medical", "code"):
        policy = PiiPolicy.from_mapping(domain, domains[domain].privacy)
        deidentifier.find_for("warm up the model", policy, "prompt")

        def measure(text: str, policy: PiiPolicy = policy) -> float:
            started = time.perf_counter()
            deidentifier.find_for(text, policy, ("prompt", "memory", "index"))
            return time.perf_counter() - started

        worst = worst_of(measure, END_TO_END_SIZES, END_TO_END_SIZES[0] * END_TO_END_BUDGET_S_PER_CHAR * 4)
        per_char = worst["large_s"] / END_TO_END_SIZES[1]
        ok = per_char <= END_TO_END_BUDGET_S_PER_CHAR and worst["ratio"] < END_TO_END_MAX_RATIO
        rows.append(_rounded({"policy": domain, **worst, "ms_per_1000_chars": per_char * 1e6, "ok": ok}))
        print(rows[-1], flush=True)
    return rows


def main() -> int:
    started = time.perf_counter()
    pattern_rows = part_patterns()
    former_rows = part_former(dict(patterns()))
    end_rows = part_end_to_end()
    RESULTS.mkdir(exist_ok=True)
    result = {"patterns": pattern_rows, "former_vs_now": former_rows, "end_to_end": end_rows,
              "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    (RESULTS / "regex_worst_case.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    slow = sorted(pattern_rows, key=lambda r: -(r["large_s"] if r["large_s"] is not None else 1e9))
    ok_patterns = sum(r["ok"] for r in pattern_rows)
    lines = [
        "# Worst-case inputs for de-identification",
        "",
        f"`.venv/bin/python benchmarks/regex_worst_case.py` ({result['seconds']} s). Inputs: "
        + ", ".join(f"`{k}`" for k in INPUTS)
        + ".",
        "",
        f"## Every pattern: {ok_patterns} of {len(pattern_rows)} within budget",
        "",
        f"Budget {PATTERN_BUDGET_S} s at {PATTERN_SIZES[1]:,} characters and a ratio below {MAX_RATIO:g} from "
        f"{PATTERN_SIZES[0]:,} (unless under 10 ms). The ten slowest:",
        "",
        "| pattern | run as | worst input | s at 4k | s at 8k | ratio | ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in slow[:10]:
        large = "hopeless" if r["large_s"] is None else f"{r['large_s']:.4f}"
        lines.append(f"| `{r['pattern']}` | {r['run_as']} | {r['input']} | {r['small_s']:.4f} | {large} | "
                     f"{r['ratio']} | {r['ok']} |")  # fmt: skip
    lines += [
        "",
        f"## Fixed patterns against their former forms (same run, {FORMER_SIZES[1]} characters)",
        "",
        "| pattern | input | former s | former ratio | now s | now ratio | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in former_rows:
        lines.append(f"| `{r['pattern']}` | {r['input']} | {r['former_s']:.4f} | {r['former_ratio']} | "
                     f"{r['now_s']:.5f} | {r['now_ratio']} | {r['speedup']:.0f}x |")  # fmt: skip
    lines += [
        "",
        f"## End to end (spaCy + every recognizer, three sinks), {END_TO_END_SIZES[1]:,} characters",
        "",
        f"Budget {END_TO_END_BUDGET_S_PER_CHAR * 1e6:.0f} ms per 1,000 characters and a ratio below "
        f"{END_TO_END_MAX_RATIO:g} from {END_TO_END_SIZES[0]:,}.",
        "",
        "| policy | worst input | s at 5k | s at 10k | ratio | ms per 1,000 characters | ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in end_rows:
        lines.append(f"| {r['policy']} | {r['input']} | {r['small_s']:.3f} | {r['large_s']:.3f} | {r['ratio']} | "
                     f"{r['ms_per_1000_chars']:.0f} | {r['ok']} |")  # fmt: skip
    (RESULTS / "regex_worst_case.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if all(r["ok"] for r in pattern_rows + end_rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
