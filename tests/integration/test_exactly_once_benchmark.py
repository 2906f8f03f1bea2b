"""The exactly-once benchmark, run small: real processes, one sandbox HubSpot, races, kills, a slow HubSpot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_benchmark_finds_no_duplicate_no_loss_and_no_false_done() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.exactly_once", "--trials", "2"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    last = run.stdout.strip().splitlines()[-1]
    figures = dict(part.split("=") for part in last.split())
    assert figures["trials"] == "6"
    assert (figures["duplicates"], figures["lost"], figures["false_done"]) == ("0", "0", "0"), run.stdout
    assert run.returncode == 0, run.stderr[-2000:]
