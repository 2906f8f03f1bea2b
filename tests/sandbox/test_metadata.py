"""Account details, owners, users, roles, teams, pipelines and properties."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tools.sandbox import Sandbox

TEAM_PORTAL: dict[str, Any] = {
    "roles": [{"ref": "sales_rep", "name": "Sales Rep"}],
    "teams": [{"ref": "east", "name": "East", "members": ["alex"], "secondaryMembers": ["sam"]}],
    "users": [{"ref": "alex_user", "email": "alex@acme-sales.io", "roleId": "sales_rep"}],
    "owners": [
        {"ref": "alex", "email": "alex@acme-sales.io", "firstName": "Alex", "lastName": "Rivera"},
        {"ref": "sam", "email": "sam@acme-sales.io", "firstName": "Sam", "lastName": "Lee"},
        {
            "ref": "gone",
            "email": "gone@acme-sales.io",
            "firstName": "Old",
            "lastName": "Timer",
            "archived": True,
        },
    ],
}


@pytest.fixture
def refs(sandbox: Sandbox) -> dict[str, str]:
    return sandbox.load_fixture(TEAM_PORTAL)


async def test_account_details_has_every_required_field(client: httpx.AsyncClient) -> None:
    body = (await client.get("/account-info/v3/details")).json()
    assert set(body) >= {
        "portalId",
        "accountType",
        "timeZone",
        "companyCurrency",
        "additionalCurrencies",
        "utcOffset",
        "utcOffsetMilliseconds",
        "uiDomain",
        "dataHostingLocation",
    }
    assert isinstance(body["portalId"], int)
    assert body["uiDomain"] == "app.hubspot.com"


async def test_owners_list_active_and_archived_separately(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    active = (await client.get("/crm/v3/owners")).json()["results"]
    assert {o["email"] for o in active} == {"alex@acme-sales.io", "sam@acme-sales.io"}
    alex = next(o for o in active if o["email"] == "alex@acme-sales.io")
    assert alex["id"] == refs["alex"]
    assert alex["userId"] == int(refs["alex_user"])  # same email = same person
    assert alex["teams"] == [{"id": refs["east"], "name": "East", "primary": True}]
    assert alex["type"] == "PERSON" and alex["archived"] is False
    archived = (await client.get("/crm/v3/owners", params={"archived": "true"})).json()["results"]
    assert [o["email"] for o in archived] == ["gone@acme-sales.io"]
    assert archived[0]["userId"] is None and isinstance(archived[0]["userIdIncludingInactive"], int)


async def test_owner_filters_and_single_reads(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    by_email = (await client.get("/crm/v3/owners/", params={"email": "SAM@acme-sales.io"})).json()["results"]
    assert [o["id"] for o in by_email] == [refs["sam"]]
    one = (await client.get(f"/crm/v3/owners/{refs['alex']}")).json()
    assert one["firstName"] == "Alex"
    by_user = (
        await client.get(f"/crm/v3/owners/{refs['alex_user']}", params={"idProperty": "userId"})
    ).json()
    assert by_user["id"] == refs["alex"]
    assert (await client.get(f"/crm/v3/owners/{refs['gone']}")).status_code == 404
    assert (await client.get(f"/crm/v3/owners/{refs['gone']}?archived=true")).status_code == 200


async def test_owner_paging(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    first = (await client.get("/crm/v3/owners", params={"limit": 1})).json()
    second = (
        await client.get("/crm/v3/owners", params={"limit": 1, "after": first["paging"]["next"]["after"]})
    ).json()
    assert first["results"][0]["id"] != second["results"][0]["id"]
    assert "paging" not in second


async def test_users_roles_and_teams(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    users = (await client.get("/settings/v3/users/")).json()["results"]
    alex = next(u for u in users if u["email"] == "alex@acme-sales.io")
    assert alex["roleId"] == refs["sales_rep"] and alex["primaryTeamId"] == refs["east"]
    assert {u["email"] for u in users} == {
        "alex@acme-sales.io",
        "sam@acme-sales.io",
    }  # the archived owner's user is inactive
    assert (await client.get(f"/settings/v3/users/{alex['id']}")).json()["email"] == "alex@acme-sales.io"
    by_email = await client.get("/settings/v3/users/alex@acme-sales.io", params={"idProperty": "EMAIL"})
    assert by_email.json()["id"] == alex["id"]
    roles = (await client.get("/settings/v3/users/roles")).json()["results"]
    assert roles == [{"id": refs["sales_rep"], "name": "Sales Rep", "requiresBillingWrite": False}]
    [team] = (await client.get("/settings/v3/users/teams")).json()["results"]
    sam_user = next(u for u in users if u["email"] == "sam@acme-sales.io")
    assert team == {
        "id": refs["east"],
        "name": "East",
        "userIds": [alex["id"]],
        "secondaryUserIds": [sam_user["id"]],
    }


async def test_default_deal_pipeline_has_hubspots_stages(client: httpx.AsyncClient) -> None:
    [pipeline] = (await client.get("/crm/v3/pipelines/deals")).json()["results"]
    assert (pipeline["id"], pipeline["label"], pipeline["displayOrder"]) == ("default", "Sales Pipeline", 0)
    assert pipeline["createdAt"] == "1970-01-01T00:00:00.000Z"
    stages = [
        (s["id"], s["label"], s["metadata"]["probability"], s["metadata"]["isClosed"])
        for s in pipeline["stages"]
    ]
    assert stages == [
        ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
        ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
        ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
        ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
        ("contractsent", "Contract Sent", "0.9", "false"),
        ("closedwon", "Closed Won", "1.0", "true"),
        ("closedlost", "Closed Lost", "0.0", "true"),
    ]
    single = (await client.get("/crm/v3/pipelines/deals/default")).json()
    assert single == pipeline
    stage_list = (await client.get("/crm/v3/pipelines/0-3/default/stages")).json()["results"]
    assert stage_list == pipeline["stages"]
    one = (await client.get("/crm/v3/pipelines/deals/default/stages/closedwon")).json()
    assert one["label"] == "Closed Won"


async def test_custom_pipelines_and_pipeline_errors(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    refs = sandbox.load_fixture(
        {
            "pipelines": [
                {
                    "ref": "ren",
                    "objectType": "deals",
                    "label": "Renewals",
                    "stages": [
                        {"label": "Up for renewal", "probability": 0.5},
                        {"label": "Renewed", "probability": 1, "isClosed": True},
                    ],
                }
            ]
        }
    )
    pipelines = (await client.get("/crm/v3/pipelines/deals")).json()["results"]
    assert [p["label"] for p in pipelines] == ["Sales Pipeline", "Renewals"]
    ren = pipelines[1]
    assert ren["id"] == refs["ren"] and ren["id"].isdigit()
    assert [s["metadata"] for s in ren["stages"]] == [
        {"isClosed": "false", "probability": "0.5"},
        {"isClosed": "true", "probability": "1.0"},
    ]
    assert (await client.get("/crm/v3/pipelines/deals/nope")).status_code == 404
    assert (await client.get("/crm/v3/pipelines/contacts")).status_code == 400
    assert (await client.get("/crm/v3/pipelines/widgets")).status_code == 400


async def test_properties_with_types_options_and_groups(client: httpx.AsyncClient) -> None:
    props = {p["name"]: p for p in (await client.get("/crm/v3/properties/contacts")).json()["results"]}
    life = props["lifecyclestage"]
    assert (life["type"], life["fieldType"], life["groupName"]) == (
        "enumeration",
        "radio",
        "contactinformation",
    )
    assert [o["value"] for o in life["options"]][:3] == ["subscriber", "lead", "marketingqualifiedlead"]
    assert props["email"]["options"] == []
    for p in props.values():
        assert {"name", "label", "type", "fieldType", "groupName", "description", "options"} <= set(p)
    deals = {p["name"]: p for p in (await client.get("/crm/v3/properties/deals")).json()["results"]}
    assert deals["amount"]["type"] == "number"
    assert "closedwon" in [o["value"] for o in deals["dealstage"]["options"]]
    assert (await client.get("/crm/v3/properties/deals/amount")).json()["label"] == "Amount"
    groups = (await client.get("/crm/v3/properties/deals/groups")).json()["results"]
    assert groups[0]["name"] == "dealinformation"
    for t in ("companies", "tasks", "notes", "emails", "meetings", "calls"):
        assert (await client.get(f"/crm/v3/properties/{t}")).status_code == 200
    assert (await client.get("/crm/v3/properties/deals/nope")).status_code == 404


async def test_custom_property_is_listed_and_writable(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.load_fixture(
        {
            "properties": [
                {
                    "objectType": "companies",
                    "name": "tier",
                    "label": "Tier",
                    "type": "enumeration",
                    "fieldType": "select",
                    "options": [{"label": "Gold", "value": "gold"}],
                }
            ]
        }
    )
    tier = (await client.get("/crm/v3/properties/companies/tier")).json()
    assert tier["hubspotDefined"] is False and tier["options"][0]["value"] == "gold"
    ok = await client.post("/crm/v3/objects/companies", json={"properties": {"name": "T", "tier": "gold"}})
    assert ok.status_code == 201
    bad = await client.post("/crm/v3/objects/companies", json={"properties": {"name": "T", "tier": "silver"}})
    assert bad.status_code == 400
