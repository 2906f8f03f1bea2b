"""Turn latency of the agent: offline-planner turns against the in-process sandbox.

Usage: ``python benchmarks/turn_latency.py [ROUNDS]``. Each round runs one short conversation
(a question, a deal creation and its approval, a stage move and its approval) on a fresh thread.
Per kind of turn it prints p50/p95 of the whole turn and of the agent's own overhead (the turn
minus the time spent inside HubSpot requests, which the in-process sandbox answers).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.context import AgentContext
from agent.planners.offline import OfflinePlanner
from agent.service import AgentService, Incoming
from tools.hubspot import RequestRecord
from tools.local import open_local_portal
from tools.scopes_catalog import ALL_SCOPES
from tools.settings import load_settings

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TURNS = [
    ("question", "how many open deals does Globex have?"),
    ("create (to confirm)", "Create a new deal for Acme Corp called Bench deal, 50k"),
    ("approve (write)", "yes"),
    ("update (to confirm)", "move that deal to contract sent"),
    ("approve (write)", "yes"),
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(rounds: int) -> None:
    hubspot_ms = 0.0

    async def hook(record: RequestRecord) -> None:
        nonlocal hubspot_ms
        hubspot_ms += record.latency_ms

    # The client's own rate limiter would pace a tight loop like HubSpot's limits do; lift it so the
    # figures are the agent's, not the limiter's waits.
    settings = load_settings(rate_limit_requests=1_000_000, rate_limit_search_per_second=1_000_000)
    portal = open_local_portal("demo", settings=settings, request_hook=hook)
    service = AgentService(portal.client, OfflinePlanner())
    ctx = AgentContext(
        tenant_id="t-local", user_id="u-alex", user_email="alex@acme-sales.io",
        credential_id=portal.connection.credential_id, granted_scopes=frozenset(ALL_SCOPES),
        timezone="America/New_York", now=NOW,
        portal_id=int(str(portal.sandbox.portal.account["portalId"])),
    )  # fmt: skip
    total: dict[str, list[float]] = defaultdict(list)
    overhead: dict[str, list[float]] = defaultdict(list)
    for i in range(rounds + 1):
        for kind, text in TURNS:
            hubspot_ms = 0.0
            start = time.perf_counter()
            await service.handle(f"bench-{i}", ctx, Incoming(text=text))
            elapsed = (time.perf_counter() - start) * 1000
            if i == 0:
                continue  # warm-up round (imports, caches)
            total[kind].append(elapsed)
            overhead[kind].append(elapsed - hubspot_ms)
    await portal.aclose()
    print(f"{rounds} rounds, offline planner, in-process sandbox, Python {sys.version.split()[0]}")
    print(f"{'turn':<22}{'p50 ms':>9}{'p95 ms':>9}{'agent p50':>11}{'agent p95':>11}")
    for kind in total:
        print(
            f"{kind:<22}{statistics.median(total[kind]):>9.1f}{_pct(total[kind], 0.95):>9.1f}"
            f"{statistics.median(overhead[kind]):>11.1f}{_pct(overhead[kind], 0.95):>11.1f}"
        )
    every = [v for values in overhead.values() for v in values]
    print(
        f"agent overhead over all turns: p50 {statistics.median(every):.1f} ms, p95 {_pct(every, 0.95):.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
