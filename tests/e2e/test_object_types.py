"""Create, update and log for every object type; associate; merge; per-intent HubSpot call counts."""

from __future__ import annotations

import pytest

from agent.plan import Activity, Mention, Plan, Value, Write
from tests.e2e.conftest import Harness, build_harness
from tests.fakes.builders import update_plan

ACME = Mention(object_type="companies", text="Acme Corp")


def create(object_type: str, values: dict[str, str], with_: list[Mention] | None = None) -> Plan:
    return Plan(
        intent="create",
        writes=[
            Write(
                op="create",
                object_type=object_type,
                values=[Value(property=k, value=v) for k, v in values.items()],
                associate_with=with_ or [],
            )
        ],
    )


def log(activity: Activity, with_: list[Mention]) -> Plan:
    return Plan(
        intent="log_activity",
        writes=[Write(op="create", object_type=activity.type, activity=activity, associate_with=with_)],
    )


async def _approve(h: Harness, plan: Plan, text: str = "go") -> list[dict[str, object]]:
    h.planner.will(plan)
    events = await h.say(text)
    assert [e.type for e in events] == ["confirm"], [e.text for e in events]
    events = await h.say("yes")
    assert [e.type for e in events] == ["reply"], [e.text for e in events]
    return [w.model_dump() for w in events[0].writes]


