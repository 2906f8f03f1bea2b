"""Finding records: ambiguity, not found (offer to create), fallbacks, "that deal", stages and owners."""

from __future__ import annotations

from agent.plan import Answer, Mention, Plan, Question, Value, Write
from tests.e2e.conftest import Harness
from tests.fakes.builders import deal_for_acme


def note_on(mention: Mention, body: str = "Spoke about renewal") -> Plan:
    return Plan(
        intent="log_activity",
        writes=[
            Write(
                op="create",
                object_type="notes",
                activity={"type": "notes", "body": body},
                associate_with=[mention],
            )
        ],
    )


async def test_two_janes_are_asked_about_with_what_tells_them_apart(h: Harness) -> None:
    h.planner.will(
        note_on(Mention(object_type="contacts", text="Jane")),
        Plan(intent="answer", answer=Answer(decision="choose", choice="the one at Northwind")),
    )
    events = await h.say("note on Jane: spoke about renewal")
    assert [e.type for e in events] == ["clarify"]
    pending = events[0].pending
    assert pending is not None and len(pending["candidates"]) == 2
    details = " ".join(c["details"] for c in pending["candidates"])
    assert "acme.com" in details and "northwind" in details.lower()
    assert h.writes() == []
    events = await h.say("the one at Northwind")
    assert [e.type for e in events] == ["confirm"]
    assert events[0].pending is not None
    (target,) = events[0].pending["steps"][0]["associations"]
    jane_nw = next(c for c in pending["candidates"] if "northwind" in c["details"].lower())
    assert target["id"] == jane_nw["id"]
    await h.say("yes")
    (note,) = h.find("notes", hs_note_body="Spoke about renewal")
    assert h.linked("notes", note["id"], "contacts") == {jane_nw["id"]}


async def test_a_number_picks_a_candidate(h: Harness) -> None:
    h.planner.will(
        note_on(Mention(object_type="contacts", text="Jane")),
        Plan(intent="answer", answer=Answer(decision="choose", choice="2")),
    )
    first = await h.say("note on Jane")
    events = await h.say("2")
    assert events[0].type == "confirm" and first[0].pending is not None and events[0].pending is not None
    assert events[0].pending["steps"][0]["associations"][0]["id"] == first[0].pending["candidates"][1]["id"]


async def test_unknown_company_is_offered_for_creation_and_created_first(h: Harness) -> None:
    h.planner.will(
        Plan(
            intent="create",
            writes=[
                Write(
                    op="create",
                    object_type="deals",
                    values=[Value(property="dealname", value="Pilot")],
                    associate_with=[Mention(object_type="companies", text="Zyxcorp Industries")],
                )
            ],
        )
    )
    events = await h.say("new deal Pilot for Zyxcorp Industries")
    assert [e.type for e in events] == ["clarify"]
    assert events[0].pending is not None and events[0].pending["can_create"] is True
    assert "couldn't find" in events[0].text
    events = await h.say("yes")
    assert [e.type for e in events] == ["confirm"]
    steps = events[0].pending["steps"] if events[0].pending else []
    assert [(s["op"], s["object_type"]) for s in steps] == [("create", "companies"), ("create", "deals")]
    events = await h.say("yes")
    assert [e.type for e in events] == ["reply"]
    (company,) = h.find("companies", name="Zyxcorp Industries")
    (deal,) = h.find("deals", dealname="Pilot")
    assert h.linked("deals", deal["id"], "companies") == {company["id"]}


async def test_cancel_at_a_question_writes_nothing(h: Harness) -> None:
    h.planner.will(note_on(Mention(object_type="contacts", text="Jane")))
    await h.say("note on Jane")
    events = await h.say("cancel")
    assert [e.type for e in events] == ["reply"]
    assert h.writes(h.all_sent) == [] and await h.pending() is None


async def test_a_company_named_as_a_contact_is_found_by_the_fallback(h: Harness) -> None:
    h.planner.will(note_on(Mention(object_type="contacts", text="Initech")))
    events = await h.say("log a note with Initech")
    assert [e.type for e in events] == ["confirm"]
    assert events[0].pending is not None
    ref = events[0].pending["steps"][0]["associations"][0]
    assert ref["object_type"] == "companies" and ref["label"] == "Initech"


