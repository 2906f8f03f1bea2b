"""Refusals, scope checks before any request, and typed HubSpot errors turned into the user's action."""

from __future__ import annotations

import pytest

from agent.plan import Mention, Plan, Question
from tests.e2e.conftest import build_harness
from tests.fakes.builders import deal_for_acme, update_plan
from tools.scopes_catalog import ALL_SCOPES


@pytest.mark.parametrize("refusal", ["delete", "archive", "bulk", "outside_integration"])
async def test_refusals_send_nothing(refusal: str) -> None:
    h = build_harness()
    h.planner.will(Plan(intent="unsupported", refusal=refusal))
    events = await h.say("delete the Acme deal")
    assert [e.type for e in events] == ["error"]
    assert events[0].error is not None and events[0].error.kind == "not_allowed"
    assert h.all_sent == []
    if refusal == "delete":
        assert "never deletes crm data" in events[0].text.lower()
    await h.portal.aclose()


async def test_not_understood_is_reported_instead_of_guessed() -> None:
    h = build_harness()
    h.planner.will(Plan(intent="unsupported", not_understood=["blorp the frobnicator"]))
    events = await h.say("blorp the frobnicator")
    assert [e.type for e in events] == ["reply"]
    assert "blorp the frobnicator" in events[0].text
    assert h.all_sent == []
    await h.portal.aclose()


async def test_missing_write_scope_stops_before_any_request() -> None:
    scopes = [s for s in ALL_SCOPES if s != "crm.objects.deals.write"]
    h = build_harness(scopes=scopes)
    h.planner.will(deal_for_acme())
    events = await h.say("Create a new deal for Acme Corp")
    assert [e.type for e in events] == ["error"]
    error = events[0].error
    assert error is not None and error.kind == "missing_scope"
    assert error.scopes == ["crm.objects.deals.write"]
    assert "reauthorize" in events[0].text.lower()
    assert h.all_sent == []
    await h.portal.aclose()


async def test_missing_read_scope_for_a_question_sends_nothing() -> None:
    scopes = [s for s in ALL_SCOPES if s != "crm.objects.companies.read"]
    h = build_harness(scopes=scopes)
    h.planner.will(
        Plan(
            intent="question",
            question=Question(kind="lookup", about=Mention(object_type="companies", text="Acme")),
        )
    )
    events = await h.say("tell me about Acme")
    assert events[0].error is not None and events[0].error.kind == "missing_scope"
    assert "crm.objects.companies.read" in events[0].error.scopes
    assert h.all_sent == []
    await h.portal.aclose()


async def test_revoked_connection_asks_to_reconnect() -> None:
    h = build_harness()
    assert h.ctx.credential_id is not None
    h.portal.sandbox.revoke(h.ctx.credential_id)
    h.planner.will(deal_for_acme())
    events = await h.say("Create a new deal for Acme Corp")
    assert [e.type for e in events] == ["error"]
    assert events[0].error is not None and events[0].error.kind == "reconnect"
    assert "reconnect" in events[0].text.lower()
    assert h.writes(h.all_sent) == []
    await h.portal.aclose()


async def test_upstream_failure_while_writing_reports_retry_later() -> None:
    h = build_harness()
    h.planner.will(update_plan("companies", "Initech", city="Dallas"))
    await h.say("Initech moved to Dallas")
    h.portal.sandbox.add_fault(kind="status", status=503, count=10, method="PATCH")
    events = await h.say("yes")
    assert [e.type for e in events] == ["error"]
    assert events[0].error is not None and events[0].error.kind == "upstream"
    await h.portal.aclose()


async def test_no_delete_request_ever_reaches_hubspot_in_a_conversation() -> None:
    h = build_harness()
    h.planner.will(deal_for_acme(), Plan(intent="unsupported", refusal="delete"))
    await h.say("Create a new deal for Acme Corp")
    await h.say("yes")
    await h.say("now delete it")
    assert [r for r in h.all_sent if r["method"] == "DELETE"] == []
    await h.portal.aclose()


async def test_hubspot_rate_limit_that_persists_says_retry_later() -> None:
    h = build_harness()
    h.portal.sandbox.add_fault(kind="status", status=429, count=20, method="POST")
    h.planner.will(deal_for_acme())
    events = await h.say("Create a new deal for Acme Corp")
    assert [e.type for e in events] == ["error"]
    assert events[0].error is not None and events[0].error.kind == "rate_limited"
    assert "try again" in events[0].text.lower()
    assert h.writes(h.all_sent) == []
    await h.portal.aclose()
