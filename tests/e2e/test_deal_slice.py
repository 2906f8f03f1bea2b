"""The first vertical slice: a question and a create-with-confirmation through the service."""

from __future__ import annotations

from agent.plan import Mention, Plan, Question, Value, Write
from tests.e2e.conftest import Harness


def deal_for_acme(**extra: str) -> Plan:
    values = [Value(property="dealname", value="Acme expansion"), Value(property="amount", value="50000")]
    values += [Value(property=k, value=v) for k, v in extra.items()]
    return Plan(
        intent="create",
        writes=[
            Write(
                op="create",
                object_type="deals",
                values=values,
                associate_with=[Mention(object_type="companies", text="Acme Corp")],
            )
        ],
    )


async def test_create_deal_for_known_company_asks_then_writes_once_with_one_search(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    events = await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    assert [e.type for e in events] == ["confirm"]
    assert events[0].pending is not None
    step = events[0].pending["steps"][0]
    assert step["op"] == "create" and step["properties"]["dealname"] == "Acme expansion"
    assert step["associations"][0]["label"] == "Acme Corp"
    assert [(r["method"], r["path"]) for r in h.sent] == [("POST", "/crm/v3/objects/companies/search")]
    assert h.find("deals", dealname="Acme expansion") == []

    events = await h.say("yes")
    assert [e.type for e in events] == ["reply"]
    assert [(r["method"], r["path"]) for r in h.sent] == [("POST", "/crm/v3/objects/deals")]
    (deal,) = h.find("deals", dealname="Acme expansion")
    assert deal["properties"]["amount"] == "50000" and deal["properties"]["pipeline"] == "default"
    acme = h.find("companies", name="Acme Corp")[0]
    assert h.linked("deals", deal["id"], "companies") == {acme["id"]}
    assert events[0].writes[0].id == deal["id"]
    assert events[0].writes[0].url and deal["id"] in events[0].writes[0].url
    assert len(h.all_sent) == 2
    assert len(h.planner.calls) == 1  # "yes" never reached the planner


async def test_question_counts_open_deals_of_a_company_from_search(h: Harness) -> None:
    h.planner.will(
        Plan(
            intent="question",
            question=Question(
                kind="count",
                object_type="deals",
                deal_status="open",
                about=Mention(object_type="companies", text="Globex"),
            ),
        )
    )
    events = await h.say("how many open deals does Globex have?")
    assert [e.type for e in events] == ["reply"], events
    globex = h.find("companies", name="Globex")[0]
    open_ids = {
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
    }
    expected = [
        d
        for d in h.records("deals").values()
        if d["properties"].get("dealstage") in open_ids
        and globex["id"] in h.linked("deals", d["id"], "companies")
    ]
    assert events[0].text.startswith(f"{len(expected)} open deal")
