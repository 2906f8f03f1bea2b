"""Identity sync of a large portal against the in-process sandbox.

Run: ``python benchmarks/sync.py [--people 2000] [--archived 100] [--teams 40]``. Builds a portal
with that many owners and users (a generated fixture: each person is an owner and a user, some
owners archived, everyone in a team), then times a first sync into an empty SQLite store and a
second, no-change sync, and prints the HubSpot requests each made (all list pages; a per-person
request would show up as a path outside the list endpoints). The target is under 5 s for 2,000.
Figures are recorded in docs/identity.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.identity import IdentitySync, SqliteIdentityStore, SyncReport
from tools.hubspot import RequestRecord
from tools.local import LocalPortal, open_local_portal

LIST_PATHS = frozenset(
    {
        "/crm/v3/owners",
        "/settings/v3/users",
        "/settings/v3/users/roles",
        "/settings/v3/users/teams",
        "/crm/v3/pipelines/deals",
        "/projects/sandbox-project/sdk/me",
    }
)


def portal_fixture(people: int, archived: int, teams: int) -> dict[str, Any]:
    """A portal block: ``people`` owners with users, the last ``archived`` owners archived."""
    roles = [{"ref": "rep", "name": "Sales Rep"}, {"ref": "manager", "name": "Sales Manager"}]
    team_refs = [f"team{t}" for t in range(teams)]
    members: dict[str, list[str]] = {ref: [] for ref in team_refs}
    owners, users = [], []
    for i in range(people):
        ref = f"p{i}"
        email = f"rep{i}@big-portal.example"
        gone = i >= people - archived
        team = team_refs[i % teams] if teams else None
        if team and not gone:
            members[team].append(ref)
        owners.append(
            {
                "ref": ref,
                "email": email,
                "firstName": f"Rep{i}",
                "lastName": "Example",
                "archived": gone,
                **({"teams": [team]} if team and not gone else {}),
            }
        )
        if not gone:
            users.append({"ref": f"u{i}", "email": email, "roleId": "manager" if i % 25 == 0 else "rep"})
    team_blocks = [{"ref": ref, "name": f"Team {ref[4:]}", "members": members[ref]} for ref in team_refs]
    return {"roles": roles, "teams": team_blocks, "owners": owners, "users": users}


@dataclass
class Timed:
    """One sync: its report, wall time, the requests the sandbox saw and their round trips."""

    report: SyncReport
    seconds: float
    sent: list[dict[str, Any]]
    http_seconds: float


class Latencies:
    """Request hook summing the client's measured round trips (the sandbox answering, in-process)."""

    def __init__(self) -> None:
        self.total_ms = 0.0

    async def __call__(self, record: RequestRecord) -> None:
        self.total_ms += record.latency_ms


async def timed_sync(sync: IdentitySync, portal: LocalPortal, latencies: Latencies) -> Timed:
    start, http_before = len(portal.sandbox.requests), latencies.total_ms
    began = time.perf_counter()
    report = await sync.sync(portal.connection)
    seconds = time.perf_counter() - began
    http = (latencies.total_ms - http_before) / 1000.0
    return Timed(report, seconds, portal.sandbox.requests[start:], http)


def describe(label: str, t: Timed) -> str:
    by_path = collections.Counter(r["path"] for r in t.sent)
    per_person = [p for p in by_path if p not in LIST_PATHS]
    pages = ", ".join(f"{path} {n}" for path, n in sorted(by_path.items()))
    counts = " ".join(f"{k}={v}" for k, v in t.report.people.as_dict().items())
    return (
        f"{label}: {t.seconds:.2f} s ({t.http_seconds:.2f} s waiting on the sandbox, "
        f"{t.seconds - t.http_seconds:.2f} s in Alysio), {len(t.sent)} HubSpot requests ({pages}); "
        f"per-person requests: {len(per_person)}; {counts}"
    )


async def run(people: int, archived: int, teams: int) -> tuple[Timed, Timed]:
    """Build the portal, then time a first and a no-change sync."""
    began = time.perf_counter()
    latencies = Latencies()
    portal = open_local_portal(portal_fixture(people, archived, teams), request_hook=latencies)
    print(
        f"portal: {people} owners ({archived} archived), {people - archived} users, {teams} teams; "
        f"loaded in {time.perf_counter() - began:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqliteIdentityStore.open(Path(tmp) / "identity.sqlite")
        try:
            sync = IdentitySync(store, portal.client)
            first = await timed_sync(sync, portal, latencies)
            print(describe("first sync", first))
            second = await timed_sync(sync, portal, latencies)
            print(describe("no-change sync", second))
        finally:
            await store.aclose()
            await portal.aclose()
    return first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--archived", type=int, default=100)
    parser.add_argument("--teams", type=int, default=40)
    args = parser.parse_args()
    first, second = asyncio.run(run(args.people, args.archived, args.teams))
    verdict = "OK" if max(first.seconds, second.seconds) < 5.0 else "OVER TARGET"
    print(f"target < 5 s: {verdict}")


if __name__ == "__main__":
    main()
