"""Speed-up of ``alysio-agent eval --jobs N`` over ``--jobs 1`` (the suite in ``evals/cases``, offline).

Usage: ``python -m benchmarks.eval_jobs [--jobs 1 2 4] [--rounds 3]``.

Each round runs ``alysio-agent eval --jobs N --report ...`` as a whole process for every ``N``
(interleaved, so a change in the machine's load hits every ``N`` alike) and keeps the report's
run time (``seconds``: running the cases, without the process's start-up) and the process's
wall-clock time. It prints the medians, the speed-ups over one job, and checks that every
report is the same apart from timings. Since the machine may be shared, it first measures how
much faster two processes do plain CPU work than one (``ceiling``): no ``--jobs`` figure can
beat what the machine has free.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TIMINGS = {"latency_p50_ms", "latency_p95_ms"}
CLI = [sys.executable, "-m", "adapters.cli", "eval"]


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def ceiling(n: int = 8_000_000) -> float:
    """How much faster two processes do plain CPU work than one, on this machine now."""
    started = time.perf_counter()
    _spin(n)
    one = time.perf_counter() - started
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [1000, 1000])  # the workers are up before the clock starts
        started = time.perf_counter()
        pool.map(_spin, [n // 2, n // 2])
        two = time.perf_counter() - started
    return one / two


def run_eval(jobs: int, report: Path) -> tuple[float, float, dict[str, Any]]:
    """One ``eval --jobs`` process: (its run time from the report, its wall-clock time, the report)."""
    started = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # bytecode cached
    done = subprocess.run(
        [*CLI, "--jobs", str(jobs), "--report", str(report)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"eval --jobs {jobs} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    data = json.loads(report.with_suffix(".json").read_text())
    return float(data["run"]["seconds"]), wall, data


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its timings and its own ``jobs`` figure."""
    summary = {k: v for k, v in report["summary"].items() if k not in TIMINGS}
    run = {k: v for k, v in report["run"].items() if k not in ("seconds", "jobs")}
    return {"summary": summary, "cases": report["cases"], "run": run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env_note = f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    print(f"{env_note}; ceiling (2 processes of plain CPU work vs 1): {ceiling():.2f}x")
    run_seconds: dict[int, list[float]] = {j: [] for j in args.jobs}
    walls: dict[int, list[float]] = {j: [] for j in args.jobs}
    reports: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="eval-jobs-") as tmp:
        for i in range(args.rounds):
            for jobs in args.jobs:
                seconds, wall, report = run_eval(jobs, Path(tmp) / f"r{i}-j{jobs}")
                run_seconds[jobs].append(seconds)
                walls[jobs].append(wall)
                reports.append(comparable(report))
    same = all(r == reports[0] for r in reports)
    base_run, base_wall = statistics.median(run_seconds[args.jobs[0]]), statistics.median(walls[args.jobs[0]])
    print(f"{args.rounds} rounds, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; medians")
    print(f"{'jobs':>4}{'run s':>8}{'speed-up':>10}{'process s':>11}{'speed-up':>10}")
    for jobs in args.jobs:
        run, wall = statistics.median(run_seconds[jobs]), statistics.median(walls[jobs])
        print(f"{jobs:>4}{run:>8.2f}{base_run / run:>9.2f}x{wall:>11.2f}{base_wall / wall:>9.2f}x")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"reports identical apart from timings: {'yes' if same else 'NO'}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
