"""A written summary costs exactly one extra model call, and only when the user asked for one."""

from __future__ import annotations

from agent.plan import Plan, Question
from agent.planners.openai import OpenAIPlanner
from agent.service import AgentService
from tests.e2e.conftest import Harness
from tests.fakes import ModelResponse, ModelScript, ScriptedChatModel

SUMMARY = "Your pipeline is concentrated in late stages; two deals close this month."


def pipeline_question(*, wants_summary: bool) -> Plan:
    return Plan(
        intent="question",
        question=Question(kind="pipeline_by_stage", object_type="deals"),
        wants_summary=wants_summary,
    )


def with_model(h: Harness, script: ModelScript) -> OpenAIPlanner:
    planner = OpenAIPlanner(ScriptedChatModel(script=script))
    h.service = AgentService(h.portal.client, planner, audit=h.audit)
    return planner


async def test_a_summary_request_replies_with_the_models_summary_of_the_figures_read(h: Harness) -> None:
    script = (
        ModelScript()
        .add(ModelResponse.structured(pipeline_question(wants_summary=True)))
        .add(ModelResponse.text(SUMMARY))
    )
    planner = with_model(h, script)
    events = await h.say("write me a quick summary of my pipeline by stage")
    assert [e.type for e in events] == ["reply"] and events[0].text == SUMMARY
    assert planner.model_calls == 2 and script.calls == 2 and not script.failures
    summary_request = script.requests[1].model_dump_json()
    assert "write me a quick summary of my pipeline by stage" in summary_request
    assert "Appointment Scheduled" in summary_request  # the facts the graph read from HubSpot


async def test_a_plain_question_costs_one_model_call_and_replies_with_the_facts(h: Harness) -> None:
    script = ModelScript().add(ModelResponse.structured(pipeline_question(wants_summary=False)))
    planner = with_model(h, script)
    events = await h.say("pipeline by stage")
    assert [e.type for e in events] == ["reply"] and "Appointment Scheduled" in events[0].text
    assert planner.model_calls == 1 and script.calls == 1 and not script.failures


async def test_a_planner_without_a_summarizer_replies_with_the_facts(h: Harness) -> None:
    h.planner.will(pipeline_question(wants_summary=True))
    events = await h.say("summarize my pipeline by stage")
    assert [e.type for e in events] == ["reply"] and "Appointment Scheduled" in events[0].text
