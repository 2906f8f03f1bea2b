"""The offline planner reads questions: counts, filtered lists, lookups, associations, analysis, metadata.

The clock is Monday 2026-03-02 10:00 in New York: "this month" is March, "this quarter" Q1 2026,
"last quarter" Q4 2025, "this week" Monday 2 to Sunday 8 March.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.plan import Plan
from agent.planners.base import PlanningInput, RecentRecord
from agent.planners.offline import plan_message
from tests.fakes.builders import assert_matches

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/New_York"))
ME = {"property": "hubspot_owner_id", "operator": "EQ", "value": "me", "kind": "owner"}
THIS_MONTH = {
    "property": "closedate",
    "operator": "BETWEEN",
    "value": "2026-03-01",
    "high_value": "2026-03-31",
}
THIS_QUARTER = {
    "property": "closedate",
    "operator": "BETWEEN",
    "value": "2026-01-01",
    "high_value": "2026-03-31",
}
LAST_QUARTER = {
    "property": "closedate",
    "operator": "BETWEEN",
    "value": "2025-10-01",
    "high_value": "2025-12-31",
}
THIS_WEEK_DUE = {
    "property": "hs_timestamp",
    "operator": "BETWEEN",
    "value": "2026-03-02",
    "high_value": "2026-03-08",
}


def plan(message: str) -> Plan:
    return plan_message(message, PlanningInput(now=MONDAY, timezone="America/New_York"))


def question(**fields: Any) -> dict[str, Any]:
    """The expected question: unspecified list fields are expected empty, others unchecked."""
    fields.setdefault("conditions", [])
    return {"intent": "question", "writes": [], "question": fields}


def about(object_type: str, text: str) -> dict[str, Any]:
    return {"object_type": object_type, "text": text, "refers_back": False}


COUNTS_AND_LISTS = [
    (
        "how many open deals does Globex have?",
        question(kind="count", object_type="deals", deal_status="open", about=about("companies", "Globex")),
    ),
    ("How many deals do I have", question(kind="count", object_type="deals", conditions=[ME])),
    ("count my open opps", question(kind="count", object_type="deals", deal_status="open", conditions=[ME])),
    (
        "number of contacts at Initech",
        question(kind="count", object_type="contacts", about=about("companies", "Initech")),
    ),
    ("my deals closing this month", question(kind="list", object_type="deals", conditions=[ME, THIS_MONTH])),
    (
        "show me my deals closing this month",
        question(kind="list", object_type="deals", conditions=[ME, THIS_MONTH]),
    ),
    (
        "what deals are closing next month?",
        question(
            kind="list",
            object_type="deals",
            conditions=[
                {
                    "property": "closedate",
                    "operator": "BETWEEN",
                    "value": "2026-04-01",
                    "high_value": "2026-04-30",
                }
            ],
        ),
    ),
    (
        "deals over 50k in contract sent",
        question(
            kind="list",
            object_type="deals",
            conditions=[
                {"property": "amount", "operator": "GT", "value": "50000"},
                {"property": "dealstage", "operator": "EQ", "value": "Contract Sent", "kind": "stage"},
            ],
        ),
    ),
    (
        "list deals above $100k",
        question(
            kind="list",
            object_type="deals",
            conditions=[{"property": "amount", "operator": "GT", "value": "100000"}],
        ),
    ),
    (
        "deals between 10k and 50k",
        question(
            kind="list",
            object_type="deals",
            conditions=[
                {"property": "amount", "operator": "BETWEEN", "value": "10000", "high_value": "50000"}
            ],
        ),
    ),
    ("tasks due this week", question(kind="list", object_type="tasks", conditions=[THIS_WEEK_DUE])),
    (
        "my overdue tasks",
        question(
            kind="list",
            object_type="tasks",
            conditions=[
                ME,
                {"property": "hs_task_status", "operator": "NEQ", "value": "COMPLETED"},
                {"property": "hs_timestamp", "operator": "LT", "value": "2026-03-02"},
            ],
        ),
    ),
    (
        "open deals with no close date",
        question(
            kind="list",
            object_type="deals",
            deal_status="open",
            conditions=[{"property": "closedate", "operator": "NOT_HAS_PROPERTY"}],
        ),
    ),
    (
        "deals without an amount",
        question(
            kind="list",
            object_type="deals",
            conditions=[{"property": "amount", "operator": "NOT_HAS_PROPERTY"}],
        ),
    ),
    (
        "deals owned by Priya",
        question(
            kind="list",
            object_type="deals",
            conditions=[
                {"property": "hubspot_owner_id", "operator": "EQ", "value": "Priya", "kind": "owner"}
            ],
        ),
    ),
    (
        "top 5 deals by amount",
        question(kind="list", object_type="deals", sort_by="amount", limit=5, descending=True),
    ),
    (
        "biggest 3 deals closing this quarter",
        question(kind="list", object_type="deals", sort_by="amount", limit=3, conditions=[THIS_QUARTER]),
    ),
    (
        "list companies created last month",
        question(
            kind="list",
            object_type="companies",
            conditions=[
                {
                    "property": "createdate",
                    "operator": "BETWEEN",
                    "value": "2026-02-01",
                    "high_value": "2026-02-28",
                }
            ],
        ),
    ),
    (
        "new contacts this week",
        question(
            kind="list",
            object_type="contacts",
            conditions=[
                {
                    "property": "createdate",
                    "operator": "BETWEEN",
                    "value": "2026-03-02",
                    "high_value": "2026-03-08",
                }
            ],
        ),
    ),
    ("meetings this week", question(kind="list", object_type="meetings", conditions=[THIS_WEEK_DUE])),
    (
        "what's on my plate today",
        question(
            kind="list",
            object_type="tasks",
            conditions=[
                ME,
                {
                    "property": "hs_timestamp",
                    "operator": "BETWEEN",
                    "value": "2026-03-02",
                    "high_value": "2026-03-02",
                },
            ],
        ),
    ),
]

LOOKUPS = [
    (
        "what's Jane's email?",
        question(kind="lookup", object_type="contacts", about=about("contacts", "Jane"), fields=["email"]),
    ),
    (
        "whats jane doe's phone number",
        question(
            kind="lookup", object_type="contacts", about=about("contacts", "jane doe"), fields=["phone"]
        ),
    ),
    (
        "what is the phone number for Jane Doe",
        question(
            kind="lookup", object_type="contacts", about=about("contacts", "Jane Doe"), fields=["phone"]
        ),
    ),
    (
        "who owns Acme?",
        question(
            kind="lookup",
            object_type="companies",
            about=about("companies", "Acme"),
            fields=["hubspot_owner_id"],
        ),
    ),
    (
        "who's the owner of the Globex deal",
        question(
            kind="lookup", object_type="deals", about=about("deals", "Globex"), fields=["hubspot_owner_id"]
        ),
    ),
    (
        "what stage is the Globex deal in?",
        question(kind="lookup", object_type="deals", about=about("deals", "Globex"), fields=["dealstage"]),
    ),
    (
        "where is the Initech deal at",
        question(kind="lookup", object_type="deals", about=about("deals", "Initech"), fields=["dealstage"]),
    ),
    (
        "tell me about Initech",
        question(kind="lookup", object_type="companies", about=about("companies", "Initech")),
    ),
    (
        "pull up Jane Doe",
        question(kind="lookup", object_type="contacts", about=about("contacts", "Jane Doe")),
    ),
]

COUNTS_AND_LISTS += [
    (
        "show me deals closing before end of month",
        question(
            kind="list",
            object_type="deals",
            conditions=[{"property": "closedate", "operator": "LT", "value": "2026-03-31"}],
        ),
    ),
    (
        "deals I own in presentation scheduled",
        question(
            kind="list",
            object_type="deals",
            conditions=[
                ME,
                {
                    "property": "dealstage",
                    "operator": "EQ",
                    "value": "Presentation Scheduled",
                    "kind": "stage",
                },
            ],
        ),
    ),
    (
        "which companies are in Berlin?",
        question(
            kind="list",
            object_type="companies",
            conditions=[{"property": "city", "operator": "EQ", "value": "Berlin"}],
        ),
    ),
    (
        "how many calls did I log this week",
        question(kind="count", object_type="calls", conditions=[ME, THIS_WEEK_DUE]),
    ),
    ("list my contacts", question(kind="list", object_type="contacts", conditions=[ME])),
    (
        "show open tasks",
        question(
            kind="list",
            object_type="tasks",
            conditions=[{"property": "hs_task_status", "operator": "NEQ", "value": "COMPLETED"}],
        ),
    ),
]
LOOKUPS += [
    (
        "what's the amount on the Globex deal",
        question(kind="lookup", object_type="deals", about=about("deals", "Globex"), fields=["amount"]),
    ),
    (
        "when does the Acme deal close?",
        question(kind="lookup", object_type="deals", about=about("deals", "Acme"), fields=["closedate"]),
    ),
    (
        "what is Hank's title",
        question(kind="lookup", object_type="contacts", about=about("contacts", "Hank"), fields=["jobtitle"]),
    ),
]

# Shorthand, typos and lower-case names.
COUNTS_AND_LISTS += [
    (
        "how many opps are in contract sent",
        question(
            kind="count",
            object_type="deals",
            conditions=[
                {"property": "dealstage", "operator": "EQ", "value": "Contract Sent", "kind": "stage"}
            ],
        ),
    ),
    (
        "show me my opps closing in Q3",
        question(
            kind="list",
            object_type="deals",
            conditions=[
                ME,
                {
                    "property": "closedate",
                    "operator": "BETWEEN",
                    "value": "2026-07-01",
                    "high_value": "2026-09-30",
                },
            ],
        ),
    ),
    (
        "what's the total of my pipeline this quarter",
        question(kind="sum", object_type="deals", deal_status="open", conditions=[ME, THIS_QUARTER]),
    ),
]
LOOKUPS += [
    (
        "whats the stage of the globex opp",
        question(kind="lookup", object_type="deals", about=about("deals", "globex"), fields=["dealstage"]),
    ),
    (
        "whos the owner of the acme acct",
        question(
            kind="lookup",
            object_type="companies",
            about=about("companies", "acme"),
            fields=["hubspot_owner_id"],
        ),
    ),
]

ASSOCIATIONS = [
    (
        "contacts at Acme",
        question(kind="associations", object_type="contacts", about=about("companies", "Acme")),
    ),
    (
        "who are the contacts at Initech?",
        question(kind="associations", object_type="contacts", about=about("companies", "Initech")),
    ),
    ("Jane's deals", question(kind="associations", object_type="deals", about=about("contacts", "Jane"))),
    (
        "show all deals for Acme",
        question(kind="associations", object_type="deals", about=about("companies", "Acme")),
    ),
    (
        "deals for Acme Corp",
        question(kind="associations", object_type="deals", about=about("companies", "Acme Corp")),
    ),
    (
        "list contcts at globex",
        question(kind="associations", object_type="contacts", about=about("companies", "globex")),
    ),
]

METADATA = [
    ("what are our deal stages?", {"kind": "pipelines", "object_type": "deals"}),
    ("list the pipelines", {"kind": "pipelines", "object_type": "deals"}),
    ("what fields do deals have?", {"kind": "properties", "object_type": "deals"}),
    ("what properties do contacts have", {"kind": "properties", "object_type": "contacts"}),
    ("what's our portal's time zone?", {"kind": "account"}),
    ("what currency is our account in", {"kind": "account"}),
    ("who's on the sales team?", {"kind": "teams"}),
    ("list owners", {"kind": "owners"}),
    ("who are the users", {"kind": "users"}),
]

ANALYSIS = [
    (
        "open pipeline value by stage",
        question(kind="pipeline_by_stage", object_type="deals", deal_status="open"),
    ),
    (
        "pipeline by stage for my deals",
        question(kind="pipeline_by_stage", object_type="deals", deal_status="open", conditions=[ME]),
    ),
    (
        "deals won this quarter",
        question(kind="list", object_type="deals", deal_status="won", conditions=[THIS_QUARTER]),
    ),
    (
        "how many deals did we win last quarter",
        question(kind="count", object_type="deals", deal_status="won", conditions=[LAST_QUARTER]),
    ),
    (
        "what's our win rate this year?",
        question(
            kind="win_rate",
            object_type="deals",
            deal_status="closed",
            conditions=[
                {
                    "property": "closedate",
                    "operator": "BETWEEN",
                    "value": "2026-01-01",
                    "high_value": "2026-12-31",
                }
            ],
        ),
    ),
    ("win rate in Q1", question(kind="win_rate", object_type="deals", conditions=[THIS_QUARTER])),
    (
        "total value of my open deals",
        question(kind="sum", object_type="deals", deal_status="open", conditions=[ME]),
    ),
    (
        "what's the total value of deals won last quarter",
        question(kind="sum", object_type="deals", deal_status="won", conditions=[LAST_QUARTER], sort_by=None),
    ),
    (
        "how much is in my pipeline",
        question(kind="sum", object_type="deals", deal_status="open", conditions=[ME]),
    ),
]


@pytest.mark.parametrize(
    ("message", "expected"), COUNTS_AND_LISTS, ids=[case[0] for case in COUNTS_AND_LISTS]
)
def test_counts_and_lists_carry_their_filters(message: str, expected: dict[str, Any]) -> None:
    assert_matches(plan(message).model_dump(), expected)


@pytest.mark.parametrize(("message", "expected"), LOOKUPS, ids=[case[0] for case in LOOKUPS])
def test_lookups_name_the_record_and_the_fields_asked(message: str, expected: dict[str, Any]) -> None:
    assert_matches(plan(message).model_dump(), expected)


@pytest.mark.parametrize(("message", "expected"), ASSOCIATIONS, ids=[case[0] for case in ASSOCIATIONS])
def test_association_questions_name_the_record_and_the_type_asked(
    message: str, expected: dict[str, Any]
) -> None:
    assert_matches(plan(message).model_dump(), expected)


@pytest.mark.parametrize(("message", "expected"), METADATA, ids=[case[0] for case in METADATA])
def test_metadata_questions(message: str, expected: dict[str, Any]) -> None:
    assert_matches(plan(message).model_dump(), question(**expected))


@pytest.mark.parametrize(("message", "expected"), ANALYSIS, ids=[case[0] for case in ANALYSIS])
def test_analysis_questions(message: str, expected: dict[str, Any]) -> None:
    assert_matches(plan(message).model_dump(), expected)


@pytest.mark.parametrize(
    ("message", "wants"),
    [
        ("summarize the Globex deal for me", True),
        ("give me a summary of my open deals", True),
        ("write up my pipeline", True),
        ("recap the Acme deal", True),
        ("what stage is the Globex deal in?", False),
        ("my deals closing this month", False),
    ],
)
def test_a_written_summary_is_flagged_only_when_asked(message: str, wants: bool) -> None:
    result = plan(message)
    assert result.intent == "question"
    assert result.wants_summary is wants


def test_a_summary_of_one_record_is_a_lookup_of_it() -> None:
    assert_matches(
        plan("summarize the Globex deal for me").model_dump(),
        {
            "wants_summary": True,
            **question(kind="lookup", object_type="deals", about=about("deals", "Globex")),
        },
    )


def _after(previous: str, message: str) -> Plan:
    first = plan(previous)
    given = PlanningInput(now=MONDAY, timezone="America/New_York", previous_question=first.question)
    return plan_message(message, given)


def test_a_total_on_those_keeps_the_previous_questions_filters() -> None:
    result = _after("how many deals r in contract sent rn?", "and whats the total on those?")
    assert result.question is not None
    assert result.question.kind == "sum" and result.question.about is None
    assert [(c.property, c.value) for c in result.question.conditions] == [("dealstage", "Contract Sent")]


def test_a_question_about_other_records_is_not_a_follow_up() -> None:
    result = _after("how many deals r in contract sent rn?", "how many contacts at acme are there?")
    assert result.question is not None
    assert result.question.object_type == "contacts" and result.question.conditions == []


MY_TEAM = {"property": "hubspot_owner_id", "operator": "EQ", "value": "my team", "kind": "owner"}


@pytest.mark.parametrize(
    ("message", "kind", "status"),
    [
        ("my team's open deals", "list", "open"),
        ("show open deals for my team", "list", "open"),
        ("what's our team's pipeline", "list", "open"),
    ],
)
def test_team_owned_records_are_asked_for_not_the_list_of_teams(message: str, kind: str, status: str) -> None:
    q = plan(message).question
    assert q is not None
    assert (q.kind, q.object_type, q.deal_status) == (kind, "deals", status)
    assert [c.model_dump(exclude_defaults=True) for c in q.conditions] == [MY_TEAM]


def test_how_many_deals_our_team_closes_this_month_counts_the_team() -> None:
    q = plan("how many deals does our team have closing this month").question
    assert q is not None and q.kind == "count" and q.object_type == "deals"
    assert MY_TEAM in [c.model_dump(exclude_defaults=True) for c in q.conditions]


def test_asking_for_the_teams_themselves_still_lists_teams() -> None:
    q = plan("what teams do we have and who's on them").question
    assert q is not None and q.kind == "teams"


@pytest.mark.parametrize("message", ["what's her email?", "whats her email"])
def test_her_email_is_the_contact_field_of_the_earlier_contact(message: str) -> None:
    given = PlanningInput(
        now=MONDAY,
        timezone="America/New_York",
        recent=[RecentRecord(object_type="contacts", id="1", label="Jane Doe")],
    )
    q = plan_message(message, given).question  # used to raise IndexError on the empty pronoun mention
    assert q is not None and q.kind == "lookup"
    assert q.about is not None and (q.about.object_type, q.about.refers_back) == ("contacts", True)
    assert q.fields == ["email"]
