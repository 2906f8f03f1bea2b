"""Search latency over a 10,000-contact sandbox portal, in-process (httpx + ASGITransport).

Run: ``python benchmarks/sandbox_search.py [--contacts 10000] [--runs 60]``. Prints p50/p95 per
search in milliseconds; the target is p95 < 20 ms. Figures are recorded in docs/sandbox.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from typing import Any

import httpx

from tools.sandbox import create_app
from tools.scopes_catalog import ALL_SCOPES

FIRST = ["Jane", "John", "Ana", "Luis", "Mia", "Noah", "Emma", "Liam", "Zoe", "Omar", "Ivy", "Kai"]
LAST = ["Doe", "Smith", "Garcia", "Chen", "Patel", "Kim", "Nguyen", "Brown", "Lopez", "Khan"]
STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]

SEARCHES: dict[str, dict[str, Any]] = {
    "query (name prefix)": {"query": "jan", "limit": 20},
    "EQ email": {
        "filterGroups": [
            {"filters": [{"propertyName": "email", "operator": "EQ", "value": "c4242@corp42.example"}]}
        ]
    },
    "IN enum + sort": {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "lifecyclestage", "operator": "IN", "values": ["lead", "customer"]}
                ]
            }
        ],
        "sorts": [{"propertyName": "lastname", "direction": "ASCENDING"}],
        "limit": 100,
    },
    "date range + sort desc": {
        "filterGroups": [
            {
                "filters": [
                    {
                        "propertyName": "createdate",
                        "operator": "BETWEEN",
                        "value": "0",
                        "highValue": "4102444800000",
                    }
                ]
            }
        ],
        "sorts": ["-createdate"],
        "limit": 50,
    },
    "CONTAINS_TOKEN wildcard": {
        "filterGroups": [
            {"filters": [{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@corp7.example"}]}
        ]
    },
    "2 groups x 3 filters, page 5": {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "firstname", "operator": "EQ", "value": "mia"},
                    {"propertyName": "lastname", "operator": "NEQ", "value": "doe"},
                    {"propertyName": "jobtitle", "operator": "HAS_PROPERTY"},
                ]
            },
            {
                "filters": [
                    {"propertyName": "lifecyclestage", "operator": "EQ", "value": "opportunity"},
                    {"propertyName": "city", "operator": "NOT_HAS_PROPERTY"},
                    {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "corp1*"},
                ]
            },
        ],
        "limit": 20,
        "after": "80",
    },
}


def portal(n: int) -> dict[str, Any]:
    """A deterministic portal block with ``n`` contacts."""
    rng = random.Random(42)
    contacts = []
    for i in range(n):
        props = {
            "firstname": rng.choice(FIRST),
            "lastname": rng.choice(LAST),
            "email": f"c{i}@corp{i % 100}.example",
            "lifecyclestage": rng.choice(STAGES),
        }
        if i % 3:
            props["jobtitle"] = rng.choice(["CTO", "VP Sales", "Buyer", "Engineer"])
        contacts.append({"ref": f"c{i}", "properties": props})
    return {"contacts": contacts}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def main(contacts: int, runs: int) -> None:
    started = time.perf_counter()
    app = create_app(portal(contacts))
    load_s = time.perf_counter() - started
    token = app.sandbox.create_token(ALL_SCOPES)
    print(f"portal: {contacts} contacts loaded in {load_s:.1f} s; {runs} runs per search")
    print(f"{'search':32} {'total':>6} {'p50 ms':>8} {'p95 ms':>8}")
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1:8765", headers=headers
    ) as client:
        for name, body in SEARCHES.items():
            timings: list[float] = []
            total = 0
            for _ in range(runs):
                t0 = time.perf_counter()
                r = await client.post("/crm/v3/objects/contacts/search", json=body)
                timings.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                total = r.json()["total"]
            print(f"{name:32} {total:>6} {statistics.median(timings):>8.2f} {percentile(timings, 95):>8.2f}")
        # A write invalidates the column cache: the next search rebuilds the columns it needs.
        timings = []
        contact_id = app.sandbox.state()["records"]["contacts"][0]["id"]
        body = SEARCHES["EQ email"]
        for i in range(runs):
            await client.patch(
                f"/crm/v3/objects/contacts/{contact_id}", json={"properties": {"jobtitle": f"T{i}"}}
            )
            t0 = time.perf_counter()
            r = await client.post("/crm/v3/objects/contacts/search", json=body)
            timings.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
        name = "EQ email, first after a write"
        print(
            f"{name:32} {r.json()['total']:>6} {statistics.median(timings):>8.2f} {percentile(timings, 95):>8.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.contacts, args.runs))
