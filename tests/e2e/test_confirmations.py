"""Confirmation rules: approve, reject, edit, expiry, only the requester, a new request instead."""

from __future__ import annotations

from agent.plan import Answer, Mention, Plan, Value, Write
from agent.service import Incoming
from tests.e2e.conftest import Harness
from tests.fakes.builders import deal_for_acme


async def test_reject_writes_nothing(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    events = await h.say("no")
    assert [e.type for e in events] == ["reply"]
    assert "nothing was written" in events[0].text.lower()
    assert h.writes(h.all_sent) == []
    assert await h.pending() is None


async def test_button_approve_and_reject_need_no_planner(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a deal")
    events = await h.turn(Incoming(action="approve"))
    assert [e.type for e in events] == ["reply"]
    assert len(h.writes()) == 1
    assert len(h.planner.calls) == 1


async def test_edit_by_text_gives_a_fresh_confirmation_then_writes_the_edited_value(h: Harness) -> None:
    h.planner.will(
        deal_for_acme(),
        Plan(
            intent="answer", answer=Answer(decision="edit", edits=[Value(property="amount", value="60000")])
        ),
    )
    first = await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    events = await h.say("make it 60k")
    assert [e.type for e in events] == ["confirm"]
    assert events[0].pending is not None and first[0].pending is not None
    # The same confirmation, a new version: a button of version 1 can no longer approve it.
    assert events[0].pending["id"] == first[0].pending["id"]
    assert (first[0].pending["version"], events[0].pending["version"]) == (1, 2)
    assert events[0].pending["steps"][0]["properties"]["amount"] == "60000"
    assert h.writes() == []
    await h.say("yes")
    (deal,) = h.find("deals", dealname="Acme expansion")
    assert deal["properties"]["amount"] == "60000"
    assert len(h.planner.calls) == 2


async def test_ui_edit_is_validated_again_and_an_invalid_value_keeps_the_old_confirmation(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    events = await h.turn(Incoming(edit={"amount": "lots"}))
    assert [e.type for e in events] == ["error", "confirm"]
    assert events[0].error is not None and events[0].error.kind == "validation"
    assert events[1].pending is not None and events[1].pending["steps"][0]["properties"]["amount"] == "50000"
    events = await h.turn(Incoming(edit={"dealstage": "Contract Sent"}))
    assert events[-1].pending is not None
    assert events[-1].pending["steps"][0]["properties"]["dealstage"] == "contractsent"
    await h.turn(Incoming(action="approve"))
    (deal,) = h.find("deals", dealname="Acme expansion")
    assert deal["properties"]["dealstage"] == "contractsent"


async def test_confirmation_expires_after_the_ttl_and_nothing_is_written(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    h.clock.advance(hours=25)
    events = await h.say("yes")
    assert [e.type for e in events] == ["error"]
    assert events[0].error is not None and events[0].error.kind == "expired"
    assert h.writes(h.all_sent) == []
    assert await h.pending() is None


async def test_confirmation_within_the_ttl_still_works(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    h.clock.advance(hours=23)
    events = await h.say("yes")
    assert [e.type for e in events] == ["reply"]


async def test_only_the_requester_can_approve_and_the_confirmation_stays_for_them(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    events = await h.turn(Incoming(action="approve", by_user_id="u-priya", by_email="priya@acme-sales.io"))
    # Priya is told it is not hers to answer, and sees neither the change nor its values.
    assert [(e.type, e.error.kind if e.error else None) for e in events] == [("error", "not_requester")]
    assert all(e.pending is None and "Acme" not in e.text and "50000" not in e.text for e in events)
    events = await h.turn(Incoming(text="yes", by_user_id="u-priya", by_email="priya@acme-sales.io"))
    assert [(e.type, e.error.kind if e.error else None) for e in events] == [("error", "not_requester")]
    assert h.writes(h.all_sent) == []
    assert (await h.pending() or {}).get("kind") == "confirm"
    events = await h.say("yes")
    assert [e.type for e in events] == ["reply"]
    assert len(h.find("deals", dealname="Acme expansion")) == 1


async def test_a_new_request_while_confirming_drops_the_pending_one_and_is_handled(h: Harness) -> None:
    h.planner.will(
        deal_for_acme(),
        Plan(
            intent="create",
            writes=[
                Write(op="create", object_type="companies", values=[Value(property="name", value="Hooli")])
            ],
        ),
    )
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    events = await h.say("actually, create a company called Hooli")
    assert [e.type for e in events] == ["confirm"]
    assert events[0].pending is not None and events[0].pending["steps"][0]["object_type"] == "companies"
    await h.say("yes")
    assert len(h.find("companies", name="Hooli")) == 1
    assert h.find("deals", dealname="Acme expansion") == []


async def test_two_approvals_in_a_row_write_once(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    await h.turn(Incoming(action="approve"))
    events = await h.turn(Incoming(action="approve"))
    assert events[0].error is not None and events[0].error.kind == "not_found"
    assert len(h.find("deals", dealname="Acme expansion")) == 1


async def test_unclear_reply_asks_again_without_writing(h: Harness) -> None:
    h.planner.will(deal_for_acme(), Plan(intent="answer", answer=Answer(decision="unclear")))
    await h.say("Create a new deal for Acme Corp")
    events = await h.say("hmm what")
    assert [e.type for e in events] == ["reply", "confirm"]
    assert h.writes(h.all_sent) == []


async def test_deal_without_a_name_is_named_after_its_company(h: Harness) -> None:
    h.planner.will(
        Plan(
            intent="create",
            writes=[
                Write(
                    op="create",
                    object_type="deals",
                    associate_with=[Mention(object_type="companies", text="Acme Corp")],
                )
            ],
        )
    )
    await h.say("Create a new deal for Acme Corp")
    await h.say("yes")
    assert len(h.find("deals", dealname="Acme Corp - New Deal")) == 1


async def test_two_concurrent_approve_clicks_write_once(h: Harness) -> None:
    import asyncio

    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    first, second = await asyncio.gather(
        h.turn(Incoming(action="approve")), h.turn(Incoming(action="approve"))
    )
    kinds = sorted([first[0].type, second[0].type])
    assert kinds == ["error", "reply"]
    assert len(h.find("deals", dealname="Acme expansion")) == 1
    assert len([r for r in h.all_sent if r["method"] == "POST" and r["path"] == "/crm/v3/objects/deals"]) == 1
