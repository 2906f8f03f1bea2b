"""The sync benchmark's portal and request budget, at a size quick enough for the test suite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "sync.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sync_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_sync_reads_list_pages_only_never_one_request_per_person(bench: ModuleType) -> None:
    first, second = await bench.run(people=250, archived=30, teams=6)
    for timed in (first, second):
        paths = [r["path"] for r in timed.sent]
        assert set(paths) <= bench.LIST_PATHS
        # 220 active owners (3 pages), 30 archived (1), 220 users (3), roles, teams, the deal
        # pipelines (supporting metadata), Paragon's /sdk/me.
        assert len(paths) == 3 + 1 + 3 + 1 + 1 + 1 + 1
    assert first.report.people.created == 250
    assert second.report.people.unchanged == 250
    assert 0 < first.http_seconds < first.seconds


def test_the_generated_portal_has_the_requested_shape(bench: ModuleType) -> None:
    block = bench.portal_fixture(people=10, archived=2, teams=3)
    assert len(block["owners"]) == 10 and len(block["users"]) == 8
    assert sum(o["archived"] for o in block["owners"]) == 2
    assert sorted(len(t["members"]) for t in block["teams"]) == [2, 3, 3]
