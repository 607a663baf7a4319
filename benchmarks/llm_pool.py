"""The host pool (issue 19): what failover costs, what the pool adds over a direct client, and what choosing
the ``auto`` backend costs per turn before and after health caching.

Servers, as child processes on free local ports (``tests/pipelines/llm/servers.py``): two llama-cpp-python
OpenAI-compatible servers (``llama_cpp.server``, the bundled Gemma 3 270M Q4_K_M, 1 thread, n_ctx 512) and one
Ollama stand-in (``tests/fixtures/ollama_standin.py``: a fixed echo, no model; no Ollama binary exists here).
2 cores, shared by the three processes and this one.

1. **Failover**: a pool over the two llama.cpp servers, warm; the host the pool would choose next is killed
   (SIGKILL) and a request is sent at once: time from the kill to that request's first token (the pool's refused
   connection, its retry on the other host, the other host's first token). ``--failovers`` times, the killed
   server restarted and back in the pool between them. Baseline in the same run: the first-token time of a
   request to the healthy host with nothing killed.
2. **Overhead**: first-token latency (request sent -> first content chunk) of a short prompt (at most 2 new
   tokens), ``--rounds`` rounds alternating the direct client (``ChatOpenAI`` / ``ChatOllama`` built as the
   backend builds them, one host) and the pooled chat model over a pool of that one host; p50 and p95 (nearest
   rank); the overhead is the difference of the p50s. Against the llama.cpp server (a real model) and the
   stand-in (no model: the pool's own cost shows).
3. **auto's choice per turn**: a configured Ollama host that never answers (a port that accepts connections and
   stays silent: this sandbox answers or refuses unroutable addresses such as 10.255.255.1 at once, so a silent
   listener stands in for a host dropping packets), probe timeout 1.5 s (the default). Before: the per-turn probe
   as it was (``ollama.Client(host, timeout).list()`` on every configured host on every turn, copied below from
   ``pipelines/llm/ollama.py`` before issue 19); after: ``resolve_backend(settings, "auto", pools=...)`` with the
   pools of one ``Services``. ``--turns`` turns ``--turn-gap`` seconds apart (the rest of a turn, not counted:
   10 turns span more than ``retry_after_s``, so background re-probes happen during the run); scenarios: the silent host alone (auto falls back
   to llama.cpp), and the silent host listed before a healthy one (the stand-in).

Writes ``results/llm_pool.{json,md}``. Run: ``.venv/bin/python benchmarks/llm_pool.py`` (about 2 minutes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_core.language_models.chat_models import BaseChatModel  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import HumanMessage  # noqa: E402

from pipelines.core.settings import OllamaSettings, OpenAISettings, load_settings  # noqa: E402
from pipelines.llm.backends import Backend, resolve_backend  # noqa: E402
from pipelines.llm.limits import StreamLimits  # noqa: E402
from pipelines.llm.llamacpp import default_gguf_path  # noqa: E402
from pipelines.llm.ollama import build_ollama_chat, ollama_kind, ollama_options  # noqa: E402
from pipelines.llm.openai_server import build_openai_chat, openai_kind, openai_options  # noqa: E402
from pipelines.llm.pool import HostPool, HostPools, PooledChatModel, pool_hosts  # noqa: E402
from tests.pipelines.llm.servers import (  # noqa: E402
    LLAMA_ALIAS,
    STANDIN_MODEL,
    BlackHole,
    ServerProcess,
    llama_server,
    ollama_standin,
)

RESULTS = ROOT / "benchmarks" / "results"
SHORT = [HumanMessage("The capital of France is")]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def first_token_ms(chat: BaseChatModel, messages: list[Any] = SHORT) -> float:
    """Milliseconds from the request to the first chunk with content or reasoning (the stream is drained)."""
    started = time.perf_counter()
    first = None
    for chunk in chat.stream(messages):
        if first is None and (chunk.content or chunk.additional_kwargs.get("reasoning_content")):
            first = (time.perf_counter() - started) * 1000
    return round(first if first is not None else (time.perf_counter() - started) * 1000, 2)


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95 and mean of ``values`` (ms), rounded."""
    return {
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "mean": round(statistics.fmean(values), 2),
    }


# --- 1. failover --------------------------------------------------------------------------------------------


def next_choice(pool: HostPool) -> str:
    """The base URL the pool would choose next (its rule: fewest in flight, then fewest served, per weight)."""
    status = {s["host"]: s for s in pool.status()}
    return min(
        pool.hosts,
        key=lambda h: (status[h.name]["in_flight"] / h.weight, status[h.name]["served"] / h.weight),
    ).name


