"""Run hostile-corpus cases through the ``assistant ingest`` command, in this process, and report each as one
JSON line: the exit code, the error lines, whether a traceback was printed, seconds, peak memory so far, what
got indexed and which planted values are anywhere in the case's data dir.

Usage: ``python tests/hostile/run_cases.py CASES.json DATA_ROOT`` (CASES.json: a list of
``{name, paths, domain, secrets}``). Each case gets ``DATA_ROOT/<n>`` as its data dir. A case that runs longer
than its ``seconds`` (else ``HOSTILE_CASE_SECONDS``, default 120) is stopped and reported as ``timeout``; when the process grows past
``HOSTILE_MEMORY_MB`` (default 6,000) resident, the case is reported as ``memory`` and the process exits with 3
(a parser stuck in C code cannot be interrupted otherwise).
"""

from __future__ import annotations

import io
import json
import resource
import signal
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

SECONDS = 120
MEMORY_MB = 6000


class CaseTimeout(BaseException):
    """The case ran past its time budget (a BaseException: the command's per-file error handling must not
    report it as the file's error)."""


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scan(root: Path, values: list[str]) -> list[str]:
    found = set()
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for value in values:
                if value.encode("utf-8") in data or value.encode("utf-16-le") in data:
                    found.add(value)
    return sorted(found)


def _watch_memory(limit_mb: float, current: dict[str, str]) -> None:
    """Kill this process (exit code 3) when its resident memory passes ``limit_mb``, after saying which case."""
    import os
    import threading

    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20

    def watch() -> None:
        while True:
            with open("/proc/self/statm") as statm:
                resident = int(statm.read().split()[1]) * page_mb
            if resident > limit_mb:
                line = {
                    "name": current.get("name", "?"),
                    "outcome": "memory",
                    "exit_code": -1,
                    "resident_mb": round(resident, 1),
                }
                os.write(1, (json.dumps(line) + "\n").encode())
                os._exit(3)
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True).start()


def run(cases: list[dict], data_root: Path, seconds: int, memory_mb: float = MEMORY_MB) -> None:
    from cli import main  # noqa: F401  (import the command line and its models once, outside the timings)
    from pipelines.core.settings import load_settings
    from pipelines.services import Models, Services

    signal.signal(signal.SIGALRM, _alarm)
    current: dict[str, str] = {}
    _watch_memory(memory_mb, current)
    for number, case in enumerate(cases):
        current["name"] = case["name"]
        data = data_root / str(number)
        argv = ["assistant", "--data-dir", str(data), "ingest", "--domain", case["domain"], *case["paths"]]
        out, err = io.StringIO(), io.StringIO()
        before = _peak_mb()
        started = time.perf_counter()
        outcome, code = "done", 0
        signal.alarm(int(case.get("seconds") or seconds))
        try:
            with redirect_stdout(out), redirect_stderr(err):
                sys.argv = argv
                try:
                    main()
                except SystemExit as exit_:
                    code = int(exit_.code or 0)
        except CaseTimeout:
            outcome, code = "timeout", -1
        except MemoryError:
            outcome, code = "memory", -1
        except BaseException:  # a crash the command did not turn into an error line
            outcome, code = "crash", -1
            err.write(traceback.format_exc())
        finally:
            signal.alarm(0)
        seconds_taken = time.perf_counter() - started
        indexed: dict[str, int] = {}
        try:
            settings = load_settings(data_dir=data)
            services = Services(settings, Models.shared())
            for domain in services.domains:
                documents = services.catalog.documents(domain)
                if documents:
                    indexed[domain] = sum(d.chunks for d in documents)
            names = [d.name for domain in services.domains for d in services.catalog.documents(domain)]
        except Exception as exc:  # the data dir itself may be what the case broke
            names = [f"(cannot list: {type(exc).__name__})"]
        stderr = err.getvalue()
        print(
            json.dumps(
                {
                    "name": case["name"],
                    "outcome": outcome,
                    "exit_code": code,
                    "stdout": out.getvalue()[-2000:],
                    "errors": [line for line in stderr.splitlines() if line.startswith("error:")],
                    "traceback": "Traceback" in stderr,
                    "seconds": round(seconds_taken, 2),
                    "peak_mb": round(_peak_mb(), 1),
                    "peak_growth_mb": round(_peak_mb() - before, 1),
                    "indexed_chunks": indexed,
                    "documents": names,
                    "leaked": _scan(data, case.get("secrets", [])) if data.exists() else [],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    import os

    run(
        json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")),
        Path(sys.argv[2]),
        int(os.environ.get("HOSTILE_CASE_SECONDS", SECONDS)),
        float(os.environ.get("HOSTILE_MEMORY_MB", MEMORY_MB)),
    )
