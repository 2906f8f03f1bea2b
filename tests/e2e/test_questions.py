"""Questions: figures computed from paged search results, checked against the portal itself."""

from __future__ import annotations

from typing import Any

from agent.plan import Condition, Mention, Plan, Question
from tests.e2e.conftest import Harness

OPEN = {
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
}


def ask(**question: Any) -> Plan:
    return Plan(intent="question", question=Question(**question))


def money(value: float) -> str:
    return f"${value:,.0f}"


def alex_id(h: Harness) -> str:
    return str(
        next(o["id"] for o in h.portal.sandbox.state()["owners"] if o["email"] == "alex@acme-sales.io")
    )


async def test_total_value_of_my_open_deals(h: Harness) -> None:
    h.planner.will(
        ask(
            kind="sum",
            object_type="deals",
            deal_status="open",
            conditions=[Condition(property="hubspot_owner_id", operator="EQ", value="me", kind="owner")],
        )
    )
    events = await h.say("total value of my open deals")
    mine = [
        d
        for d in h.records("deals").values()
        if d["properties"].get("hubspot_owner_id") == alex_id(h) and d["properties"].get("dealstage") in OPEN
    ]
    total = sum(float(d["properties"].get("amount") or 0) for d in mine)
    assert mine and money(total) in events[0].text and f"{len(mine)} open deal" in events[0].text


async def test_open_pipeline_by_stage(h: Harness) -> None:
    h.planner.will(ask(kind="pipeline_by_stage", object_type="deals", deal_status="open"))
    events = await h.say("open pipeline value by stage")
    text = events[0].text
    deals = [d for d in h.records("deals").values() if d["properties"].get("dealstage") in OPEN]
    contract = [d for d in deals if d["properties"]["dealstage"] == "contractsent"]
    assert f"Contract Sent: {money(sum(float(d['properties'].get('amount') or 0) for d in contract))}" in text
    assert f"across {len(deals)} deals" in text
    assert "Closed Won" not in text


async def test_win_rate_counts_won_and_lost(h: Harness) -> None:
    h.planner.will(ask(kind="win_rate", object_type="deals"))
    events = await h.say("what's our win rate?")
    stages = [d["properties"].get("dealstage") for d in h.records("deals").values()]
    won, lost = stages.count("closedwon"), stages.count("closedlost")
    assert f"{round(100 * won / (won + lost))}% ({won} won, {lost} lost)" in events[0].text


async def test_deals_closing_this_month_paged_and_listed(h: Harness) -> None:
    h.planner.will(
        ask(
            kind="list",
            object_type="deals",
            conditions=[
                Condition(
                    property="closedate", operator="BETWEEN", value="2026-03-01", high_value="2026-03-31"
                )
            ],
            limit=50,
        )
    )
    events = await h.say("deals closing this month")
    assert events[0].type == "reply"
    assert [e for e in events if e.type == "error"] == []


async def test_contacts_of_a_company_via_associations(h: Harness) -> None:
    h.planner.will(
        ask(
            kind="associations",
            object_type="contacts",
            about=Mention(object_type="companies", text="Acme Corp"),
        )
    )
    events = await h.say("who are the contacts at Acme?")
    acme = h.find("companies", name="Acme Corp")[0]
    contacts = [
        c for c in h.records("contacts").values() if acme["id"] in h.linked("contacts", c["id"], "companies")
    ]
    assert contacts
    for c in contacts:
        assert c["properties"]["firstname"] in events[0].text


async def test_that_deal_after_a_list_refers_to_the_first_listed(h: Harness) -> None:
    h.planner.will(
        ask(
            kind="list", object_type="deals", about=Mention(object_type="companies", text="Initech"), limit=1
        ),
        ask(kind="lookup", about=Mention(object_type="deals", refers_back=True), fields=["amount"]),
    )
    first = await h.say("Initech's biggest deal")
    second = await h.say("how much is that deal?")
    label = first[0].text.splitlines()[1].removeprefix("- ").split(" (")[0]
    assert second[0].text.startswith(label)


async def test_metadata_questions(h: Harness) -> None:
    h.planner.will(
        ask(kind="pipelines"), ask(kind="owners"), ask(kind="account"), ask(kind="properties", object_type="deals"),
        ask(kind="teams"), ask(kind="users"),
    )  # fmt: skip
    assert "Contract Sent" in (await h.say("what are our deal stages?"))[0].text
    assert "Priya Shah" in (await h.say("list owners"))[0].text
    account = h.portal.sandbox.state()["account"]
    assert str(account["portalId"]) in (await h.say("what's our account?"))[0].text
    assert "dealname" in (await h.say("what fields do deals have?"))[0].text
    assert "Sales - East" in (await h.say("teams?"))[0].text
    assert "alex@acme-sales.io" in (await h.say("users?"))[0].text


async def test_questions_never_write(h: Harness) -> None:
    h.planner.will(ask(kind="count", object_type="contacts"))
    events = await h.say("how many contacts?")
    assert events[0].text.split()[0] == str(len(h.records("contacts")))
    assert h.writes(h.all_sent) == []


async def test_a_follow_up_question_is_told_the_previous_question(h: Harness) -> None:
    count = ask(kind="count", object_type="deals", deal_status="open")
    h.planner.will(count, ask(kind="sum", object_type="deals", deal_status="open"))
    await h.say("how many open deals are there?")
    await h.say("and what's the total on those?")
    (_, first), (_, second) = h.planner.calls
    assert first.previous_question is None
    assert second.previous_question == count.question