def failover(servers: list[ServerProcess], rounds: int) -> dict[str, Any]:
    settings = OpenAISettings(
        hosts=[s.url for s in servers], model=LLAMA_ALIAS, num_predict=2, temperature=0.0, retry_after_s=0.2
    )
    times, healthy = [], []
    for _ in range(rounds):
        for server in servers:
            if not server.running:
                server.start()
        pool = HostPool(openai_kind(), settings)
        chat = PooledChatModel(pool=pool, options=openai_options(settings))
        for turn in range(4):  # warm: both hosts probed and used (the first two not counted: probes, cold)
            took = first_token_ms(chat)
            if turn >= 2:
                healthy.append(took)
        victim = next(s for s in servers if s.url == next_choice(pool))
        killed = time.perf_counter()
        victim.kill()
        first_token_ms(chat)
        times.append(round((time.perf_counter() - killed) * 1000, 2))
        assert chat.last_host != victim.url, "the request was answered by the killed host"
    for server in servers:
        if not server.running:
            server.start()
    return {
        "kill_to_first_token_ms": summary(times),
        "healthy_first_token_ms": summary(healthy),
        "rounds": rounds,
    }


# --- 2. overhead --------------------------------------------------------------------------------------------


def overhead(
    name: str, direct: BaseChatModel, pooled: BaseChatModel, rounds: int, messages: list[Any] = SHORT
) -> dict[str, Any]:
    for chat in (direct, pooled):  # warm-up: connections, the server's prompt cache
        first_token_ms(chat, messages)
    direct_ms, pooled_ms = [], []
    for _ in range(rounds):
        direct_ms.append(first_token_ms(direct, messages))
        pooled_ms.append(first_token_ms(pooled, messages))
    d, p = summary(direct_ms), summary(pooled_ms)
    return {
        "server": name,
        "direct_ms": d,
        "pool_ms": p,
        "overhead_p50_ms": round(p["p50"] - d["p50"], 2),
        "ratio_p50": round(p["p50"] / d["p50"], 3) if d["p50"] else None,
        "rounds": rounds,
    }


def overhead_openai(server: ServerProcess, rounds: int) -> dict[str, Any]:
    settings = OpenAISettings(hosts=[server.url], model=LLAMA_ALIAS, num_predict=2, temperature=0.0)
    (host,) = pool_hosts(settings)
    direct = build_openai_chat(host, openai_options(settings), StreamLimits.of(settings))
    pooled = PooledChatModel(pool=HostPool(openai_kind(), settings), options=openai_options(settings))
    return overhead("llama_cpp.server (Gemma 3 270M), openai backend", direct, pooled, rounds)


def overhead_ollama(server: ServerProcess, rounds: int) -> dict[str, Any]:
    settings = OllamaSettings(hosts=[server.url], model=STANDIN_MODEL, num_predict=2)
    direct = build_ollama_chat(settings, server.url)
    pool = HostPool(ollama_kind(settings), settings)
    pooled = PooledChatModel(pool=pool, options=ollama_options(settings))
    return overhead("Ollama stand-in (echo, no model), ollama backend", direct, pooled, rounds)


# --- 3. auto's choice per turn --------------------------------------------------------------------------------


def probe_before(settings: OllamaSettings) -> str | None:
    """The per-turn probe before issue 19 (``probe_ollama``, abridged to its network calls): every host in
    order, ``ollama.Client(host, timeout=probe_timeout_s).list()``, until one lists the model."""
    import httpx
    import ollama

    for host in settings.hosts:
        try:
            listing = ollama.Client(host=str(host), timeout=settings.probe_timeout_s).list()
        except (httpx.HTTPError, ConnectionError, ollama.ResponseError):
            continue
        if settings.model in {str(m.model) for m in listing.models}:
            return str(host)
    return None


def per_turn(choose: Callable[[], object], turns: int, gap_s: float) -> dict[str, Any]:
    """Time ``choose()`` on ``turns`` turns, ``gap_s`` apart (the rest of a turn: not counted)."""
    times = []
    for _ in range(turns):
        started = time.perf_counter()
        choose()
        times.append(round((time.perf_counter() - started) * 1000, 3))
        time.sleep(gap_s)
    later = times[1:]
    return {
        **summary(times),
        "first": times[0],
        "later_mean": round(statistics.fmean(later), 3),
        "later_max": max(later),
        "turns": turns,
    }


