"""Error mapping, retries, the ambiguous-write checks, the allow-list and the scope check."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from tests.contract import bodies
from tests.contract.conftest import BASE, CONN, FakeTime, MakeClient
from tools.hubspot.client import HubSpotClient, RequestRecord, ensure_allowed
from tools.hubspot.errors import (
    Conflict,
    Forbidden,
    HubSpotError,
    MissingScopes,
    NotAllowed,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ReconnectRequired,
    SearchRuleViolation,
    UpstreamUnavailable,
    ValidationFailed,
)
from tools.hubspot.models import Filter, FilterGroup, SearchRequest

# --------------------------------------------------------------------------- error types


@pytest.mark.parametrize(
    ("status", "body", "error_type", "kind"),
    [
        (401, bodies.EXPIRED, ReconnectRequired, "reconnect"),
        (403, bodies.MISSING_SCOPES, MissingScopes, "missing_scope"),
        (403, bodies.error("FORBIDDEN", "You do not have permission"), Forbidden, "forbidden"),
        (404, bodies.NOT_FOUND, NotFound, "not_found"),
        (400, bodies.PROPERTY_DOESNT_EXIST, ValidationFailed, "validation"),
        (409, bodies.CONFLICT, Conflict, "conflict"),
        (429, bodies.TEN_SECONDLY, RateLimited, "rate_limited"),
        (503, bodies.SERVER_ERROR, UpstreamUnavailable, "upstream"),
    ],
)
async def test_error_answers_map_to_typed_errors(
    make_client: MakeClient,
    router: respx.MockRouter,
    status: int,
    body: dict[str, Any],
    error_type: type[HubSpotError],
    kind: str,
) -> None:
    client = await make_client(settings={"max_retries": 0})
    router.get("/crm/v3/objects/deals/1").respond(status, json=body)
    with pytest.raises(error_type) as info:
        await client.get_object(CONN, "deals", "1")
    err = info.value
    assert err.kind == kind and err.status == status
    assert err.correlation_id == bodies.CORRELATION_ID
    assert err.user_action


async def test_validation_error_names_the_offending_property(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    router.post("/crm/v3/objects/companies").respond(400, json=bodies.PROPERTY_DOESNT_EXIST)
    with pytest.raises(ValidationFailed) as info:
        await client.create(CONN, "companies", {"name": "Acme", "colour": "red"})
    assert info.value.property_names == ["colour"]
    assert info.value.category == "VALIDATION_ERROR"


async def test_conflict_carries_the_existing_id(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.post("/crm/v3/objects/contacts").respond(409, json=bodies.CONFLICT)
    with pytest.raises(Conflict) as info:
        await client.create(CONN, "contacts", {"email": "jane@acme.com"})
    assert info.value.existing_id == "37765128953"


async def test_missing_scope_403_reports_the_table_scopes(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    router.post("/crm/v3/objects/deals/search").respond(403, json=bodies.MISSING_SCOPES)
    with pytest.raises(MissingScopes) as info:
        await client.search(CONN, "deals", SearchRequest())
    assert info.value.required == ["crm.objects.deals.read"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 503])
async def test_an_error_body_quoting_the_user_token_never_carries_it(
    make_client: MakeClient, router: respx.MockRouter, status: int
) -> None:
    client = await make_client(settings={"max_retries": 0})
    seen: list[str] = []

    def echo(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        seen.append(token)
        hubspot = {"status": "error", "message": f"Bad credentials {token}", "category": "X"}
        # Paragon's envelope around HubSpot's answer, both quoting the token
        body = {
            "message": f"Failed: Bearer {token}",
            "code": "50001",
            "status": status,
            "meta": {"body": hubspot},
        }
        return httpx.Response(status, json=body if status == 503 else hubspot)

    router.get("/crm/v3/objects/deals/1").mock(side_effect=echo)
    with pytest.raises(HubSpotError) as info:
        await client.get_object(CONN, "deals", "1")

    assert seen and seen[0].startswith("eyJ")
    shown = f"{info.value} {info.value.args} {json.dumps(info.value.to_dict())}"
    assert seen[0] not in shown and "[redacted]" in shown


# --------------------------------------------------------------------------- retries


async def test_retry_after_is_honoured_with_the_injected_clock(
    client: HubSpotClient, router: respx.MockRouter, fake_time: FakeTime, records: list[RequestRecord]
) -> None:
    route = router.get("/crm/v3/objects/deals/1")
    route.side_effect = [
        httpx.Response(429, json=bodies.TEN_SECONDLY, headers={"Retry-After": "3"}),
        httpx.Response(200, json=bodies.record("1")),
    ]
    deal = await client.get_object(CONN, "deals", "1")
    assert deal.id == "1"
    assert fake_time.sleeps == [3.0]
    assert [r.attempt for r in records] == [1, 2] and [r.status for r in records] == [429, 200]


async def test_rate_limit_window_header_sets_the_wait(
    client: HubSpotClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get("/crm/v3/owners")
    route.side_effect = [
        httpx.Response(
            429, json=bodies.TEN_SECONDLY, headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
        ),
        httpx.Response(200, json={"results": []}),
    ]
    await client.list_owners(CONN)
    assert fake_time.sleeps == [10.0]


async def test_persistent_429_surfaces_rate_limited_with_the_wait(
    make_client: MakeClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    client = await make_client(settings={"max_retries": 2})
    route = router.get("/crm/v3/objects/deals/1").respond(
        429, json=bodies.TEN_SECONDLY, headers={"Retry-After": "2"}
    )
    with pytest.raises(RateLimited) as info:
        await client.get_object(CONN, "deals", "1")
    assert info.value.retry_after == 2.0
    assert route.call_count == 3 and fake_time.sleeps == [2.0, 2.0]


async def test_a_long_retry_after_is_not_slept_through(
    client: HubSpotClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get("/crm/v3/objects/deals/1").respond(
        429, json=bodies.TEN_SECONDLY, headers={"Retry-After": "3600"}
    )
    with pytest.raises(RateLimited):
        await client.get_object(CONN, "deals", "1")
    assert route.call_count == 1 and fake_time.sleeps == []


async def test_5xx_on_a_read_is_retried_then_reported_as_upstream(
    client: HubSpotClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get("/crm/v3/properties/deals").respond(502, json=bodies.SERVER_ERROR)
    with pytest.raises(UpstreamUnavailable):
        await client.list_properties(CONN, "deals")
    assert route.call_count == 4  # max_retries=3
    assert fake_time.sleeps == [0.25, 0.5, 1.0]


async def test_timeouts_on_a_patch_are_retried(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.patch("/crm/v3/objects/deals/7")
    route.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(200, json=bodies.record("7"))]
    assert (await client.update(CONN, "deals", "7", {"amount": "1"})).id == "7"
    assert route.call_count == 2


async def test_create_is_retried_when_it_never_left(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.post("/crm/v3/objects/companies")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(201, json=bodies.record("5"))]
    assert (await client.create(CONN, "companies", {"name": "Acme"})).id == "5"
    assert route.call_count == 2


# --------------------------------------------------------------------------- ambiguous writes


async def test_ambiguous_create_found_by_search_is_not_resent(
    client: HubSpotClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    create = router.post("/crm/v3/objects/deals").mock(side_effect=httpx.ReadTimeout("no answer"))
    search = router.post("/crm/v3/objects/deals/search").respond(
        200,
        json=bodies.search_page(
            2,
            [
                # created in the window too, but another deal: never taken for ours
                bodies.record("776", dealname="Acme expansion", amount="45000"),
                bodies.record("777", dealname="Acme expansion", amount="50000.0"),
            ],
        ),
    )
    deal = await client.create(CONN, "deals", {"dealname": "Acme expansion", "amount": "50000"})
    assert deal.id == "777"
    assert create.call_count == 1 and search.call_count == 1
    [group] = json.loads(search.calls.last.request.content)["filterGroups"]
    assert {"propertyName": "dealname", "operator": "EQ", "value": "Acme expansion"} in group["filters"]
    assert {"propertyName": "amount", "operator": "EQ", "value": "50000"} in group["filters"]
    since = int(fake_time.now * 1000) - 60_000
    assert {"propertyName": "createdate", "operator": "GTE", "value": str(since)} in group["filters"]


async def test_ambiguous_create_not_found_is_resent_after_hubspot_had_time_to_act_and_search_to_catch_up(
    client: HubSpotClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    create = router.post("/crm/v3/objects/notes")
    create.side_effect = [
        httpx.Response(502, json=bodies.SERVER_ERROR),
        httpx.Response(201, json=bodies.record("88")),
    ]
    search = router.post("/crm/v3/objects/notes/search").respond(200, json=bodies.search_page(0, []))
    started = fake_time.now
    note = await client.create(
        CONN, "notes", {"hs_note_body": "Called Jane", "hs_timestamp": "2026-03-02T10:00:00Z"}
    )
    assert note.id == "88"
    assert create.call_count == 2
    # Searched again and again until the request surely settled and search caught up (10 s + 5 s).
    assert search.call_count > 2
    assert fake_time.now - started >= 15
    filters = json.loads(search.calls.last.request.content)["filterGroups"][0]["filters"]
    assert [f["propertyName"] for f in filters] == ["hs_note_body", "hs_createdate"]


async def test_a_long_text_is_looked_up_by_its_words_and_compared_whole(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    body = "Long call notes. " + "Discussed the rollout schedule for the Pittsburgh warehouse in detail. " * 5
    router.post("/crm/v3/objects/notes").mock(side_effect=httpx.ReadTimeout("no answer"))
    search = router.post("/crm/v3/objects/notes/search").respond(
        200,
        json=bodies.search_page(
            2,
            [
                bodies.record("90", hs_note_body="Another note about Pittsburgh warehouse rollout"),
                bodies.record("91", hs_note_body=body),
            ],
        ),
    )
    note = await client.create(CONN, "notes", {"hs_note_body": body})
    assert note.id == "91"
    filters = json.loads(search.calls.last.request.content)["filterGroups"][0]["filters"]
    assert {f["operator"] for f in filters[:-1]} == {"CONTAINS_TOKEN"}
    assert {f["value"] for f in filters[:-1]} == {"Discussed", "Pittsburgh", "warehouse"}  # the longest words


async def test_a_record_made_by_another_request_is_never_taken_for_ours(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    create = router.post("/crm/v3/objects/deals")
    create.side_effect = [httpx.ReadTimeout("no answer"), httpx.Response(201, json=bodies.record("778"))]
    router.post("/crm/v3/objects/deals/search").respond(
        200, json=bodies.search_page(1, [bodies.record("777", dealname="Acme expansion")])
    )
    deal = await client.create(CONN, "deals", {"dealname": "Acme expansion"}, known_ids={"777"})
    assert deal.id == "778" and create.call_count == 2


async def test_nothing_to_compare_means_the_outcome_is_unknown_and_nothing_is_resent(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    create = router.post("/crm/v3/objects/tasks").mock(side_effect=httpx.ReadTimeout("no answer"))
    search = router.post("/crm/v3/objects/tasks/search")
    with pytest.raises(OutcomeUnknown):
        await client.create(CONN, "tasks", {"hs_timestamp": "2026-03-02T10:00:00Z"})
    assert create.call_count == 1 and search.call_count == 0


async def test_a_failing_check_means_the_outcome_is_unknown(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    create = router.post("/crm/v3/objects/deals").mock(side_effect=httpx.ReadTimeout("no answer"))
    router.post("/crm/v3/objects/deals/search").respond(403, json=bodies.MISSING_SCOPES)
    with pytest.raises(OutcomeUnknown):
        await client.create(CONN, "deals", {"dealname": "X"})
    assert create.call_count == 1


async def test_a_create_that_keeps_failing_is_sent_three_times_at_most(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    create = router.post("/crm/v3/objects/companies").respond(500, json=bodies.SERVER_ERROR)
    router.post("/crm/v3/objects/companies/search").respond(200, json=bodies.search_page(0, []))
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.create(CONN, "companies", {"name": "Acme"})
    assert create.call_count == 3
    assert not caught.value.ambiguous  # each attempt was looked for: none made a record


async def test_ambiguous_merge_that_happened_is_not_resent(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    merge = router.post("/crm/v3/objects/companies/merge").mock(side_effect=httpx.ReadTimeout("no answer"))
    # HubSpot gives the merged company a new id; both old ids resolve to it.
    router.get("/crm/v3/objects/companies/9001").respond(200, json=bodies.record("9100"))
    router.get("/crm/v3/objects/companies/9002").respond(200, json=bodies.record("9100"))
    merged = await client.merge_companies(CONN, "9001", "9002")
    assert merged.id == "9100" and merge.call_count == 1


async def test_ambiguous_merge_that_did_not_happen_is_resent(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    merge = router.post("/crm/v3/objects/companies/merge")
    merge.side_effect = [
        httpx.Response(504, json=bodies.SERVER_ERROR),
        httpx.Response(200, json=bodies.record("9100")),
    ]
    router.get("/crm/v3/objects/companies/9001").respond(200, json=bodies.record("9001"))
    router.get("/crm/v3/objects/companies/9002").respond(200, json=bodies.record("9002"))
    assert (await client.merge_companies(CONN, "9001", "9002")).id == "9100"
    assert merge.call_count == 2


# --------------------------------------------------------------------------- what is never sent


async def test_delete_is_refused_before_sending(client: HubSpotClient, router: respx.MockRouter) -> None:
    with pytest.raises(NotAllowed) as info:
        ensure_allowed("DELETE", "/crm/v3/objects/contacts/512")
    assert info.value.kind == "not_allowed"
    assert not hasattr(client, "delete") and not hasattr(client, "archive")
    assert router.calls.call_count == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/crm/v3/objects/contacts/512/../../../oauth/v1/access-tokens"),
        ("POST", "/crm/v3/objects/contacts/batch/archive"),
        ("GET", "/crm/v3/objects/tickets/1"),
        ("PUT", "/crm/v4/objects/contacts/512/associations/companies/9001"),
        ("POST", "/crm/v3/objects/deals/merge"),
        ("GET", "/oauth/v1/access-tokens/abc"),
    ],
)
def test_paths_outside_the_allow_list_are_refused(method: str, path: str) -> None:
    with pytest.raises(NotAllowed):
        ensure_allowed(method, path)


async def test_non_numeric_ids_are_refused_before_sending(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    with pytest.raises(ValidationFailed):
        await client.get_object(CONN, "contacts", "../owners")
    assert router.calls.call_count == 0


async def test_unsupported_operation_pair_is_not_allowed(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    with pytest.raises(NotAllowed):
        await client.list_pipelines(CONN, "contacts")
    assert router.calls.call_count == 0


async def test_missing_scope_sends_nothing(
    client: HubSpotClient, router: respx.MockRouter, records: list[RequestRecord]
) -> None:
    client.set_granted_scopes(CONN, ["crm.objects.contacts.read"])
    with pytest.raises(MissingScopes) as info:
        await client.create(CONN, "deals", {"dealname": "x"})
    assert info.value.required == ["crm.objects.deals.write"]
    assert router.calls.call_count == 0 and records == []


async def test_email_bodies_need_sales_email_read(client: HubSpotClient, router: respx.MockRouter) -> None:
    client.set_granted_scopes(CONN, ["crm.objects.contacts.read"])
    router.post("/crm/v3/objects/emails/search").respond(200, json=bodies.search_page(0, []))
    await client.search(CONN, "emails", SearchRequest(properties=["hs_email_subject"]))
    with pytest.raises(MissingScopes) as info:
        await client.search(CONN, "emails", SearchRequest(properties=["hs_email_text"]))
    assert info.value.required == ["sales-email-read"]


async def test_a_real_missing_scopes_403_narrows_the_grant(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    route = router.post("/crm/v3/objects/deals/search").respond(403, json=bodies.MISSING_SCOPES)
    assert "crm.objects.deals.read" in client.grant_for(CONN).scopes
    with pytest.raises(MissingScopes):
        await client.search(CONN, "deals", SearchRequest())
    assert "crm.objects.deals.read" not in client.grant_for(CONN).scopes
    assert "crm.objects.contacts.read" in client.grant_for(CONN).scopes
    # The next attempt is refused locally: HubSpot is not asked again.
    with pytest.raises(MissingScopes):
        await client.search(CONN, "deals", SearchRequest())
    assert route.call_count == 1


async def test_grants_are_kept_per_tenant_and_credential(client: HubSpotClient) -> None:
    from tools.hubspot.client import Connection

    client.set_granted_scopes(CONN, [])
    other = Connection(tenant_id="t-acme", user_id="u-alex", credential_id="cred-2")
    assert client.grant_for(other).scopes and not client.grant_for(CONN).scopes


# --------------------------------------------------------------------------- search rules


def _filters(n: int) -> list[Filter]:
    return [Filter(property_name=f"p{i}", operator="EQ", value="x") for i in range(n)]


@pytest.mark.parametrize(
    ("request_", "needle"),
    [
        (
            SearchRequest(filter_groups=[FilterGroup(filters=_filters(1)) for _ in range(6)]),
            "5 filter groups",
        ),
        (SearchRequest(filter_groups=[FilterGroup(filters=_filters(7))]), "6 filters"),
        (SearchRequest(filter_groups=[FilterGroup(filters=_filters(5)) for _ in range(4)]), "18 filters"),
        (SearchRequest(limit=201), "between 1 and 200"),
        (SearchRequest(limit=100, after="9950"), "10,000"),
        (
            SearchRequest(filter_groups=[FilterGroup(filters=[Filter(property_name="a", operator="IN")])]),
            "list",
        ),
        (
            SearchRequest(
                filter_groups=[
                    FilterGroup(filters=[Filter(property_name="a", operator="BETWEEN", value="1")])
                ]
            ),
            "highValue",
        ),
        (
            SearchRequest(
                filter_groups=[
                    FilterGroup(filters=[Filter(property_name="a", operator="HAS_PROPERTY", value="1")])
                ]
            ),
            "no value",
        ),
        (SearchRequest(query="x" * 3001), "3,000"),
        (SearchRequest(after="abc"), "number"),
    ],
)
async def test_search_rule_violations_are_rejected_before_sending(
    client: HubSpotClient, router: respx.MockRouter, request_: SearchRequest, needle: str
) -> None:
    with pytest.raises(SearchRuleViolation, match=needle):
        await client.search(CONN, "contacts", request_)
    with pytest.raises(SearchRuleViolation):
        await client.search_all(CONN, "contacts", request_)
    assert router.calls.call_count == 0


async def test_the_largest_legal_search_is_sent(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.post("/crm/v3/objects/contacts/search").respond(200, json=bodies.search_page(0, []))
    groups = [FilterGroup(filters=_filters(6)) for _ in range(3)]
    await client.search(CONN, "contacts", SearchRequest(filter_groups=groups, limit=200, after="9800"))
    assert route.call_count == 1


def test_base_url_is_in_the_proxy_shape() -> None:
    assert BASE.endswith("/projects/proj-123/sdk/proxy/hubspot")


async def test_an_unexpected_success_shape_is_an_upstream_error(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    router.get("/crm/v3/objects/deals/1").respond(200, text="<html>gateway</html>")
    router.get("/crm/v3/pipelines/deals").respond(200, json={"pipelines": []})
    with pytest.raises(UpstreamUnavailable, match="unexpected CrmObject"):
        await client.get_object(CONN, "deals", "1")
    with pytest.raises(UpstreamUnavailable, match="results"):
        await client.list_pipelines(CONN, "deals")


async def test_the_transport_path_itself_refuses_delete(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    from tools.hubspot.client import _Exchange

    route = router.delete("/crm/v3/objects/contacts/512").respond(204)
    exchange = _Exchange(
        conn=CONN, operation="update", method="DELETE", path="/crm/v3/objects/contacts/512", template="x"
    )
    with pytest.raises(NotAllowed):
        await client._send(exchange)
    assert route.call_count == 0


async def test_searches_wait_on_the_per_portal_search_limit(
    client: HubSpotClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    router.post("/crm/v3/objects/contacts/search").respond(200, json=bodies.search_page(0, []))
    for _ in range(5):
        await client.search(CONN, "contacts", SearchRequest())
    assert fake_time.sleeps == [1.0]  # 4 searches per second by default: the fifth waits
