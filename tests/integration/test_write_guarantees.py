"""The probes of the exactly-once issue, through the graph: each held in one process before, and broke
with two, a crash or a slow HubSpot.

Two "processes" here are two services sharing the checkpointer, the write ledger and HubSpot (the
in-process sandbox), each with its own per-thread lock, as two processes on one data directory
have. The CLI versions with real processes are in ``tests/e2e/test_two_processes.py``.
"""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("LANGGRAPH_STRICT_MSGPACK", "true")

from dataclasses import replace
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.plan import Activity, Answer, Mention, Plan, Value, Write
from agent.service import AgentService, Incoming
from tests.e2e.conftest import Harness, ScriptedPlanner, build_harness
from tests.fakes.builders import deal_for_acme
from tests.integration.test_exactly_once import CrashAfterResponse, ProcessDied

PLANT_2 = "Acme Corp - Plant 2 expansion"


def _second_service(h: Harness, planner: Any = None) -> AgentService:
    """Another worker on the same data: checkpoints, ledger and HubSpot shared."""
    return AgentService(
        h.portal.client,
        planner or ScriptedPlanner(),
        checkpointer=h.service.graph.checkpointer,  # type: ignore[arg-type]
        ledger=h.service.ledger,
        audit=h.audit,
        sleep=h.sleep,
    )


@pytest.fixture
async def h() -> Any:
    harness = build_harness(checkpointer=InMemorySaver())
    yield harness
    await harness.portal.aclose()


async def test_two_workers_answering_yes_at_once_create_one_deal_and_both_say_so(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    assert (await h.say("Create a new deal for Acme Corp called Acme expansion, 50k"))[-1].type == "confirm"
    other = _second_service(h)
    # HubSpot takes a while, so both are in the middle of the write together.
    h.portal.sandbox.add_fault(kind="delay", seconds=2, method="POST", path="/crm/v3/objects/deals")
    ctx = replace(h.ctx, now=h.clock())
    first, second = await asyncio.gather(
        h.service.handle(h.thread, ctx, Incoming(text="yes")),
        other.handle(h.thread, ctx, Incoming(text="yes")),
    )
    (deal,) = h.find("deals", dealname="Acme expansion")
    creates = [r for r in h.all_sent if r["method"] == "POST" and r["path"] == "/crm/v3/objects/deals"]
    assert len(creates) == 1
    for events in (first, second):
        assert [e.type for e in events] == ["reply"], events
        assert events[0].writes[0].id == deal["id"]


async def test_a_worker_killed_after_sending_is_followed_by_one_that_waits_for_hubspot(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    # HubSpot is slow: it carries the create out 8 s after it arrived; the worker dies meanwhile.
    h.portal.sandbox.add_fault(kind="late", seconds=8, timeout=1, method="POST", path="/crm/v3/objects/deals")
    http = h.portal.client._http
    real = http._transport
    http._transport = CrashAfterResponse(real, "POST", "/crm/v3/objects/deals", on_error=True)
    with pytest.raises(ProcessDied):
        await h.turn(Incoming(text="yes"))
    http._transport = real
    assert h.find("deals", dealname="Acme expansion") == []  # not yet: HubSpot is still working on it
    events = await _second_service(h).handle(h.thread, replace(h.ctx, now=h.clock()), Incoming(text="yes"))
    (deal,) = h.find("deals", dealname="Acme expansion")
    assert [e.type for e in events] == ["reply"] and events[0].writes[0].id == deal["id"]
    creates = [r for r in h.all_sent if r["method"] == "POST" and r["path"] == "/crm/v3/objects/deals"]
    assert len(creates) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "late", "seconds": 5, "timeout": 2},  # slower than the client waits
        {"kind": "lost"},  # done, answer lost ...
        {"kind": "lost", "status": 504},  # ... or replaced by a gateway timeout
    ],
)
async def test_a_create_whose_answer_never_came_is_found_not_duplicated_even_when_search_lags(
    h: Harness, fault: dict[str, Any]
) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    h.portal.sandbox.search_lag_seconds = 3
    h.portal.sandbox.add_fault(method="POST", path="/crm/v3/objects/deals", **fault)
    events = await h.say("yes")
    (deal,) = h.find("deals", dealname="Acme expansion")
    assert [e.type for e in events] == ["reply"] and events[0].writes[0].id == deal["id"]


