"""The model planner through the real ``langchain-openai``/``openai`` stack, against a fake server on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.plan import Mention, Plan, Question
from agent.planners.base import PlanningInput
from agent.planners.openai import OpenAIPlanner, build_chat_model, build_plan_messages, plan_response_format
from agent.planners.recorded import RecordedRequest
from agent.prompts import default_prompts
from tests.fakes import FakeOpenAIServer, ModelResponse, ModelScript, ScriptedChatModel
from tools.settings import Settings, load_settings

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=ZoneInfo("America/New_York"))
GIVEN = PlanningInput(now=NOW, timezone="America/New_York", user_name="Alex Rivera")
WHO_OWNS_ACME = Plan(
    intent="question",
    question=Question(
        kind="lookup",
        object_type="companies",
        about=Mention(object_type="companies", text="Acme"),
        fields=["hubspot_owner_id"],
    ),
)


@pytest.fixture
def script() -> Iterator[ModelScript]:
    script = ModelScript()
    yield script
    script.assert_done()


@pytest.fixture
def server(script: ModelScript) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(script) as server:
        yield server


def settings_for(server: FakeOpenAIServer) -> Settings:
    return load_settings(
        planner="openai",
        openai_api_key="sk-test-key",
        openai_base_url=server.base_url,
        openai_model="gpt-test-mini",
        openai_timeout_seconds=5,
    )


def planner_for(server: FakeOpenAIServer, *, max_retries: int = 2) -> OpenAIPlanner:
    return OpenAIPlanner(build_chat_model(settings_for(server), max_retries=max_retries))


def expected_request(message: str) -> RecordedRequest:
    return RecordedRequest.from_langchain(
        build_plan_messages(default_prompts(), message, GIVEN), plan_response_format()
    )


async def test_one_chat_completions_request_with_the_strict_plan_schema(
    server: FakeOpenAIServer, script: ModelScript
) -> None:
    script.add(ModelResponse.structured(WHO_OWNS_ACME), request=expected_request("who owns Acme?"))
    planner = OpenAIPlanner.from_settings(settings_for(server))

    plan = await planner.plan("who owns Acme?", GIVEN)

    assert plan == WHO_OWNS_ACME
    assert len(server.bodies) == 1
    body, headers = server.bodies[0], server.headers[0]
    assert body["model"] == "gpt-test-mini"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert headers["authorization"] == "Bearer sk-test-key"
    assert planner.model_calls == 1


async def test_429_is_retried_by_the_sdk_within_one_planner_call(
    server: FakeOpenAIServer, script: ModelScript
) -> None:
    # retry-after-ms keeps the SDK's wait at a millisecond: the test never waits for time.
    script.add(ModelResponse.error(429, "slow down", headers={"retry-after-ms": "1"}))
    script.add(ModelResponse.error(503, "overloaded", headers={"retry-after-ms": "1"}))
    script.add(ModelResponse.structured(WHO_OWNS_ACME))
    planner = planner_for(server)

    plan = await planner.plan("who owns Acme?", GIVEN)

    assert plan == WHO_OWNS_ACME
    assert len(server.bodies) == 3
    assert planner.model_calls == 1


async def test_persistent_errors_end_in_an_unsupported_plan(
    server: FakeOpenAIServer, script: ModelScript
) -> None:
    for _ in range(3):  # the first attempt and the SDK's two retries
        script.add(ModelResponse.error(500, "boom", headers={"retry-after-ms": "1"}))

    plan = await planner_for(server).plan("who owns Acme?", GIVEN)

    assert plan == Plan(
        intent="unsupported",
        not_understood=["the language model endpoint answered with an error (HTTP 500); try again"],
    )


async def test_refusal_as_openai_sends_it_becomes_an_unsupported_plan(
    server: FakeOpenAIServer, script: ModelScript
) -> None:
    script.add(ModelResponse.refused("I'm sorry, I can't assist with that."))

    plan = await planner_for(server).plan("who owns Acme?", GIVEN)

    assert plan.intent == "unsupported"
    assert plan.not_understood == [
        "the language model declined this request (I'm sorry, I can't assist with that.)"
    ]


async def test_unreachable_endpoint_becomes_an_unsupported_plan(script: ModelScript) -> None:
    with FakeOpenAIServer(script) as server:
        planner = planner_for(server, max_retries=0)  # retrying a refused connection would back off for real
    # The server is stopped: its port refuses connections.

    plan = await planner.plan("who owns Acme?", GIVEN)

    assert plan.not_understood == [
        "the language model endpoint could not be reached (ALYSIO_OPENAI_BASE_URL)"
    ]


async def test_summary_is_a_plain_completion_without_response_format(
    server: FakeOpenAIServer, script: ModelScript
) -> None:
    script.add(ModelResponse.text("Acme is owned by Alex Rivera."))

    summary = await planner_for(server).summarize("summarize Acme", "owner: Alex Rivera")

    assert summary == "Acme is owned by Alex Rivera."
    assert "response_format" not in server.bodies[0]


async def test_an_exchange_recorded_at_either_level_replays_at_the_other(script: ModelScript) -> None:
    # Record through the fake chat model, replay through HTTP: the request forms are the same.
    recording = ModelScript().add(ModelResponse.structured(WHO_OWNS_ACME))
    await OpenAIPlanner(ScriptedChatModel(script=recording)).plan("who owns Acme?", GIVEN)
    cassette = recording.cassette()
    assert cassette.exchanges[0].request == recording.requests[0]
    replay = ModelScript.from_cassette(cassette)

    with FakeOpenAIServer(replay) as server:
        plan = await planner_for(server).plan("who owns Acme?", GIVEN)

    assert plan == WHO_OWNS_ACME
    replay.assert_done()


async def test_a_request_the_recording_does_not_match_is_reported_not_retried(script: ModelScript) -> None:
    stale = ModelScript().add(ModelResponse.structured(WHO_OWNS_ACME), request=expected_request("other"))

    with FakeOpenAIServer(stale) as server:
        plan = await planner_for(server).plan("who owns Acme?", GIVEN)

    assert plan.intent == "unsupported"
    assert len(server.bodies) == 1
    with pytest.raises(AssertionError, match="differs from the recorded request"):
        stale.assert_done()
