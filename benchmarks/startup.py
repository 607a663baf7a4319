"""Start-up and first-answer times of the command line and the web app, before and after a change, on an idle
machine and under load (issue 21, item 3).

For each code tree (``--before REV``: a ``git worktree`` of that commit; ``after``: this checkout), both run by this
venv's Python with the tree first on ``PYTHONPATH``, and for each condition (``idle``; ``load``: ``--busy N``
processes spinning on a core each), it measures in subprocesses:

- ``--help``, ``documents --domain finance``, ``sessions list``, ``route QUESTION``: cold (the first run, on a new
  data dir) and warm (median of ``--warm`` more runs on the same data dir), wall seconds;
- first indexing of the shipped sample corpora (``index_sample_corpora`` on a new data dir, models loaded first
  and counted), then three questions in the same process: the first pays the model loads, the next two are warm
  (seconds to the first answer text and to the complete answer, from ``chat.stream`` events);
- cold ``assistant ask`` (embedded llama.cpp, 64 new tokens at most, over the indexed samples): seconds from
  process start to the first byte of answer text on stdout and to exit;
- the web app (``streamlit run app/main.py`` on a new data dir, samples indexed on start) in headless Debian
  Chromium through Playwright: seconds from ``page.goto`` to the first element the script draws (first paint)
  and to the first progress bar.

The machine is shared: the 1-minute load average is recorded before each condition. Writes
``benchmarks/results/startup.json`` and ``startup.md`` (with after/before ratios).

Run: ``.venv/bin/python benchmarks/startup.py --before 1aca1a0 [--busy 2] [--warm 2]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
PYTHON = sys.executable
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
QUESTION = "What is the foreign transaction fee?"
QUESTIONS = [QUESTION, "How do I block a lost card?", "What are the symptoms of asthma?"]
BASE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "ASSISTANT_LLM__BACKEND": "llamacpp",
    "ASSISTANT_LLAMACPP__MAX_TOKENS": "64",
    "ASSISTANT_INGEST__INDEX_SAMPLES_ON_START": "false",
}
COMMANDS = {
    "help": ["--help"],
    "documents": ["documents", "--domain", "finance"],
    "sessions_list": ["sessions", "list"],
    "route": ["route", QUESTION],
}

#: Indexes the samples, then asks QUESTIONS in one process; prints one JSON line of seconds.
_INDEX_AND_ASK = """
import json, sys, time
started = time.perf_counter()
from pipelines import load_settings
from pipelines.services import Services
services = Services(load_settings(data_dir=sys.argv[1]))
t0 = time.perf_counter()
services.ingestion.index_sample_corpora()
indexed = time.perf_counter() - t0
asks = []
for question in json.loads(sys.argv[2]):
    t0 = time.perf_counter(); first = None
    for event in services.chat.stream(question, backend="llamacpp"):
        if event.kind == "answer" and event.text.strip() and first is None:
            first = time.perf_counter() - t0
    asks.append({"first_text_s": first, "complete_s": time.perf_counter() - t0})
