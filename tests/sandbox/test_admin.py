"""The admin API under /_sandbox/."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tools.sandbox import Sandbox
from tools.scopes_catalog import ALL_SCOPES


async def test_tokens_endpoint_makes_a_token_with_the_given_scopes(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client() as admin:
        r = await admin.post("/_sandbox/tokens", json={"scopes": ["crm.objects.owners.read"]})
        token = r.json()["token"]
        named = (await admin.post("/_sandbox/tokens", json={"token": "my-token"})).json()
        assert named == {"token": "my-token", "scopes": list(ALL_SCOPES)}
    async with make_client(token) as c:
        assert (await c.get("/crm/v3/owners")).status_code == 200
        assert (await c.get("/settings/v3/users")).status_code == 403


async def test_fixtures_endpoint_returns_the_ref_map(
    make_client: Callable[..., httpx.AsyncClient], sandbox: Sandbox
) -> None:
    async with make_client() as admin:
        block = {"portal": {"companies": [{"ref": "acme", "properties": {"name": "Acme Corp"}}]}}
        refs = (await admin.post("/_sandbox/fixtures", json=block)).json()
        assert list(refs) == ["acme"]
        assert sandbox.portal.get("companies", refs["acme"]) is not None
        bad = await admin.post("/_sandbox/fixtures", json={"compnies": []})
        assert bad.status_code == 400
        assert "compnies" in bad.json()["message"]
        unknown = await admin.post("/_sandbox/fixtures", json="no-such-fixture")
        assert unknown.status_code == 400


async def test_state_reset_and_request_log(
    client: httpx.AsyncClient, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    await client.post("/crm/v3/objects/companies", json={"properties": {"name": "Acme Corp"}})
    async with make_client() as admin:
        state = (await admin.get("/_sandbox/state")).json()
        assert [c["properties"]["name"] for c in state["records"]["companies"]] == ["Acme Corp"]
        log = (await admin.get("/_sandbox/requests")).json()
        assert [(e["method"], e["path"], e["status"]) for e in log] == [
            ("POST", "/crm/v3/objects/companies", 201)
        ]
        assert log[0]["json"] == {"properties": {"name": "Acme Corp"}}
        assert "Bearer" not in str(log)
        assert (await admin.post("/_sandbox/reset")).status_code == 200
        assert (await admin.get("/_sandbox/state")).json()["records"]["companies"] == []
        assert (await admin.get("/_sandbox/requests")).json() == []
    # tokens survive a reset
    assert (await client.get("/crm/v3/objects/companies")).status_code == 200


async def test_archive_owner_and_user(
    client: httpx.AsyncClient, sandbox: Sandbox, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    refs = sandbox.load_fixture(
        {
            "owners": [
                {"ref": "alex", "email": "alex@acme-sales.io", "firstName": "Alex", "lastName": "Rivera"},
                {"ref": "sam", "email": "sam@acme-sales.io", "firstName": "Sam", "lastName": "Lee"},
            ]
        }
    )
    sam_user = str(sandbox.portal.owners[refs["sam"]].user_id)
    async with make_client() as admin:
        r = await admin.post(f"/_sandbox/owners/{refs['alex']}/archive")
        assert r.json()["archived"] is True
        assert (await admin.post(f"/_sandbox/users/{sam_user}/archive")).status_code == 200
        assert (await admin.post("/_sandbox/owners/404/archive")).status_code == 404
    assert (await client.get("/crm/v3/owners")).json()["results"] == []
    archived = (await client.get("/crm/v3/owners?archived=true")).json()["results"]
    assert {o["id"] for o in archived} == {refs["alex"], refs["sam"]}
    assert sam_user not in {u["id"] for u in (await client.get("/settings/v3/users")).json()["results"]}


async def test_connections_and_revoke_over_http(
    make_client: Callable[..., httpx.AsyncClient], sandbox: Sandbox
) -> None:
    async with make_client() as admin:
        cid = (
            await admin.post("/_sandbox/connections", json={"userId": "u-1", "credentialId": "c-1"})
        ).json()["credentialId"]
        assert cid == "c-1"
        assert sandbox.credentials.connections["c-1"].status == "VALID"
        assert (await admin.post("/_sandbox/revoke", json={"credentialId": "c-1"})).status_code == 200
        assert sandbox.credentials.connections["c-1"].status == "INVALID"
        assert (await admin.post("/_sandbox/connections", json={})).status_code == 400
        key = (await admin.get("/_sandbox/paragon")).json()
        assert key["projectId"] == "sandbox-project" and "PRIVATE KEY" in key["privateKeyPem"]


async def test_unknown_admin_path_is_404(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client() as admin:
        assert (await admin.get("/_sandbox/nothing")).status_code == 404
        assert (await admin.post("/_sandbox/tokens", content=b"{bad")).status_code == 400