@pytest.mark.parametrize(
    ("object_type", "values", "identity"),
    [
        (
            "contacts",
            {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@acme.com"},
            {"email": "ada@acme.com"},
        ),
        ("companies", {"name": "Hooli", "domain": "hooli.com"}, {"domain": "hooli.com"}),
        ("deals", {"dealname": "Acme renewal", "amount": "1500"}, {"dealname": "Acme renewal"}),
    ],
)
async def test_create_records_with_a_link_to_acme(
    object_type: str, values: dict[str, str], identity: dict[str, str]
) -> None:
    h = build_harness()
    writes = await _approve(h, create(object_type, values, [ACME]))
    (record,) = h.find(object_type, **identity)
    assert writes[0]["id"] == record["id"]
    for k, v in values.items():
        assert record["properties"][k] == v
    acme = h.find("companies", name="Acme Corp")[0]
    assert acme["id"] in h.linked(object_type, record["id"], "companies")
    await h.portal.aclose()


@pytest.mark.parametrize(
    ("activity", "expected"),
    [
        (
            Activity(type="notes", body="They are switching vendors in Q3"),
            {"hs_note_body": "They are switching vendors in Q3"},
        ),
        (
            Activity(type="calls", subject="Discovery call", body="Wants a demo", direction="outbound"),
            {
                "hs_call_title": "Discovery call",
                "hs_call_body": "Wants a demo",
                "hs_call_direction": "OUTBOUND",
            },
        ),
        (
            Activity(
                type="meetings", subject="Pricing", when="2026-03-03T20:00:00Z", end="2026-03-03T20:30:00Z"
            ),
            {"hs_meeting_title": "Pricing", "hs_meeting_outcome": "SCHEDULED"},
        ),
        (
            Activity(type="emails", subject="Contract", body="Sent the contract"),
            {
                "hs_email_subject": "Contract",
                "hs_email_text": "Sent the contract",
                "hs_email_direction": "EMAIL",
            },
        ),
        (
            Activity(type="tasks", subject="Send proposal", when="2026-03-06T22:00:00Z", priority="high"),
            {"hs_task_subject": "Send proposal", "hs_task_priority": "HIGH", "hs_task_status": "NOT_STARTED"},
        ),
    ],
)
async def test_log_each_activity_type_against_a_contact_and_company(
    activity: Activity, expected: dict[str, str]
) -> None:
    h = build_harness()
    jane = Mention(object_type="contacts", text="jane.doe@acme.com")
    await _approve(h, log(activity, [jane, ACME]))
    (record,) = h.find(activity.type, **expected)
    assert record["properties"]["hs_timestamp"]
    contact = h.find("contacts", email="jane.doe@acme.com")[0]
    assert h.linked(activity.type, record["id"], "contacts") == {contact["id"]}
    assert len(h.linked(activity.type, record["id"], "companies")) == 1
    await h.portal.aclose()


@pytest.mark.parametrize(
    ("object_type", "mention", "values"),
    [
        ("contacts", "jane.doe@acme.com", {"jobtitle": "COO", "phone": "+1 614-555-0199"}),
        ("companies", "initech.com", {"city": "Dallas"}),
        ("deals", "Globex - Platform rollout", {"amount": "75000", "closedate": "2026-04-30"}),
    ],
)
async def test_update_records(object_type: str, mention: str, values: dict[str, str]) -> None:
    h = build_harness()
    plan = Plan(
        intent="update",
        writes=[
            Write(
                op="update",
                object_type=object_type,
                target=Mention(object_type=object_type, text=mention),
                values=[Value(property=k, value=v) for k, v in values.items()],
            )
        ],
    )
    writes = await _approve(h, plan)
    record = h.records(object_type)[str(writes[0]["id"])]
    for k, v in values.items():
        if k == "closedate":
            assert record["properties"][k].startswith(v)  # noon in New York is the same day in UTC
        else:
            assert record["properties"][k] == v
    await h.portal.aclose()


async def test_update_an_activity_found_by_its_subject() -> None:
    h = build_harness()
    await _approve(h, log(Activity(type="tasks", subject="Send proposal to Zyx"), [ACME]))
    plan = Plan(
        intent="update",
        writes=[
            Write(
                op="update",
                object_type="tasks",
                target=Mention(object_type="tasks", refers_back=True),
                values=[Value(property="hs_task_status", value="COMPLETED")],
            )
        ],
    )
    await _approve(h, plan)
    (task,) = h.find("tasks", hs_task_subject="Send proposal to Zyx")
    assert task["properties"]["hs_task_status"] == "COMPLETED"
    await h.portal.aclose()


async def test_associate_two_existing_records_with_one_put() -> None:
    h = build_harness()
    plan = Plan(
        intent="associate",
        writes=[
            Write(
                op="associate",
                object_type="contacts",
                target=Mention(object_type="contacts", text="Dana Kim"),
                associate_with=[Mention(object_type="companies", text="Initech")],
            )
        ],
    )
    h.planner.will(plan)
    await h.say("link Dana to Initech")
    await h.say("yes")
    assert [r["method"] for r in h.writes()] == ["PUT"]
    dana = h.find("contacts", firstname="Dana", lastname="Kim")[0]
    initech = h.find("companies", name="Initech")[0]
    assert initech["id"] in h.linked("contacts", dana["id"], "companies")
    await h.portal.aclose()


async def test_merge_keeps_the_primary_company() -> None:
    h = build_harness()
    plan = Plan(
        intent="merge_companies",
        writes=[
            Write(
                op="merge",
                object_type="companies",
                target=Mention(object_type="companies", text="Globex"),
                merge_from=Mention(object_type="companies", text="Globex Corporation"),
            )
        ],
    )
    h.planner.will(plan)
    events = await h.say("merge Globex Corporation into Globex")
    assert events[0].type == "confirm", events[0].text
    assert "Merge company Globex Corporation (globex.com, id" in events[0].text
    assert "into Globex (globex.com, id" in events[0].text
    await h.say("yes")
    assert [r["path"] for r in h.writes()] == ["/crm/v3/objects/companies/merge"]
    names = [c["properties"].get("name") for c in h.records("companies").values()]
    assert "Globex Corporation" not in names and "Globex" in names
    await h.portal.aclose()


# Per-intent HubSpot calls (recorded in docs/architecture.md): (plan, expected calls for the whole exchange)
async def test_minimal_call_counts_per_intent() -> None:
    cases: list[tuple[str, Plan, int]] = [
        # + the pipeline's first open stage and the requester as owner (both cached per connection)
        ("create deal for a known company", create("deals", {"dealname": "X"}, [ACME]), 4),
        ("create contact, no links", create("contacts", {"email": "new@person.io"}), 1),
        (
            "log a note on a contact",
            log(
                Activity(type="notes", body="hi"), [Mention(object_type="contacts", text="jane.doe@acme.com")]
            ),
            3,  # + the requester as the note's owner (cached per connection)
        ),
        (
            "update a company",
            update_plan("companies", "Initech", city="Dallas"),
            3,  # + the read of the current value just before the PATCH (no lost updates)
        ),
        (
            "link a contact to a company",
            Plan(
                intent="associate",
                writes=[
                    Write(
                        op="associate",
                        object_type="contacts",
                        target=Mention(object_type="contacts", text="dana.kim@initech.com"),
                        associate_with=[Mention(object_type="companies", text="initech.com")],
                    )
                ],
            ),
            3,
        ),
        (
            "merge two companies",
            Plan(
                intent="merge_companies",
                writes=[
                    Write(
                        op="merge",
                        object_type="companies",
                        target=Mention(object_type="companies", text="Globex"),
                        merge_from=Mention(object_type="companies", text="Globex Corporation"),
                    )
                ],
            ),
            3,
        ),
    ]
    for _name, plan, expected in cases:
        h = build_harness()
        h.planner.will(plan)
        await h.say("go")
        await h.say("yes")
        assert len(h.all_sent) == expected, (_name, [(r["method"], r["path"]) for r in h.all_sent])
        await h.portal.aclose()


@pytest.mark.parametrize(
    ("activity", "change"),
    [
        (Activity(type="notes", body="First draft"), {"hs_note_body": "Final text"}),
        (Activity(type="calls", subject="Intro", body="x"), {"hs_call_status": "NO_ANSWER"}),
        (
            Activity(type="meetings", subject="Kickoff", when="2026-03-03T20:00:00Z"),
            {"hs_meeting_outcome": "RESCHEDULED"},
        ),
        (Activity(type="emails", subject="Pricing", body="x"), {"hs_email_subject": "Pricing (revised)"}),
    ],
)
async def test_update_a_logged_activity_referred_back_to(activity: Activity, change: dict[str, str]) -> None:
    h = build_harness()
    writes = await _approve(h, log(activity, [ACME]))
    plan = Plan(
        intent="update",
        writes=[
            Write(
                op="update",
                object_type=activity.type,
                target=Mention(object_type=activity.type, refers_back=True),
                values=[Value(property=k, value=v) for k, v in change.items()],
            )
        ],
    )
    await _approve(h, plan)
    record = h.records(activity.type)[str(writes[0]["id"])]
    for k, v in change.items():
        assert record["properties"][k] == v
    await h.portal.aclose()
