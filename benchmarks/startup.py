"""Start-up of the command line, timed as whole processes (in the manner of ``hyperfine``).

Usage: ``python -m benchmarks.startup [--runs N] [--warmup K]``.

Each command runs ``K`` times unmeasured (they write Python's bytecode caches, as an installed
package has them, and prepare the data directory), then ``N`` times measured; it prints the
median, the fastest and the slowest wall-clock time and the median CPU time (user + system) of
the process:

- ``chat, first reply``: ``alysio-agent chat`` (sandbox, offline planner) with one question on
  stdin; the time until its reply line is on stdout, and until the process has exited. The data
  directory is the one the warm-up runs made, as on any start after the first;
- ``chat, new data dir``: the same, with a new data directory each run (the first start ever:
  the sandbox's key is made, the demo portal loaded from YAML, the databases created);
- ``tools --format json`` and ``--help``: until the process has exited.

The machine's load (``os.getloadavg``) is printed before and after: on a shared machine, run it
several times and compare medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

QUESTION = "how many open deals does Globex have?\n"
CLI = [sys.executable, "-m", "adapters.cli"]
CHAT = [*CLI, "chat", "--hubspot", "sandbox", "--planner", "offline"]


@dataclass
class Timing:
    """The measured runs of one command, in seconds."""

    name: str
    first_line: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def run_once(command: list[str], env: dict[str, str], stdin: str | None) -> tuple[float, float, float]:
    """Run ``command`` to its end: (seconds to its first stdout line, seconds to exit, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
    first = process.stdout.readline()
    first_line = time.perf_counter() - started
    process.stdout.read()
    if process.wait() != 0 or not first:
        raise RuntimeError(f"{' '.join(command[2:])} failed (exit {process.returncode})")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return first_line, wall, cpu


def measure(
    name: str, command: list[str], env: dict[str, str], runs: int, warmup: int, stdin: str | None = None
) -> Timing:
    """Warm up, then time ``runs`` runs of ``command``."""
    timing = Timing(name)
    for i in range(warmup + runs):
        first_line, wall, cpu = run_once(command, env, stdin)
        if i >= warmup:
            timing.first_line.append(first_line)
            timing.wall.append(wall)
            timing.cpu.append(cpu)
    return timing


def measure_new_data_dir(env: dict[str, str], root: Path, runs: int) -> Timing:
    """The chat's first start ever: a new data directory per run."""
    timing = Timing("chat, new data dir")
    for i in range(runs):
        first_line, wall, cpu = run_once(CHAT, {**env, "ALYSIO_DATA_DIR": str(root / f"new-{i}")}, QUESTION)
        timing.first_line.append(first_line)
        timing.wall.append(wall)
        timing.cpu.append(cpu)
    return timing


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:>8.0f}{min(values) * 1000:>6.0f}{max(values) * 1000:>6.0f}"


def report(timings: list[Timing], runs: int) -> None:
    """Print the table (milliseconds): reply (chat only), exit, and CPU."""
    print(f"{runs} measured runs each, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; ms")
    print(
        f"{'command':<22}{'reply p50':>10}{'min':>6}{'max':>6}{'exit p50':>10}{'min':>6}{'max':>6}{'cpu p50':>9}"
    )
    for t in timings:
        reply = _ms(t.first_line) if t.name.startswith("chat") else f"{'-':>8}{'':>12}"
        print(f"{t.name:<22}  {reply}  {_ms(t.wall)}{statistics.median(t.cpu) * 1000:>9.0f}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs first (default 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALYSIO_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode cached
        env.update({"ALYSIO_DATA_DIR": str(root / "data"), "ALYSIO_HUBSPOT_MODE": "sandbox"})
        print(f"load average before: {_load()}")
        timings = [
            measure("chat, first reply", CHAT, env, args.runs, args.warmup, QUESTION),
            measure_new_data_dir(env, root, args.runs),
            measure("tools --format json", [*CLI, "tools", "--format", "json"], env, args.runs, args.warmup),
            measure("--help", [*CLI, "--help"], env, args.runs, args.warmup),
        ]
        print(f"load average after: {_load()}")
    report(timings, args.runs)


if __name__ == "__main__":
    main()
