"""What the REST API adds over calling the pipelines in process, and how it scales with concurrent clients.

A real uvicorn server (``api.create_app``, local auth with an API key) on 127.0.0.1 over a temporary data dir,
and the same ``Services`` called in process, in the same run:

- latency of ``POST /api/route`` and ``POST /api/deidentify`` against ``ChatPipeline.route`` and
  ``DomainDeidentifier.pseudonymize`` on the same messages (p50/p95, nearest rank, ``--rounds`` passes over the
  messages after a warm-up pass; one client, one connection kept alive); the overhead is the difference of the
  p50s, against the target of 5 ms;
- throughput of ``/api/route`` with 1, 4 and 16 concurrent clients (requests per second over ``--seconds``).

Messages: the customer messages below (written for this benchmark, with made-up names and numbers). 2 cores.
Writes ``results/api_overhead.{json,md}``. Run: ``.venv/bin/python benchmarks/api_overhead.py``.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api import create_app  # noqa: E402
from pipelines.core.deidentification import scratch_vault  # noqa: E402
from pipelines.core.settings import load_settings  # noqa: E402
from pipelines.services import Models, Services  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
MESSAGES = [
    "Hi, I'm Imogen Fairweather and my card ending 6467 was declined at a shop in Leeds.",
    "How long do I have to dispute a card payment?",
    "Someone called saying they were from the bank and asked me to move my savings to a safe account.",
    "What causes asthma attacks at night?",
    "Please write a unit test for a function that parses ISO dates in Python.",
    "My name is Piotr Nowak, born 12/03/1984, and I need a new PIN sent to 14 Carlton Road.",
    "Can I transfer money abroad from the app, and what is the fee?",
    "The patient, Mrs. Okafor, reports chest pain since Tuesday; call her on 07700 900123.",
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))]


def _timed(call: Any, rounds: int) -> list[float]:
    for message in MESSAGES:  # warm-up
        call(message)
    timings = []
    for _ in range(rounds):
        for message in MESSAGES:
            started = time.perf_counter()
            call(message)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "data")
        settings.ingest.index_samples_on_start = False
        settings.auth.mode = "local"
        settings.api.rate_limit_per_minute = 1_000_000
        services = Services(settings, Models.shared())
        services.accounts.add_user("bench", "admin", "a long benchmark password")
        key = services.accounts.create_key("bench", "bench").key
        app = create_app(services, services.accounts, services.session_label_secret)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key}"}
        rows = []
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            endpoints = {
                "route": (
                    lambda m: services.chat.route(m),
                    lambda m: client.post("/api/route", json={"question": m}).raise_for_status(),
                ),
                "deidentify": (
                    lambda m: services.deidentification.pseudonymize(m, scratch_vault("bench"), None),
                    lambda m: client.post("/api/deidentify", json={"text": m}).raise_for_status(),
                ),
            }
            for name, (in_process, over_http) in endpoints.items():
                local = _timed(in_process, args.rounds)
                remote = _timed(over_http, args.rounds)
                row = {
                    "endpoint": f"/api/{name}",
                    "in_process_p50_ms": round(_percentile(local, 0.5), 2),
                    "in_process_p95_ms": round(_percentile(local, 0.95), 2),
                    "api_p50_ms": round(_percentile(remote, 0.5), 2),
                    "api_p95_ms": round(_percentile(remote, 0.95), 2),
                }
                row["overhead_p50_ms"] = round(row["api_p50_ms"] - row["in_process_p50_ms"], 2)
                row["within_5_ms"] = row["overhead_p50_ms"] <= 5.0
                rows.append(row)
                print(row, flush=True)

        throughput = []
        for clients in (1, 4, 16):
            done = [0] * clients
            stop = time.perf_counter() + args.seconds

            def worker(index: int, stop: float = stop, done: list[int] = done) -> None:
                with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
                    n = 0
                    while time.perf_counter() < stop:
                        client.post(
                            "/api/route", json={"question": MESSAGES[n % len(MESSAGES)]}
                        ).raise_for_status()
                        n += 1
                    done[index] = n

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(worker, range(clients)))
            elapsed = time.perf_counter() - started
            throughput.append(
                {"clients": clients, "requests": sum(done), "per_second": round(sum(done) / elapsed, 1)}
            )
            print(throughput[-1], flush=True)
        server.should_exit = True

    RESULTS.mkdir(exist_ok=True)
    result = {"latency": rows, "throughput": throughput, "rounds": args.rounds, "messages": len(MESSAGES)}
    (RESULTS / "api_overhead.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# REST API overhead",
        "",
        f"`.venv/bin/python benchmarks/api_overhead.py` on 2 cores: {len(MESSAGES)} messages x {args.rounds} rounds, "
        "one keep-alive client; in process and over HTTP in the same run.",
        "",
        "| endpoint | in process p50 / p95 ms | API p50 / p95 ms | overhead p50 ms | within 5 ms |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['endpoint']}` | {r['in_process_p50_ms']} / {r['in_process_p95_ms']} | {r['api_p50_ms']} / "
            f"{r['api_p95_ms']} | {r['overhead_p50_ms']} | {r['within_5_ms']} |"
        )
    lines += ["", "| concurrent clients | requests | requests per second (`/api/route`) |", "|---|---|---|"]
    lines += [f"| {t['clients']} | {t['requests']} | {t['per_second']} |" for t in throughput]
    (RESULTS / "api_overhead.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