def move_stage(mention: Mention, stage: str) -> Plan:
    return Plan(
        intent="update",
        writes=[
            Write(
                op="update",
                object_type="deals",
                target=mention,
                values=[Value(property="dealstage", value=stage, kind="stage")],
            )
        ],
    )


async def test_that_deal_refers_to_the_deal_created_earlier(h: Harness) -> None:
    h.planner.will(
        deal_for_acme(), move_stage(Mention(object_type="deals", refers_back=True), "contract sent")
    )
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    await h.say("yes")
    (deal,) = h.find("deals", dealname="Acme expansion")
    events = await h.say("move that deal to contract sent")
    assert [e.type for e in events] == ["confirm"]
    step = events[0].pending["steps"][0] if events[0].pending else {}
    assert step["target"]["id"] == deal["id"]
    assert step["properties"] == {"dealstage": "contractsent"}
    # no search for "that deal": one read of its current values (old → new); pipelines are cached
    assert sorted((r["method"], r["path"]) for r in h.sent) == [
        ("GET", "/crm/v3/objects/deals/" + deal["id"])
    ]
    await h.say("yes")
    assert h.records("deals")[deal["id"]]["properties"]["dealstage"] == "contractsent"


async def test_update_shows_old_and_new_values(h: Harness) -> None:
    h.planner.will(move_stage(Mention(object_type="deals", text="Globex"), "Closed Won"))
    events = await h.say("mark the Globex deal closed won")
    if events[0].type == "clarify":
        assert events[0].pending is not None
        h.planner.will(Plan(intent="answer", answer=Answer(decision="choose", choice="1")))
        events = await h.say("1")
    assert events[0].type == "confirm"
    assert events[0].pending is not None
    change = events[0].pending["steps"][0]["changes"][0]
    assert change["property"] == "dealstage" and change["new"] == "closedwon" and change["old"]
    assert "→" in events[0].text


async def test_owner_me_becomes_my_owner_id(h: Harness) -> None:
    h.planner.will(
        Plan(
            intent="update",
            writes=[
                Write(
                    op="update",
                    object_type="companies",
                    target=Mention(object_type="companies", text="Globex Corporation"),
                    values=[Value(property="hubspot_owner_id", value="me", kind="owner")],
                )
            ],
        )
    )
    events = await h.say("assign Globex Corporation to me")
    assert events[0].type == "confirm", events
    alex = next(o for o in h.portal.sandbox.state()["owners"] if o["email"] == "alex@acme-sales.io")
    step = events[0].pending["steps"][0] if events[0].pending else {}
    assert step["properties"] == {"hubspot_owner_id": alex["id"]}
    assert "Alex Rivera" in events[0].text


async def test_lookup_answers_from_the_search_without_a_second_read(h: Harness) -> None:
    h.planner.will(
        Plan(
            intent="question",
            question=Question(
                kind="lookup", about=Mention(object_type="contacts", text="john smith"), fields=["email"]
            ),
        )
    )
    events = await h.say("what's John Smith's email?")
    john = h.find("contacts", firstname="John", lastname="Smith")[0]
    assert john["properties"]["email"] in events[0].text
    assert len(h.sent) == 1


async def test_that_deal_with_no_earlier_deal_asks_which_and_searches_the_answer(h: Harness) -> None:
    h.planner.will(
        move_stage(Mention(object_type="deals", refers_back=True), "contract sent"),
        Plan(intent="answer", answer=Answer(decision="choose", choice="Initech - Expansion")),
    )
    events = await h.say("move that deal to contract sent")
    assert [e.type for e in events] == ["clarify"]
    assert h.all_sent == []
    initech_deals = [
        d for d in h.records("deals").values() if d["properties"]["dealname"].startswith("Initech")
    ]
    assert initech_deals
    name = initech_deals[0]["properties"]["dealname"]
    h.planner.script[0] = Plan(intent="answer", answer=Answer(decision="choose", choice=name))
    events = await h.say(name)
    assert [e.type for e in events] == ["confirm"]
    assert events[0].pending is not None
    assert events[0].pending["steps"][0]["target"]["id"] == initech_deals[0]["id"]
