"""Every HubSpot request of a conversation is audited, with the approver and the diff on writes."""

from __future__ import annotations

import json

from tests.e2e.conftest import Harness
from tests.e2e.test_deal_slice import deal_for_acme


async def test_each_request_is_recorded_with_thread_and_the_write_with_approver_and_diff(h: Harness) -> None:
    h.planner.will(deal_for_acme())
    await h.say("Create a new deal for Acme Corp called Acme expansion, 50k")
    await h.say("yes")
    entries = await h.audit.entries(thread_id=h.thread)
    assert [(e.operation, e.method, e.path_template) for e in entries] == [
        ("search", "POST", "/crm/v3/objects/{objectType}/search"),
        ("create", "POST", "/crm/v3/objects/{objectType}"),
    ]
    search, create = entries
    assert search.approved_by is None and search.scopes == ["crm.objects.companies.read"]
    assert create.approved_by == "u-alex" and create.status == 201
    assert create.diff is not None and create.diff["amount"] == {"old": None, "new": "50000"}
    assert create.tenant_id == "t-local" and create.correlation_id
    assert len(entries) == len(h.all_sent)
    stored = json.dumps([e.to_dict() for e in entries])
    assert "Bearer" not in stored and "eyJ" not in stored  # no token, ever
