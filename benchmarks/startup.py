"""Start-up of the command line, timed as whole processes (in the manner of ``hyperfine``).

Usage: ``python -m benchmarks.startup [--runs N] [--warmup K] [--against DIR]``.

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

``--against DIR`` also times another checkout of the project (an older commit, run with this
environment's packages), interleaving its runs with this one's so that the machine's load
weighs on both alike. The load average (``os.getloadavg``) is printed before and after: on a
shared machine, run it several times and compare medians; CPU time is steadier than wall-clock.
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
HERE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Command:
    """One command line to time; ``new_data_dir``: a fresh data directory for every run."""

    name: str
    argv: list[str]
    stdin: str | None = None
    new_data_dir: bool = False


COMMANDS = [
    Command("chat, first reply", CHAT, QUESTION),
    Command("chat, new data dir", CHAT, QUESTION, new_data_dir=True),
    Command("tools --format json", [*CLI, "tools", "--format", "json"]),
    Command("--help", [*CLI, "--help"]),
]


@dataclass
class Timing:
    """The measured runs of one command in one checkout, in seconds."""

    first_line: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def run_once(command: Command, cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``command`` in ``cwd`` to its end: (seconds to its first stdout line, to exit, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command.argv,
        cwd=cwd,
        stdin=subprocess.PIPE if command.stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    if command.stdin is not None:
        assert process.stdin is not None
        process.stdin.write(command.stdin)
        process.stdin.close()
    first = process.stdout.readline()
    first_line = time.perf_counter() - started
    process.stdout.read()
    if process.wait() != 0 or not first:
        raise RuntimeError(f"{command.name} failed in {cwd} (exit {process.returncode})")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return first_line, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(
    checkouts: dict[str, Path], env: dict[str, str], root: Path, runs: int, warmup: int
) -> dict[tuple[str, str], Timing]:
    """Time every command in every checkout, their runs interleaved; {(command, checkout): Timing}."""
    timings = {(c.name, name): Timing() for c in COMMANDS for name in checkouts}
    for command in COMMANDS:
        for i in range((0 if command.new_data_dir else warmup) + runs):
            order = list(checkouts) if i % 2 == 0 else list(reversed(checkouts))
            for name in order:
                data = root / name / (f"new-{i}" if command.new_data_dir else "data")
                run_env = {**env, "ALYSIO_DATA_DIR": str(data)}
                first_line, wall, cpu = run_once(command, checkouts[name], run_env)
                if command.new_data_dir or i >= warmup:
                    timing = timings[(command.name, name)]
                    timing.first_line.append(first_line)
                    timing.wall.append(wall)
                    timing.cpu.append(cpu)
    return timings


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:>8.0f}{min(values) * 1000:>6.0f}{max(values) * 1000:>6.0f}"


def report(timings: dict[tuple[str, str], Timing], checkouts: dict[str, Path], runs: int) -> None:
    """Print one table per checkout (milliseconds): reply (chat only), exit, and CPU."""
    print(f"{runs} measured runs each, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; ms")
    for name, path in checkouts.items():
        print(f"\n{name} ({path})")
        print(
            f"{'command':<22}{'reply p50':>10}{'min':>6}{'max':>6}{'exit p50':>10}{'min':>6}{'max':>6}"
            f"{'cpu p50':>9}"
        )
        for command in COMMANDS:
            t = timings[(command.name, name)]
            reply = _ms(t.first_line) if command.stdin is not None else f"{'-':>8}{'':>12}"
            print(f"{command.name:<22}  {reply}  {_ms(t.wall)}{statistics.median(t.cpu) * 1000:>9.0f}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs first (default 2)")
    parser.add_argument("--against", type=Path, metavar="DIR", help="another checkout to time alike")
    args = parser.parse_args()
    checkouts = {"this checkout": HERE}
    if args.against is not None:
        checkouts["against"] = args.against.resolve()
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALYSIO_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode cached
        env["ALYSIO_HUBSPOT_MODE"] = "sandbox"
        print(f"load average before: {_load()}")
        timings = measure(checkouts, env, Path(tmp), args.runs, args.warmup)
        print(f"load average after: {_load()}")
    report(timings, checkouts, args.runs)


if __name__ == "__main__":
    main()