print(json.dumps({"index_s": indexed, "process_s": time.perf_counter() - started, "asks": asks}))
"""


def _env(tree: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, **BASE_ENV, "PYTHONPATH": str(tree), **extra}


def _cli(tree: Path, data_dir: Path, args: list[str]) -> float:
    """Wall seconds of ``python -m cli --data-dir DATA_DIR ARGS`` run from ``tree``."""
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "cli", "--data-dir", str(data_dir), *args],
        cwd=tree,
        env=_env(tree),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed in {tree}: {done.stderr[-2000:]}")
    return seconds


def _cold_ask(tree: Path, data_dir: Path) -> dict[str, float | None]:
    """Seconds from process start to the first stdout byte (answer text) and to exit of a cold ``ask``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "-m", "cli", "--data-dir", str(data_dir), "ask", QUESTION],
        cwd=tree,
        env=_env(tree),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    first = None
    while True:
        byte = process.stdout.read(1)
        if not byte:
            break
        if first is None and not byte.isspace():
            first = time.perf_counter() - started
    process.wait(timeout=900)
    return {"first_text_s": first, "complete_s": time.perf_counter() - started}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _web(tree: Path, data_dir: Path) -> dict[str, float | None]:
    """Seconds from ``page.goto`` to the first drawn element and to the first progress bar (new data dir,
    sample indexing on), after the server answers its health check."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = _env(tree, ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_INGEST__INDEX_SAMPLES_ON_START="true")
    server = subprocess.Popen(
        [
            str(Path(PYTHON).with_name("streamlit")),
            "run",
            str(tree / "app" / "main.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
            )
            page = browser.new_page()
            started = time.perf_counter()
            page.goto(url)
            first_paint = progress = None
            while time.perf_counter() - started < 300 and (first_paint is None or progress is None):
                now = time.perf_counter() - started
                drawn = page.locator('[data-testid="stElementContainer"], [data-testid="stSpinner"]')
                if first_paint is None and drawn.count():
                    first_paint = now
                if progress is None and page.locator('[data-testid="stProgress"]').count():
                    progress = now
                    first_paint = first_paint or now
                time.sleep(0.1)
            browser.close()
        return {"first_paint_s": first_paint, "first_progress_s": progress}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _measure(tree: Path, warm: int, scratch: Path, quick: bool = False) -> dict[str, Any]:
    """Every measure of one tree (``quick``: the commands that need no model and the web app only)."""
    result: dict[str, Any] = {}
    for name, args in COMMANDS.items():
        if quick and name == "route":
            continue
        data_dir = scratch / f"cli-{name}"
        cold = _cli(tree, data_dir, args)
        warms = [_cli(tree, data_dir, args) for _ in range(warm)] or [cold]
        result[name] = {"cold_s": cold, "warm_s": statistics.median(warms), "warm_runs_s": warms}
        print(f"  {name}: cold {cold:.2f} s, warm {statistics.median(warms):.2f} s", flush=True)
    if quick:
        if Path(CHROMIUM).exists():
            result["web"] = _web(tree, scratch / "web")
            print(f"  web: {result['web']}", flush=True)
        return result
    data_dir = scratch / "indexed"
    done = subprocess.run(
        [PYTHON, "-c", _INDEX_AND_ASK, str(data_dir), json.dumps(QUESTIONS)],
        cwd=tree,
        env=_env(tree),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"indexing failed in {tree}: {done.stderr[-2000:]}")
    indexed = json.loads(done.stdout.strip().splitlines()[-1])
    result["index_samples"] = {"index_s": indexed["index_s"], "process_s": indexed["process_s"]}
    result["ask_in_process"] = {"first": indexed["asks"][0], "warm": indexed["asks"][1:]}
    print(f"  index: {indexed['index_s']:.1f} s; asks {indexed['asks']}", flush=True)
    result["ask_cold_cli"] = _cold_ask(tree, data_dir)
    print(f"  cold ask: {result['ask_cold_cli']}", flush=True)
    if Path(CHROMIUM).exists():
        result["web"] = _web(tree, scratch / "web")
        print(f"  web: {result['web']}", flush=True)
    return result


def _spin() -> None:
    while True:
        pass


def main() -> None:
    """Run the measurements (or, with ``--markdown-only``, rewrite ``startup.md`` from ``startup.json``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown-only", action="store_true", help="Only rewrite startup.md from the JSON.")
    parser.add_argument("--before", default="HEAD~1", help="The commit to compare with (a git revision).")
    parser.add_argument("--busy", type=int, default=2, help="Busy-loop processes for the load condition.")
    parser.add_argument("--warm", type=int, default=2, help="Warm runs per command (median reported).")
    parser.add_argument("--conditions", default="idle,load", help="Comma-separated: idle, load.")
    parser.add_argument(
        "--quick",
        default="",
        help="Conditions (comma-separated) measured quickly: the commands that need no model and the web app.",
    )
    parser.add_argument("--merge", action="store_true", help="Keep the other conditions of startup.json.")
    args = parser.parse_args()
    if args.markdown_only:
        (OUT / "startup.md").write_text(_markdown(json.loads((OUT / "startup.json").read_text())))
        return
    before_rev = subprocess.run(
        ["git", "rev-parse", args.before], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    after_rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    before_tree = Path(tempfile.mkdtemp(prefix="startup-before-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(before_tree), before_rev], cwd=ROOT, check=True)
    report: dict[str, Any] = {
        "before": before_rev,
        "after": after_rev + " + working tree",
        "cpus": os.cpu_count(),
        "conditions": {},
    }
    if args.merge and (OUT / "startup.json").is_file():
        report["conditions"] = json.loads((OUT / "startup.json").read_text())["conditions"]
    try:
        for condition in args.conditions.split(","):
            spinners = []
            if condition == "load":
                spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
                for spinner in spinners:
                    spinner.start()
                time.sleep(5)
            entry: dict[str, Any] = {
                "loadavg_1m_at_start": os.getloadavg()[0],
                "busy_processes": len(spinners),
            }
            try:
                for label, tree in (("before", before_tree), ("after", ROOT)):
                    print(f"{condition} / {label} (load {os.getloadavg()[0]:.2f})", flush=True)
                    scratch = Path(tempfile.mkdtemp(prefix=f"startup-{condition}-{label}-"))
                    entry[label] = _measure(tree, args.warm, scratch, condition in args.quick.split(","))
                    shutil.rmtree(scratch, ignore_errors=True)
                    report["conditions"][condition] = entry | {"loadavg_1m_at_end": os.getloadavg()[0]}
                    _write(report)  # after each tree: a run cut short keeps what it measured
            finally:
                for spinner in spinners:
                    spinner.terminate()
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before_tree)], cwd=ROOT, check=False)
    print(_markdown(report))


def _write(report: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "startup.json").write_text(json.dumps(report, indent=2) + "\n")
    (OUT / "startup.md").write_text(_markdown(report))


def _rows(entry: dict[str, Any]) -> list[tuple[str, float | None, float | None]]:
    def pick(side: str) -> dict[str, float | None]:
        data = entry.get(side, {})
        values: dict[str, float | None] = {}
        for name in COMMANDS:
            if name in data:
                values[f"`{name.replace('_', ' ')}` cold"] = data[name]["cold_s"]
                if data[name]["warm_runs_s"] != [data[name]["cold_s"]]:  # --warm 0 measured no warm run
                    values[f"`{name.replace('_', ' ')}` warm"] = data[name]["warm_s"]
        if "index_samples" in data:
            values["first indexing of the sample corpora"] = data["index_samples"]["index_s"]
            first = data["ask_in_process"]["first"]
            warm = data["ask_in_process"]["warm"]
            values["first question after indexing: first text"] = first["first_text_s"]
            values["first question after indexing: complete"] = first["complete_s"]
            texts = [w["first_text_s"] for w in warm if w["first_text_s"] is not None]
            values["warm question: first text (median)"] = statistics.median(texts) if texts else None
            values["warm question: complete (median)"] = statistics.median([w["complete_s"] for w in warm])
        if "ask_cold_cli" in data:
            values["cold `assistant ask`: first text"] = data["ask_cold_cli"]["first_text_s"]
            values["cold `assistant ask`: complete"] = data["ask_cold_cli"]["complete_s"]
        if "web" in data:
            values["web app: first paint"] = data["web"]["first_paint_s"]
            values["web app: first progress bar"] = data["web"]["first_progress_s"]
        return values

    before, after = pick("before"), pick("after")
    return [(name, before.get(name), after.get(name)) for name in {**before, **after}]


def _markdown(report: dict[str, Any]) -> str:
    def show(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    lines = [
        "# Start-up and first-answer times (benchmarks/startup.py)",
        "",
        f"Before: `{report['before'][:12]}`; after: `{report['after'][:12]}` with the working tree. "
        f"{report['cpus']} cores, shared with other work: the load average is given per condition. Seconds, "
        "wall clock; ratio = after / before.",
        "",
    ]
    lines += [f"- {note}" for note in report.get("notes", [])] + ([""] if report.get("notes") else [])
    for condition, entry in report["conditions"].items():
        lines += [
            f"## {condition} ({entry['busy_processes']} busy-loop processes; load average "
            f"{entry['loadavg_1m_at_start']:.2f} at start, {entry['loadavg_1m_at_end']:.2f} at end)",
            "",
            "| measure | before s | after s | ratio |",
            "|---|---:|---:|---:|",
        ]
        for name, before, after in _rows(entry):
            ratio = f"{after / before:.2f}" if before and after else "n/a"
            lines.append(f"| {name} | {show(before)} | {show(after)} | {ratio} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