async def test_a_create_that_never_reached_hubspot_is_sent_again_once(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    h.portal.sandbox.add_fault(kind="drop", method="POST", path="/crm/v3/objects/deals")
    events = await h.say("yes")
    (deal,) = h.find("deals", dealname="Acme expansion")
    assert [e.type for e in events] == ["reply"] and events[0].writes[0].id == deal["id"]


LONG_BODY = (
    "Met the plant team. "
    + "They want the retrofit scheduled after the February shutdown, with weekly status calls. " * 4
)


def _note_plan(body: str) -> Plan:
    return Plan(
        intent="log_activity",
        writes=[
            Write(
                op="create",
                object_type="notes",
                activity=Activity(type="notes", body=body),
                associate_with=[Mention(object_type="contacts", text="jane.doe@acme.com")],
            )
        ],
    )


def _new_notes(h: Harness, before: set[str]) -> dict[str, dict[str, Any]]:
    return {i: n for i, n in h.records("notes").items() if i not in before}


async def test_a_long_note_lost_in_a_crash_is_never_mistaken_for_another_recent_note(h: Harness) -> None:
    before = set(h.records("notes"))
    # Another note on Jane, created a moment ago.
    h.planner.will(_note_plan("Short note from this morning."))
    await h.say("note on jane")
    await h.say("yes")
    (other,) = _new_notes(h, before).values()
    # The worker dies before its create reaches HubSpot: no note is made.
    h.planner.will(_note_plan(LONG_BODY))
    await h.say("long note on jane")
    http = h.portal.client._http
    real = http._transport
    http._transport = CrashAfterResponse(real, "POST", "/crm/v3/objects/notes", before=True)
    with pytest.raises(ProcessDied):
        await h.say("yes")
    http._transport = real
    assert len(_new_notes(h, before)) == 1
    events = await _second_service(h).handle(h.thread, replace(h.ctx, now=h.clock()), Incoming(text="yes"))
    notes = _new_notes(h, before)
    assert len(notes) == 2
    (mine,) = [n for n in notes.values() if n["id"] != other["id"]]
    assert mine["properties"]["hs_note_body"] == LONG_BODY
    assert [e.type for e in events] == ["reply"] and events[0].writes[0].id == mine["id"] != other["id"]


async def test_a_long_note_created_before_the_crash_is_found_by_its_words(h: Harness) -> None:
    before = set(h.records("notes"))
    h.planner.will(_note_plan("Short note from this morning."))
    await h.say("note on jane")
    await h.say("yes")
    h.planner.will(_note_plan(LONG_BODY))
    await h.say("long note on jane")
    http = h.portal.client._http
    real = http._transport
    http._transport = CrashAfterResponse(real, "POST", "/crm/v3/objects/notes")
    with pytest.raises(ProcessDied):
        await h.say("yes")
    http._transport = real
    events = await _second_service(h).handle(h.thread, replace(h.ctx, now=h.clock()), Incoming(text="yes"))
    notes = _new_notes(h, before)
    mine = [n for n in notes.values() if n["properties"]["hs_note_body"] == LONG_BODY]
    assert len(mine) == 1 and len(notes) == 2
    assert events[0].writes[0].id == mine[0]["id"]


async def test_an_approval_of_an_edited_away_version_is_refused_and_the_current_one_shown(h: Harness) -> None:
    def edit(amount: str) -> Plan:
        return Plan(
            intent="answer", answer=Answer(decision="edit", edits=[Value(property="amount", value=amount)])
        )

    h.planner.will(deal_for_acme(), edit("60000"), edit("70000"))
    first = (await h.say("Create a new deal for Acme Corp called Acme expansion, 50k"))[-1].pending
    await h.say("make it 60k")
    third = (await h.say("no, 70k"))[-1].pending
    assert first is not None and third is not None
    assert (first["id"], first["version"]) == (third["id"], 1) and third["version"] == 3
    events = await h.turn(Incoming(action="approve", confirmation_id=first["id"], version=1))
    assert [e.type for e in events] == ["error", "confirm"]
    assert events[0].error is not None and events[0].error.kind == "conflict"
    assert events[1].pending is not None and events[1].pending["version"] == 3
    assert h.writes(h.all_sent) == []
    events = await h.turn(Incoming(action="approve", confirmation_id=third["id"], version=3))
    (deal,) = h.find("deals", dealname="Acme expansion")
    assert deal["properties"]["amount"] == "70000" and events[-1].type == "reply"


def _amount_plan(amount: str) -> Plan:
    return Plan(
        intent="update",
        writes=[
            Write(
                op="update",
                object_type="deals",
                target=Mention(object_type="deals", text=PLANT_2),
                values=[Value(property="amount", value=amount)],
            )
        ],
    )


async def test_an_old_approval_never_overwrites_a_value_changed_since_it_was_shown(h: Harness) -> None:
    h.planner.will(_amount_plan("52000"))
    shown = (await h.say("set the plant 2 deal to 52k"))[-1]
    assert shown.pending is not None and "50000 → 52000" in shown.text
    (deal,) = h.find("deals", dealname=PLANT_2)
    # Meanwhile another conversation sets it to 60k.
    await h.portal.client.update(h.portal.connection, "deals", deal["id"], {"amount": "60000"})
    events = await h.say("yes")
    assert [e.type for e in events] == ["reply", "confirm"]
    assert "amount is now 60000 (it was 50000)" in events[0].text and "Nothing was written" in events[0].text
    assert events[1].pending is not None and events[1].pending["version"] == 2
    assert "60000 → 52000" in events[1].text
    assert h.find("deals", dealname=PLANT_2)[0]["properties"]["amount"] == "60000"
    assert [r["method"] for r in h.writes()] == []
    await h.say("yes")
    assert h.find("deals", dealname=PLANT_2)[0]["properties"]["amount"] == "52000"
    (patch,) = [e for e in await h.audit.entries() if e.operation == "update" and e.step]  # the approved one
    assert patch.diff == {"amount": {"old": "60000", "new": "52000"}}  # read just before the write


async def test_another_tenant_continuing_a_thread_id_sees_nothing_and_writes_nothing(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    stranger = replace(h.ctx, tenant_id="t-other", user_id="u-mallory", user_email="mallory@other.io")
    assert await h.service.pending(h.thread, stranger) is None
    events = await h.service.handle(h.thread, stranger, Incoming(action="approve"))
    assert [e.type for e in events] == ["error"]
    assert events[0].error is not None and events[0].error.kind == "not_found"
    assert "Acme" not in events[0].text and h.writes(h.all_sent) == []
    # The same tenant's other user cannot read it either, nor answer it.
    colleague = replace(h.ctx, user_id="u-priya", user_email="priya@acme-sales.io")
    assert await h.service.pending(h.thread, colleague) is None
    events = await h.service.handle(h.thread, colleague, Incoming(text="yes"))
    assert events[0].error is not None and events[0].error.kind == "not_requester"
    assert all(e.pending is None for e in events) and h.writes(h.all_sent) == []
    # Another connection of the tenant (records remembered in the thread are this connection's).
    elsewhere = replace(h.ctx, credential_id="another-connection")
    events = await h.service.handle(h.thread, elsewhere, Incoming(text="yes"))
    assert events[0].error is not None and events[0].error.kind == "not_found"
    assert (await h.pending() or {}).get("kind") == "confirm"


def _clear_contact(email: str) -> Write:
    return Write(
        op="update",
        object_type="contacts",
        target=Mention(object_type="contacts", text=email),
        values=[Value(property=p, value="") for p in ("email", "phone", "firstname")],
    )


async def test_a_plan_touching_twenty_records_is_refused_whatever_the_planner_returned(h: Harness) -> None:
    h.planner.will(Plan(intent="update", writes=[_clear_contact(f"person{i}@acme.com") for i in range(20)]))
    events = await h.say("wipe those contacts")
    assert [e.type for e in events] == ["error"]
    assert events[0].error is not None and events[0].error.kind == "not_allowed"
    assert "20 changes" in events[0].text and "one record at a time" in events[0].text
    assert h.writes(h.all_sent) == [] and await h.pending() is None


async def test_a_cleared_value_is_shown_as_cleared_never_as_a_blank(h: Harness) -> None:
    h.planner.will(Plan(intent="update", writes=[_clear_contact("jane.doe@acme.com")]))
    (event,) = await h.say("clear jane's email, phone and first name")
    assert event.type == "confirm" and event.pending is not None
    assert "→ (cleared)" in event.text
    changes = event.pending["steps"][0]["changes"]
    assert {c["property"]: c["display"] for c in changes} == {
        "email": "(cleared)",
        "phone": "(cleared)",
        "firstname": "(cleared)",
    }
