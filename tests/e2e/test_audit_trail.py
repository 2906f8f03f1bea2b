"""Every HubSpot request of a conversation is audited, with the approver and the diff on writes."""

from __future__ import annotations

import json
from pathlib import Path

from agent.audit import SqliteAuditLog
from agent.plan import Plan, Question
from agent.service import Incoming
from tests.e2e.conftest import Harness, ScriptedPlanner
from tests.fakes.builders import deal_for_acme


async def test_each_request_is_recorded_with_thread_and_the_write_with_approver_and_diff(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    await h.say("yes")
    entries = await h.audit.entries(thread_id=h.thread)
    assert [(e.operation, e.method, e.path_template) for e in entries] == [
        ("search", "POST", "/crm/v3/objects/{objectType}/search"),
        # the new deal's first open stage and its owner (the requester), read once per connection
        ("list_pipelines", "GET", "/crm/v3/pipelines/{objectType}"),
        ("list_owners", "GET", "/crm/v3/owners"),
        ("create", "POST", "/crm/v3/objects/{objectType}"),
    ]
    search, _, _, create = entries
    assert search.approved_by is None and search.scopes == ["crm.objects.companies.read"]
    assert create.approved_by == "u-alex" and create.status == 201
    assert create.diff is not None and create.diff["amount"] == {"old": None, "new": "50000"}
    assert create.tenant_id == "t-local" and create.correlation_id
    assert len(entries) == len(h.all_sent)
    stored = json.dumps([e.to_dict() for e in entries])
    assert "Bearer" not in stored and "eyJ" not in stored  # no token, ever


async def test_the_service_from_settings_persists_one_audit_entry_per_request(tmp_path: Path) -> None:
    from agent.runtime import context_for, open_service
    from tools.settings import load_settings

    settings = load_settings(data_dir=tmp_path)
    planner = ScriptedPlanner()
    planner.will(Plan(intent="question", question=Question(kind="pipelines")))
    async with open_service(settings, planner=planner) as (service, client):
        assert client.portal is not None
        events = await service.handle(
            "th-9", context_for(settings, client), Incoming(text="what are our stages?")
        )
        assert events[0].type == "reply"
        sent = len(client.portal.sandbox.requests)
    log = SqliteAuditLog(settings.storage_path("audit"))
    entries = await log.entries(thread_id="th-9")
    await log.aclose()
    assert sent == 1 and [e.operation for e in entries] == ["list_pipelines"]
    assert settings.storage_path("checkpoints").exists()
