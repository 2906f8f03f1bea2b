"""The model planner against a scripted chat model that fails on any unexpected or missing call."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.plan import Answer, Plan, Value
from agent.planners.base import Candidate, PendingKind, PlanningInput, RecentRecord, Summarizer
from agent.planners.openai import OpenAIPlanner, strict_json_schema
from agent.planners.recorded import (
    MissingModelCall,
    RecordedRequest,
    RecordingChatModel,
    RequestMismatch,
    UnexpectedModelCall,
    read_cassette,
    write_cassette,
)
from tests.fakes import ModelResponse, ModelScript, ScriptedChatModel
from tests.fakes.builders import deal_for_acme
from tools.redact import register_secret

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
NOW = datetime(2026, 3, 2, 10, 30, tzinfo=ZoneInfo("America/New_York"))

DEAL_FOR_ACME = deal_for_acme()


def prompt_file(name: str) -> str:
    return (PROMPTS_DIR / name).read_text(encoding="utf-8").strip()


def expected_system_message(context: dict[str, Any]) -> str:
    """The system message built by hand from the prompt files, so a change in either shows."""
    rendered = json.dumps(context, ensure_ascii=False, indent=2)
    return f"{prompt_file('system.md')}\n\n{prompt_file('planner.md')}\n\n# Turn context\n\n```json\n{rendered}\n```"


def expected_plan_format() -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "plan", "strict": True, "schema": strict_json_schema(Plan)},
    }


def given(pending: PendingKind = "none", now: datetime = NOW, **extra: Any) -> PlanningInput:
    return PlanningInput(
        now=now, timezone="America/New_York", user_name="Alex Rivera", pending=pending, **extra
    )


def no_quick_answers(message: str, pending: PendingKind) -> Answer | None:
    return None


def yes_no_only(message: str, pending: PendingKind) -> Answer | None:
    if pending == "confirm" and message.strip().lower() in {"yes", "no"}:
        return Answer(decision="approve" if message.strip().lower() == "yes" else "reject")
    return None


@pytest.fixture
def script() -> Iterator[ModelScript]:
    script = ModelScript()
    yield script
    script.assert_done()  # every scripted call happened, and nothing else did


def planner_for(script: ModelScript, quick: Any = no_quick_answers) -> OpenAIPlanner:
    return OpenAIPlanner(ScriptedChatModel(script=script), quick_answer=quick)


async def test_plans_a_turn_with_one_call_sending_prompt_files_context_and_strict_schema(
    script: ModelScript,
) -> None:
    context = {
        "now": "2026-03-02T10:30-05:00",
        "weekday": "Monday",
        "timezone": "America/New_York",
        "user": "Alex Rivera",
        "pending": "none",
        "pending_summary": "",
        "candidates": [],
        "recent_records": [{"object_type": "companies", "id": "101", "label": "Acme Corp"}],
        "deal_stages": ["Appointment Scheduled", "Contract Sent"],
    }
    message = "Create a new deal for Acme Corp called Acme expansion, 50k"
    script.add(
        ModelResponse.structured(DEAL_FOR_ACME),
        request=RecordedRequest.from_openai(
            [
                {"role": "system", "content": expected_system_message(context)},
                {"role": "user", "content": message},
            ],
            expected_plan_format(),
        ),
    )
    model = ScriptedChatModel(script=script)
    planner = OpenAIPlanner(model, quick_answer=no_quick_answers)

    plan = await planner.plan(
        message,
        given(
            recent=[RecentRecord(object_type="companies", id="101", label="Acme Corp")],
            stage_labels=["Appointment Scheduled", "Contract Sent"],
        ),
    )

    assert plan == DEAL_FOR_ACME
    assert planner.model_calls == script.calls == 1
    # The recorded request keeps the schema's name and digest; the format sent is the strict one in full.
    assert model.options == [{"response_format": expected_plan_format()}]


async def test_pending_question_and_its_numbered_candidates_are_in_the_turn_context(
    script: ModelScript,
) -> None:
    choice = Plan(intent="answer", answer=Answer(decision="choose", choice="the one at Initech"))
    script.add(ModelResponse.structured(choice))
    candidates = [
        Candidate(id="1", object_type="contacts", label="Jane Doe", details="jane@acme.com · Acme Corp"),
        Candidate(id="2", object_type="contacts", label="Jane Doe", details="jane@initech.com · Initech"),
    ]

    plan = await planner_for(script).plan(
        "the one at Initech", given("clarify", pending_summary="Which Jane Doe?", candidates=candidates)
    )

    assert plan == choice
    system = script.requests[0].messages[0]["content"]
    context = json.loads(system.split("# Turn context\n\n```json\n", 1)[1].removesuffix("\n```"))
    assert context["pending"] == "clarify"
    assert context["pending_summary"] == "Which Jane Doe?"
    assert [(c["number"], c["details"]) for c in context["candidates"]] == [
        (1, "jane@acme.com · Acme Corp"),
        (2, "jane@initech.com · Initech"),
    ]


async def test_now_is_rendered_in_the_users_timezone_whatever_clock_zone_is_given(
    script: ModelScript,
) -> None:
    script.add(ModelResponse.structured(DEAL_FOR_ACME))
    late_sunday_utc = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)  # still Sunday evening in New York

    await planner_for(script).plan("Create a deal for Acme", given(now=late_sunday_utc))

    system = script.requests[0].messages[0]["content"]
    context = json.loads(system.split("# Turn context\n\n```json\n", 1)[1].removesuffix("\n```"))
    assert (context["now"], context["weekday"]) == ("2026-03-01T21:30-05:00", "Sunday")


@pytest.mark.parametrize("reply", ["yes", "no"])
async def test_yes_or_no_to_a_pending_confirmation_costs_no_model_call(
    script: ModelScript, reply: str
) -> None:
    planner = planner_for(script, quick=yes_no_only)

    plan = await planner.plan(reply, given("confirm", pending_summary="Create deal Acme expansion"))

    decision = "approve" if reply == "yes" else "reject"
    assert plan == Plan(intent="answer", answer=Answer(decision=decision))
    assert planner.model_calls == script.calls == 0


@pytest.mark.parametrize("reply", ["yes", "sure, go ahead", "👍"])
async def test_the_shared_quick_reader_keeps_yes_from_reaching_the_model(
    script: ModelScript, reply: str
) -> None:
    planner = OpenAIPlanner(ScriptedChatModel(script=script))  # the default quick reader

    plan = await planner.plan(reply, given("confirm", pending_summary="Create deal Acme expansion"))

    assert plan == Plan(intent="answer", answer=Answer(decision="approve"))
    assert script.calls == 0


async def test_an_edit_to_a_pending_confirmation_is_planned_by_the_model(script: ModelScript) -> None:
    edit = Plan(
        intent="answer", answer=Answer(decision="edit", edits=[Value(property="amount", value="60000")])
    )
    script.add(ModelResponse.structured(edit))

    plan = await planner_for(script, quick=yes_no_only).plan("make it 60k", given("confirm"))

    assert plan == edit
    assert script.calls == 1


async def test_yes_without_anything_pending_goes_to_the_model(script: ModelScript) -> None:
    unclear = Plan(intent="unsupported", not_understood=["yes"])
    script.add(ModelResponse.structured(unclear))

    assert await planner_for(script, quick=yes_no_only).plan("yes", given()) == unclear


async def test_each_turn_costs_exactly_one_call(script: ModelScript) -> None:
    script.add(ModelResponse.structured(DEAL_FOR_ACME)).add(ModelResponse.structured(DEAL_FOR_ACME))
    planner = planner_for(script)

    for turn in range(1, 3):
        await planner.plan("Create a new deal for Acme Corp", given())
        assert planner.model_calls == script.calls == turn


async def test_refusal_becomes_an_unsupported_plan_with_the_reason(script: ModelScript) -> None:
    script.add(ModelResponse.refused("I can't help with that."))

    plan = await planner_for(script).plan("do something odd", given())

    assert plan.intent == "unsupported" and plan.writes == []
    assert plan.not_understood == ["the language model declined this request (I can't help with that.)"]


@pytest.mark.parametrize(
    ("content", "finish_reason", "reason"),
    [
        ("this is not json", "stop", "the language model's answer was not a valid plan"),
        ('{"intent": "delete_everything"}', "stop", "the language model's answer was not a valid plan"),
        (
            '{"intent": "create", "writes": [], "sql": "DROP"}',
            "stop",
            "the language model's answer was not a valid plan",
        ),
        (
            '{"intent": "create", "wri',
            "length",
            "the language model's answer was not a valid plan (the answer was cut off)",
        ),
        ("", "stop", "the language model returned an empty answer"),
        ("{}", "content_filter", "the language model's answer was stopped by a content filter"),
    ],
    ids=["not-json", "unknown-intent", "extra-field", "cut-off", "empty", "content-filter"],
)
async def test_malformed_output_becomes_an_unsupported_plan_never_a_write(
    script: ModelScript, content: str, finish_reason: str, reason: str
) -> None:
    script.add(ModelResponse(content=content, finish_reason=finish_reason))

    plan = await planner_for(script).plan("Create a deal for Acme", given())

    assert plan == Plan(intent="unsupported", not_understood=[reason])


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "the language model endpoint rejected the API key (ALYSIO_OPENAI_API_KEY)"),
        (429, "the language model is rate limited right now; try again in a minute"),
        (503, "the language model endpoint answered with an error (HTTP 503); try again"),
    ],
)
async def test_endpoint_errors_become_an_unsupported_plan_saying_what_to_do(
    script: ModelScript, status: int, reason: str
) -> None:
    script.add(ModelResponse.error(status))

    plan = await planner_for(script).plan("Create a deal for Acme", given())

    assert plan == Plan(intent="unsupported", not_understood=[reason])


SECRET_KEY = "model-key-not-token-shaped-5150"
QUOTED_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LWFsZXgifQ.c2lnbmF0dXJlLW9mLWEtand0"


@pytest.mark.parametrize(
    "answer",
    [
        ModelResponse.error(400, f"Incorrect API key provided: {SECRET_KEY}. Bearer {QUOTED_JWT}"),
        ModelResponse.error(401, f"Bearer {QUOTED_JWT} rejected ({SECRET_KEY})"),
        ModelResponse.refused(f"I will not repeat {SECRET_KEY} or {QUOTED_JWT}"),
    ],
    ids=["error-400", "error-401", "refusal"],
)
async def test_credentials_the_endpoint_quotes_reach_neither_the_plan_nor_the_log(
    script: ModelScript, answer: ModelResponse, caplog: pytest.LogCaptureFixture
) -> None:
    register_secret(SECRET_KEY)  # as loading the settings does with ALYSIO_OPENAI_API_KEY
    script.add(answer)

    with caplog.at_level(logging.DEBUG, logger="agent.planners.openai"):
        plan = await planner_for(script).plan("Create a deal for Acme", given())

    assert plan.intent == "unsupported" and plan.writes == []
    shown = plan.model_dump_json() + caplog.text
    assert SECRET_KEY not in shown and QUOTED_JWT not in shown


async def test_a_summary_failure_quoting_the_key_does_not_log_it(
    script: ModelScript, caplog: pytest.LogCaptureFixture
) -> None:
    register_secret(SECRET_KEY)
    script.add(ModelResponse.error(500, f"upstream failed for key {SECRET_KEY}"))

    with caplog.at_level(logging.DEBUG, logger="agent.planners.openai"):
        summary = await planner_for(script).summarize("summarize Acme", "facts")

    assert SECRET_KEY not in summary + caplog.text
    assert "summary call failed" in caplog.text


async def test_summary_is_one_plain_call_with_the_summary_prompt(script: ModelScript) -> None:
    script.add(
        ModelResponse.text("Acme has two open deals worth $80,000.\n"),
        request=RecordedRequest.from_openai(
            [
                {"role": "system", "content": prompt_file("summary.md")},
                {
                    "role": "user",
                    "content": "Request:\nsummarize Acme\n\nFacts from HubSpot:\ndeal A 50000; deal B 30000",
                },
            ]
        ),
    )
    planner = planner_for(script)

    summary = await planner.summarize("summarize Acme", "deal A 50000; deal B 30000")

    assert isinstance(planner, Summarizer)
    assert summary == "Acme has two open deals worth $80,000."
    assert planner.model_calls == 1


async def test_summary_failure_is_reported_as_text(script: ModelScript) -> None:
    script.add(ModelResponse.error(500))

    summary = await planner_for(script).summarize("summarize Acme", "facts")

    assert summary.startswith("I could not write the summary: ")


# --- the fake itself: a planner test must fail when the calls are not the scripted ones -----------


async def test_an_unexpected_call_fails_the_test() -> None:
    script = ModelScript()

    with pytest.raises(UnexpectedModelCall):
        await planner_for(script).plan("hello", given())
    with pytest.raises(UnexpectedModelCall):
        script.assert_done()


async def test_a_request_differing_from_the_recording_fails_with_a_diff() -> None:
    recorded = RecordedRequest.from_openai([{"role": "user", "content": "something else"}])
    script = ModelScript().add(ModelResponse.structured(DEAL_FOR_ACME), request=recorded)

    with pytest.raises(RequestMismatch, match=r"(?s)recorded message.*\+.*Create a deal"):
        await planner_for(script).plan("Create a deal", given())


def test_a_scripted_call_that_never_came_fails_the_test() -> None:
    script = ModelScript().add(ModelResponse.text("unused"))

    with pytest.raises(MissingModelCall):
        script.assert_done()


async def test_a_cassette_round_trip_replays_the_same_exchange(tmp_path: Path) -> None:
    recording = ModelScript(source="synthetic")
    planner = planner_for(recording)
    recording.add(ModelResponse.structured(DEAL_FOR_ACME))
    await planner.plan("Create a deal", given())
    path = tmp_path / "case.cassette.yaml"
    write_cassette(path, recording.cassette())
    cassette = read_cassette(path)

    replay = ModelScript.from_cassette(cassette)
    plan = await planner_for(replay).plan("Create a deal", given())

    assert cassette.source == "synthetic"
    assert cassette.exchanges[0].request == recording.requests[0]
    assert plan == DEAL_FOR_ACME
    replay.assert_done()
    stale = ModelScript.from_cassette(cassette)
    with pytest.raises(RequestMismatch):
        await planner_for(stale).plan("Create two deals", given())


async def test_recording_a_model_yields_a_live_cassette_that_replays() -> None:
    answering = ModelScript().add(ModelResponse.structured(DEAL_FOR_ACME))
    recorder = RecordingChatModel(inner=ScriptedChatModel(script=answering))

    recorded_plan = await OpenAIPlanner(recorder, quick_answer=no_quick_answers).plan(
        "Create a deal", given()
    )
    cassette = recorder.cassette()
    replay = ModelScript.from_cassette(cassette)
    replayed_plan = await planner_for(replay).plan("Create a deal", given())

    assert recorded_plan == replayed_plan == DEAL_FOR_ACME
    assert cassette.source == "live" and len(cassette.exchanges) == 1
    request = cassette.exchanges[0].request
    assert request is not None and request.schema_name == "plan"
    answering.assert_done()
    replay.assert_done()
