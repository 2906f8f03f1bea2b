"""The first vertical slice: a question and a create-with-confirmation through the service."""

from __future__ import annotations

from agent.plan import Mention, Plan, Question
from tests.e2e.conftest import Harness
from tests.fakes.builders import deal_for_acme


async def test_create_deal_for_known_company_asks_then_writes_once_with_one_search(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    events = await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    assert [e.type for e in events] == ["confirm"]
    assert events[0].pending is not None
    step = events[0].pending["steps"][0]
    assert step["op"] == "create" and step["properties"]["dealname"] == "Acme expansion"
    assert step["associations"][0]["label"] == "Acme Corp"
    # one search; the pipeline's first open stage and the requester as owner, read once per connection
    assert [(r["method"], r["path"]) for r in h.sent] == [
        ("POST", "/crm/v3/objects/companies/search"),
        ("GET", "/crm/v3/pipelines/deals"),
        ("GET", "/crm/v3/owners"),
    ]
    assert step["properties"]["dealstage"] == "appointmentscheduled"
    assert step["display"]["hubspot_owner_id"] == "Alex Rivera (you)"
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
    assert len(h.all_sent) == 4
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


async def test_without_a_known_portal_id_the_reply_has_no_link(h: Harness) -> None:
    from dataclasses import replace

    h.ctx = replace(h.ctx, portal_id=None)
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp")
    events = await h.say("yes")
    assert events[0].writes[0].url is None and "https://" not in events[0].text
    assert len(h.all_sent) == 4  # search, stages, owner, create: links never cost a call


def test_module_graph_compiles_without_a_checkpointer_and_without_settings_io() -> None:
    import json
    from pathlib import Path

    from agent.graph import graph

    assert graph.checkpointer is None
    assert {
        "understand",
        "guard",
        "authorize",
        "resolve",
        "clarify",
        "confirm",
        "send_step",
        "respond",
    } <= set(graph.nodes)
    config = json.loads((Path(__file__).resolve().parents[2] / "langgraph.json").read_text())
    assert config["graphs"]["hubspot_agent"] == "./agent/graph.py:graph"


def test_checkpoints_are_read_strictly() -> None:
    from langgraph.checkpoint.serde import _msgpack

    assert _msgpack.STRICT_MSGPACK_ENABLED
