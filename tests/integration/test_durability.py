"""Checkpoint durability per run (``agent.service.durability_for``).

A run that may send a write saves every step before the next one starts, so the step's record is
in the checkpoint before HubSpot is called and a crash mid-write leaves a run that the next
message, whatever it says, finishes and reports first. Any other run saves once, when it stops:
its confirmation is saved by the time it is shown.
"""

from __future__ import annotations

import os

os.environ.setdefault("LANGGRAPH_STRICT_MSGPACK", "true")

from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.memory import InMemorySaver

from agent.plan import Mention, Plan, Question
from agent.service import AgentService, Incoming, durability_for
from tests.e2e.conftest import ScriptedPlanner, build_harness
from tests.fakes.builders import deal_for_acme
from tests.integration.test_exactly_once import CrashAfterResponse, ProcessDied

CREATE_DEALS = "/crm/v3/objects/deals"


class CountingSaver(InMemorySaver):
    """An in-memory saver that counts its checkpoints and saves nothing once its process has died.

    ``alive`` False stands for a killed process: what it had not saved is gone. (An exception
    escaping the graph still lets LangGraph save on the way out; a killed process does not.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.puts = 0
        self.alive = True

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        if not self.alive:
            return config
        self.puts += 1
        return await super().aput(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        if self.alive:
            await super().aput_writes(config, writes, task_id, task_path)


class DieAfterResponse(CrashAfterResponse):
    """:class:`CrashAfterResponse`, and the process's saver saves nothing more."""

    def __init__(self, inner: httpx.AsyncBaseTransport, saver: CountingSaver) -> None:
        super().__init__(inner, "POST", CREATE_DEALS)
        self.saver = saver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ProcessDied:
            self.saver.alive = False
            raise


def globex_question() -> Plan:
    return Plan(
        intent="question",
        question=Question(
            kind="count",
            object_type="deals",
            deal_status="open",
            about=Mention(object_type="companies", text="Globex"),
        ),
    )


def test_only_a_run_that_may_send_a_write_saves_every_step() -> None:
    assert durability_for(may_send=True) == "sync"
    assert durability_for(may_send=False) == "exit"


async def test_a_run_that_cannot_write_is_saved_once_and_its_confirmation_survives_a_restart() -> None:
    saver = CountingSaver()
    h = build_harness(checkpointer=saver)
    h.planner.will(deal_for_acme())
    events = await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    assert events[-1].type == "confirm"
    # understand, guard, authorize, resolve, propose, confirm: one checkpoint, not one per step.
    assert saver.puts == 1
    # A new process on the same checkpoints finds the confirmation waiting.
    restarted = AgentService(h.portal.client, ScriptedPlanner(), checkpointer=saver, ledger=h.service.ledger)
    pending = await restarted.pending(h.thread, h.ctx)
    assert pending is not None and pending["kind"] == "confirm"
    await h.portal.aclose()


async def test_an_approved_step_is_saved_before_its_write_is_sent() -> None:
    saver = CountingSaver()
    h = build_harness(checkpointer=saver)
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    seen: list[Any] = []
    http = h.portal.client._http  # the test reaches into the client to look when the create leaves
    real = http._transport

    class Look(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.url.path.endswith(CREATE_DEALS):
                saved = await saver.aget_tuple({"configurable": {"thread_id": f"t-local/{h.thread}"}})
                assert saved is not None
                seen.append(saved.checkpoint["channel_values"].get("execution"))
            return await real.handle_async_request(request)

    http._transport = Look()
    events = await h.say("yes")
    http._transport = real
    assert [e.type for e in events] == ["reply"]
    ((execution,),) = [seen]
    assert [record["status"] for record in execution.values()] == ["sending"]
    await h.portal.aclose()


@pytest.mark.parametrize("next_message", ["how many open deals does Globex have?", "yes"])
async def test_after_a_crash_mid_write_the_next_message_first_reports_that_write(next_message: str) -> None:
    saver = CountingSaver()
    h = build_harness(checkpointer=saver)
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    http = h.portal.client._http
    real = http._transport
    http._transport = DieAfterResponse(real, saver)
    with pytest.raises(ProcessDied):
        await h.say("yes")
    http._transport = real
    saver.alive = True  # the next process saves again
    (deal,) = h.find("deals", dealname="Acme expansion")  # HubSpot has it; the agent never said so

    planner = ScriptedPlanner()
    planner.will(globex_question())
    restarted = AgentService(
        h.portal.client, planner, checkpointer=saver, ledger=h.service.ledger, sleep=h.sleep
    )
    events = await restarted.handle(h.thread, h.ctx, Incoming(text=next_message))
    assert events[0].type == "reply" and events[0].writes[0].id == deal["id"], events
    if next_message == "yes":
        assert len(events) == 1  # the "yes" said again was for the write just reported
    else:
        assert [e.type for e in events] == ["reply", "reply"] and "open deal" in events[1].text
    creates = [r for r in h.all_sent if r["method"] == "POST" and r["path"] == CREATE_DEALS]
    assert len(creates) == 1
    await h.portal.aclose()
