"""The overhead benchmark keeps running (a smoke run; timings are not asserted here)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "client_overhead.py"


async def test_benchmark_reports_overhead_and_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    module = runpy.run_path(str(BENCHMARK), run_name="benchmark")
    await module["main"](n=20, rounds=1)
    out = capsys.readouterr().out
    assert "overhead:" in out and "ratio:" in out and "bare httpx:" in out
