"""Text in, HubSpot state out: conversations through the offline planner and the whole graph."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agent.planners.offline import OfflinePlanner
from agent.service import AgentService
from tests.e2e.conftest import Harness, build_harness


class CountingPlanner(OfflinePlanner):
    """The offline planner, counting its calls (the eval harness counts model calls the same way)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def plan(self, message, given):  # type: ignore[no-untyped-def]
        self.count += 1
        return await super().plan(message, given)


@pytest.fixture
async def o() -> AsyncIterator[Harness]:
    h = build_harness()
    planner = CountingPlanner()
    h.service = AgentService(h.portal.client, planner, audit=h.audit)
    h.planner = planner  # type: ignore[assignment]
    yield h
    await h.portal.aclose()


async def test_create_a_deal_for_acme_in_plain_words(o: Harness) -> None:
    events = await o.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    assert [e.type for e in events] == ["confirm"], [e.text for e in events]
    events = await o.say("yes")
    assert [e.type for e in events] == ["reply"], [e.text for e in events]
    (deal,) = o.find("deals", dealname="Acme expansion")
    assert deal["properties"]["amount"] == "50000"
    assert deal["properties"]["dealstage"] == "appointmentscheduled"  # the pipeline's first open stage
    assert len(o.all_sent) == 4  # search, stages and owners (cached afterwards), create
    assert o.planner.count == 1  # type: ignore[attr-defined]


async def test_move_a_deal_to_a_stage_by_label(o: Harness) -> None:
    events = await o.say("Create a new deal for Initech called Initech pilot")
    await o.say("yes")
    events = await o.say("move that deal to contract sent")
    assert [e.type for e in events] == ["confirm"], [e.text for e in events]
    await o.say("yes")
    (deal,) = o.find("deals", dealname="Initech pilot")
    assert deal["properties"]["dealstage"] == "contractsent"


async def test_log_a_note_on_a_company(o: Harness) -> None:
    events = await o.say("note on Acme: they're switching vendors in Q3")
    assert [e.type for e in events] == ["confirm"], [e.text for e in events]
    await o.say("yes")
    notes = [
        n
        for n in o.records("notes").values()
        if "switching vendors" in n["properties"].get("hs_note_body", "")
    ]
    assert len(notes) == 1


async def test_delete_is_refused_in_plain_words(o: Harness) -> None:
    events = await o.say("delete the Acme deal")
    assert [e.type for e in events] == ["error"]
    assert events[0].error is not None and events[0].error.kind == "not_allowed"
    assert o.all_sent == []


async def test_edit_in_plain_words_then_approve(o: Harness) -> None:
    await o.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    events = await o.say("make it 60k")
    assert [e.type for e in events] == ["confirm"], [e.text for e in events]
    await o.say("yes")
    (deal,) = o.find("deals", dealname="Acme expansion")
    assert deal["properties"]["amount"] == "60000"


async def test_a_question_in_plain_words(o: Harness) -> None:
    events = await o.say("how many open deals does Globex have?")
    assert [e.type for e in events] == ["reply"], [e.text for e in events]
    assert events[0].text[0].isdigit()
    assert o.writes(o.all_sent) == []
