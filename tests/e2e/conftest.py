"""End-to-end setup: the service against the in-process sandbox, a pinned clock, a scripted planner."""

from __future__ import annotations

import asyncio
import os

# Checkpoints must hold JSON-like state only: make LangGraph refuse anything else (read at import).
os.environ.setdefault("LANGGRAPH_STRICT_MSGPACK", "true")

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.audit import MemoryAuditLog
from agent.context import AgentContext
from agent.events import Event
from agent.plan import Plan
from agent.planners.base import PlanningInput
from agent.service import AgentService, Incoming
from tests.e2e.servers import sandbox_server  # the fixture, for every e2e test
from tools.local import LocalPortal, open_local_portal
from tools.scopes_catalog import ALL_SCOPES

__all__ = ["sandbox_server"]

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class ScriptedPlanner:
    """Returns the given plans in order; fails on a call nobody scripted.

    Each script item is a ``Plan`` or a function of ``(message, given) -> Plan``.
    """

    name = "scripted"

    def __init__(self) -> None:
        self.script: list[Plan | Callable[[str, PlanningInput], Plan]] = []
        self.calls: list[tuple[str, PlanningInput]] = []

    def will(self, *plans: Plan | Callable[[str, PlanningInput], Plan]) -> None:
        self.script.extend(plans)

    async def plan(self, message: str, given: PlanningInput) -> Plan:
        self.calls.append((message, given))
        if not self.script:
            raise AssertionError(f"unexpected planner call for {message!r}")
        item = self.script.pop(0)
        return item(message, given) if callable(item) else item


@dataclass
class Harness:
    """One conversation: the service, the sandbox portal, the clock and the context."""

    service: AgentService
    portal: LocalPortal
    planner: ScriptedPlanner
    clock: Clock
    ctx: AgentContext
    audit: MemoryAuditLog
    thread: str = "t-1"
    log_start: int = 0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    refs: dict[str, str] = field(default_factory=dict)

    async def say(self, text: str, **by: Any) -> list[Event]:
        return await self.turn(Incoming(text=text, **by))

    async def pending(self) -> dict[str, Any] | None:
        """What the conversation waits for, as its owner sees it."""
        return await self.service.pending(self.thread, self.ctx)

    async def turn(self, incoming: Incoming) -> list[Event]:
        self.log_start = len(self.portal.sandbox.requests)
        ctx = replace(self.ctx, now=self.clock())
        return await self.service.handle(self.thread, ctx, incoming)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """HubSpot requests of the last turn."""
        return self.portal.sandbox.requests[self.log_start :]

    @property
    def all_sent(self) -> list[dict[str, Any]]:
        return self.portal.sandbox.requests

    def writes(self, requests: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        reqs = self.sent if requests is None else requests
        return [
            r
            for r in reqs
            if r["method"] in ("PATCH", "PUT", "DELETE")
            or (r["method"] == "POST" and not r["path"].endswith("/search"))
        ]

    def records(self, object_type: str) -> dict[str, dict[str, Any]]:
        """Live records of a type (not archived, not merged away), by id."""
        return {
            r["id"]: r
            for r in self.portal.sandbox.state()["records"][object_type]
            if not r.get("archived") and not r.get("mergedInto")
        }

    def linked(self, from_type: str, from_id: str, to_type: str) -> set[str]:
        """Ids of ``to_type`` records associated with a record (either direction)."""
        found = set()
        for a in self.portal.sandbox.state()["associations"]:
            if a["fromType"] == from_type and a["fromId"] == from_id and a["toType"] == to_type:
                found.add(a["toId"])
            if a["toType"] == from_type and a["toId"] == from_id and a["fromType"] == to_type:
                found.add(a["fromId"])
        return found

    def find(self, object_type: str, **props: str) -> list[dict[str, Any]]:
        """Records whose properties include ``props``."""
        return [
            r
            for r in self.records(object_type).values()
            if all(r["properties"].get(k) == v for k, v in props.items())
        ]


def build_harness(
    *, fixture: Any = "demo", scopes: Sequence[str] = ALL_SCOPES, connected: bool = True, **service_kw: Any
) -> Harness:
    clock = Clock()
    audit = MemoryAuditLog()

    async def sleep(seconds: float) -> None:
        # Waiting moves the fake clock, so rate limits and retry waits pass without real time.
        clock.advance(seconds=max(seconds, 0.001))

    portal = open_local_portal(fixture, scopes=scopes, clock=clock, sleep=sleep, connected=connected)
    planner = ScriptedPlanner()
    service = AgentService(portal.client, planner, audit=audit, **{"sleep": sleep, **service_kw})
    portal_id = int(str(portal.sandbox.portal.account["portalId"]))
    ctx = AgentContext(
        tenant_id="t-local",
        user_id="u-alex",
        user_email="alex@acme-sales.io",
        user_name="Alex Rivera",
        credential_id=portal.connection.credential_id,
        granted_scopes=frozenset(scopes),
        timezone="America/New_York",
        now=clock(),
        portal_id=portal_id,
    )
    return Harness(service, portal, planner, clock, ctx, audit, sleep=sleep)


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    harness = build_harness()
    yield harness
    await harness.portal.aclose()
