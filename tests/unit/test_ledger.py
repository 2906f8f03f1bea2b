"""The write ledger: one claimant per approved step, leases that expire, owners of threads.

Run against both backends; the SQLite one also with two connections on one file (as two
processes share it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent.ledger import MemoryWriteLedger, SqliteWriteLedger, WriteLedger


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["memory", "sqlite"])
async def ledger_and_clock(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[WriteLedger, Clock]]:
    clock = Clock()
    ledger: WriteLedger
    if request.param == "memory":
        ledger = MemoryWriteLedger(clock)
    else:
        ledger = await SqliteWriteLedger.open(tmp_path / "ledger.sqlite", clock=clock)
    yield ledger, clock
    await ledger.aclose()


async def test_only_the_first_claim_wins_and_others_see_its_row(
    ledger_and_clock: tuple[WriteLedger, Clock],
) -> None:
    ledger, _ = ledger_and_clock
    won_a, _ = await ledger.claim(
        "p1:0", thread="t", digest="d1", holder="a", object_type="deals", lease_seconds=10
    )
    won_b, row_b = await ledger.claim(
        "p1:0", thread="t", digest="d1", holder="b", object_type="deals", lease_seconds=10
    )
    assert (won_a, won_b) == (True, False)
    assert row_b.holder == "a" and row_b.status == "sending" and not row_b.settled


async def test_settle_only_by_the_holder_and_only_once(ledger_and_clock: tuple[WriteLedger, Clock]) -> None:
    ledger, _ = ledger_and_clock
    await ledger.claim("p1:0", thread="t", digest="d1", holder="a", object_type="deals", lease_seconds=10)
    assert await ledger.settle("p1:0", "b", "done", result={"id": "9"}) is None
    row = await ledger.settle("p1:0", "a", "done", result={"id": "42"})
    assert row is not None and row.status == "done" and row.record_id == "42" and row.result == {"id": "42"}
    assert await ledger.settle("p1:0", "a", "failed", error={"kind": "upstream"}) is None
    assert await ledger.created_ids("deals", since=0) == {"42"}
    assert await ledger.created_ids("contacts", since=0) == set()


async def test_take_over_needs_an_expired_lease_and_the_expected_holder(
    ledger_and_clock: tuple[WriteLedger, Clock],
) -> None:
    ledger, clock = ledger_and_clock
    await ledger.claim("p1:0", thread="t", digest="d1", holder="a", object_type="deals", lease_seconds=10)
    assert not await ledger.take_over("p1:0", holder="b", expected_holder="a", lease_seconds=10)
    clock.t += 5
    assert await ledger.renew("p1:0", "a", 10)  # alive: the lease now runs to t+15
    clock.t += 9
    assert not await ledger.take_over("p1:0", holder="b", expected_holder="a", lease_seconds=10)
    clock.t += 2
    assert not await ledger.take_over("p1:0", holder="b", expected_holder="x", lease_seconds=10)
    assert await ledger.take_over("p1:0", holder="b", expected_holder="a", lease_seconds=10)
    assert not await ledger.take_over("p1:0", holder="c", expected_holder="a", lease_seconds=10)
    assert not await ledger.renew("p1:0", "a", 10)  # the old holder lost it
    assert await ledger.settle("p1:0", "a", "done", result={"id": "1"}) is None
    row = await ledger.settle("p1:0", "b", "unknown", error={"kind": "unknown"})
    assert row is not None and row.status == "unknown"


async def test_release_lets_the_step_be_claimed_again(ledger_and_clock: tuple[WriteLedger, Clock]) -> None:
    ledger, _ = ledger_and_clock
    await ledger.claim("p1:0", thread="t", digest="d1", holder="a", object_type="deals", lease_seconds=10)
    assert not await ledger.release("p1:0", "b")
    assert await ledger.release("p1:0", "a")
    won, row = await ledger.claim(
        "p1:0", thread="t", digest="d2", holder="c", object_type="deals", lease_seconds=10
    )
    assert won and row.digest == "d2"


async def test_a_thread_belongs_to_its_first_user_within_its_tenant(
    ledger_and_clock: tuple[WriteLedger, Clock],
) -> None:
    ledger, _ = ledger_and_clock
    owner = await ledger.bind_thread("acme", "t1", user_id="u-alex", email="alex@a.io", credential_id="c1")
    again = await ledger.bind_thread("acme", "t1", user_id="u-priya", email="priya@a.io", credential_id="c1")
    assert owner.user_id == again.user_id == "u-alex"
    assert await ledger.thread_owner("globex", "t1") is None
    assert (await ledger.thread_owner("acme", "t1")) == owner


async def test_two_connections_on_one_file_claim_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    first = await SqliteWriteLedger.open(path)
    second = await SqliteWriteLedger.open(path)
    try:
        results = await asyncio.gather(
            *[
                (first if i % 2 else second).claim(
                    "p1:0", thread="t", digest="d", holder=f"h{i}", object_type="deals", lease_seconds=10
                )
                for i in range(20)
            ]
        )
        assert sum(won for won, _ in results) == 1
        assert len({row.holder for _, row in results}) == 1
    finally:
        await first.aclose()
        await second.aclose()
