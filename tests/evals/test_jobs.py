"""``--jobs N``: the cases run in N worker processes and the report is the same, apart from timings."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import evals.runner as runner_module
from evals.case import load_cases
from evals.report import build_report
from evals.runner import CaseResult, RunOptions, run_cases
from tests.evals.conftest import CASES_DIR

pytestmark = pytest.mark.filterwarnings("ignore:The RSA key is 1024 bits long")

TIMINGS = {"latency_p50_ms", "latency_p95_ms"}


def comparable(results: list[CaseResult], options: RunOptions) -> dict[str, Any]:
    report = build_report(results, options).to_json()
    report["summary"] = {k: v for k, v in report["summary"].items() if k not in TIMINGS}
    report["run"] = {k: v for k, v in report["run"].items() if k not in ("seconds", "jobs")}
    return report


async def test_cases_run_in_worker_processes_give_the_same_report_in_the_same_order() -> None:
    cases = load_cases(CASES_DIR)
    one, two = RunOptions(jobs=1, repeat=2), RunOptions(jobs=2, repeat=2)
    done: list[str] = []
    in_process = await run_cases(cases, one)
    in_workers = await run_cases(cases, two, on_done=lambda r: done.append(r.id))
    assert [(r.id, r.attempt) for r in in_workers] == [(r.id, r.attempt) for r in in_process]
    assert sorted(done) == sorted(r.id for r in in_workers)  # progress is reported as cases finish
    assert comparable(in_workers, two) == comparable(in_process, one)
    assert all(r.passed for r in in_workers)


def test_workers_are_forked_only_from_a_process_without_other_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert runner_module._worker_context().get_start_method() == "fork"
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # e.g. a progress bar's
    assert runner_module._worker_context().get_start_method() in ("forkserver", "spawn")
