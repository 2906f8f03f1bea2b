"""Every client operation against HubSpot-shaped answers: method, path, query, body, parsed result."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from tests.contract import bodies
from tests.contract.conftest import CONN, MakeClient
from tools.hubspot.client import HubSpotClient, RequestHook, RequestRecord
from tools.hubspot.config import HubSpotClientConfig
from tools.hubspot.errors import Conflict, NotAllowed
from tools.hubspot.models import AssociationInput, Filter, FilterGroup, SearchRequest, Sort
from tools.settings import load_settings


async def test_account_details_parses_the_portal(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.get("/account-info/v3/details").respond(200, json=bodies.ACCOUNT_DETAILS)
    details = await client.account_details(CONN)
    assert details.portal_id == 123456
    assert details.ui_domain == "app.hubspot.com"
    assert details.time_zone == "US/Eastern"


async def test_list_owners_follows_every_page(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.get("/crm/v3/owners")
    route.side_effect = [
        httpx.Response(
            200,
            json={
                "results": [bodies.owner("41629779", "a@x.com", 9586504)],
                "paging": {"next": {"after": "41629780", "link": "?after=41629780"}},
            },
        ),
        httpx.Response(200, json={"results": [bodies.owner("41629780", "b@x.com", 9586505)]}),
    ]
    owners = await client.list_owners(CONN)
    assert [o.id for o in owners] == ["41629779", "41629780"]
    assert owners[0].user_id == 9586504 and owners[0].teams[0].name == "Sales Team"
    first, second = (call.request.url.params for call in route.calls)
    assert first["limit"] == "100" and "after" not in first and first["archived"] == "false"
    assert second["after"] == "41629780"


async def test_list_owners_passes_archived_and_email(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.get("/crm/v3/owners").respond(200, json={"results": []})
    await client.list_owners(CONN, archived=True, email="a@x.com")
    params = route.calls.last.request.url.params
    assert params["archived"] == "true" and params["email"] == "a@x.com"


async def test_list_users_follows_every_page(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.get("/settings/v3/users")
    route.side_effect = [
        httpx.Response(
            200, json={"results": [bodies.user("9586504", "a@x.com")], "paging": {"next": {"after": "2"}}}
        ),
        httpx.Response(200, json={"results": [bodies.user("9586505", "b@x.com")]}),
    ]
    users = await client.list_users(CONN)
    assert [u.id for u in users] == ["9586504", "9586505"]
    assert users[0].role_id == "1234" and users[0].primary_team_id == "368389"
    assert route.calls.last.request.url.params["after"] == "2"


async def test_list_roles_and_teams(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.get("/settings/v3/users/roles").respond(200, json=bodies.ROLES)
    router.get("/settings/v3/users/teams").respond(200, json=bodies.TEAMS)
    roles = await client.list_roles(CONN)
    teams = await client.list_teams(CONN)
    assert roles[0].name == "a new role"
    assert teams[0].user_ids == ["9586504"]


async def test_search_sends_the_hubspot_body_and_returns_one_page(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    route = router.post("/crm/v3/objects/companies/search").respond(
        200, json=bodies.search_page(2, [bodies.record("100451", name="Acme Corp")], after="10")
    )
    request = SearchRequest(
        filter_groups=[
            FilterGroup(filters=[Filter(property_name="name", operator="CONTAINS_TOKEN", value="acme")])
        ],
        sorts=[Sort(property_name="createdate", direction="DESCENDING")],
        properties=["name", "domain"],
        limit=10,
    )
    page = await client.search(CONN, "companies", request)
    assert json.loads(route.calls.last.request.content) == {
        "filterGroups": [
            {"filters": [{"propertyName": "name", "operator": "CONTAINS_TOKEN", "value": "acme"}]}
        ],
        "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
        "properties": ["name", "domain"],
        "limit": 10,
    }
    assert page.total == 2 and page.results[0].properties["name"] == "Acme Corp"
    assert page.next_after == "10"


async def test_search_all_pages_to_the_end(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.post("/crm/v3/objects/deals/search")
    route.side_effect = [
        httpx.Response(200, json=bodies.search_page(3, [bodies.record("1"), bodies.record("2")], after="2")),
        httpx.Response(200, json=bodies.search_page(3, [bodies.record("3")])),
    ]
    result = await client.search_all(CONN, "deals", SearchRequest(limit=2))
    assert [r.id for r in result.results] == ["1", "2", "3"]
    assert result.total == 3 and not result.truncated
    sent = [json.loads(c.request.content) for c in route.calls]
    assert "after" not in sent[0] and sent[1]["after"] == "2"


async def test_search_all_stops_at_the_ten_thousand_cap(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    route = router.post("/crm/v3/objects/contacts/search")

    def page(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        offset = int(sent.get("after", 0))
        ids = [str(offset + i) for i in range(1, sent["limit"] + 1)]
        return httpx.Response(
            200,
            json=bodies.search_page(
                25_000, [bodies.record(i) for i in ids], after=str(offset + sent["limit"])
            ),
        )

    route.side_effect = page
    result = await client.search_all(CONN, "contacts", SearchRequest(limit=200))
    assert len(result.results) == 10_000 and result.truncated
    assert route.call_count == 50
    last = json.loads(route.calls.last.request.content)
    assert int(last["after"]) + last["limit"] == 10_000


async def test_get_object_asks_for_properties_and_associations(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    body = bodies.record("512", email="jane@acme.com")
    body["associations"] = {"companies": {"results": [{"id": "9001", "type": "contact_to_company"}]}}
    route = router.get("/crm/v3/objects/contacts/512").respond(200, json=body)
    contact = await client.get_object(
        CONN, "contacts", "512", properties=["email"], associations=["companies"]
    )
    params = route.calls.last.request.url.params
    assert params["properties"] == "email" and params["associations"] == "companies"
    assert contact.properties["email"] == "jane@acme.com"
    assert contact.associations is not None and contact.associations["companies"].results[0].id == "9001"


async def test_list_associations_reads_every_v4_page(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.get("/crm/v4/objects/contacts/512/associations/companies")
    route.side_effect = [
        httpx.Response(
            200,
            json={
                "results": [bodies.v4_association(5790939450, (1, "Primary"), (279, None))],
                "paging": {"next": {"after": "MTAx"}},
            },
        ),
        httpx.Response(200, json={"results": [bodies.v4_association("9001", (279, None))]}),
    ]
    found = await client.list_associations(CONN, "contacts", "512", "companies")
    assert [a.to_object_id for a in found] == ["5790939450", "9001"]
    assert [t.type_id for t in found[0].association_types] == [1, 279]
    assert route.calls[0].request.url.params["limit"] == "500"
    assert route.calls[1].request.url.params["after"] == "MTAx"


async def test_pipelines_and_stages(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.get("/crm/v3/pipelines/deals").respond(200, json=bodies.PIPELINES)
    router.get("/crm/v3/pipelines/deals/default/stages").respond(200, json={"results": bodies.STAGES})
    pipelines = await client.list_pipelines(CONN, "deals")
    stages = await client.pipeline_stages(CONN, "deals", "default")
    assert pipelines[0].id == "default" and pipelines[0].stages[2].id == "contractsent"
    assert stages[-1].metadata == {"probability": "0.0", "isClosed": "true"}


async def test_list_properties(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.get("/crm/v3/properties/contacts").respond(200, json=bodies.PROPERTIES)
    props = await client.list_properties(CONN, "contacts")
    assert props[0].options[1].value == "lead"
    assert not props[0].read_only and props[1].read_only


async def test_create_sends_inline_associations(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.post("/crm/v3/objects/deals").respond(
        201, json=bodies.record("777", dealname="Acme expansion")
    )
    deal = await client.create(
        CONN,
        "deals",
        {"dealname": "Acme expansion", "amount": "50000", "pipeline": "default"},
        associations=[AssociationInput.default("deals", "companies", "9001")],
    )
    assert deal.id == "777"
    assert json.loads(route.calls.last.request.content) == {
        "properties": {"dealname": "Acme expansion", "amount": "50000", "pipeline": "default"},
        "associations": [
            {
                "to": {"id": "9001"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}],
            }
        ],
    }


async def test_an_activity_is_created_with_the_activity_to_record_type_ids(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    route = router.post("/crm/v3/objects/calls").respond(201, json=bodies.record("31"))
    await client.create(
        CONN,
        "calls",
        {"hs_timestamp": "2026-03-02T10:00:00Z", "hs_call_body": "Wants a demo"},
        associations=[
            AssociationInput.default("calls", "contacts", "512"),
            AssociationInput.default("calls", "deals", "777"),
        ],
    )
    sent = json.loads(route.calls.last.request.content)
    assert [a["to"]["id"] for a in sent["associations"]] == ["512", "777"]
    assert [a["types"][0]["associationTypeId"] for a in sent["associations"]] == [194, 206]


async def test_update_patches_properties(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.patch("/crm/v3/objects/deals/777").respond(
        200, json=bodies.record("777", dealstage="contractsent")
    )
    deal = await client.update(CONN, "deals", "777", {"dealstage": "contractsent"})
    assert json.loads(route.calls.last.request.content) == {"properties": {"dealstage": "contractsent"}}
    assert deal.properties["dealstage"] == "contractsent"


async def test_merge_companies_sends_string_ids(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.post("/crm/v3/objects/companies/merge").respond(
        200, json=bodies.record("9100", name="Acme")
    )
    merged = await client.merge_companies(CONN, "9001", "9002")
    assert json.loads(route.calls.last.request.content) == {
        "primaryObjectId": "9001",
        "objectIdToMerge": "9002",
    }
    assert merged.id == "9100"


async def test_associate_default_puts_without_body(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.put("/crm/v4/objects/contacts/512/associations/default/companies/9001").respond(
        200, json=bodies.DEFAULT_ASSOCIATION
    )
    result = await client.associate_default(CONN, "contacts", "512", "companies", "9001")
    assert route.calls.last.request.content == b""
    assert result.status == "COMPLETE"


async def test_a_204_answer_is_success(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.put("/crm/v4/objects/deals/7/associations/default/companies/9").respond(204)
    result = await client.associate_default(CONN, "deals", "7", "companies", "9")
    assert result.status == "COMPLETE"


async def test_paragon_me_uses_the_paragon_api(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.get("https://api.useparagon.com/projects/proj-123/sdk/me").respond(
        200, json=bodies.PARAGON_ME
    )
    me = await client.paragon_me(CONN)
    assert me.hubspot is not None and me.hubspot.credential_status == "VALID"
    headers = route.calls.last.request.headers
    assert headers["authorization"].startswith("Bearer ")
    assert "x-paragon-use-raw-response" not in headers


async def test_request_hook_gets_one_record_per_exchange(
    client: HubSpotClient, router: respx.MockRouter, records: list[RequestRecord]
) -> None:
    router.get("/crm/v3/objects/deals/777").respond(
        200, json=bodies.record("777"), headers={"x-hubspot-correlation-id": bodies.CORRELATION_ID}
    )
    await client.get_object(CONN, "deals", "777")
    [record] = records
    assert record.operation == "get_object" and record.method == "GET"
    assert record.path_template == "/crm/v3/objects/{objectType}/{objectId}"
    assert record.object_type == "deals" and record.ids == ("777",)
    assert record.scopes == ("crm.objects.deals.read",)
    assert record.status == 200 and record.correlation_id == bodies.CORRELATION_ID
    assert record.attempt == 1 and record.latency_ms >= 0


async def test_search_all_stops_at_max_results(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.post("/crm/v3/objects/companies/search").respond(
        200, json=bodies.search_page(50, [bodies.record(str(i)) for i in range(3)], after="3")
    )
    result = await client.search_all(CONN, "companies", SearchRequest(limit=3), max_results=3)
    assert len(result.results) == 3 and result.truncated and result.total == 50
    assert route.call_count == 1


async def test_a_failing_request_hook_does_not_fail_the_call(
    make_client: MakeClient, router: respx.MockRouter
) -> None:
    async def broken(record: RequestRecord) -> None:
        raise RuntimeError("audit store down")

    client = await make_client(request_hook=broken)
    router.get("/account-info/v3/details").respond(200, json=bodies.ACCOUNT_DETAILS)
    assert (await client.account_details(CONN)).portal_id == 123456


async def test_added_request_hooks_run_in_order_and_a_failing_one_is_logged(
    make_client: MakeClient, router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def hook(name: str, fail: bool = False) -> RequestHook:
        async def record(entry: RequestRecord) -> None:
            calls.append(f"{name}:{entry.operation}")
            if fail:
                raise RuntimeError("audit store down")

        return record

    client = await make_client(request_hook=hook("first"))
    client.add_request_hook(hook("second", fail=True))
    client.add_request_hook(hook("third"))
    router.get("/account-info/v3/details").respond(200, json=bodies.ACCOUNT_DETAILS)
    assert (await client.account_details(CONN)).portal_id == 123456
    assert calls == ["first:account_details", "second:account_details", "third:account_details"]
    assert "request hook failed for GET /account-info/v3/details" in caplog.text


async def test_paragon_me_is_not_available_in_direct_mode() -> None:
    settings = load_settings(hubspot_mode="direct", hubspot_access_token="pat")
    async with HubSpotClient(
        HubSpotClientConfig.from_settings(settings),
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
    ) as client:
        with pytest.raises(NotAllowed):
            await client.paragon_me(CONN)


async def test_hubspot_error_inside_a_paragon_envelope_is_unpacked(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    envelope = {
        "message": "Request failed",
        "code": "41070",
        "status": 409,
        "meta": {"isIntegrationError": True, "body": bodies.CONFLICT},
    }
    router.post("/crm/v3/objects/contacts").respond(409, json=envelope)
    with pytest.raises(Conflict) as info:
        await client.create(CONN, "contacts", {"email": "jane@acme.com"})
    assert info.value.existing_id == "37765128953"


async def test_an_empty_search_sends_an_empty_body(client: HubSpotClient, router: respx.MockRouter) -> None:
    route = router.post("/crm/v3/objects/contacts/search").respond(200, json=bodies.search_page(0, []))
    await client.search(CONN, "contacts", SearchRequest(query="jane"))
    # No empty lists: HubSpot returns its default properties only when `properties` is absent.
    assert json.loads(route.calls.last.request.content) == {"query": "jane", "limit": 10}
