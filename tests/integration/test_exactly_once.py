"""Exactly once: a write whose answer was lost in a crash is reconciled, not sent again, on resume.

The crash is simulated after the sandbox answered the create but before the graph could checkpoint
the result: in-process (an exception that escapes the service, like a dying worker), and across
two real processes sharing the SQLite checkpointer and the sandbox's SQLite state.
"""

from __future__ import annotations

import os

os.environ.setdefault("LANGGRAPH_STRICT_MSGPACK", "true")

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.plan import Plan
from agent.planners.base import PlanningInput
from agent.service import AgentService, Incoming
from tests.e2e.conftest import START, build_harness
from tests.fakes.builders import deal_for_acme, update_plan

REPO = Path(__file__).resolve().parents[2]
T0 = time.time()  # the child processes' shared timeline starts here


class ProcessDied(BaseException):
    """Stands for the worker dying: not an ``Exception``, so nothing on the way catches it."""


class CrashAfterResponse(httpx.AsyncBaseTransport):
    """Lets the first matching request reach the sandbox, then dies before anyone sees the answer.

    ``before``: die before the request is sent instead. ``on_error``: die also when the request
    ends in a transport error (a timeout), as a worker killed while waiting would.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        method: str,
        path_suffix: str,
        *,
        before: bool = False,
        on_error: bool = False,
    ) -> None:
        self.inner, self.method, self.path_suffix = inner, method, path_suffix
        self.before, self.on_error = before, on_error
        self.armed = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        matches = self.armed and request.method == self.method and request.url.path.endswith(self.path_suffix)
        if matches and self.before:
            self.armed = False
            raise ProcessDied
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            if matches and self.on_error:
                self.armed = False
                raise ProcessDied from None
            raise
        if matches:
            self.armed = False
            await response.aread()
            raise ProcessDied
        return response


class OnePlan:
    name = "one-plan"

    def __init__(self, plan: Plan) -> None:
        self.plans = [plan]

    async def plan(self, message: str, given: PlanningInput) -> Plan:
        return self.plans.pop(0)


DEAL = deal_for_acme()


async def test_create_answered_then_crashed_is_not_duplicated_on_resume() -> None:
    h = build_harness()
    saver = InMemorySaver()
    service = AgentService(h.portal.client, OnePlan(DEAL), checkpointer=saver, sleep=h.sleep)
    http = h.portal.client._http  # the test reaches into the client to put the crash on its transport
    real = http._transport
    http._transport = CrashAfterResponse(real, "POST", "/crm/v3/objects/deals")
    events = await service.handle("t", h.ctx, Incoming(text="Create a deal for Acme"))
    assert events[-1].type == "confirm"
    with pytest.raises(ProcessDied):
        await service.handle("t", h.ctx, Incoming(action="approve"))
    assert len(h.find("deals", dealname="Acme expansion")) == 1  # HubSpot has it; the agent never heard

    # A new worker picks the thread up from the checkpoint (same saver, fresh service).
    http._transport = real
    h.log_start = len(h.all_sent)
    # A new worker picks the thread up: the same checkpoints and write ledger, a fresh service.
    restarted = AgentService(
        h.portal.client, OnePlan(DEAL), checkpointer=saver, ledger=service.ledger, sleep=h.sleep
    )
    events = await restarted.handle("t", h.ctx, Incoming(action="approve"))
    (deal,) = h.find("deals", dealname="Acme expansion")
    assert [e.type for e in events] == ["reply"]
    assert events[0].writes[0].id == deal["id"]
    assert [(r["method"], r["path"]) for r in h.sent] == [("POST", "/crm/v3/objects/deals/search")]
    await h.portal.aclose()


async def test_update_answered_then_crashed_is_resent_safely_once() -> None:
    h = build_harness()
    saver = InMemorySaver()
    plan = update_plan("companies", "Initech", city="Dallas")
    service = AgentService(h.portal.client, OnePlan(plan), checkpointer=saver, sleep=h.sleep)
    http = h.portal.client._http
    real = http._transport
    http._transport = CrashAfterResponse(real, "PATCH", "")
    await service.handle("t", h.ctx, Incoming(text="Initech moved to Dallas"))
    with pytest.raises(ProcessDied):
        await service.handle("t", h.ctx, Incoming(action="approve"))
    http._transport = real
    events = await AgentService(
        h.portal.client, OnePlan(plan), checkpointer=saver, ledger=service.ledger, sleep=h.sleep
    ).handle("t", h.ctx, Incoming(action="approve"))
    assert [e.type for e in events] == ["reply"]
    assert h.find("companies", name="Initech")[0]["properties"]["city"] == "Dallas"
    await h.portal.aclose()


CHILD = textwrap.dedent(
    """
    import asyncio, json, os, sys, time
    from datetime import datetime, timedelta
    from pathlib import Path
    os.environ["LANGGRAPH_STRICT_MSGPACK"] = "true"
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    from agent.context import AgentContext
    from agent.ledger import SqliteWriteLedger
    from agent.service import AgentService, Incoming
    from tests.integration.test_exactly_once import DEAL, OnePlan, CrashAfterResponse
    from tools.local import open_local_portal
    from tools.scopes_catalog import ALL_SCOPES
    from tools.settings import Settings

    async def main(state, checkpoints, ledger_path, step, now, t0):
        # One timeline for every process of the test: the pinned start plus the real time since t0.
        clock = lambda: datetime.fromisoformat(now) + timedelta(seconds=time.time() - float(t0))
        settings = Settings(write_settle_seconds=0.3, search_lag_seconds=0.3)
        portal = open_local_portal(
            "demo", state_path=Path(state), clock=clock, settings=settings, credential_id="cred-1"
        )
        if step == "crash":
            http = portal.client._http
            crash = CrashAfterResponse(http._transport, "POST", "/crm/v3/objects/deals")
            async def die(request, _inner=crash.inner):
                response = await _inner.handle_async_request(request)
                if request.method == "POST" and request.url.path.endswith("/crm/v3/objects/deals"):
                    os._exit(17)  # the process dies after HubSpot answered, before the checkpoint
                return response
            crash.handle_async_request = die
            http._transport = crash
        ctx = AgentContext(
            tenant_id="t-local", user_id="u-alex", user_email="alex@acme-sales.io",
            credential_id=portal.connection.credential_id, granted_scopes=frozenset(ALL_SCOPES),
            timezone="America/New_York", now=clock(), portal_id=int(str(portal.sandbox.portal.account["portalId"])),
        )
        async with AsyncSqliteSaver.from_conn_string(checkpoints) as saver:
            ledger = await SqliteWriteLedger.open(ledger_path, clock=lambda: clock().timestamp())
            service = AgentService(
                portal.client, OnePlan(DEAL), checkpointer=saver, ledger=ledger, write_lease_seconds=0.5
            )
            if step in ("ask", "crash"):
                await service.handle("t", ctx, Incoming(text="Create a deal for Acme"))
            if step == "crash":
                await service.handle("t", ctx, Incoming(action="approve"))
            if step == "pending":
                print(json.dumps(await service.pending("t", ctx)))
            if step in ("approve",):
                events = await service.handle("t", ctx, Incoming(action="approve"))
                print(json.dumps([e.to_json_line() for e in events]))
            await ledger.aclose()
        await portal.aclose()

    asyncio.run(main(*sys.argv[1:]))
    """
)


def _child(tmp: Path, step: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(tmp / "portal.sqlite"),
            str(tmp / "checkpoints.sqlite"),
            str(tmp / "ledger.sqlite"),
            step,
            START.isoformat(),
            str(T0),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=120,
    )


def _deals(tmp: Path, name: str) -> list[dict[str, Any]]:
    from tools.sandbox.persistence import StateFile

    data = StateFile(tmp / "portal.sqlite").load()
    assert data is not None
    return [d for d in data["portal"]["records"]["deals"] if d["properties"].get("dealname") == name]


@pytest.mark.slow
def test_across_two_processes_the_lost_create_is_reconciled_not_duplicated(tmp_path: Path) -> None:
    crashed = _child(tmp_path, "crash")
    assert crashed.returncode == 17, crashed.stderr
    assert len(_deals(tmp_path, "Acme expansion")) == 1
    resumed = _child(tmp_path, "approve")
    assert resumed.returncode == 0, resumed.stderr
    events = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert [e["type"] for e in events] == ["reply"]
    (deal,) = _deals(tmp_path, "Acme expansion")
    assert events[0]["writes"][0]["id"] == deal["id"]


@pytest.mark.slow
def test_a_pending_confirmation_survives_a_process_restart(tmp_path: Path) -> None:
    asked = _child(tmp_path, "ask")
    assert asked.returncode == 0, asked.stderr
    pending = _child(tmp_path, "pending")
    assert json.loads(pending.stdout.strip().splitlines()[-1])["kind"] == "confirm"
    approved = _child(tmp_path, "approve")
    assert approved.returncode == 0, approved.stderr
    assert len(_deals(tmp_path, "Acme expansion")) == 1
