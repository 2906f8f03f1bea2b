"""Turn latency of the agent: offline-planner turns against the in-process sandbox.

Usage: ``python -m benchmarks.turn_latency [ROUNDS] [--setup sqlite|memory] [--durability MODE]``.

Each round runs one short conversation (a question, a deal creation and its approval, a stage
move and its approval) on a fresh thread, through the service as ``alysio-agent chat`` opens it
(:func:`agent.runtime.open_service`): ``sqlite`` is the chat's own setup (SQLite checkpoints,
write ledger, identity store and audit log in a fresh data directory), ``memory`` the same
service with everything in memory. Both run by default, each in a fresh process so that one
does not tidy the heap for the other. After a warm-up round the garbage collector is settled as
the chat does after start-up (:func:`agent.runtime.settle_after_startup`).

Per kind of turn it prints p50, p95 and max of the whole turn, the agent's own part (the turn
minus the time spent inside HubSpot requests, which the in-process sandbox answers), the CPU
time of the process during the turn (SQLite's worker threads included) and how many times the
turn saved to the checkpointer (``aput`` and ``aput_writes`` calls; each is one SQLite commit). ``--durability``
forces one LangGraph durability for every run instead of the service's choice per run
(:func:`agent.service.durability_for`), to compare them; ``--no-freeze`` leaves the garbage
collector as it is, to see the tail that full collections cause.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.runtime import context_for, open_service, settle_after_startup
from agent.service import Incoming
from tools.hubspot import RequestRecord
from tools.settings import load_settings

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TURNS = [
    ("question", "how many open deals does Globex have?"),
    ("create (to confirm)", "Create a new deal for Acme Corp called Bench deal, 50k"),
    ("approve (write)", "yes"),
    ("update (to confirm)", "move that deal to contract sent"),
    ("approve (write)", "yes"),
]
SETUPS = ("sqlite", "memory")
DURABILITIES = ("sync", "async", "exit")


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    rounds: int, setup: str, durability: str | None, data_dir: Path, *, freeze: bool = True
) -> dict[str, Any]:
    """Run the rounds; per kind of turn the wall, agent and CPU milliseconds of every measured turn."""
    hubspot_ms = 0.0

    async def hook(record: RequestRecord) -> None:
        nonlocal hubspot_ms
        hubspot_ms += record.latency_ms

    # The client's own rate limiter would pace a tight loop like HubSpot's limits do; lift it so the
    # figures are the agent's, not the limiter's waits.
    settings = load_settings(
        hubspot_mode="sandbox",
        planner="offline",
        data_dir=data_dir,
        rate_limit_requests=100_000,
        rate_limit_search_per_second=1000,
    )
    figures: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    saves = 0
    async with open_service(settings, persist=setup == "sqlite") as (service, client):
        client.client.add_request_hook(hook)
        saver: Any = service.graph.checkpointer

        def counted(method: Any) -> Any:
            async def call(*args: Any, **kwargs: Any) -> Any:
                nonlocal saves
                saves += 1
                return await method(*args, **kwargs)

            return call

        saver.aput, saver.aput_writes = counted(saver.aput), counted(saver.aput_writes)
        if durability is not None:
            service.durability = durability  # type: ignore[assignment]
        ctx = context_for(settings, client, now=NOW)
        for i in range(rounds + 1):
            if i == 1 and freeze:
                settle_after_startup()  # as the chat does once it is up
            for kind, text in TURNS:
                hubspot_ms, saves = 0.0, 0
                cpu, start = time.process_time(), time.perf_counter()
                events = await service.handle(f"bench-{i}", ctx, Incoming(text=text))
                elapsed = (time.perf_counter() - start) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000
                if any(e.type == "error" for e in events):
                    raise RuntimeError(f"turn {kind!r} failed: {events}")
                if i == 0:
                    continue  # warm-up round (imports, caches)
                figures[kind]["wall"].append(elapsed)
                figures[kind]["agent"].append(elapsed - hubspot_ms)
                figures[kind]["cpu"].append(cpu_ms)
                figures[kind]["saves"].append(saves)
    return figures


def report(rounds: int, setup: str, durability: str | None, figures: dict[str, Any]) -> None:
    """Print one setup's table."""
    mode = durability or "per run (sync where a write may be sent, else exit)"
    print(f"\n{setup}: {rounds} rounds, durability {mode}, Python {sys.version.split()[0]}")
    print(
        f"{'turn':<22}{'p50 ms':>8}{'p95':>7}{'max':>7}{'agent p50':>11}{'p95':>7}{'cpu p50':>9}{'p95':>7}"
        f"{'saves':>7}"
    )
    for kind, f in figures.items():
        print(
            f"{kind:<22}{statistics.median(f['wall']):>8.1f}{pct(f['wall'], 0.95):>7.1f}{max(f['wall']):>7.1f}"
            f"{statistics.median(f['agent']):>11.1f}{pct(f['agent'], 0.95):>7.1f}"
            f"{statistics.median(f['cpu']):>9.1f}{pct(f['cpu'], 0.95):>7.1f}{statistics.median(f['saves']):>7.0f}"
        )
    agent = [v for f in figures.values() for v in f["agent"]]
    cpu = [v for f in figures.values() for v in f["cpu"]]
    approve = figures["approve (write)"]["wall"]
    print(
        f"all turns: agent p50 {statistics.median(agent):.1f} ms, p95 {pct(agent, 0.95):.1f} ms; "
        f"cpu p50 {statistics.median(cpu):.1f} ms, p95 {pct(cpu, 0.95):.1f} ms; "
        f"approve max/median {max(approve) / statistics.median(approve):.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="?", type=int, default=30)
    parser.add_argument(
        "--setup", choices=SETUPS, help="one setup only (default: both, each in its own process)"
    )
    parser.add_argument("--durability", choices=DURABILITIES, help="force one durability for every run")
    parser.add_argument("--no-freeze", action="store_true", help="do not freeze start-up's objects")
    args = parser.parse_args()
    if args.setup is None:
        for setup in SETUPS:
            command = [sys.executable, "-m", "benchmarks.turn_latency", str(args.rounds), "--setup", setup]
            if args.durability:
                command += ["--durability", args.durability]
            if args.no_freeze:
                command.append("--no-freeze")
            subprocess.run(command, check=True)
        return
    with tempfile.TemporaryDirectory(prefix="turn-latency-") as tmp:
        figures = asyncio.run(
            measure(args.rounds, args.setup, args.durability, Path(tmp), freeze=not args.no_freeze)
        )
    report(args.rounds, args.setup, args.durability, figures)
    if args.no_freeze:
        print("(garbage collector not frozen after start-up)")


if __name__ == "__main__":
    main()