def auto_choice(standin: ServerProcess, turns: int, gap_s: float, data_dir: Path) -> list[dict[str, Any]]:
    llama = Backend("llamacpp", "gemma", GenericFakeChatModel(messages=iter([])))  # never asked: only chosen
    rows = []
    with BlackHole() as silent:
        for scenario, hosts in (
            ("silent host only (auto falls back to llama.cpp)", [silent.url]),
            ("silent host, then a healthy one", [silent.url, standin.url]),
        ):
            settings = load_settings(data_dir=data_dir)
            settings.ollama.hosts = list(hosts)
            settings.ollama.model = STANDIN_MODEL
            pools = HostPools()
            before = per_turn(lambda s=settings: probe_before(s.ollama), turns, gap_s)
            after = per_turn(
                lambda s=settings, p=pools: resolve_backend(s, "auto", lambda: llama, p), turns, gap_s
            )
            chosen = resolve_backend(settings, "auto", lambda: llama, pools).name
            rows.append(
                {
                    "scenario": scenario,
                    "chosen": chosen,
                    "probe_timeout_s": settings.ollama.probe_timeout_s,
                    "before_ms": before,
                    "after_ms": after,
                    "ratio_mean": round(after["mean"] / before["mean"], 4),
                }
            )
    return rows


# --- report -------------------------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    f = result["failover"]
    lines = [
        "# Host pool: failover, overhead, auto's choice per turn",
        "",
        f"`.venv/bin/python benchmarks/llm_pool.py` on 2 cores ({result['date']}): two llama-cpp-python servers "
        "(Gemma 3 270M, 1 thread each) and an Ollama stand-in (an echo: no Ollama binary here) as child processes; "
        "baselines in the same run.",
        "",
        "## Failover (host killed -> next successful first token)",
        "",
        "| | p50 ms | p95 ms | mean ms | runs |",
        "|---|---|---|---|---|",
        f"| kill -> first token of the next request (retried on the other host) | {f['kill_to_first_token_ms']['p50']} | "
        f"{f['kill_to_first_token_ms']['p95']} | {f['kill_to_first_token_ms']['mean']} | {f['rounds']} |",
        f"| baseline: first token, both hosts healthy | {f['healthy_first_token_ms']['p50']} | "
        f"{f['healthy_first_token_ms']['p95']} | {f['healthy_first_token_ms']['mean']} | {2 * f['rounds']} |",
        "",
        f"Failover adds {round(f['kill_to_first_token_ms']['p50'] - f['healthy_first_token_ms']['p50'], 1)} ms at the "
        f"median (ratio {round(f['kill_to_first_token_ms']['p50'] / f['healthy_first_token_ms']['p50'], 2)}).",
        "",
        "## Pool overhead (first-token latency, short prompt, at most 2 new tokens)",
        "",
        "| server | direct p50 / p95 ms | pool p50 / p95 ms | overhead p50 ms | ratio p50 | rounds |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["overhead"]:
        lines.append(
            f"| {row['server']} | {row['direct_ms']['p50']} / {row['direct_ms']['p95']} | {row['pool_ms']['p50']} / "
            f"{row['pool_ms']['p95']} | {row['overhead_p50_ms']} | {row['ratio_p50']} | {row['rounds']} |"
        )
    lines += [
        "",
        "## `auto`'s choice per turn, a configured host that never answers (probe timeout 1.5 s)",
        "",
        "| scenario | chosen | before: probe every turn, mean / max ms | after: first turn ms | after: later turns, mean / max ms | after: all turns, mean ms | ratio of means (after / before) | turns |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["auto"]:
        b, a = row["before_ms"], row["after_ms"]
        lines.append(
            f"| {row['scenario']} | {row['chosen']} | {b['mean']} / {max(b['first'], b['later_max'])} | "
            f"{a['first']} | {a['later_mean']} / {a['later_max']} | {a['mean']} | {row['ratio_mean']} | {a['turns']} |"
        )
    lines += [
        "",
        "After: the first turn probes; with only the silent host it waits for the probe timeout once, with a "
        "healthy host beside it the wait ends when that one answers. Later turns use the cached state; a host taken "
        "out is probed again in the background every `retry_after_s` (5 s) and no turn waits for it. Before: every "
        "turn waited for the probe timeout of the silent host.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failovers", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--turn-gap", type=float, default=1.0, help="seconds between turns (not counted)")
    args = parser.parse_args()
    gguf = default_gguf_path()
    servers = [llama_server(gguf), llama_server(gguf)]
    standin = ollama_standin()
    try:
        for server in [*servers, standin]:
            server.start()
        result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d", time.gmtime())}
        result["overhead"] = [overhead_openai(servers[0], args.rounds), overhead_ollama(standin, args.rounds)]
        result["failover"] = failover(servers, args.failovers)
        with tempfile.TemporaryDirectory() as data:
            result["auto"] = auto_choice(standin, args.turns, args.turn_gap, Path(data))
    finally:
        for server in [*servers, standin]:
            server.kill()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "llm_pool.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "llm_pool.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
